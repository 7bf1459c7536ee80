"""A long archive: ``[show] feed_limit`` and the listening page split into pages."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import feedparser
import pytest

from narrator.config import load_config
from narrator.errors import NarratorError
from narrator.models import Show
from narrator.publish.catalog import Entry, guid_for
from narrator.publish.feed import build_feed
from narrator.publish.page import (
    PAGE_BUDGET,
    PAGE_EPISODES,
    PAGE_NAME,
    paginate,
    render_pages,
    write_page,
)

SHOW = Show("Archive", "me", "Many episodes.", "en", "")


def _entries(count: int, description: str = "Short.") -> list[Entry]:
    """``count`` episodes, one a day; number ``count`` is the newest."""
    return [
        Entry(
            slug=f"episode-{n}",
            guid=guid_for(f"episode-{n}"),
            first_published=f"2026-{1 + n // 28:02d}-{1 + n % 28:02d}T08:00:00+00:00",
            title=f"Episode {n}",
            description=description,
            author=None,
            date=None,
            file=f"episodes/episode-{n}.mp3",
            bytes=1000,
            duration=60.0,
            source=f"seeds/{n}.txt",
        )
        for n in range(1, count + 1)
    ]


def test_feed_limit_keeps_the_newest_episodes_in_the_feed() -> None:
    entries = _entries(30)
    limited = feedparser.parse(build_feed(dataclasses.replace(SHOW, feed_limit=5), entries, None))
    assert [e.title for e in limited.entries] == [f"Episode {n}" for n in range(30, 25, -1)]
    whole = feedparser.parse(build_feed(SHOW, entries, None))
    assert len(whole.entries) == 30
    # The channel's date is the newest episode's either way.
    assert limited.feed.updated == whole.feed.updated


def test_feed_limit_is_read_from_the_config_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "narrator.toml"
    path.write_text("[show]\nfeed_limit = 12\n", encoding="utf-8")
    assert load_config(path).show.feed_limit == 12
    path.write_text("[show]\nfeed_limit = -1\n", encoding="utf-8")
    with pytest.raises(NarratorError, match="feed_limit"):
        load_config(path)
    assert load_config(None).show.feed_limit == 0


def test_pages_hold_at_most_their_count_and_their_budget() -> None:
    assert paginate([]) == []
    assert paginate([100] * (PAGE_EPISODES + 1)) == [range(PAGE_EPISODES), range(20, 21)]
    big = PAGE_BUDGET // 2 + 1
    assert paginate([big, big, big]) == [range(1), range(1, 2), range(2, 3)]
    # A single episode over the budget still gets its page.
    assert paginate([PAGE_BUDGET * 3, 10]) == [range(1), range(1, 2)]


def test_a_long_archive_is_split_into_linked_pages_newest_first(tmp_path: Path) -> None:
    entries = _entries(2 * PAGE_EPISODES + 5)
    pages = render_pages(tmp_path, SHOW, entries, None)
    assert len(pages) == 3
    titles = [re.findall(r'<h2 id="ep-[^"]+-title">([^<]+)</h2>', page) for page in pages]
    assert [len(t) for t in titles] == [PAGE_EPISODES, PAGE_EPISODES, 5]
    assert titles[0][0] == f"Episode {len(entries)}" and titles[2][-1] == "Episode 1"
    assert [t for page in titles for t in page] == [
        f"Episode {n}" for n in range(len(entries), 0, -1)
    ]
    assert 'href="page-2.html" rel="next"' in pages[0] and 'rel="prev"' not in pages[0]
    assert 'href="index.html" rel="prev"' in pages[1] and 'href="page-3.html"' in pages[1]
    assert 'rel="next"' not in pages[2]
    for page in pages:  # only each page's first player loads anything before it is played
        assert page.count('preload="metadata"') == 1


def test_one_page_has_no_page_links(tmp_path: Path) -> None:
    (page,) = render_pages(tmp_path, SHOW, _entries(3), None)
    assert "Older episodes" not in page and "Pages of episodes" not in page


def test_pages_no_longer_needed_are_deleted(tmp_path: Path) -> None:
    entries = _entries(3 * PAGE_EPISODES)
    write_page(tmp_path, SHOW, entries, None)
    assert sorted(p.name for p in tmp_path.glob("*.html")) == [
        PAGE_NAME,
        "page-2.html",
        "page-3.html",
    ]
    (tmp_path / "page-notes.html").write_text("mine", encoding="utf-8")
    write_page(tmp_path, SHOW, entries[:PAGE_EPISODES], None)
    assert sorted(p.name for p in tmp_path.glob("*.html")) == [PAGE_NAME, "page-notes.html"]


def test_the_first_page_stays_small_however_long_the_archive(tmp_path: Path) -> None:
    long_text = "A long description of the episode. " * 40
    small = render_pages(tmp_path, SHOW, _entries(10, long_text), None)[0]
    pages = render_pages(tmp_path, SHOW, _entries(2000, long_text), None)
    assert len(pages[0].encode()) < 500_000
    assert len(pages[0]) < 2.5 * len(small)
    assert len(pages) == 100
