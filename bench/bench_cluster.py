"""Episodes built on a real Dask cluster, and what a large cluster would take.

    . .venv/bin/activate
    python bench/bench_cluster.py                          # 2 workers, 6 articles
    python bench/bench_cluster.py --readme bench/README.md # also replace the measured block

Starts a real ``dask scheduler`` and ``--workers`` ``dask worker`` processes (one
thread each) on this machine, and measures:

- **per core**: one process, one onnxruntime thread, voicing every sentence of the
  sample article in turn: audio-seconds per second;
- **the client, cold**: ``narrator build --scheduler`` as a separate process on
  ``--articles`` variants of the sample article (every sentence made distinct, an
  empty clip cache): its CPU time (user + system, start-up and imports included)
  per audio-second of episodes built, and the cluster's throughput;
- **the client, per episode**: forced rebuilds from the warm cache of two archives
  large enough that the workers plan the articles (``PLAN_ON_WORKERS_FROM``, 64,
  and twice that): the difference in client CPU per extra episode and per
  audio-second (what one more article costs the client, start-up excluded);
- **the scheduler**: empty tasks through it, kept in a window as the build does:
  tasks per second;
- **the wire**: pickled bytes of each task's ``EpisodeJob`` and its ``EpisodeDone``,
  per audio-second; beside it what the clip-per-task path (``DaskPool``) sent back;
- **the shared folders**: bytes the cold build wrote into the clip cache and the
  output, per audio-second.

From these it estimates what 10, 100 and 1000 cores would take for 10,000 and
100,000 five-minute articles, and which limit binds first.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narrator.build.pipeline import PLAN_ON_WORKERS_FROM

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "seeds" / "000_accfa6063b6ad7f7.txt"
ARTICLE_SECONDS = 300.0
"""A five-minute article."""
SHARED_FS_BYTES_PER_S = 1170e6
"""Assumed write bandwidth of the shared filesystem: a 10 Gbit/s NFS server."""
OPENERS = ("Meanwhile", "Indeed", "Notably", "Still", "Reportedly", "Today", "Again", "Later")
START = "<!-- bench_cluster:measured -->"
END = "<!-- /bench_cluster:measured -->"


def _noop(x: int) -> int:
    return x


# --- articles -----------------------------------------------------------------------------


def variant(text: str, index: int) -> str:
    """The sample article with every sentence opened by a word of its own (so that
    variants share few clips)."""
    opener = OPENERS[index % len(OPENERS)] + ("" if index < len(OPENERS) else f" {index}")
    title, _, body = text.partition("\n")
    paragraphs = []
    for paragraph in body.split("\n\n"):
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z“\"])", paragraph.strip())
        paragraphs.append(" ".join(f"{opener}, {s}" for s in sentences if s))
    return f"{title} ({opener})\n\n" + "\n\n".join(p for p in paragraphs if p) + "\n"


def write_articles(folder: Path, count: int, copies: int = 1) -> Path:
    """``count`` variants, each ``copies`` times (same text: slugs made unique as ``-2``...)."""
    text = SAMPLE.read_text(encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for index in range(count):
        for copy in range(copies):
            name = f"article-{index:02d}-{copy:03d}.txt"
            (folder / name).write_text(variant(text, index), encoding="utf-8")
    return folder


# --- the cluster --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def real_cluster(workers: int) -> Iterator[str]:
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes (one thread each)."""
    import distributed

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet: Any = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = {**os.environ, "NARRATOR_THREADS": "1"}
    scheduler = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", str(port)]
    processes = [subprocess.Popen([*scheduler, "--no-dashboard"], env=env, **quiet)]
    worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1"]
    for _ in range(workers):
        processes.append(subprocess.Popen([*worker, "--no-dashboard"], env=env, **quiet))
    try:
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=30)


@dataclass
class ClientRun:
    articles: int
    episodes: int
    audio: float
    """Audio-seconds of the episodes built."""
    cpu: float
    """Client CPU seconds (user + system), start-up included."""
    wall: float
    synthesized: int

    @property
    def ms_per_audio_s(self) -> float:
        return self.cpu / self.audio * 1000


def client_build(folder: Path, out: Path, cache: Path, address: str, force: bool) -> ClientRun:
    """``narrator build --scheduler`` in a process of its own; its CPU time and output."""
    from narrator.publish.catalog import Catalog

    command = [sys.executable, "-m", "narrator.cli", "build", str(folder), "-o", str(out)]
    command += ["--cache-dir", str(cache), "-q", "--scheduler", address]
    command += ["--force"] if force else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"narrator build failed:\n{result.stdout}{result.stderr}")
    summary = result.stdout.strip().splitlines()[-1]
    match = re.search(r"(\d+) synthesized", summary)
    entries = Catalog.load(out).entries
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ClientRun(
        articles=len(list(folder.iterdir())),
        episodes=len(entries),
        audio=sum(e.duration for e in entries.values()),
        cpu=cpu,
        wall=wall,
        synthesized=int(match.group(1)) if match else -1,
    )


def scheduler_tasks_per_s(address: str, count: int = 2000) -> float:
    """Empty tasks through the scheduler, a window of 4 per worker outstanding."""
    import distributed

    with distributed.Client(address, set_as_default=False) as client:
        workers = len(client.scheduler_info()["workers"])
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
        return count / (time.perf_counter() - started)


# --- what one core does, and what crosses the wire -----------------------------------------


def per_core() -> tuple[float, float, float]:
    """Audio-s/s of one process with one thread on the sample's sentences; mean audio-seconds
    per sentence; bytes per audio-second a clip-per-task result (``Voiced``) pickles to."""
    from narrator.build.episode import requests_for
    from narrator.build.pipeline import plan
    from narrator.config import load_config
    from narrator.text.ingest import read_article
    from narrator.voice.workers import Voiced, prepare, voice_one

    config = load_config(None)
    requests = requests_for(plan(read_article(SAMPLE), config), config)
    prepare([requests[0][1]])
    started = time.perf_counter()
    clips = [voice_one(i, text, voice, None).clip for i, (text, voice) in enumerate(requests)]
    seconds = time.perf_counter() - started
    audio = sum(len(c.samples) / c.sample_rate for c in clips if c is not None)
    wire = sum(len(pickle.dumps(Voiced(i, c), protocol=5)) for i, c in enumerate(clips)) / audio
    return audio / seconds, audio / len(requests), wire


def episode_wire(folder: Path, out: Path, cache: Path) -> tuple[float, float, float]:
    """Pickled bytes per audio-second of the tasks (``EpisodeJob``: planned here, then
    planned on the worker) and of their results (``EpisodeDone``), for the articles built
    into ``out``."""
    from narrator.build.episode import PlannedEpisode
    from narrator.build.pipeline import build_key, collect_articles, plan
    from narrator.build.remote import (
        CoverRef,
        EpisodeDone,
        EpisodeJob,
        EpisodeSettings,
        SharedPaths,
    )
    from narrator.config import load_config
    from narrator.publish.catalog import Catalog
    from narrator.publish.cover import ensure_cover
    from narrator.text.ingest import read_article
    from narrator.voice.render import voice_identity

    config = load_config(None)
    cover = ensure_cover(out, config.show)
    entries = Catalog.load(out).entries
    paths = SharedPaths(str(out), str(cache), str(out / ".narrator-cluster-0"), "0" * 32)
    voices = dict.fromkeys([config.narration, config.quote])
    identities = tuple((voice, voice_identity(voice)) for voice in voices)
    ref = CoverRef(cover.file, cover.mime, "0" * 64)
    sent = bare = returned = 0
    for path in collect_articles([folder]):
        article = read_article(path)
        utterances = plan(article, config)
        planned = PlannedEpisode(
            article, tuple(utterances), build_key(article, utterances, config, cover)
        )
        entry = entries[article.slug]
        settings = EpisodeSettings.of(config)
        job = EpisodeJob(
            article, planned, False, entry, settings, identities, ref, paths, None, None
        )
        sent += len(pickle.dumps(job, protocol=5))
        job = EpisodeJob(article, None, False, entry, settings, identities, ref, paths, None, None)
        bare += len(pickle.dumps(job, protocol=5))
        done = EpisodeDone(article.slug, entry, synthesized=50, cached=1, worker="host:12345")
        returned += len(pickle.dumps(done, protocol=5))
    audio = sum(e.duration for e in entries.values())
    return sent / audio, bare / audio, returned / audio


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- the estimate -------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def estimate(
    core_rate: float,
    client_per_audio_s: float,
    client_startup: float,
    tasks_per_s: float,
    wire: float,
    shared_writes: float,
) -> list[str]:
    """Markdown: where each limit binds, then 10/100/1000 cores × 10k/100k articles."""
    limits = {
        "one client: plan, submit, list (CPU per audio-second)": 1 / client_per_audio_s,
        "the Dask scheduler (one task per episode)": tasks_per_s * ARTICLE_SECONDS,
        "1 Gbit/s link into the client (plans out, entries back)": 117e6 / wire,
        "shared filesystem at 10 Gbit/s (clip cache, chunks, MP3)": (
            SHARED_FS_BYTES_PER_S / shared_writes
        ),
    }
    lines = [
        "| limit | audio-s/s it allows | binds at about |",
        "|---|---:|---:|",
        *(
            f"| {name} | {rate:,.0f} | {rate / core_rate:,.0f} cores |"
            for name, rate in sorted(limits.items(), key=lambda kv: kv[1])
        ),
        "",
        "| cores | synthesis alone | episodes/s | client CPU busy | 10,000 articles"
        " | 100,000 articles | what binds |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    binding = min(limits, key=lambda k: limits[k])
    for cores in (10, 100, 1000):
        rate = cores * core_rate
        effective = min(rate, limits[binding])
        what = "synthesis" if rate <= limits[binding] else binding
        cells = []
        for articles in (10_000, 100_000):
            audio = articles * ARTICLE_SECONDS
            seconds = audio / effective + client_startup
            cell = _duration(seconds)
            if effective < rate:
                cell += f" (synthesis alone {_duration(audio / rate)})"
            cells.append(cell)
        busy = effective * client_per_audio_s
        lines.append(
            f"| {cores} | {rate:,.0f} audio-s/s | {effective / ARTICLE_SECONDS:,.1f}"
            f" | {busy:.0%} | {cells[0]} | {cells[1]} | {what} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--articles", type=int, default=6)
    parser.add_argument("--readme", type=Path, help="replace the measured block in this file")
    parser.add_argument(
        "--per-core",
        type=float,
        help="also estimate with this many audio-s/s per cluster core (e.g. a quiet core's"
        " rate: on a busy machine the one measured here is low)",
    )
    args = parser.parse_args(argv)

    os.environ["NARRATOR_THREADS"] = "1"  # per-core figures: one onnxruntime thread
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores", flush=True)
    core_rate, clip_audio, clip_wire = per_core()
    print(f"per core: {core_rate:.1f} audio-s/s", flush=True)

    with (
        tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp,
        real_cluster(args.workers) as address,
    ):
        root = Path(tmp)
        cache = root / "cache"
        folder = write_articles(root / "articles", args.articles)
        cold = client_build(folder, root / "out", cache, address, force=False)
        print(f"cold: {cold}", flush=True)
        shared_writes = (folder_bytes(cache) + folder_bytes(root / "out")) / cold.audio
        sent, bare, returned = episode_wire(folder, root / "out", cache)
        # Rebuilds from the warm cache, large enough that the workers plan the articles
        # (PLAN_ON_WORKERS_FROM): the client's cost per extra episode.
        copies = -(-PLAN_ON_WORKERS_FROM // args.articles)
        few_folder = write_articles(root / "few", args.articles, copies)
        client_build(few_folder, root / "few-out", cache, address, force=False)
        few = client_build(few_folder, root / "few-out", cache, address, force=True)
        many_folder = write_articles(root / "many", args.articles, 2 * copies)
        client_build(many_folder, root / "many-out", cache, address, force=False)
        many = client_build(many_folder, root / "many-out", cache, address, force=True)
        print(f"warm: {few}\nwarm x2: {many}", flush=True)
        tasks_per_s = scheduler_tasks_per_s(address)

    per_episode = (many.cpu - few.cpu) / (many.episodes - few.episodes)
    per_audio_s = (many.cpu - few.cpu) / (many.audio - few.audio)
    startup = max(0.0, few.cpu - per_audio_s * few.audio)
    cluster_rate = cold.audio / cold.wall
    efficiency = min(1.0, cluster_rate / (args.workers * core_rate))
    wire = sent + returned
    facts = [
        f"- Machine: {os.cpu_count()} cores, load average {load:.2f} when it started (other"
        " work shares the cores: compare only figures of the same run).",
        f"- Per core: {core_rate:.1f} audio-s/s (one process, one thread; {clip_audio:.1f} s"
        " of audio per sentence on average).",
        f"- Cold build on a real `dask scheduler` and {args.workers} `dask worker` processes:"
        f" {cold.episodes} articles, {cold.audio:.0f} s of audio, {cold.synthesized} clips"
        f" voiced, in {cold.wall:.1f} s ({cluster_rate:.1f} audio-s/s, {efficiency:.2f} of"
        f" {args.workers} × per core, start-up included).",
        f"- **Client CPU, cold build: {cold.cpu:.2f} s = {cold.ms_per_audio_s:.2f} ms per"
        " audio-second** (user + system of the `narrator build` process, start-up, imports"
        " and connecting included; target ≤ 1 ms).",
        f"- Client CPU per extra episode (forced rebuilds of {few.episodes} and"
        f" {many.episodes} articles from the warm cache, planned on the workers):"
        f" {per_episode * 1000:.1f} ms, i.e."
        f" {per_audio_s * 1000:.3f} ms per audio-second; fixed start-up about {startup:.2f} s.",
        f"- Scheduler: {tasks_per_s:,.0f} empty tasks/s through this machine's"
        " `dask scheduler` (one task per episode: a five-minute article is one task).",
        f"- Wire: {sent:.0f} B per audio-second to the workers with the episode's plan"
        f" ({bare:.0f} B with the article's text instead, when the workers plan it) and"
        f" {returned:.0f} B back (its catalog entry): {wire * ARTICLE_SECONDS / 1e3:.0f} kB per"
        f" five-minute article. One clip per task (`DaskPool`) sent {clip_wire / 1e3:.1f} kB"
        " per audio-second back (float32 samples).",
        f"- Shared folders: {shared_writes / 1e3:.1f} kB written per audio-second (clip"
        " cache, encoded chunks and loudness data, MP3 and companions).",
    ]
    figures = (per_audio_s, startup, tasks_per_s, wire, shared_writes)
    rate = core_rate * efficiency
    block = [
        *facts,
        "",
        f"Estimate with this run's rate per cluster core ({rate:.1f} audio-s/s: per core ×"
        " efficiency):",
        "",
        *estimate(rate, *figures),
    ]
    if args.per_core:
        block += [
            "",
            f"Estimate with `--per-core {args.per_core:g}` audio-s/s per cluster core:",
            "",
            *estimate(args.per_core, *figures),
        ]
    print("\n".join(block))
    if args.readme:
        text = args.readme.read_text(encoding="utf-8")
        if START not in text or END not in text:
            print(f"{args.readme}: no {START} … {END} block to replace", file=sys.stderr)
            return 1
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        stamp = time.strftime("%Y-%m-%d")
        body = (
            f"{START}\nMeasured {stamp}, `--workers {args.workers} --articles {args.articles}`:\n\n"
        )
        args.readme.write_text(head + body + "\n".join(block) + f"\n{END}" + tail, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
