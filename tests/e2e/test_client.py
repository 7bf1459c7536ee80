"""A real podcast client (gPodder's ``gpo``) subscribes to the served feed and downloads."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from narrator.publish.catalog import Catalog
from tests.serving import BackgroundServer, serving

GPO = shutil.which("gpo") or "/usr/bin/gpo"


@pytest.fixture(scope="module")
def served(sample_build) -> Iterator[tuple[Path, BackgroundServer]]:  # type: ignore[no-untyped-def]
    out, _, _ = sample_build
    with serving(out) as server:
        yield out, server


def _gpo(home: Path, *args: str) -> str:
    """Run ``gpo`` with its data and downloads in ``home``; its output (stdout and stderr)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env.update(
        HOME=str(home),
        GPODDER_HOME=str(home / "gpodder"),
        GPODDER_DOWNLOAD_DIR=str(home / "downloads"),
        LANG="C.UTF-8",
    )
    result = subprocess.run(
        [GPO, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"gpo {' '.join(args)} failed:\n{output}"
    return output


def test_gpodder_subscribes_and_downloads_the_episode_byte_for_byte(
    served: tuple[Path, BackgroundServer], tmp_path: Path
) -> None:
    if not Path(GPO).exists():
        pytest.skip("gPodder's gpo is not installed (apt-get install gpodder; .ci/run installs it)")
    out, server = served
    feed_url = server.url + "feed.xml"
    (entry,) = Catalog.load(out).entries.values()

    assert "Successfully added" in _gpo(tmp_path, "subscribe", feed_url)
    _gpo(tmp_path, "update", feed_url)
    assert entry.title in _gpo(tmp_path, "episodes", feed_url)
    assert "1 episodes downloaded" in _gpo(tmp_path, "download", feed_url)

    downloaded = [p for p in (tmp_path / "downloads").rglob("*") if p.is_file()]
    assert [p.name for p in downloaded] == [Path(entry.file).name]
    assert downloaded[0].read_bytes() == (out / entry.file).read_bytes()
