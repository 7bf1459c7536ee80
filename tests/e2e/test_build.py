"""End to end with the real Piper voice: the sample article becomes an episode and a feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import podcastparser
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from narrator.audio.codec import decode

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


def _episode(out: Path) -> Path:
    files = sorted((out / "episodes").glob("*.mp3"))
    assert len(files) == 1
    return files[0]


def test_sample_builds_one_episode_of_the_whole_article(sample_build) -> None:
    out, report, _ = sample_build
    assert report.failed == []
    assert len(report.built) == 1
    mp3 = _episode(out)
    duration = MP3(mp3).info.length
    # The whole article read aloud lasts about three minutes.
    assert 150 < duration < 260
    transcript = (mp3.with_suffix(".vtt")).read_text(encoding="utf-8")
    assert "In Minsk today, it was a tale of two rallies." in transcript
    assert "The only source of power is the people." in transcript
    assert "may well come to conclude their man has gone past the point of saving" in transcript


def test_boilerplate_is_not_spoken(sample_build) -> None:
    out, _, _ = sample_build
    transcript = _episode(out).with_suffix(".vtt").read_text(encoding="utf-8")
    assert "contribution" not in transcript
    assert "Leave a Reply" not in transcript
    assert "email address" not in transcript


def test_feedparser_reads_the_episode_with_enclosure_and_duration(sample_build) -> None:
    out, _, _ = sample_build
    mp3 = _episode(out)
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 1
    entry = parsed.entries[0]
    assert entry.title.startswith("Embattled Alexander Lukashenko")
    enclosure = entry.enclosures[0]
    assert enclosure.type == "audio/mpeg"
    assert int(enclosure.length) == mp3.stat().st_size
    assert enclosure.href.endswith(f"episodes/{mp3.name}")
    h, m, s = (int(x) for x in entry.itunes_duration.split(":"))
    assert abs(h * 3600 + m * 60 + s - MP3(mp3).info.length) <= 1


def test_podcastparser_reads_the_episode(sample_build) -> None:
    out, _, _ = sample_build
    mp3 = _episode(out)
    with (out / "feed.xml").open("rb") as fh:
        parsed = podcastparser.parse("http://localhost:8000/feed.xml", fh)
    assert parsed["title"] == "Narrated Articles"
    (episode,) = parsed["episodes"]
    (enclosure,) = episode["enclosures"]
    assert enclosure["url"] == f"http://localhost:8000/episodes/{mp3.name}"
    assert enclosure["file_size"] == mp3.stat().st_size
    assert enclosure["mime_type"] == "audio/mpeg"
    assert abs(episode["total_time"] - MP3(mp3).info.length) <= 1
    assert episode["guid"]


def test_duration_in_feed_and_tlen_matches_decoded_audio(sample_build) -> None:
    out, _, _ = sample_build
    mp3 = _episode(out)
    decoded = decode(mp3.read_bytes())
    tlen_ms = int(str(ID3(mp3)["TLEN"]))
    assert abs(tlen_ms / 1000 - decoded.duration) <= 1
    item = ET.parse(out / "feed.xml").getroot().find("channel/item")
    assert item is not None
    h, m, s = (int(x) for x in item.findtext(f"{ITUNES}duration", "").split(":"))
    assert abs(h * 3600 + m * 60 + s - decoded.duration) <= 1


def test_id3_tags_read_back(sample_build) -> None:
    out, _, config = sample_build
    tags = ID3(_episode(out))
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]).startswith("Embattled Alexander Lukashenko")
    assert str(tags["TPE1"]) == config.show.author
    assert str(tags["TALB"]) == config.show.title
    assert str(tags["TCON"]) == "Podcast"
    assert str(tags["TDRC"])[:4].isdigit()
    assert str(tags.getall("COMM")[0]).startswith("In Minsk today")
    assert tags.getall("APIC")[0].data == (out / "cover.jpg").read_bytes()
    assert "The only source of power is the people." in str(tags.getall("USLT")[0])


def test_rebuild_keeps_guid_bytes_and_feed(sample_build, sample_path: Path) -> None:
    from narrator.build.pipeline import build

    out, _, config = sample_build
    mp3 = _episode(out)
    before = mp3.read_bytes()
    feed_before = (out / "feed.xml").read_bytes()
    feed_mtime = (out / "feed.xml").stat().st_mtime_ns
    report = build([sample_path.parent], out, config)
    assert report.unchanged == [mp3.stem]
    assert report.built == []
    assert mp3.read_bytes() == before
    assert (out / "feed.xml").read_bytes() == feed_before
    assert (out / "feed.xml").stat().st_mtime_ns == feed_mtime


def test_forced_rebuild_keeps_guid_and_first_published_date(tmp_path: Path) -> None:
    from narrator.build.pipeline import build
    from narrator.config import load_config

    article = tmp_path / "a.txt"
    article.write_text("A short title\n\nOne sentence of body text.\n", encoding="utf-8")
    out = tmp_path / "out"
    config = load_config(None)
    build([article], out, config)
    first = feedparser.parse((out / "feed.xml").read_bytes()).entries[0]
    article.write_text("A short title\n\nOne sentence of changed body text.\n", encoding="utf-8")
    report = build([article], out, config, force=True)
    assert report.built == ["a-short-title"]
    second = feedparser.parse((out / "feed.xml").read_bytes()).entries[0]
    assert second.id == first.id
    assert second.published == first.published
