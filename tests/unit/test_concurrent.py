"""The output lock within one process: refused, waited for, sweeping temp files, taken by the
library build too. Builds in real processes racing for it are in ``tests/e2e/test_concurrent.py``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from narrator.build.lock import OutputLocked, lock_output, sweep_temp_files
from narrator.errors import NarratorError
from tests.output_check import write_article

LOCKED = "another narrator build is writing to this folder"


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write_article(folder, "one.txt", "Harbour Lights", "The lamps came on at dusk. Boats returned.")
    return folder


def test_second_lock_on_a_folder_is_refused_naming_the_holder(tmp_path: Path) -> None:
    with (
        lock_output(tmp_path / "out"),
        pytest.raises(OutputLocked) as caught,
        lock_output(tmp_path / "out"),
    ):
        pass  # pragma: no cover
    assert LOCKED in str(caught.value)
    assert f"process {os.getpid()}" in str(caught.value)
    assert isinstance(caught.value, NarratorError)
    with lock_output(tmp_path / "out"):  # released on exit
        pass


def test_waiting_lock_gives_up_after_the_stated_time(tmp_path: Path) -> None:
    with lock_output(tmp_path):
        started = time.monotonic()
        with pytest.raises(OutputLocked), lock_output(tmp_path, wait=0.3):
            pass  # pragma: no cover
        assert 0.3 <= time.monotonic() - started < 5


def test_temp_files_of_a_killed_build_are_swept_under_the_lock(tmp_path: Path) -> None:
    (tmp_path / "episodes").mkdir()
    stale = [tmp_path / ".feed.xml.abc123.tmp", tmp_path / "episodes" / ".a.mp3.x1.tmp"]
    keep = [tmp_path / "feed.xml", tmp_path / "episodes" / "a.mp3", tmp_path / "notes.tmp"]
    for path in stale + keep:
        path.write_bytes(b"x")
    with lock_output(tmp_path):
        pass
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in keep)
    assert sweep_temp_files(tmp_path) == []


def test_library_build_takes_the_lock_too(tmp_path: Path, articles: Path) -> None:
    from narrator.build.pipeline import build
    from narrator.config import load_config

    out = tmp_path / "out"
    with lock_output(out), pytest.raises(OutputLocked):
        build([articles], out, load_config(None))
    assert not (out / "feed.xml").exists()
