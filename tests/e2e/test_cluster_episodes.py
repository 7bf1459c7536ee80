"""Whole episodes built on a real Dask cluster: `dask scheduler` and `dask worker` processes.

The client (this process) plans and lists; the workers voice, assemble, encode and
write into the shared output folder. Here every process shares one filesystem, so a
folder the workers cannot see is made with ``/proc/self/cwd``, which names each
process's own working folder.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from narrator.build.checkpoints import PAUSE_AT, PAUSE_FILE, PAUSE_SECONDS
from narrator.build.pipeline import BuildReport, build
from narrator.build.store import ClipCache
from narrator.cli import cli
from narrator.config import Config, load_config
from narrator.publish.catalog import Catalog
from narrator.voice.synthesizer import Synthesizer
from tests.articles import HARBOUR, article_folder

distributed = pytest.importorskip(
    "distributed",
    reason="Dask is not installed: pip install 'narrator[dask]' (the test extra includes it)",
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs /proc (Linux)")

MILL = """The Mill

The mill wheel turned all summer.

By autumn the river had fallen low, and the miller waited for rain.

"We will wait," said the miller. "The river always comes back."
"""

STATION = """The Night Station

The last train pulled out at midnight. Its lights faded into the fog.

A fox crossed the platform. Somewhere a bell rang twice.
"""

ARTICLES = {"harbour": HARBOUR, "mill": MILL, "station": STATION}
SLUGS = ["harbour-lights", "the-mill", "the-night-station"]

AUDIO_MODULES = (
    "onnxruntime",
    "lameenc",
    "mutagen",
    "narrator.audio.assemble",
    "narrator.audio.codec",
    "narrator.audio.leveling",
    "narrator.publish.tags",
    "narrator.voice.backends.piper",
)
"""What makes or touches audio: the client of a cluster build needs none of it."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Cluster = tuple[str, list[subprocess.Popen[bytes]]]
StartCluster = Callable[..., Cluster]


@pytest.fixture(scope="module")
def start_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartCluster]:
    """Start a `dask scheduler` and `dask worker` processes, as a user would by hand.

    Each worker runs in a folder of its own (so ``/proc/self/cwd`` is not the test's),
    with the environment given for it; ``nanny=False`` means a killed worker stays dead.
    Everything started is killed when the module ends.
    """
    started: list[subprocess.Popen[bytes]] = []
    quiet: Any = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}

    def start(*workers: dict[str, str], nanny: bool = True) -> Cluster:
        port = _free_port()
        address = f"tcp://127.0.0.1:{port}"
        command = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", str(port)]
        processes = [subprocess.Popen([*command, "--no-dashboard"], **quiet)]
        for env in workers:
            command = [sys.executable, "-m", "distributed.cli.dask_worker", address]
            command += ["--nworkers", "1", "--nthreads", "1", "--no-dashboard"]
            command += [] if nanny else ["--no-nanny"]
            folder = tmp_path_factory.mktemp("worker")
            processes.append(
                subprocess.Popen(command, cwd=folder, env={**os.environ, **env}, **quiet)
            )
        started.extend(processes)
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(len(workers), timeout=120)
        return address, processes

    try:
        yield start
    finally:
        for process in started:
            process.kill()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def two_workers(start_cluster: StartCluster) -> str:
    """A scheduler with two plain workers for the module's tests."""
    return start_cluster({}, {})[0]


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(None)


def _articles(root: Path) -> Path:
    return article_folder(root, ARTICLES)


def _build(folder: Path, out: Path, config: Config, cache: Path, **kw: Any) -> BuildReport:
    force = kw.pop("force", False)
    synthesizer = Synthesizer(cache=ClipCache(cache), **kw)
    return build([folder], out, config, force=force, synthesizer=synthesizer)


def _mp3s(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "episodes").glob("*.mp3"))}


def _feed_items(out: Path) -> list[tuple[str, str, str, str]]:
    """The feed's items, sorted: undated articles are dated by the second they were first
    built, so two builds a second apart may list them in another order."""
    import feedparser

    feed = feedparser.parse((out / "feed.xml").read_bytes())
    return sorted((e.title, e.id, e.enclosures[0].length, e.itunes_duration) for e in feed.entries)


def test_a_cluster_build_equals_the_local_one_and_the_client_touches_no_audio(
    tmp_path: Path, config: Config, two_workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _articles(tmp_path)
    cache = tmp_path / "cache"
    local = _build(folder, tmp_path / "local", config, cache, jobs=1)
    assert sorted(local.built) == SLUGS and local.clips_synthesized > 10
    reference = _mp3s(tmp_path / "local")

    for name in AUDIO_MODULES:  # `import name` now fails in this process (not on the workers)
        monkeypatch.setitem(sys.modules, name, None)
    # A fresh output folder from the same clips: the same episodes, to the byte.
    fresh = _build(folder, tmp_path / "cluster", config, cache, scheduler=two_workers)
    assert not fresh.failed and sorted(fresh.built) == SLUGS
    assert (fresh.clips_synthesized, fresh.clips_cached) == (0, local.clips_synthesized)
    local_entries = Catalog.load(tmp_path / "local").entries
    cluster_entries = Catalog.load(tmp_path / "cluster").entries
    assert local_entries.keys() == cluster_entries.keys() == set(SLUGS)
    for slug, entry in local_entries.items():
        other = cluster_entries[slug]
        assert (other.duration, other.bytes, other.build_key) == (
            entry.duration,
            entry.bytes,
            entry.build_key,
        )
        for name in entry.extras.values():  # transcripts, chapters, page data
            assert (tmp_path / "cluster" / name).read_bytes() == (
                tmp_path / "local" / name
            ).read_bytes()
    assert _feed_items(tmp_path / "cluster") == _feed_items(tmp_path / "local")
    assert len(_feed_items(tmp_path / "cluster")) == 3

    # A forced rebuild of the local output on the cluster changes no episode's bytes.
    again = _build(folder, tmp_path / "local", config, cache, scheduler=two_workers, force=True)
    assert sorted(again.built) == SLUGS and again.clips_synthesized == 0
    assert _mp3s(tmp_path / "local") == reference
    assert not [p for p in (tmp_path / "local").rglob("*") if ".narrator-cluster-" in p.name]
    assert not list(cache.glob(".narrator-cluster-*"))


def test_new_clips_are_voiced_on_the_workers_into_the_shared_cache(
    tmp_path: Path, config: Config, two_workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in AUDIO_MODULES:
        monkeypatch.setitem(sys.modules, name, None)
    folder = _articles(tmp_path)
    report = _build(folder, tmp_path / "out", config, tmp_path / "cache", scheduler=two_workers)
    assert not report.failed and sorted(report.built) == SLUGS
    assert report.clips_synthesized > 10 and report.clips_cached == 0
    assert ClipCache(tmp_path / "cache").info().entries == report.clips_synthesized
    entries = Catalog.load(tmp_path / "out").entries
    for entry in entries.values():
        assert (tmp_path / "out" / entry.file).stat().st_size == entry.bytes
        assert entry.duration > 2


@pytest.mark.parametrize("unshared", ["output", "cache"])
def test_a_folder_a_worker_cannot_see_is_one_error_before_anything_is_built(
    tmp_path: Path, two_workers: str, monkeypatch: pytest.MonkeyPatch, unshared: str
) -> None:
    folder = _articles(tmp_path)
    monkeypatch.chdir(tmp_path)
    elsewhere = "/proc/self/cwd"  # here: tmp_path; on each worker: the worker's own folder
    out = f"{elsewhere}/out" if unshared == "output" else str(tmp_path / "out")
    cache = f"{elsewhere}/cache" if unshared == "cache" else str(tmp_path / "cache")
    result = CliRunner().invoke(
        cli,
        ["build", str(folder), "-o", out, "--cache-dir", cache, "-q", "--scheduler", two_workers],
    )
    assert result.exit_code == 1
    named = out if unshared == "output" else cache
    assert re.fullmatch(
        f"Error: {re.escape(named)}: not visible from worker tcp://127.0.0.1:[0-9]+"
        r" \(the output folder and cache must be on a filesystem every worker mounts;"
        r" see docs/cluster.md\)\n",
        result.output,
    ), result.output
    produced = tmp_path / "out"
    assert not (produced / "episodes").exists() and not (produced / "feed.xml").exists()
    assert not list(produced.glob(".narrator-cluster-*"))
    assert not list((tmp_path / "cache").glob(".narrator-cluster-*"))


def test_a_worker_killed_mid_episode_is_survived(
    tmp_path: Path, config: Config, start_cluster: StartCluster
) -> None:
    """One worker stops inside an episode, its MP3 written to a temporary file but not yet
    renamed; it is killed there, and the other worker builds that episode again."""
    paused = tmp_path / "paused"
    doomed = {PAUSE_AT: "episode-temp-written", PAUSE_FILE: str(paused), PAUSE_SECONDS: "300"}
    address, _ = start_cluster(doomed, {}, nanny=False)
    folder = _articles(tmp_path)
    out = tmp_path / "out"
    seen: dict[str, Any] = {}

    def kill_when_paused() -> None:
        deadline = time.monotonic() + 300
        while not paused.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not paused.exists():
            return
        time.sleep(0.2)  # the pause file is written before the pid is flushed on slow disks
        pid = int(paused.read_text().split()[0])
        episodes = out / "episodes"
        seen["hidden"] = [p.name for p in episodes.iterdir() if p.name.endswith(".tmp")]
        seen["visible"] = sorted(p.name for p in episodes.glob("*.mp3"))
        os.kill(pid, signal.SIGKILL)
        seen["killed"] = pid

    killer = threading.Thread(target=kill_when_paused, daemon=True)
    killer.start()
    report = _build(folder, out, config, tmp_path / "cache", scheduler=address)
    killer.join(timeout=10)

    assert "killed" in seen, "no worker paused inside an episode"
    assert any(name.startswith(".") and ".mp3." in name for name in seen["hidden"])
    assert not report.failed and sorted(report.built) == SLUGS
    assert len(report.retried) == 1 and report.retried[0] in SLUGS
    assert f"{report.retried[0]}.mp3" not in seen["visible"]  # half-written: never visible
    assert "; 1 episode retried after a worker was lost; " in report.summary()
    entries = Catalog.load(out).entries
    assert all((out / e.file).stat().st_size == e.bytes for e in entries.values())
    assert not [p.name for p in (out / "episodes").iterdir() if p.name.startswith(".")]
    # Every clip is in the cache (the lost attempt's too: the retry took them from there) ...
    stored = ClipCache(tmp_path / "cache").info().entries
    assert stored == report.clips_synthesized + report.clips_cached
    # ... and the episodes are those a local build makes from the same clips.
    built = _mp3s(out)
    local = _build(folder, out, config, tmp_path / "cache", jobs=1, force=True)
    assert local.clips_synthesized == 0
    assert _mp3s(out) == built


def test_a_large_build_is_planned_on_the_workers_too(
    tmp_path: Path, config: Config, two_workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From ``PLAN_ON_WORKERS_FROM`` articles the client only reads them: the workers plan,
    decide what changed, and build only that."""
    folder = _articles(tmp_path)
    cache = tmp_path / "cache"
    local = _build(folder, tmp_path / "local", config, cache, jobs=1)
    assert sorted(local.built) == SLUGS

    def refuse(*args: object) -> object:
        raise AssertionError("an article was planned on the client")

    monkeypatch.setattr("narrator.build.pipeline.PLAN_ON_WORKERS_FROM", 1)
    monkeypatch.setattr("narrator.build.pipeline.plan", refuse)
    for name in AUDIO_MODULES:
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "cluster"
    first = _build(folder, out, config, cache, scheduler=two_workers)
    assert not first.failed and sorted(first.built) == SLUGS and first.unchanged == []
    local_entries = Catalog.load(tmp_path / "local").entries
    cluster_entries = Catalog.load(out).entries
    for slug, entry in local_entries.items():
        other = cluster_entries[slug]
        assert (other.build_key, other.duration, other.bytes) == (
            entry.build_key,
            entry.duration,
            entry.bytes,
        )
        # The identity the client found (a worker may see the articles' folder elsewhere).
        assert (other.key, other.folder, other.input_key) == (
            entry.key,
            entry.folder,
            entry.input_key,
        )
        assert other.input_key
    assert _feed_items(out) == _feed_items(tmp_path / "local")

    before = {p.name: p.stat().st_mtime_ns for p in (out / "episodes").iterdir()}
    again = _build(folder, out, config, cache, scheduler=two_workers)
    assert not again.failed and again.built == [] and sorted(again.unchanged) == SLUGS
    assert {p.name: p.stat().st_mtime_ns for p in (out / "episodes").iterdir()} == before

    (folder / "mill.txt").write_text(MILL.replace("all summer", "all winter"), encoding="utf-8")
    edited = _build(folder, out, config, cache, scheduler=two_workers)
    assert edited.built == ["the-mill"]
    assert sorted(edited.unchanged) == ["harbour-lights", "the-night-station"]
    assert not edited.failed
    assert edited.clips_synthesized == 1
