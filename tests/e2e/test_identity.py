"""Episode identity with the real Piper voice: a retitle, then the CLI's `N removed`."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3

from narrator.build.pipeline import build
from narrator.build.store import ClipCache
from narrator.cli import cli
from narrator.config import load_config
from narrator.voice.synthesizer import Synthesizer


def test_a_retitle_keeps_guid_and_file_and_updates_title_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds, out, cache = tmp_path / "seeds", tmp_path / "audio", tmp_path / "cache"
    seeds.mkdir()
    article = seeds / "tide.txt"
    article.write_text("Tide Tabels\n\nHigh tide is at noon.\n", encoding="utf-8")
    config = load_config(None)
    build([seeds], out, config, synthesizer=Synthesizer(cache=ClipCache(cache), jobs=1))
    (before,) = feedparser.parse((out / "feed.xml").read_bytes()).entries
    article.write_text("Tide Tables\n\nHigh tide is at noon.\n", encoding="utf-8")
    report = build([seeds], out, config, synthesizer=Synthesizer(cache=ClipCache(cache), jobs=1))
    assert report.built == ["tide-tabels"]
    assert (report.clips_cached, report.clips_synthesized) == (1, 1)  # only the title is new
    (after,) = feedparser.parse((out / "feed.xml").read_bytes()).entries
    assert (after.id, after.enclosures[0].href) == (before.id, before.enclosures[0].href)
    assert after.published == before.published and after.title == "Tide Tables"
    assert str(ID3(out / "episodes/tide-tabels.mp3")["TIT2"]) == "Tide Tables"
    assert sorted(p.name for p in (out / "episodes").glob("*.mp3")) == ["tide-tabels.mp3"]
    # `narrator remove` by slug, then a build: the summary counts the episode removed.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARRATOR_CACHE_DIR", str(cache))
    runner = CliRunner()
    removed = runner.invoke(cli, ["remove", "tide-tabels", "--articles", "seeds"])
    assert removed.exit_code == 0, removed.output
    assert not article.exists()
    (seeds / "other.txt").write_text("Other\n\nSomething else.\n", encoding="utf-8")
    result = runner.invoke(cli, ["build", "seeds", "-o", "audio", "-q"])
    assert result.exit_code == 0, result.output
    assert "1 rebuilt, 1 removed" in result.output
    assert [e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries] == ["Other"]
    assert not list((out / "episodes").glob("tide-tabels*"))
