"""The small parts of narrator.web: URL identity, the snapshot header, dates of web episodes."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from narrator.build.episode import describe
from narrator.errors import NarratorError
from narrator.models import Article, Block
from narrator.publish.catalog import Catalog
from narrator.web.snapshot import SnapshotMeta, parse_header, render_snapshot
from narrator.web.urls import check_url, normalize_url


def test_tracking_parameters_fragments_and_host_case_do_not_make_another_article() -> None:
    same = {
        normalize_url("https://Example.COM:443/News/a?b=2&a=1#top"),
        normalize_url("https://example.com/News/a?a=1&utm_source=x&b=2&fbclid=y&gclid=z"),
    }
    assert same == {"https://example.com/News/a?a=1&b=2"}
    assert normalize_url("http://example.com") == "http://example.com/"
    assert normalize_url("http://example.com/News/a") != normalize_url("http://example.com/news/a")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x/y", "data:text/html,hi", "x"]
)
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(NarratorError, match="unsupported URL scheme"):
        check_url(url)


def test_snapshot_header_cannot_be_closed_by_its_own_text() -> None:
    meta = SnapshotMeta(
        source_url="https://example.com/a",
        final_url="https://example.com/a",
        fetched="2026-12-02T10:00:00+00:00",
        title="Why --> ends a <!-- comment",
    )
    data = render_snapshot(meta, "<html><body><p>Text</p></body></html>")
    text = data.decode("utf-8-sig")
    assert text.count("-->") == 1
    parsed, page = parse_header(text)
    assert parsed == meta
    assert page == "<html><body><p>Text</p></body></html>"
    assert parse_header(page) == (None, page)
    again = render_snapshot(meta, text).decode("utf-8-sig")  # one header, never two
    assert again == text


ARTICLE = Article(
    slug="a",
    title="A",
    author=None,
    published=dt.date(2024, 3, 5),
    language="en",
    source=Path("a.html"),
    blocks=(Block("paragraph", "Text."),),
    description="About A.",
)


def test_a_new_episode_is_dated_by_the_article_and_an_old_one_keeps_its_date(
    tmp_path: Path,
) -> None:
    catalog = Catalog(tmp_path / "catalog.json")
    assert catalog.first_published("a", published=dt.date(2024, 3, 5)) == (
        "2024-03-05T00:00:00+00:00"
    )
    now = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
    assert catalog.first_published("a", now=now) == "2026-12-02T10:00:00+00:00"


def test_show_notes_say_when_a_corrected_article_was_updated() -> None:
    assert describe(ARTICLE) == "About A."
    updated = replace(ARTICLE, updated=dt.date(2026, 12, 2))
    assert describe(updated) == "About A. (Updated 2 December 2026.)"
