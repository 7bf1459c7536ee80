"""SIGKILL a real `narrator build` anywhere: what was published stays readable and consistent.

Each test starts from a folder with one published episode, adds a new article,
and kills the build either at a named point (the ``NARRATOR_TEST_PAUSE_AT``
hook, ``narrator.build.checkpoints``) or after a measured delay (real kills that land
wherever the build happens to be). Then the previous feed, episode, catalog and
clip cache must be intact, and the next build must complete.

A delayed kill's build waits at the last checkpoint before it completes
(``BACKSTOP``) if it gets there before the delay is up, so the kill always lands in
a build in progress, however fast the machine; a build that has ended by then
(crashed) fails the test, and so does one that SIGKILL did not end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.output_check import (
    Snapshot,
    audit,
    audit_cache,
    run_narrator,
    start_narrator,
    start_paused,
    write_article,
)

OLD_TITLE = "Harbour Lights"
NEW_TITLE = "Night Ferry"
NEW_SLUG = "night-ferry"
NEW_BODY = (
    "The ferry left at nine. Its horn sounded twice over the water.",
    "Passengers stood at the rail. Some watched the town shrink behind them.",
    "The crossing took an hour. Nobody minded the wind.",
)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with one article built into ``out``.

    Its clip cache (``.cache``) already holds the new article's sentences too, so
    that builds killed at named points after synthesis, and the builds after
    them, spend no time synthesizing; tests that kill during synthesis empty it.
    """
    root = tmp_path_factory.mktemp("baseline")
    write_article(root / "in", "old.txt", OLD_TITLE, "The lamps came on at dusk.")
    write_article(root / "warm", "new.txt", NEW_TITLE, *NEW_BODY)
    for source, out in (("warm", "warm-out"), ("in", "out")):
        result = run_narrator("build", source, "-o", out, cwd=root)
        assert result.returncode == 0, result.stderr
    shutil.rmtree(root / "warm-out")
    return root


@pytest.fixture
def site(baseline: Path, tmp_path: Path) -> Path:
    """A private copy of the baseline with a new article waiting to be built."""
    shutil.copytree(baseline, tmp_path, dirs_exist_ok=True)
    write_article(tmp_path / "in", "new.txt", NEW_TITLE, *NEW_BODY)
    return tmp_path


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL the build's main process only, as the OOM killer would; workers must follow."""
    workers = _children(process.pid)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while (alive := [w for w in workers if Path(f"/proc/{w}").exists()]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    for worker in alive:  # do not leave them running, then fail
        os.kill(worker, signal.SIGKILL)
    assert not alive, f"worker processes {alive} outlived the killed build"


def _pause_and_kill(site: Path, point: str) -> None:
    _kill(start_paused("build", "in", "-o", "out", cwd=site, at=point))


def _previous_is_intact(site: Path, before: Snapshot) -> Snapshot:
    after = audit(site / "out")
    old_mp3 = before.items[OLD_TITLE][0]
    assert after.files[old_mp3] == before.files[old_mp3]
    assert after.items[OLD_TITLE] == before.items[OLD_TITLE]
    audit_cache(site / ".cache")
    return after


def _next_build_completes(site: Path) -> None:
    old = audit(site / "out").files
    result = run_narrator("build", "in", "-o", "out", cwd=site)
    assert result.returncode == 0, result.stderr
    assert ", 0 rebuilt" in result.stdout or ", 1 rebuilt" in result.stdout
    final = audit(site / "out")
    old_mp3 = final.items[OLD_TITLE][0]
    assert final.files[old_mp3] == old[old_mp3]  # the old episode was not touched
    assert sorted(final.items) == [OLD_TITLE, NEW_TITLE]
    assert not [p for p in (site / "out").rglob(".*.tmp")], "temp files of the killed build"
    audit_cache(site / ".cache")


POINTS = (
    "before-synthesis",
    "after-synthesis",
    "episode-temp-written",
    "before-catalog",
    "before-feed",
)
"""The points the pipeline announces (``narrator.build.checkpoints``), in build order."""
KILL_POINTS = [*POINTS, f"replace:{NEW_SLUG}.mp3", "replace:catalog.json", "replace:feed.xml"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_at_a_named_point_keeps_the_previous_output(site: Path, point: str) -> None:
    before = audit(site / "out")
    _pause_and_kill(site, point)
    after = _previous_is_intact(site, before)
    if point != "before-feed":  # the feed is only ever replaced whole
        assert after.files["feed.xml"] == before.files["feed.xml"]
    _next_build_completes(site)


BACKSTOP = "replace:feed.xml"
"""Where a delayed kill's build waits (``NARRATOR_TEST_PAUSE_S``, 60 s) if the delay is longer
than the build: just before it replaces the feed, the last step of a build."""


@pytest.fixture(scope="module")
def build_seconds(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long building the new article takes here, from the start of the process to
    ``BACKSTOP`` (passed without pausing)."""
    site = tmp_path_factory.mktemp("timing")
    shutil.copytree(baseline, site, dirs_exist_ok=True)
    shutil.rmtree(site / ".cache", ignore_errors=True)
    write_article(site / "in", "new.txt", NEW_TITLE, *NEW_BODY)
    started = time.monotonic()
    build = start_paused(
        "build", "in", "-o", "out", cwd=site, at=BACKSTOP, NARRATOR_TEST_PAUSE_S="0"
    )
    seconds = time.monotonic() - started
    _, err = build.communicate(timeout=120)
    assert build.returncode == 0, err
    return seconds


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9])
def test_kill_after_a_delay_keeps_the_previous_output(
    site: Path, build_seconds: float, fraction: float
) -> None:
    before = audit(site / "out")
    shutil.rmtree(site / ".cache", ignore_errors=True)  # so that it really synthesizes
    build = start_narrator("build", "in", "-o", "out", cwd=site, NARRATOR_TEST_PAUSE_AT=BACKSTOP)
    time.sleep(build_seconds * fraction)
    assert build.poll() is None, f"the build ended before the kill:\n{build.communicate()}"
    _kill(build)  # which also fails unless SIGKILL is what ended it
    _previous_is_intact(site, before)
    _next_build_completes(site)


def test_ctrl_c_exits_130_and_leaves_no_temp_file(site: Path) -> None:
    before = audit(site / "out")
    build = start_paused("build", "in", "-o", "out", cwd=site, at="episode-temp-written")
    build.send_signal(signal.SIGINT)
    _, err = build.communicate(timeout=30)
    assert build.returncode == 130
    assert err.strip().splitlines()[-1] == "Interrupted."
    assert "Traceback" not in err
    assert not [p for p in (site / "out").rglob(".*.tmp")]
    assert audit(site / "out").files == before.files


def test_kill_between_replacing_a_changed_episode_and_the_feed(site: Path) -> None:
    """The feed is refreshed right after a changed episode is replaced, not only at the end.

    (The milliseconds between the MP3's rename and that refresh remain a window.)
    """
    (site / "in" / "new.txt").unlink()
    write_article(site / "in", "old.txt", OLD_TITLE, "The lamps came on at dusk, one by one.")
    _pause_and_kill(site, "before-feed")
    audit(site / "out")
