"""The listening page without a build or a browser: empty show, feed link, cues, chapters,
durations. The built page in headless Chromium is in ``tests/e2e/test_page.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narrator.models import Chapter, Cue, Show
from narrator.publish.page import (
    parse_chapters,
    parse_vtt,
    render_page,
    spoken_duration,
)
from narrator.publish.transcripts import to_chapters_json, to_vtt


def test_page_without_episodes_says_so(tmp_path: Path) -> None:
    show = Show("Empty", "me", "nothing yet", "en", "")
    assert "No episodes yet." in render_page(tmp_path, show, [], None)


def test_configured_base_url_gives_an_absolute_feed_link(tmp_path: Path) -> None:
    show = Show("S", "me", "d", "en", "https://example.org/pod/")
    page = render_page(tmp_path, show, [], None)
    assert 'href="https://example.org/pod/feed.xml"' in page


def test_vtt_cues_come_back_as_written() -> None:
    cues = [
        Cue(0.4, 2.5, "Fish & chips <cost> £5", 0, None, "title"),
        Cue(3.0, 3661.25, "“I kneel,” he said.", 1, 0, "quote"),
    ]
    parsed = parse_vtt(to_vtt(cues))
    assert [(c.start, c.end, c.text, c.quote) for c in parsed] == [
        (0.4, 2.5, "Fish & chips <cost> £5", False),
        (3.0, 3661.25, "“I kneel,” he said.", True),
    ]


def test_chapters_come_back_in_order() -> None:
    doc = to_chapters_json([Chapter(10.0, 20.0, "Second"), Chapter(0.0, 10.0, "First")])
    assert [(c.start, c.title) for c in parse_chapters(doc)] == [(0.0, "First"), (10.0, "Second")]
    hidden = json.dumps({"chapters": [{"startTime": 1, "title": "x", "toc": False}]})
    assert parse_chapters(hidden) == []


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
