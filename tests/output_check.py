"""Helpers for robustness tests: tiny articles, real `narrator` processes, output audits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from mutagen.mp3 import MP3

NARRATOR = [sys.executable, "-c", "from narrator.cli import main; main()"]


def write_article(folder: Path, name: str, title: str, *paragraphs: str) -> Path:
    """A short plain-text article (title, blank line, paragraphs)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def narrator_env(cwd: Path, **extra: str) -> dict[str, str]:
    """The environment for a child `narrator` process: no pause hooks, a private clip cache."""
    env = dict(os.environ)
    env.pop("NARRATOR_TEST_PAUSE_AT", None)
    env.pop("NARRATOR_TEST_PAUSE_FILE", None)
    env["NARRATOR_CACHE_DIR"] = str(cwd / ".cache")
    env.update(extra)
    return env


def run_narrator(
    *args: str | Path, cwd: Path, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process and wait for it."""
    return subprocess.run(
        [*NARRATOR, *map(str, args)],
        cwd=cwd,
        env=narrator_env(cwd, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_narrator(*args: str | Path, cwd: Path, **env: str) -> subprocess.Popen[str]:
    """Start the real CLI in a child process without waiting."""
    return subprocess.Popen(
        [*NARRATOR, *map(str, args)],
        cwd=cwd,
        env=narrator_env(cwd, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_paused(
    *args: str | Path, cwd: Path, at: str, timeout: float = 60, **env: str
) -> subprocess.Popen[str]:
    """Start the real CLI and return once it waits at checkpoint ``at``
    (``narrator.build.checkpoints``); a run that ends or stalls before it fails the test."""
    import time

    import pytest

    marker = cwd / "paused"
    run = start_narrator(
        *args, cwd=cwd, NARRATOR_TEST_PAUSE_AT=at, NARRATOR_TEST_PAUSE_FILE=str(marker), **env
    )
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if run.poll() is not None or time.monotonic() > deadline:
            run.kill()
            out, err = run.communicate()
            pytest.fail(f"{args[0]} never reached {at}: rc={run.returncode}\n{out}\n{err}")
        time.sleep(0.02)
    return run


@dataclass(frozen=True)
class Snapshot:
    """What a consistent output folder publishes."""

    items: dict[str, tuple[str, int]]
    """Episode title → (enclosure file, stated length)."""
    catalog: dict[str, object]
    files: dict[str, bytes]
    """Every published file's bytes by relative path (feed, catalog, episodes)."""


def audit(out_dir: Path) -> Snapshot:
    """Assert ``out_dir`` is readable and consistent; return what it publishes.

    The feed parses; every enclosure exists with exactly the stated length and
    is a readable MP3; every transcript and chapters file it names exists; the
    catalog loads, lists every episode of the feed with the same file and
    length, and every file it lists exists with the length it records. (The
    catalog may know an episode the feed does not list yet: a build killed
    between saving the catalog and writing the feed.)
    """
    feed = ET.parse(out_dir / "feed.xml").getroot()
    catalog = json.loads((out_dir / "catalog.json").read_text(encoding="utf-8"))
    episodes = catalog["episodes"]
    items: dict[str, tuple[str, int]] = {}
    for item in feed.iter("item"):
        title = item.findtext("title")
        enclosure = item.find("enclosure")
        assert title is not None and enclosure is not None
        rel = unquote(enclosure.attrib["url"])
        length = int(enclosure.attrib["length"])
        path = out_dir / rel
        assert path.is_file(), f"feed names a missing file {rel}"
        assert path.stat().st_size == length, f"{rel}: feed says {length} bytes"
        assert MP3(path).info.length > 0
        for child in item:
            url = child.attrib.get("url")
            if url and child is not enclosure:
                assert (out_dir / unquote(url)).is_file(), f"feed names a missing file {url}"
        items[title] = (rel, length)
    by_title = {entry["title"]: entry for entry in episodes.values()}
    for title, (rel, length) in items.items():
        assert (by_title[title]["file"], by_title[title]["bytes"]) == (rel, length)
    for entry in episodes.values():
        path = out_dir / entry["file"]
        assert path.is_file() and path.stat().st_size == entry["bytes"], entry["file"]
    files = {
        str(p.relative_to(out_dir)): p.read_bytes()
        for p in sorted(out_dir.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }
    return Snapshot(items, catalog, files)


def audit_cache(cache_dir: Path) -> int:
    """Assert every clip in a clip cache decodes intact; return how many there are.

    A killed build may leave a temporary file behind, never a damaged entry.
    """
    try:
        from narrator.build.store import CLIP_SUFFIX, CLIPS_DIR, decode_entry
    except ImportError:  # pragma: no cover - before the clip cache existed
        return 0
    entries = list((cache_dir / CLIPS_DIR).glob(f"*/*{CLIP_SUFFIX}"))
    for entry in entries:
        clip = decode_entry(entry.read_bytes())
        assert len(clip.samples) > 0, entry
    return len(entries)
