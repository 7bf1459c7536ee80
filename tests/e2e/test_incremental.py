"""Incremental and parallel builds with the real Piper voice, on short articles."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

import narrator.voice.render
from narrator.build.pipeline import BuildReport, build
from narrator.build.store import ClipCache
from narrator.cli import cli
from narrator.config import Config, load_config
from narrator.errors import NarratorError
from narrator.models import Clip, Voice
from narrator.voice.synthesizer import Synthesizer
from tests.articles import HARBOUR, article_folder

MILL = """The Mill

The mill wheel turned all summer.

By autumn the river had fallen low, and the miller waited for rain.

In spring the water came back to the valley, and the wheel turned again.
"""


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(None)


def _articles(root: Path, **texts: str) -> Path:
    return article_folder(root, texts)


def _build(
    folder: Path, out: Path, config: Config, cache: Path | None, jobs: int = 1, **kw: object
) -> BuildReport:
    synth = Synthesizer(cache=ClipCache(cache) if cache else None, jobs=jobs)
    return build([folder], out, config, synthesizer=synth, **kw)  # type: ignore[arg-type]


def test_unchanged_rebuild_keeps_the_mp3_bytes_and_leaves_the_feed_alone(
    tmp_path: Path, config: Config
) -> None:
    folder = _articles(tmp_path, harbour=HARBOUR)
    out = tmp_path / "out"
    first = _build(folder, out, config, tmp_path / "cache")
    assert first.built == ["harbour-lights"] and first.clips_synthesized == 5
    mp3 = out / "episodes" / "harbour-lights.mp3"
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in (mp3, out / "feed.xml")
    }
    again = _build(folder, out, config, tmp_path / "cache")
    assert again.unchanged == ["harbour-lights"] and again.built == []
    assert again.clips_synthesized == again.clips_cached == 0
    assert not again.feed_written
    for path, (data, mtime, inode) in before.items():
        assert path.read_bytes() == data
        assert (path.stat().st_mtime_ns, path.stat().st_ino) == (mtime, inode), path.name


def test_episode_built_without_page_data_is_built_again_from_the_cache(
    tmp_path: Path, config: Config
) -> None:
    """An output made before the page read its page data file gets that file on the next build."""
    folder = _articles(tmp_path, harbour=HARBOUR)
    out = tmp_path / "out"
    _build(folder, out, config, tmp_path / "cache")
    mp3 = out / "episodes" / "harbour-lights.mp3"
    data = mp3.read_bytes()
    page_data = out / "episodes" / "harbour-lights.page.json"
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page_data.is_file() and 'class="transcript"' in page
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    del catalog["episodes"]["harbour-lights"]["extras"]["page"]
    (out / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    page_data.unlink()
    again = _build(folder, out, config, tmp_path / "cache")
    assert again.built == ["harbour-lights"] and again.clips_synthesized == 0
    assert mp3.read_bytes() == data
    assert page_data.is_file()
    assert (out / "index.html").read_text(encoding="utf-8") == page


def test_forced_rebuild_from_the_cache_gives_the_same_bytes(tmp_path: Path, config: Config) -> None:
    folder = _articles(tmp_path, harbour=HARBOUR)
    out = tmp_path / "out"
    _build(folder, out, config, tmp_path / "cache")
    mp3 = out / "episodes" / "harbour-lights.mp3"
    data = mp3.read_bytes()
    forced = _build(folder, out, config, tmp_path / "cache", force=True)
    assert forced.built == ["harbour-lights"]
    assert (forced.clips_cached, forced.clips_synthesized) == (5, 0)
    assert mp3.read_bytes() == data


def test_changing_one_paragraph_revoices_only_its_own_sentences(
    tmp_path: Path, config: Config
) -> None:
    folder = _articles(tmp_path, harbour=HARBOUR)
    out = tmp_path / "out"
    _build(folder, out, config, tmp_path / "cache")
    edited = HARBOUR.replace("The boats returned slowly.", "The boats returned late.")
    (folder / "harbour.txt").write_text(edited, encoding="utf-8")
    report = _build(folder, out, config, tmp_path / "cache")
    assert report.built == ["harbour-lights"]
    assert (report.clips_synthesized, report.clips_cached) == (1, 4)
    vtt = (out / "episodes" / "harbour-lights.vtt").read_text(encoding="utf-8")
    assert "The boats returned late." in vtt


def test_no_cache_voices_everything_and_writes_no_cache(tmp_path: Path, config: Config) -> None:
    folder = _articles(tmp_path, harbour=HARBOUR)
    cache = tmp_path / "cache"
    runner = CliRunner()
    args = ["build", str(folder), "-o", str(tmp_path / "out"), "--cache-dir", str(cache), "-j", "1"]
    result = runner.invoke(cli, [*args, "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "0 clips from cache, 5 synthesized" in result.output
    assert not cache.exists()
    result = runner.invoke(cli, [*args, "--no-cache", "--force"])
    assert "0 clips from cache, 5 synthesized" in result.output


def test_a_corrupt_cache_entry_warns_and_is_voiced_again(
    tmp_path: Path, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _articles(tmp_path, harbour=HARBOUR)
    out, cache = tmp_path / "out", tmp_path / "cache"
    _build(folder, out, config, cache)
    entry = sorted(cache.rglob("*.flac"))[0]
    entry.write_bytes(entry.read_bytes()[:100])
    with caplog.at_level(logging.WARNING, logger="narrator.build.store"):
        report = _build(folder, out, config, cache, force=True)
    assert "corrupt" in caplog.text
    assert report.built == ["harbour-lights"]
    assert (report.clips_synthesized, report.clips_cached) == (1, 4)
    assert ClipCache(cache).info().entries == 5


def _episodes(out: Path) -> dict[str, tuple[float, list[str]]]:
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))["episodes"]
    result = {}
    for slug, entry in catalog.items():
        vtt = (out / entry["extras"]["transcript_vtt"]).read_text(encoding="utf-8")
        cues = [line for line in vtt.splitlines() if line and "-->" not in line]
        result[slug] = (entry["duration"], cues)
    return result


def test_parallel_build_matches_the_serial_one(tmp_path: Path, config: Config) -> None:
    folder = _articles(tmp_path, harbour=HARBOUR, mill=MILL)
    serial = _build(folder, tmp_path / "one", config, None, jobs=1)
    parallel = _build(folder, tmp_path / "two", config, None, jobs=2)
    assert sorted(serial.built) == sorted(parallel.built) == ["harbour-lights", "the-mill"]
    assert serial.clips_synthesized == parallel.clips_synthesized == 9
    one, two = _episodes(tmp_path / "one"), _episodes(tmp_path / "two")
    assert one.keys() == two.keys()
    for slug in one:
        assert one[slug][1] == two[slug][1]  # the same cues, in the same order
        assert two[slug][0] == pytest.approx(one[slug][0], rel=0.1)
        # The voice is steady (piper_noise): workers voice what one process voices.
        assert two[slug][0] == one[slug][0]


def test_a_failing_article_is_reported_and_the_others_are_built(
    tmp_path: Path, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = narrator.voice.render.render

    def render(text: str, voice: Voice) -> Clip:
        if "autumn" in text:
            raise NarratorError("the voice refused")
        return real(text, voice)

    monkeypatch.setattr(narrator.voice.render, "render", render)
    folder = _articles(tmp_path, harbour=HARBOUR, mill=MILL)
    out = tmp_path / "out"
    report = _build(folder, out, config, tmp_path / "cache")
    assert report.built == ["harbour-lights"]
    (failure,) = report.failed
    assert failure.source == folder / "mill.txt"
    assert str(failure.error).endswith(
        "segment 2 (narration, 'By autumn the river had fallen low, and…'): the voice refused"
    )
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert "Harbour Lights" in feed and "The Mill" not in feed
