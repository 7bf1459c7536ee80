"""Synthesis workers started ahead of planning: when, with how many threads, and stopped."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import narrator.build.pipeline
from narrator.build.pipeline import build
from narrator.build.store import ClipCache
from narrator.config import Config, load_config
from narrator.publish.catalog import CATALOG_NAME
from narrator.voice.backends import ThreadBudget
from narrator.voice.synthesizer import BIG_BATCH, Synthesizer
from narrator.voice.workers import Split, WorkerPool, worker_budget

pytestmark = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2, reason="workers start ahead only with several cores"
)

TEXT = """Harbour Lights

The lamps came on at dusk, one after another along the quay.

By midnight the harbour was quiet and the boats lay still.
"""


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(None)


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """What happened, in order: worker pools made (with their split) and articles planned."""
    seen: list[tuple[str, object]] = []
    real_init, real_plan = WorkerPool.__init__, narrator.build.pipeline.plan

    def init(self: WorkerPool, split: Split, voices: object) -> None:
        seen.append(("pool", split))
        real_init(self, split, voices)  # type: ignore[arg-type]

    def plan(*args: object, **kwargs: object) -> object:
        seen.append(("plan", None))
        return real_plan(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(WorkerPool, "__init__", init)
    monkeypatch.setattr(narrator.build.pipeline, "plan", plan)
    return seen


def _build(folder: Path, tmp_path: Path, config: Config) -> narrator.build.pipeline.BuildReport:
    synthesizer = Synthesizer(cache=ClipCache(tmp_path / "cache"))
    return build([folder], tmp_path / "out", config, synthesizer=synthesizer)


def _stamp(path: Path, reference: Path, seconds: float) -> None:
    """Set ``path``'s modification time ``seconds`` after ``reference``'s (before, if negative).

    The build compares an article's mtime with the catalog's to guess whether anything was
    edited; setting it explicitly makes the guess deterministic, whatever the clock's or the
    file system's timestamp resolution."""
    stamp = reference.stat().st_mtime_ns + round(seconds * 1e9)
    os.utime(path, ns=(stamp, stamp))


def _article(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir(exist_ok=True)
    (folder / "harbour.txt").write_text(text, encoding="utf-8")
    return folder


def test_a_first_build_starts_one_thread_workers_before_planning(
    tmp_path: Path, config: Config, events: list[tuple[str, object]]
) -> None:
    report = _build(_article(tmp_path, TEXT), tmp_path, config)
    assert report.clips_synthesized == 3
    pools = [split for kind, split in events if kind == "pool"]
    assert pools == [Split(os.cpu_count() or 1, 1)]
    assert [kind for kind, _ in events][:2] == ["pool", "plan"]  # forked before planning


def test_an_edit_gets_workers_with_every_cores_threads_and_nothing_changed_gets_none(
    tmp_path: Path, config: Config, events: list[tuple[str, object]]
) -> None:
    folder = _article(tmp_path, TEXT)
    _build(folder, tmp_path, config)
    events.clear()
    source, catalog = folder / "harbour.txt", tmp_path / "out" / CATALOG_NAME
    source.write_text(TEXT.replace("quiet", "silent"), encoding="utf-8")
    _stamp(source, catalog, +1.0)  # the edit is newer than the catalog
    report = _build(folder, tmp_path, config)
    assert report.clips_synthesized == 1
    cores = os.cpu_count() or 1
    assert [split for kind, split in events if kind == "pool"] == [Split(cores, cores)]
    assert [kind for kind, _ in events][:2] == ["pool", "plan"]
    events.clear()
    _stamp(source, catalog, -1.0)  # and older than the catalog its build wrote
    report = _build(folder, tmp_path, config)
    assert report.unchanged == ["harbour-lights"]
    assert [kind for kind, _ in events if kind == "pool"] == []  # no process was forked


def test_a_big_batch_replaces_workers_that_share_the_cores(
    config: Config, events: list[tuple[str, object]]
) -> None:
    cores = os.cpu_count() or 1
    synthesizer = Synthesizer()
    synthesizer.warm([config.narration], few=True)
    count = BIG_BATCH * cores + 1
    batch = [(f"Number {n}.", config.narration) for n in range(count)]
    results = list(synthesizer.voice_batches([batch]))
    synthesizer.close()
    assert len(results) == 1 and len(results[0][1]) == count  # type: ignore[arg-type]
    assert [split for kind, split in events if kind == "pool"] == [
        Split(cores, cores),
        Split(cores, 1),
    ]


def test_unused_warm_workers_are_stopped(config: Config) -> None:
    synthesizer = Synthesizer()
    synthesizer.warm([config.narration])
    pool = synthesizer._warm
    assert pool is not None
    deadline = time.monotonic() + 30
    processes = pool.processes()
    while len(processes) < (os.cpu_count() or 1) and time.monotonic() < deadline:
        time.sleep(0.05)
        processes = pool.processes()
    assert processes and all(p.is_alive() for p in processes)
    synthesizer.close()
    assert synthesizer._warm is None
    assert not any(p.is_alive() for p in processes)


def test_workers_that_share_the_cores_let_waiting_threads_sleep() -> None:
    assert worker_budget(Split(2, 2)) == ThreadBudget(2, spin=False)
    assert worker_budget(Split(1, 4)) == ThreadBudget(4, spin=True)
