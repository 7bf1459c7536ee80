"""Voicing on a Dask cluster (``narrator build --scheduler``), with real Piper on short articles.

One LocalCluster of two worker processes serves the whole module; one test starts
its own (``local:2``) to cover that path too.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from narrator.build.checkpoints import PAUSE_AT, PAUSE_FILE, PAUSE_SECONDS
from narrator.build.lock import LOCK_NAME
from narrator.build.pipeline import BuildReport, build
from narrator.build.store import ClipCache
from narrator.cli import cli
from narrator.config import Config, load_config
from narrator.models import Voice
from narrator.publish.catalog import Catalog
from narrator.voice.cluster import DaskPool
from narrator.voice.synthesizer import Synthesizer, Tick
from tests.articles import HARBOUR, article_folder

distributed = pytest.importorskip(
    "distributed",
    reason="Dask is not installed: pip install 'narrator[dask]' (the test extra includes it)",
)

MILL = """The Mill

The mill wheel turned all summer.

By autumn the river had fallen low, and the miller waited for rain.

"We will wait," said the miller. "The river always comes back."

In spring the water came back to the valley, and the wheel turned again.
"""

STATION = """The Night Station

The last train pulled out at midnight. Its lights faded into the fog.

The station master locked the gate. He walked home along the tracks.

A fox crossed the platform. Somewhere a bell rang twice.

By morning the frost had covered every bench.
"""

ARTICLES = {"harbour": HARBOUR, "mill": MILL, "station": STATION}
PAUSE_S = 3.0
"""How long ``own_scheduler``'s worker pauses inside each episode."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A LocalCluster of two single-threaded worker processes for the whole module."""
    import logging

    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    )
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def address(cluster: Any) -> str:
    """The module cluster's scheduler, with both workers up (a test may have killed one)."""
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
    return str(cluster.scheduler_address)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(None)


def _refuse(*args: object) -> object:
    raise AssertionError("a sentence was voiced on the client, not on the cluster")


@pytest.fixture
def no_local_voicing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if a sentence is voiced in this process: on the cluster path, workers do it all."""
    monkeypatch.setattr("narrator.voice.workers.voice_one", _refuse)


def _articles(root: Path, names: tuple[str, ...] = tuple(ARTICLES)) -> Path:
    return article_folder(root, {name: ARTICLES[name] for name in names})


def _build(folder: Path, out: Path, config: Config, cache: Path, **kw: Any) -> BuildReport:
    progress = kw.pop("progress", None)
    force = kw.pop("force", False)
    synthesizer = Synthesizer(cache=ClipCache(cache), **kw)
    return build([folder], out, config, force=force, progress=progress, synthesizer=synthesizer)


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` but the build lock (which records the last build's PID)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the same build, voiced elsewhere --------------------------------------------------


def _cue_texts(vtt: Path) -> list[str]:
    return [ln for ln in vtt.read_text().splitlines()[1:] if ln and "-->" not in ln]


@pytest.mark.slow
def test_local_cluster_build_matches_a_local_build(tmp_path: Path, config: Config) -> None:
    import feedparser

    folder = _articles(tmp_path)
    reference = _build(folder, tmp_path / "local", config, tmp_path / "cache-local", jobs=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("narrator.voice.workers.voice_one", _refuse)  # every clip from the workers
        clustered = _build(
            folder, tmp_path / "cluster", config, tmp_path / "cache-cluster", scheduler="local:2"
        )

    assert not reference.failed and not clustered.failed
    assert sorted(clustered.built) == sorted(reference.built)
    assert clustered.clips_synthesized == reference.clips_synthesized > 10
    assert ClipCache(tmp_path / "cache-cluster").info().entries == reference.clips_synthesized

    local_entries = Catalog.load(tmp_path / "local").entries
    cluster_entries = Catalog.load(tmp_path / "cluster").entries
    assert local_entries.keys() == cluster_entries.keys()
    for slug, entry in local_entries.items():
        other = cluster_entries[slug]
        assert other.build_key == entry.build_key  # same segments, spoken forms and voices
        assert other.duration == pytest.approx(entry.duration, rel=0.08, abs=0.3)  # Piper varies
        vtt = entry.extras["transcript_vtt"]
        assert _cue_texts(tmp_path / "cluster" / vtt) == _cue_texts(tmp_path / "local" / vtt)

    def items(out: str) -> list[tuple[str, str, str]]:
        feed = feedparser.parse((tmp_path / out / "feed.xml").read_bytes())
        return [(e.title, e.id, e.enclosures[0].type) for e in feed.entries]

    assert items("cluster") == items("local")
    assert len(items("cluster")) == 3

    # The voice is steady (piper_noise): cluster workers voice the very same samples.
    def episodes(out: str) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in (tmp_path / out / "episodes").glob("*.mp3")}

    assert len(episodes("local")) == 3
    assert episodes("cluster") == episodes("local")


def test_cli_build_uses_the_scheduler_from_narrator_toml(
    tmp_path: Path,
    address: str,
    no_local_voicing: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _articles(tmp_path, ("harbour",))
    (tmp_path / "narrator.toml").write_text(f'[build]\nscheduler = "{address}"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["build", str(folder), "-o", "out", "--cache-dir", "cache", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "1 episode: 0 unchanged, 1 rebuilt; 0 clips from cache, 5 synthesized;"
    )
    assert (tmp_path / "out" / "episodes" / "harbour-lights.mp3").is_file()
    assert (tmp_path / "out" / "feed.xml").is_file()


# --- failures ---------------------------------------------------------------------------


def test_a_worker_killed_mid_build_loses_nothing(
    tmp_path: Path, config: Config, address: str, no_local_voicing: None
) -> None:
    folder = _articles(tmp_path)
    killed: list[int] = []

    def kill_a_worker(tick: Tick) -> None:
        if tick.all_done >= 3 and not killed:
            with distributed.Client(address, set_as_default=False) as client:
                pids = client.run(os.getpid)
            pid = sorted(pids.values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    report = _build(
        folder,
        tmp_path / "out",
        config,
        tmp_path / "cache",
        scheduler=address,
        progress=kill_a_worker,
    )
    assert killed, "the build finished before a worker could be killed"
    assert not report.failed
    assert sorted(report.built) == ["harbour-lights", "the-mill", "the-night-station"]
    entries = Catalog.load(tmp_path / "out").entries
    assert all((tmp_path / "out" / e.file).stat().st_size == e.bytes for e in entries.values())
    # The cache started empty: a clip the lost worker voiced before it died is in the cache,
    # and the episode's retry takes it from there (episodes are retried whole).
    stored = ClipCache(tmp_path / "cache").info().entries
    assert stored == report.clips_synthesized + report.clips_cached


def test_an_interrupted_cluster_build_resumes_from_the_cache(
    tmp_path: Path, config: Config, address: str, no_local_voicing: None
) -> None:
    folder = _articles(tmp_path, ("mill", "station"))

    def interrupt(tick: Tick) -> None:
        if tick.all_done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _build(
            folder,
            tmp_path / "out",
            config,
            tmp_path / "cache",
            scheduler=address,
            progress=interrupt,
        )
    stored = ClipCache(tmp_path / "cache").info().entries
    assert stored >= 6

    again = _build(folder, tmp_path / "out", config, tmp_path / "cache", scheduler=address)
    assert not again.failed and len(again.built) == 2
    assert again.clips_cached >= stored
    assert again.clips_synthesized + again.clips_cached >= 14


def test_unreachable_scheduler_is_one_error_line_and_leaves_the_output_alone(
    tmp_path: Path, config: Config
) -> None:
    folder = _articles(tmp_path, ("harbour",))
    out = tmp_path / "out"
    first = _build(folder, out, config, tmp_path / "cache", jobs=1)
    assert first.built == ["harbour-lights"]
    before = _snapshot(out)
    port = _closed_port()

    started = time.perf_counter()
    result = CliRunner().invoke(
        cli,
        [
            "build",
            str(folder),
            "-o",
            str(out),
            "--force",
            "--no-cache",
            "-q",
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
        ],
    )
    elapsed = time.perf_counter() - started

    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} within 5 s "
        "(is `dask scheduler` running there, and the port open?)\n"
    )
    assert elapsed < 20
    assert _snapshot(out) == before


@pytest.fixture
def own_scheduler(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A `dask scheduler` and one `dask worker` process, as a user would start them by hand.

    The worker pauses ``PAUSE_S`` seconds in each episode once its clips are voiced and
    before anything is written (checkpoint ``after-synthesis``), touching ``paused`` first.
    """
    port = _closed_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--port",
            str(port),
            "--no-dashboard",
        ],
        **quiet,  # type: ignore[call-overload]
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            address,
            "--nworkers",
            "1",
            "--nthreads",
            "1",
            "--no-dashboard",
        ],
        env={
            **os.environ,
            PAUSE_AT: "after-synthesis",
            PAUSE_FILE: str(tmp_path / "paused"),
            PAUSE_SECONDS: str(PAUSE_S),
        },
        **quiet,  # type: ignore[call-overload]
    )
    try:
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)
        yield address, scheduler
    finally:
        for process in (worker, scheduler):
            process.kill()
            process.wait(timeout=30)


def test_a_scheduler_lost_mid_build_is_one_error_and_leaves_the_output_alone(
    tmp_path: Path, config: Config, own_scheduler: tuple[str, subprocess.Popen[bytes]]
) -> None:
    from narrator.voice.cluster import ClusterError

    address, scheduler = own_scheduler
    folder = _articles(tmp_path)
    out = tmp_path / "out"
    _build(folder, out, config, tmp_path / "cache", jobs=1)
    before = _snapshot(out)

    paused = tmp_path / "paused"

    def kill_the_scheduler() -> None:  # once the worker is inside an episode, clips voiced
        deadline = time.monotonic() + 120
        while not paused.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        scheduler.kill()

    killer = threading.Thread(target=kill_the_scheduler, daemon=True)
    started = time.perf_counter()
    killer.start()
    with pytest.raises(ClusterError, match=f"^lost the Dask scheduler at {re.escape(address)} "):
        _build(folder, out, config, tmp_path / "other-cache", scheduler=address, force=True)
    killer.join()
    assert paused.exists(), "the build finished before the scheduler was killed"
    assert time.perf_counter() - started < 60
    time.sleep(PAUSE_S + 2)  # the worker's episode would be written by now: it finds the build gone
    assert _snapshot(out) == before
    assert ClipCache(tmp_path / "other-cache").info().entries >= 2  # kept for the next run


# --- the pool itself --------------------------------------------------------------------


def test_pool_keeps_at_most_a_window_of_tasks_outstanding(address: str) -> None:
    voice = Voice("piper", "")
    requests = [(i, f"Sentence number {i} is short.", voice) for i in range(10)]
    held: list[int] = []
    with DaskPool(address, [voice], window=3) as pool:
        results = []
        for voiced in pool.voice(requests, None):
            held.append(len(pool.client.futures))
            results.append(voiced)
    assert sorted(v.index for v in results) == list(range(10))
    assert all(v.clip is not None and v.clip.sample_rate > 0 for v in results)
    # A released future leaves the client's table a moment later (on its event loop): +1.
    assert max(held) <= 3 + 1


def test_a_worker_with_another_voice_model_is_refused(address: str) -> None:
    from narrator.voice.cluster import ClusterError

    voice = Voice("piper", "")
    with DaskPool(address, [voice]) as pool:
        import narrator.voice.render

        real = narrator.voice.render.voice_identity
        try:  # the client believes in another model than the workers have
            narrator.voice.render.voice_identity = lambda v: real(v) + "-other"
            results = pool.voice([(0, "Hello there.", voice)], None)
        finally:
            narrator.voice.render.voice_identity = real
        with pytest.raises(ClusterError, match="has another piper voice"):
            list(results)
