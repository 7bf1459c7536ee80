"""The listening page without a build or a browser: empty show, feed link, cues, chapters,
durations. The built page in headless Chromium is in ``tests/e2e/test_page.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narrator.models import Chapter, Cue, Show
from narrator.publish.durations import clock, cue_stamp, itunes_duration, spoken_duration
from narrator.publish.page import parse_page_data, render_page, to_page_data
from narrator.publish.transcripts import to_chapters_json, to_vtt


def test_page_without_episodes_says_so(tmp_path: Path) -> None:
    show = Show("Empty", "me", "nothing yet", "en", "")
    assert "No episodes yet." in render_page(tmp_path, show, [], None)


def test_configured_base_url_gives_an_absolute_feed_link(tmp_path: Path) -> None:
    show = Show("S", "me", "d", "en", "https://example.org/pod/")
    page = render_page(tmp_path, show, [], None)
    assert 'href="https://example.org/pod/feed.xml"' in page


def test_page_data_cues_come_back_as_the_vtt_has_them() -> None:
    cues = [
        Cue(0.4, 2.5, "Fish & chips <cost> £5", 0, None, "title"),
        Cue(3.0, 3661.25, "“I kneel,”\n he  said.", 1, 0, "quote"),
        Cue(3661.3, 3662.0, "  ", 1, 0, "narration"),
    ]
    _, parsed = parse_page_data(to_page_data(cues, []))
    assert [(c.start, c.end, c.text, c.quote) for c in parsed] == [
        (0.4, 2.5, "Fish & chips <cost> £5", False),
        (3.0, 3661.25, "“I kneel,” he said.", True),
    ]
    # The same times as the transcript players get, to the millisecond.
    vtt = to_vtt(cues)
    assert "00:00:03.000 --> 01:01:01.250" in vtt
    assert all(f"{cue_stamp(c.start, '.')} --> {cue_stamp(c.end, '.')}" in vtt for c in parsed)


def test_page_data_chapters_come_back_in_order() -> None:
    chapters = [Chapter(10.0004, 20.0, "Second"), Chapter(0.0, 10.0, "First")]
    doc = to_page_data([], chapters)
    assert [(c.start, c.title) for c in parse_page_data(doc)[0]] == [
        (0.0, "First"),
        (10.0, "Second"),
    ]
    untitled = to_page_data([], [Chapter(1.0, 2.0, "  ")])
    assert parse_page_data(untitled)[0] == []
    # The same starts as the chapters file players get.
    starts = [c["startTime"] for c in json.loads(to_chapters_json(chapters))["chapters"]]
    assert sorted(starts) == [c.start for c in parse_page_data(doc)[0]]


def test_page_data_of_another_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        parse_page_data(json.dumps({"version": 99, "chapters": [], "cues": []}))


@pytest.mark.parametrize(
    ("seconds", "words", "iso"),
    [
        pytest.param(0.2, "0 s", "PT0S", id="nothing"),
        pytest.param(45, "45 s", "PT45S", id="seconds"),
        pytest.param(205, "3 min 25 s", "PT3M25S", id="minutes"),
        pytest.param(3600, "1 h", "PT1H", id="an-hour"),
        pytest.param(3725, "1 h 2 min 5 s", "PT1H2M5S", id="hours"),
    ],
)
def test_durations_for_people_and_machines(seconds: float, words: str, iso: str) -> None:
    assert spoken_duration(seconds) == (words, iso)


def test_every_duration_format_rounds_its_own_way() -> None:
    # The feed rounds to the second, a chapter's clock truncates (it starts in that second),
    # transcripts keep milliseconds.
    assert itunes_duration(3599.6) == "01:00:00"
    assert clock(59.9) == "0:59"
    assert clock(3725.2) == "1:02:05"
    assert clock(-3) == "0:00"
    assert cue_stamp(3661.2504, ".") == "01:01:01.250"
    assert cue_stamp(-1, ",") == "00:00:00,000"
