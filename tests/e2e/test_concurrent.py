"""Two `narrator build` runs on one output folder never corrupt it.

The second run stops at once with one clear message (or, with ``--wait``,
queues behind the first); the lock dies with its holder, even under SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from narrator.build.lock import LOCK_NAME, OutputLocked, lock_output, sweep_temp_files
from narrator.errors import NarratorError
from tests.output_check import audit, run_narrator, start_narrator, start_paused, write_article

LOCKED = "another narrator build is writing to this folder"


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write_article(folder, "one.txt", "Harbour Lights", "The lamps came on at dusk. Boats returned.")
    return folder


def _paused_build(tmp_path: Path, articles: Path, at: str, **env: str) -> subprocess.Popen[str]:
    """A real build into ``out`` that has reached checkpoint ``at`` and waits there."""
    return start_paused("build", articles, "-o", "out", cwd=tmp_path, at=at, **env)


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


def test_second_build_stops_with_one_clear_message_while_first_runs(
    tmp_path: Path, articles: Path
) -> None:
    first = _paused_build(tmp_path, articles, "before-synthesis", NARRATOR_TEST_PAUSE_S="2")
    try:
        second = run_narrator("build", articles, "-o", "out", cwd=tmp_path)
    finally:
        out, err = first.communicate(timeout=120)
    assert second.returncode == 1
    errors = [line for line in second.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"Error: out: {LOCKED} (process {first.pid}, since ")
    assert "--wait" in errors[0]
    assert first.returncode == 0, err
    assert "1 rebuilt" in out
    assert list(audit(tmp_path / "out").items) == ["Harbour Lights"]


def test_second_build_with_wait_queues_behind_the_first(tmp_path: Path, articles: Path) -> None:
    first = _paused_build(tmp_path, articles, "before-feed", NARRATOR_TEST_PAUSE_S="1")
    try:
        second = run_narrator("build", articles, "-o", "out", "--wait", "60", cwd=tmp_path)
    finally:
        first.communicate(timeout=120)
    assert first.returncode == 0
    assert second.returncode == 0, second.stderr
    assert "1 unchanged, 0 rebuilt" in second.stdout  # it saw the first build's episode
    audit(tmp_path / "out")


def test_two_builds_started_together_leave_a_consistent_folder(
    tmp_path: Path, articles: Path
) -> None:
    runs = [start_narrator("build", articles, "-o", "out", cwd=tmp_path) for _ in range(2)]
    results = [(run.wait(timeout=120), run.communicate()) for run in runs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 1])
    for code, (_, err) in results:
        if code == 1:
            assert LOCKED in err
    assert list(audit(tmp_path / "out").items) == ["Harbour Lights"]


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path, articles: Path) -> None:
    first = _paused_build(tmp_path, articles, "before-synthesis")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert (tmp_path / "out" / LOCK_NAME).exists()
    second = run_narrator("build", articles, "-o", "out", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    audit(tmp_path / "out")


def test_library_build_takes_the_lock_too(tmp_path: Path, articles: Path) -> None:
    from narrator.build.pipeline import build
    from narrator.config import load_config

    out = tmp_path / "out"
    with lock_output(out), pytest.raises(OutputLocked):
        build([articles], out, load_config(None))
    assert not (out / "feed.xml").exists()
