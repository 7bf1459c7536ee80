"""A long archive: the no-op build, the listening page's first load and the feed, at N articles.

    python bench/bench_archive.py [--articles 2000] [--keep DIR]

Generates N short articles (varied titles, every 40th one sharing its title with another)
in ``DIR/seeds``, builds them once into ``DIR/audio``, then times ``narrator build`` (the
command line, in a fresh process, as a user or cron runs it) when nothing changed, and
measures what the listening page loads first and what ``[show] feed_limit`` does to the feed.

The first build is the real pipeline (reading, planning, assembly, loudness, MP3 encoding,
ID3 tags with cover art, transcripts, chapters, the catalog, the feed and the pages) with one
stand-in: each sentence is voiced by a tone (``TonePiper``, registered in this process under
Piper's name and identity), so 2,000 episodes take minutes instead of hours of synthesis.
The catalog and every file are what a Piper build writes; the timed builds never synthesize.

"First load" is ``index.html`` (CSS and script are inline), the cover (``img`` and icon: one
file) and, for the one player with ``preload="metadata"``, its MP3 up to the first audio
frame (the ID3 tag, which carries the cover art, plus 4 KB): what a browser must fetch to
show the player's length. Other players load nothing until played.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from narrator.models import Clip, Voice  # noqa: E402
from narrator.voice.backends.piper import PiperBackend  # noqa: E402

WORDS = [
    "harbour",
    "river",
    "market",
    "council",
    "school",
    "bridge",
    "winter",
    "garden",
    "station",
    "library",
    "museum",
    "village",
    "farmer",
    "teacher",
    "doctor",
    "engineer",
    "railway",
    "festival",
    "harvest",
    "weather",
    "forest",
    "island",
    "mountain",
    "valley",
    "storm",
    "bakery",
    "theatre",
    "orchestra",
    "election",
    "budget",
    "hospital",
]
VERBS = [
    "opens",
    "closes",
    "returns",
    "grows",
    "waits",
    "changes",
    "reopens",
    "celebrates",
    "plans",
    "remembers",
]


class TonePiper(PiperBackend):
    """Piper's identity, a tone's sound: the stand-in voice of the seeding build."""

    def synthesize(self, text: str, voice: Voice) -> Clip:
        rate = 22050
        t = np.arange(int(rate * (0.2 + 0.03 * len(text))), dtype=np.float32) / rate
        return Clip((0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


def write_articles(folder: Path, count: int, seed: int = 7) -> None:
    """``count`` articles of 2–4 short paragraphs; every 40th repeats an earlier title."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    titles: list[str] = []
    for n in range(count):
        if n % 40 == 39:
            title = titles[n - 20]
        else:
            a, b = rng.sample(WORDS, 2)
            title = f"The {a.title()} {rng.choice(VERBS)} for the {b} number {n}"
        titles.append(title)
        paragraphs = []
        for _ in range(rng.randint(2, 4)):
            sentences = []
            for _ in range(rng.randint(1, 3)):
                words = rng.choices(WORDS, k=rng.randint(5, 12))
                sentences.append(" ".join(words).capitalize() + ".")
            paragraphs.append(" ".join(sentences))
        text = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"{n:05d}.txt").write_text(text, encoding="utf-8")


def seed_build(seeds: Path, out: Path) -> float:
    """The first build, in this process, voiced by ``TonePiper``; its seconds."""
    from narrator.build.pipeline import build
    from narrator.config import load_config
    from narrator.voice import backends
    from narrator.voice.synthesizer import Synthesizer

    backends.BUILTIN["piper"] = f"{__name__}:TonePiper"
    backends.clear_instances()
    config = load_config(None)
    started = time.perf_counter()
    report = build([seeds], out, config, synthesizer=Synthesizer(cache=None, jobs=1))
    seconds = time.perf_counter() - started
    print(f"  first build: {report.summary()}")
    assert not report.failed, report.failed
    return seconds


def cli_build(seeds: Path, out: Path, workdir: Path, *extra: str) -> tuple[float, str]:
    """``narrator build`` in a fresh process: (wall seconds, its summary line)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "narrator.cli", "build", str(seeds), "-o", str(out), "-q", *extra],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, done.stdout.strip()


def first_load(out: Path) -> dict[str, int]:
    """Bytes the listening page loads before anything is played."""
    import re

    from mutagen.id3 import ID3

    page = (out / "index.html").read_text(encoding="utf-8")
    preloaded = re.findall(r'<audio controls preload="metadata" src="([^"]+)"', page)
    tag = 0
    for src in preloaded:
        tag += ID3(out / src).size + 4096
    return {
        "index.html": len(page.encode()),
        "cover.jpg": (out / "cover.jpg").stat().st_size,
        "preloaded MP3 start": tag,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="timed no-op builds")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="narrator-archive-"))
    work.mkdir(parents=True, exist_ok=True)
    seeds, out = work / "seeds", work / "audio"
    try:
        if not (out / "catalog.json").exists():
            shutil.rmtree(seeds, ignore_errors=True)
            write_articles(seeds, args.articles)
            print(f"{args.articles} articles in {seeds}; first build (stand-in voice)...")
            print(f"  first build: {seed_build(seeds, out):.0f} s")
        times = []
        for _ in range(args.runs):
            seconds, summary = cli_build(seeds, out, work)
            times.append(seconds)
        print(f"no-op `narrator build` (CLI, fresh process): {summary}")
        print(
            f"  wall time: median {statistics.median(times):.2f} s, "
            f"best {min(times):.2f} s of {args.runs}"
        )
        load = first_load(out)
        pages = sorted(out.glob("page-*.html"))
        print(
            f"listening page: first load {sum(load.values()) / 1000:.0f} KB "
            + "("
            + ", ".join(f"{k} {v / 1000:.0f} KB" for k, v in load.items())
            + f"); {len(pages) + 1} pages"
        )
        feed_all = (out / "feed.xml").stat().st_size
        (work / "narrator.toml").write_text("[show]\nfeed_limit = 100\n", encoding="utf-8")
        seconds, summary = cli_build(seeds, out, work)
        feed_limited = (out / "feed.xml").stat().st_size
        (work / "narrator.toml").unlink()
        cli_build(seeds, out, work)
        print(
            f"feed.xml: {feed_all / 1000:.0f} KB with every episode; "
            f"{feed_limited / 1000:.0f} KB with feed_limit = 100 (that build: {seconds:.2f} s)"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
