"""Package versions in cache keys: read quickly from dist-info, same as importlib.metadata."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from narrator.build.versions import package_version


@pytest.mark.parametrize(
    ("name", "module"),
    [("piper-tts", "piper"), ("gTTS", "gtts"), ("lameenc", "lameenc"), ("numpy", "numpy")],
)
def test_version_matches_importlib_metadata(name: str, module: str) -> None:
    # packages (piper, gtts, numpy) and a single-file extension module (lameenc)
    assert package_version(name, module) == version(name)
    assert package_version(name) == version(name)


def test_a_package_that_is_not_installed_is_unknown() -> None:
    assert package_version("no-such-narrator-package", "no_such_narrator_module") == "unknown"
