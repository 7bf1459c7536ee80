"""A podcast of several articles, checked against what podcast apps require.

Feed rules are asserted structurally (Apple Podcasts and Podcasting 2.0), not as a snapshot.
"""

from __future__ import annotations

import email.utils
import io
import json
import shutil
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from PIL import Image

from narrator.audio.codec import decode
from narrator.build.pipeline import build
from narrator.config import load_config
from narrator.models import Show
from narrator.publish.apple_categories import is_valid
from narrator.publish.feed import build_feed
from tests.audio_measure import integrated_loudness, silent_runs, true_peak_db

BASE = "https://pod.example.org/show/"
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}
TRICKY_TITLE = "Q&A: <Rates> \"rise\" & 'fall'"
CORPUS_ARTICLES = (
    "04_wikinews_greek_worship_short.txt",
    "05_wikinews_world_cup_day5.txt",
    "08_whitehouse_usps_electric_fleet.md",
)


@pytest.fixture(scope="module")
def podcast(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("podcast")
    articles = root / "articles"
    articles.mkdir()
    for name in CORPUS_ARTICLES:
        shutil.copy(corpus_dir / name, articles / name)
    (articles / "tricky.txt").write_text(
        f"{TRICKY_TITLE}\n\nRates rose by a quarter point on Tuesday. Markets & banks shrugged.\n",
        encoding="utf-8",
    )
    config_file = root / "narrator.toml"
    config_file.write_text(
        f'[show]\ntitle = "Tests & <Things>"\nauthor = "Ada Lovelace"\nemail = "ada@example.org"\n'
        f'base_url = "{BASE}"\ncategory = "News/Daily News"\nexplicit = false\n'
        f'description = "Articles read aloud & tested."\n',
        encoding="utf-8",
    )
    config = load_config(config_file)
    out = root / "out"
    report = build([articles], out, config)
    assert report.failed == []
    return out, config, config_file, articles


def _feed(out: Path) -> ET.Element:
    return ET.parse(out / "feed.xml").getroot()


def _local(out: Path, url: str) -> Path:
    assert url.startswith(BASE), url
    return out / url[len(BASE) :]


def test_every_episode_is_read_by_feedparser_and_podcastparser(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    data = (out / "feed.xml").read_bytes()
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert len(parsed.entries) == 4
    pp = podcastparser.parse(BASE + "feed.xml", io.BytesIO(data))
    assert len(pp["episodes"]) == 4
    for episode in pp["episodes"]:
        (enclosure,) = episode["enclosures"]
        path = _local(out, enclosure["url"])
        assert enclosure["file_size"] == path.stat().st_size
        assert abs(episode["total_time"] - MP3(path).info.length) <= 1


def test_channel_meets_apple_and_podcasting20_rules(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    channel = _feed(out).find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Tests & <Things>"
    assert channel.findtext("description")
    assert channel.findtext("language") == "en"
    assert channel.findtext("link", "").startswith("http")
    image = channel.find("itunes:image", NS)
    assert image is not None and image.get("href") == BASE + "cover.jpg"
    category = channel.find("itunes:category", NS)
    assert category is not None
    sub = category.find("itunes:category", NS)
    assert sub is not None
    assert is_valid(f"{category.get('text')}/{sub.get('text')}")
    assert channel.findtext("itunes:explicit", namespaces=NS) in ("true", "false")
    assert channel.findtext("itunes:author", namespaces=NS) == "Ada Lovelace"
    assert channel.findtext("itunes:owner/itunes:email", namespaces=NS) == "ada@example.org"
    self_link = channel.find("atom:link[@rel='self']", NS)
    assert self_link is not None and self_link.get("href") == BASE + "feed.xml"
    expected_guid = uuid.uuid5(
        uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), "pod.example.org/show/feed.xml"
    )
    assert channel.findtext("podcast:guid", namespaces=NS) == str(expected_guid)
    assert channel.findtext("podcast:locked", namespaces=NS) in ("yes", "no")


def test_items_meet_apple_and_podcasting20_rules(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    items = _feed(out).findall("channel/item")
    guids = set()
    for item in items:
        assert item.findtext("title")
        assert item.findtext("description")
        assert email.utils.parsedate_to_datetime(item.findtext("pubDate", "")).tzinfo is not None
        guid = item.find("guid")
        assert guid is not None and guid.text and guid.get("isPermaLink") == "false"
        guids.add(guid.text)
        enclosure = item.find("enclosure")
        assert enclosure is not None
        assert enclosure.get("type") == "audio/mpeg"
        mp3 = _local(out, enclosure.get("url", ""))
        assert int(enclosure.get("length", "0")) == mp3.stat().st_size
        duration = item.findtext("itunes:duration", namespaces=NS) or ""
        h, m, s = (int(x) for x in duration.split(":"))
        assert abs(h * 3600 + m * 60 + s - MP3(mp3).info.length) <= 1
        assert item.findtext("itunes:episodeType", namespaces=NS) == "full"
        types = {t.get("type"): t.get("url", "") for t in item.findall("podcast:transcript", NS)}
        assert set(types) == {"text/vtt", "application/x-subrip"}
        for url in types.values():
            assert _local(out, url).is_file()
        chapters = item.find("podcast:chapters", NS)
        assert chapters is not None and chapters.get("type") == "application/json+chapters"
        assert _local(out, chapters.get("url", "")).is_file()
    assert len(guids) == len(items)


@pytest.mark.parametrize(
    ("link", "base_url", "expected", "resolved"),
    [
        pytest.param(
            "https://example.org/about", "", *["https://example.org/about"] * 2, id="link"
        ),
        pytest.param("", "https://example.org/pod/", *["https://example.org/pod/"] * 2, id="base"),
        pytest.param("", "", "./", "http://10.0.0.2:8000/pod/", id="neither"),
    ],
)
def test_channel_link_is_the_shows_page(
    link: str, base_url: str, expected: str, resolved: str
) -> None:
    """RSS 2.0 requires the channel's <link>; without a link or base URL it is the feed's folder."""
    show = Show("S", "me", "d", "en", base_url, link=link)
    data = build_feed(show, [], "cover.jpg")
    channel = ET.fromstring(data).find("channel")
    assert channel is not None
    assert channel.findtext("link") == expected
    assert channel.findtext("image/link") == expected
    feed_url = "http://10.0.0.2:8000/pod/feed.xml"
    assert podcastparser.parse(feed_url, io.BytesIO(data))["link"] == resolved
    headers = {"content-location": feed_url, "content-type": "application/rss+xml"}
    parsed = feedparser.parse(data, response_headers=headers)
    assert not parsed.bozo
    assert parsed.feed.link == resolved


def test_special_characters_are_escaped_exactly_once(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    raw = (out / "feed.xml").read_text(encoding="utf-8")
    assert "&amp;amp;" not in raw and "&amp;lt;" not in raw
    titles = [item.findtext("title") for item in _feed(out).findall("channel/item")]
    assert TRICKY_TITLE in titles
    assert feedparser.parse(raw.encode()).feed.title == "Tests & <Things>"


def test_episodes_are_on_loudness_target_with_true_peak_ceiling(podcast) -> None:  # type: ignore[no-untyped-def]
    out, config, *_ = podcast
    for mp3 in sorted((out / "episodes").glob("*.mp3")):
        clip = decode(mp3.read_bytes())
        assert integrated_loudness(clip) == pytest.approx(config.audio.loudness, abs=1.0), mp3.name
        assert true_peak_db(clip) <= config.audio.true_peak, mp3.name


def test_natural_start_and_end_without_dead_air(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    for mp3 in sorted((out / "episodes").glob("*.mp3")):
        clip = decode(mp3.read_bytes())
        runs = silent_runs(clip, min_s=0.05)
        lead = runs[0]
        assert lead[0] == 0.0 and 0.2 <= lead[1] <= 1.0, (mp3.name, lead)
        tail = runs[-1]
        assert tail[0] + tail[1] == pytest.approx(clip.duration, abs=0.05)
        assert 0.5 <= tail[1] <= 2.0, (mp3.name, tail)
        assert max(length for _, length in runs) <= 2.0, mp3.name


def test_mp3_is_cbr_64kbps_mono(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    for mp3 in (out / "episodes").glob("*.mp3"):
        info = MP3(mp3).info
        assert info.bitrate == 64000
        assert info.channels == 1
        assert info.sample_rate == 44100


def test_cover_art_is_square_rgb_and_embedded(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    cover = out / "cover.jpg"
    with Image.open(cover) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        assert image.size[0] == image.size[1] and 1400 <= image.size[0] <= 3000
    for mp3 in (out / "episodes").glob("*.mp3"):
        apic = ID3(mp3).getall("APIC")
        assert apic and apic[0].data == cover.read_bytes() and apic[0].type == 3


def test_chapters_per_heading_match_in_id3_and_json(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    (mp3,) = [p for p in (out / "episodes").glob("*.mp3") if "world-cup" in p.name]
    chapters = json.loads(mp3.with_suffix(".chapters.json").read_text())
    assert chapters["version"] == "1.2"
    titles = [c["title"] for c in chapters["chapters"]]
    # File 05 has three headings: each opens a chapter after the title chapter.
    assert len(titles) == 4
    tags = ID3(mp3)
    (toc,) = tags.getall("CTOC")
    chaps = [tags[f"CHAP:{element}"] for element in toc.child_element_ids]
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == titles
    for chap, chapter in zip(chaps, chapters["chapters"], strict=True):
        assert chap.start_time == round(chapter["startTime"] * 1000)
    starts = [c["startTime"] for c in chapters["chapters"]]
    assert starts[0] == 0 and starts == sorted(starts)
    assert chapters["chapters"][-1]["endTime"] == pytest.approx(MP3(mp3).info.length, abs=1.0)


def test_chapters_for_an_article_without_headings_have_meaningful_titles(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    (mp3,) = [p for p in (out / "episodes").glob("*.mp3") if p.name.startswith("biden-harris")]
    chapters = json.loads(mp3.with_suffix(".chapters.json").read_text())["chapters"]
    assert len(chapters) >= 2
    for chapter in chapters:
        assert len(chapter["title"].split()) >= 3


def test_transcripts_follow_the_audio(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    for mp3 in (out / "episodes").glob("*.mp3"):
        vtt = mp3.with_suffix(".vtt").read_text(encoding="utf-8")
        srt = mp3.with_suffix(".srt").read_text(encoding="utf-8")
        assert vtt.startswith("WEBVTT\n")
        vtt_times = [line for line in vtt.splitlines() if " --> " in line]
        srt_times = [line.replace(",", ".") for line in srt.splitlines() if " --> " in line]
        assert vtt_times == srt_times and vtt_times
        length = MP3(mp3).info.length
        last_end = vtt_times[-1].split(" --> ")[1]
        h, m, s = last_end.split(":")
        assert int(h) * 3600 + int(m) * 60 + float(s) < length


def test_tags_carry_length_transcript_and_source_url(podcast) -> None:  # type: ignore[no-untyped-def]
    out, *_ = podcast
    (mp3,) = [p for p in (out / "episodes").glob("*.mp3") if p.name.startswith("biden-harris")]
    tags = ID3(mp3)
    assert abs(int(str(tags["TLEN"])) / 1000 - MP3(mp3).info.length) <= 1
    assert str(tags["WOAS"]).startswith("https://bidenwhitehouse.archives.gov/briefing-room/")
    assert len(str(tags.getall("USLT")[0]).split()) > 200


def test_guid_and_first_date_survive_a_settings_change(podcast) -> None:  # type: ignore[no-untyped-def]
    out, _, config_file, articles = podcast
    before = {
        e.title: (e.id, e.published)
        for e in feedparser.parse((out / "feed.xml").read_bytes()).entries
    }
    config_file.write_text(
        config_file.read_text() + "\n[pauses]\nparagraph = 0.9\n", encoding="utf-8"
    )
    config = load_config(config_file)
    report = build([articles / "tricky.txt"], out, config)
    assert report.built  # a setting changed: the episode was made again
    after = {
        e.title: (e.id, e.published)
        for e in feedparser.parse((out / "feed.xml").read_bytes()).entries
    }
    assert after == before


def test_generated_cover_is_drawn_once_and_again_when_the_title_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from narrator.models import Show
    from narrator.publish import cover as cover_module

    drawn: list[str] = []
    real = cover_module._generated

    def counting(title: str) -> bytes:
        drawn.append(title)
        return real(title)

    monkeypatch.setattr(cover_module, "_generated", counting)
    show = Show("Harbour Notes", "A. Writer", "Notes.", "en", "")
    first = cover_module.ensure_cover(tmp_path, show)
    again = cover_module.ensure_cover(tmp_path, show)
    assert drawn == ["Harbour Notes"]  # the second build read the cover it had made
    assert again.data == first.data == (tmp_path / "cover.jpg").read_bytes()
    renamed = cover_module.ensure_cover(tmp_path, Show("Lantern Notes", "A. Writer", "", "en", ""))
    assert drawn == ["Harbour Notes", "Lantern Notes"]
    assert renamed.data != first.data
