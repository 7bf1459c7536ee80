"""Two `narrator build` runs on one output folder never corrupt it.

The second run stops at once with one clear message (or, with ``--wait``,
queues behind the first); the lock dies with its holder, even under SIGKILL.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from narrator.build.lock import LOCK_NAME
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
