"""Local worker pool against a Dask LocalCluster, and what a real cluster would take.

    . .venv/bin/activate
    python bench/bench_cluster.py                  # 2 workers, the sample article's sentences
    python bench/bench_cluster.py --workers 2 --repeat 2 --readme bench/README.md

Measures, on this machine:

- **per core**: one process, one onnxruntime thread, voicing every sentence of the
  sample article in turn: seconds per clip and audio-seconds per second;
- **local pool** (``WorkerPool``, the default build) and **LocalCluster**
  (``DaskPool`` with ``local:N``, what ``--scheduler`` uses): start-up, then the
  same sentences: clips/s, audio-s/s, and the overhead per clip (worker-seconds
  spent per clip beyond the per-core compute time, idle tails included);
- **empty tasks**: round trip per task with no work, pool against scheduler;
- **the client**: storing one clip in the cache (WAV encode, fsync, rename), and
  a forced build from a warm cache (plan, cache reads, assembly, loudness, MP3,
  tags, feed), per audio-second: the work that stays on the client;
- **the wire**: pickled bytes per audio-second of a returned clip.

From these it estimates what 10, 100 and 1000 cores would take for 10,000 and
100,000 five-minute articles, and which limit binds first. With ``--readme``
the measured block of that file's "bench_cluster.py" section is replaced.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "seeds"
ARTICLE_SECONDS = 300.0
"""A five-minute article."""
SCHEDULER_TASKS_PER_S = 1000.0
"""Dask's own figure: about 1 ms of scheduler overhead per task (distributed.dask.org)."""
START = "<!-- bench_cluster:measured -->"
END = "<!-- /bench_cluster:measured -->"


def _noop(x: int) -> int:
    return x


@dataclass
class Run:
    name: str
    workers: int
    startup: float
    seconds: float
    clips: int
    audio: float

    @property
    def clips_per_s(self) -> float:
        return self.clips / self.seconds

    @property
    def audio_per_s(self) -> float:
        return self.audio / self.seconds

    def overhead_per_clip(self, compute_per_clip: float) -> float:
        """Worker-seconds per clip beyond the per-core compute time."""
        return self.seconds * self.workers / self.clips - compute_per_clip


def sentences(repeat: int) -> list[tuple[int, str, Any]]:
    from narrator.build.pipeline import collect_articles, plan, requests_for
    from narrator.config import load_config
    from narrator.text.ingest import read_article

    config = load_config(None)
    requests = []
    for path in collect_articles([SAMPLE]):
        article = read_article(path, language=config.show.language)
        requests.extend(requests_for(plan(article, config), config))
    work = [(text, voice) for _ in range(repeat) for text, voice in requests]
    return [(i, text, voice) for i, (text, voice) in enumerate(work)]


def per_core(requests: Sequence[tuple[int, str, Any]]) -> tuple[float, float, list[Any]]:
    """Seconds and audio-seconds voicing every request in this process, one thread."""
    from narrator.voice.workers import prepare, voice_one

    prepare([requests[0][2]])
    clips = []
    started = time.perf_counter()
    for i, text, voice in requests:
        voiced = voice_one(i, text, voice, None)
        clips.append(voiced.clip)
    seconds = time.perf_counter() - started
    audio = sum(len(c.samples) / c.sample_rate for c in clips)
    return seconds, audio, clips


def run_pool(name: str, workers: int, make: Callable[[], Any], requests: list[Any]) -> Run:
    started = time.perf_counter()
    pool = make()
    startup = time.perf_counter() - started
    with pool:
        started = time.perf_counter()
        results = list(pool.voice(requests, None))
        seconds = time.perf_counter() - started
    audio = sum(len(v.clip.samples) / v.clip.sample_rate for v in results)
    assert len(results) == len(requests) and all(v.clip is not None for v in results)
    return Run(name, workers, startup, seconds, len(results), audio)


def empty_tasks(workers: int, count: int = 2000) -> tuple[float, float]:
    """Seconds per empty task: a process pool, then a LocalCluster (windowed like DaskPool)."""
    import multiprocessing

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_noop, range(workers * 4)))  # started
        started = time.perf_counter()
        list(pool.map(_noop, range(count)))
        local = (time.perf_counter() - started) / count

    import logging

    import distributed

    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        client.gather(client.map(_noop, range(workers * 4), pure=False))
        started = time.perf_counter()
        pending = distributed.as_completed(loop=client.loop)
        window, submitted = 4 * workers, 0
        while submitted < window:
            pending.add(client.submit(_noop, submitted, pure=False))
            submitted += 1
        for future in pending:
            future.result()
            future.release()
            if submitted < count:
                pending.add(client.submit(_noop, submitted, pure=False))
                submitted += 1
        dask = (time.perf_counter() - started) / count
    return local, dask


def client_costs(clips: list[Any], requests: list[Any]) -> tuple[float, float, float]:
    """Seconds per cache store; seconds of client work per audio-second; bytes per audio-second."""
    from narrator.build.pipeline import build
    from narrator.build.store import ClipCache, clip_key
    from narrator.config import load_config
    from narrator.publish.catalog import Catalog
    from narrator.voice.synthesizer import Synthesizer
    from narrator.voice.workers import Voiced

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        cache = ClipCache(Path(tmp) / "cache")
        started = time.perf_counter()
        for (_, text, voice), clip in zip(requests, clips, strict=True):
            cache.put(clip_key(text, voice), clip)
        store = (time.perf_counter() - started) / len(clips)

        config = load_config(None)
        out = Path(tmp) / "out"
        build([SAMPLE], out, config, synthesizer=Synthesizer(cache=cache, jobs=1))  # warm up
        times = []
        for _ in range(3):
            report = build(
                [SAMPLE], out, config, force=True, synthesizer=Synthesizer(cache=cache, jobs=1)
            )
            assert report.clips_synthesized == 0, "the cache should hold every clip"
            times.append(report.seconds)
        duration = sum(e.duration for e in Catalog.load(out).entries.values())
        assembly = statistics.median(times) / duration

    audio = sum(len(c.samples) / c.sample_rate for c in clips)
    wire = sum(len(pickle.dumps(Voiced(i, c), protocol=5)) for i, c in enumerate(clips)) / audio
    return store, assembly, wire


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def estimate(
    per_core_rate: float,
    efficiency: float,
    clip_audio: float,
    store: float,
    assembly: float,
    wire: float,
) -> list[str]:
    """Markdown: where each limit binds, then 10/100/1000 cores × 10k/100k articles."""
    core_rate = per_core_rate * efficiency  # audio-seconds per second one cluster core adds
    limits = {
        "one client: assembly, encoding, cache writes": 1 / (assembly + store / clip_audio),
        "1 Gbit/s link into the client (117 MB/s)": 117e6 / wire,
        "Dask scheduler at ~1,000 tasks/s": SCHEDULER_TASKS_PER_S * clip_audio,
        "10 Gbit/s link into the client": 1170e6 / wire,
    }
    lines = [
        "| limit | audio-s/s it allows | binds at about |",
        "|---|---:|---:|",
        *(
            f"| {name} | {rate:,.0f} | {rate / core_rate:,.0f} cores |"
            for name, rate in sorted(limits.items(), key=lambda kv: kv[1])
        ),
        "",
        "| cores | synthesis alone | tasks/s | audio back | 10,000 articles"
        " | 100,000 articles | what binds |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for cores in (10, 100, 1000):
        rate = cores * core_rate
        binding = min(limits, key=lambda k: limits[k])
        effective = min(rate, limits[binding])
        what = "synthesis" if rate <= limits[binding] else binding
        cells = []
        for articles in (10_000, 100_000):
            audio = articles * ARTICLE_SECONDS
            cell = _duration(audio / effective)
            if effective < rate:
                cell += f" (synthesis alone {_duration(audio / rate)})"
            cells.append(cell)
        lines.append(
            f"| {cores} | {rate:,.0f} audio-s/s | {rate / clip_audio:,.0f}"
            f" | {rate * wire / 1e6:,.0f} MB/s | {cells[0]} | {cells[1]} | {what} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=1, help="voice the sentences N times")
    parser.add_argument("--readme", type=Path, help="replace the measured block in this file")
    args = parser.parse_args(argv)

    os.environ["NARRATOR_THREADS"] = "1"  # per-core figures: one onnxruntime thread
    from narrator.voice.cluster import DaskPool
    from narrator.voice.workers import Split, WorkerPool

    requests = sentences(args.repeat)
    voices = [v for _, _, v in requests]
    load = os.getloadavg()[0]
    print(f"{len(requests)} sentences; load average {load:.2f} on {os.cpu_count()} cores")

    dask_run = run_pool(
        f"LocalCluster ({args.workers} processes)",
        args.workers,
        lambda: DaskPool(f"local:{args.workers}", voices, threads=1),
        requests,
    )
    pool_run = run_pool(
        f"local pool ({args.workers} processes)",
        args.workers,
        lambda: WorkerPool(Split(args.workers, 1), voices),
        requests,
    )
    seconds, audio, clips = per_core(requests)
    compute = seconds / len(requests)
    per_core_rate = audio / seconds
    clip_audio = audio / len(requests)
    empty_pool, empty_dask = empty_tasks(args.workers)
    store, assembly, wire = client_costs(clips, requests)

    rows = [
        "| | start-up | clips/s | audio-s/s | per clip | overhead per clip |",
        "|---|---:|---:|---:|---:|---:|",
        f"| one process, one thread (per core) | – | {len(requests) / seconds:.2f}"
        f" | {per_core_rate:.1f} | {compute * 1000:.0f} ms | – |",
    ]
    for run in (pool_run, dask_run):
        rows.append(
            f"| {run.name} | {run.startup:.1f} s | {run.clips_per_s:.2f} | {run.audio_per_s:.1f}"
            f" | {run.seconds / run.clips * 1000:.0f} ms"
            f" | {run.overhead_per_clip(compute) * 1000:+.0f} ms |"
        )
    rows.append("")
    rows.append(
        "(The local pool forks its workers and loads the voice inside its run; the"
        " LocalCluster's start-up spawns them and loads the voice before it.)"
    )
    efficiency = min(1.0, dask_run.audio_per_s / (args.workers * per_core_rate))
    facts = [
        f"- Sentences: {len(requests)}, {audio:.0f} s of audio, {clip_audio:.1f} s per clip"
        f" on average; load average {load:.2f} on {os.cpu_count()} cores when it started.",
        f"- Empty task round trip: process pool {empty_pool * 1e6:.0f} µs,"
        f" LocalCluster {empty_dask * 1e6:.0f} µs ({1 / empty_dask:,.0f} tasks/s"
        " through this machine's scheduler).",
        f"- Client, per clip: storing it in the cache {store * 1000:.1f} ms"
        " (float32 WAV, fsync, rename).",
        f"- Client, per audio-second of episode: {assembly * 1000:.1f} ms to plan, read the"
        f" cache, assemble, encode, tag and publish (forced build from a warm cache), i.e. one"
        f" client finishes at most {1 / assembly:,.0f} audio-s/s.",
        f"- Wire: {wire / 1000:.1f} kB per audio-second returned (float32 at"
        f" {clips[0].sample_rate} Hz plus pickling), {wire * ARTICLE_SECONDS / 1e6:.1f} MB"
        f" per five-minute article; the clip cache holds the same amount on disk"
        f" ({wire * ARTICLE_SECONDS * 1e5 / 1e12:.1f} TB for 100,000 articles).",
        f"- Cluster efficiency used below: {efficiency:.2f} of per-core throughput"
        " (LocalCluster audio-s/s ÷ (workers × per-core audio-s/s), capped at 1).",
    ]
    table = estimate(per_core_rate, efficiency, clip_audio, store, assembly, wire)
    block = [*rows, "", *facts, "", *table]
    print("\n".join(block))
    if args.readme:
        text = args.readme.read_text(encoding="utf-8")
        if START not in text or END not in text:
            print(f"{args.readme}: no {START} … {END} block to replace", file=sys.stderr)
            return 1
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        stamp = time.strftime("%Y-%m-%d")
        body = f"{START}\nMeasured {stamp}, `--workers {args.workers} --repeat {args.repeat}`:\n\n"
        args.readme.write_text(head + body + "\n".join(block) + f"\n{END}" + tail, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
