"""``narrator --help`` and ``--version`` stay light: no numpy, no onnxruntime.

Each check runs in a fresh interpreter, because this test process has long imported
both. What it does not check: the time taken (measured in ``bench/``, not asserted here,
as it depends on the machine).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("numpy", "onnxruntime")


def _modules_after(code: str) -> tuple[str, set[str]]:
    """Run ``code`` in a fresh interpreter; its stdout, and which of HEAVY it imported."""
    report = f"import sys\nprint(*[m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)"
    probe = f"{code}\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout, set(done.stderr.split())


@pytest.mark.parametrize(("option", "says"), [("--help", "Usage"), ("--version", "narrator")])
def test_cli_option_imports_no_numpy_or_onnxruntime(option: str, says: str) -> None:
    code = (
        "import sys\n"
        "from narrator.cli import main\n"
        f"sys.argv = ['narrator', {option!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
    )
    out, heavy = _modules_after(code)
    assert says in out  # the option really ran
    assert heavy == set()


def test_the_probe_sees_numpy_when_it_is_imported() -> None:
    """The probe is not blind: the same check does see a heavy import."""
    _, heavy = _modules_after("import numpy")
    assert heavy == {"numpy"}


def test_stage_packages_import_nothing_heavy() -> None:
    _, heavy = _modules_after(
        "import narrator.text, narrator.voice, narrator.audio, narrator.publish, narrator.build"
    )
    assert heavy == set()
