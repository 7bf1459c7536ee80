"""Feeds: RSS 2.0 and Atom (feedparser), JSON Feed (json), and finding a page's feed.

feedparser is kept, reads every RSS and Atom dialect met in practice and resolves relative
links against the feed's URL; it does not read JSON Feed, which is plain JSON and read here.
Every item comes out as a :class:`FeedItem` with an absolute link (items without one are
reported as warnings and left out) and, where the feed carries the whole article
(``content:encoded``, Atom ``content``, JSON ``content_html``), that text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import urljoin
from xml.sax import SAXException

from narrator.errors import NarratorError
from narrator.web.http import Client, Page, decode_page
from narrator.web.urls import check_url, normalize_url

__all__ = [
    "FEED_TYPES",
    "FULL_TEXT_MIN",
    "Feed",
    "FeedItem",
    "discover_feeds",
    "fetch_feed",
    "find_feed",
    "looks_like_feed",
    "parse_feed",
]

log = logging.getLogger(__name__)

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
)
FEED_ACCEPT = ", ".join(FEED_TYPES[:3]) + ", application/xml;q=0.9, text/html;q=0.5, */*;q=0.1"
FULL_TEXT_MIN = 1000
"""Characters of text a feed's content must have to be taken for the whole article (a
summary is shorter; an article this short in a feed is fetched from its page instead)."""
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed."""

    link: str
    """Absolute URL of the article."""
    title: str | None = None
    published: str | None = None
    """ISO 8601 (UTC) if the feed dates the item."""
    author: str | None = None
    content_html: str | None = None
    """The whole article as HTML, when the feed carries it; else None (fetch the page)."""


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed: its items newest first, repeats removed."""

    url: str
    title: str | None
    items: tuple[FeedItem, ...]
    warnings: tuple[str, ...] = ()
    """What was wrong with single items (no link, a repeat): each ``URL: what (hint)``."""


def looks_like_feed(page: Page) -> bool:
    """Whether a fetched page is a feed rather than an HTML page (by type, then by content)."""
    if page.content_type in FEED_TYPES:
        return True
    start = page.body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")) or (
        start.startswith(b"{") and b"jsonfeed.org" in page.body[:2048]
    )


def parse_feed(page: Page) -> Feed:
    """Parse a fetched RSS, Atom or JSON feed; a NarratorError if it is none of them."""
    if page.content_type.startswith("text/html"):
        raise NarratorError(
            "is an HTML page, not a feed",
            path=page.url,
            hint="narrator follow finds the feed a page links to",
        )
    start = page.body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{" or page.content_type in ("application/feed+json", "application/json"):
        return _json_feed(page)
    return _xml_feed(page)


def _json_feed(page: Page) -> Feed:
    try:
        doc = json.loads(decode_page(page))
    except ValueError as exc:
        raise NarratorError("not a valid JSON Feed", path=page.url, hint=str(exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise NarratorError(
            "not a JSON Feed (no items list)", path=page.url, hint="https://jsonfeed.org/"
        )
    raw: list[tuple[str | None, FeedItem | None]] = []
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = next((a.get("name") for a in authors if isinstance(a, dict)), None)
        raw.append(
            _item(
                page.final_url,
                link if isinstance(link, str) else None,
                title=item.get("title"),
                published=_iso(item.get("date_published")),
                author=author,
                content=item.get("content_html"),
                summary=item.get("summary"),
                label=str(item.get("id") or item.get("title") or "?"),
            )
        )
    return _feed(page, doc.get("title"), raw)


def _xml_feed(page: Page) -> Feed:
    import feedparser

    parsed = feedparser.parse(
        page.body,
        response_headers={
            "content-location": page.final_url,
            "content-type": page.headers.get("content-type", "application/xml"),
        },
    )
    reason = parsed.get("bozo_exception")
    malformed = isinstance(reason, SAXException)
    linked = any(e.get("link") or e.get("id") for e in parsed.entries)
    if not parsed.get("version") or (malformed and not linked):
        raise NarratorError(
            "not a valid RSS or Atom feed",
            path=page.url,
            hint=f"{reason}" if reason else "the document is neither RSS nor Atom",
        )
    early: list[tuple[str | None, FeedItem | None]] = []
    if malformed:
        early.append((f"the feed is not well-formed XML ({reason}); read as far as possible", None))
    raw = early
    for entry in parsed.entries:
        contents = entry.get("content") or []
        content = max((c.get("value", "") for c in contents), key=len, default=None)
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = (
            dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC).isoformat() if stamp else None
        )
        link = entry.get("link")
        if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
            link = entry["id"]
        raw.append(
            _item(
                page.final_url,
                link,
                title=entry.get("title"),
                published=published,
                author=entry.get("author"),
                content=content,
                summary=entry.get("summary"),
                label=str(entry.get("title") or entry.get("id") or "?"),
            )
        )
    return _feed(page, parsed.feed.get("title"), raw)


def _item(
    base: str,
    link: str | None,
    *,
    title: object,
    published: str | None,
    author: object,
    content: object,
    summary: object,
    label: str,
) -> tuple[str | None, FeedItem | None]:
    """(warning, item): an item without a usable link is a warning, not an item."""
    if not link or not link.strip():
        return f"item {label!r} has no link (left out)", None
    absolute = urljoin(base, link.strip())
    try:
        check_url(absolute)
    except NarratorError as exc:
        return f"item {label!r}: {exc.message} (left out)", None
    full = content if isinstance(content, str) and _is_full_text(content, summary) else None
    return None, FeedItem(
        link=absolute,
        title=title.strip() if isinstance(title, str) and title.strip() else None,
        published=published,
        author=author if isinstance(author, str) and author else None,
        content_html=full,
    )


def _is_full_text(content: str, summary: object) -> bool:
    """Whether a feed's content is the whole article rather than a teaser."""
    text = " ".join(_TAGS.sub(" ", content).split())
    teaser = " ".join(_TAGS.sub(" ", summary).split()) if isinstance(summary, str) else ""
    return len(text) >= FULL_TEXT_MIN and (text != teaser or len(teaser) >= FULL_TEXT_MIN)


def _feed(page: Page, title: object, raw: list[tuple[str | None, FeedItem | None]]) -> Feed:
    items: list[FeedItem] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for warning, item in raw:
        if item is None:
            warnings.append(f"{page.url}: {warning}")
            continue
        key = normalize_url(item.link)
        if key in seen:
            log.debug("%s: item %s repeated", page.url, item.link)
            continue
        seen.add(key)
        items.append(item)
    if len(seen) < sum(1 for _, item in raw if item is not None):
        warnings.append(f"{page.url}: the feed repeats items (each is added once)")
    items.sort(key=lambda i: i.published or "", reverse=True)
    name = title.strip() if isinstance(title, str) and title.strip() else None
    return Feed(page.final_url, name, tuple(items), tuple(warnings))


def _iso(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat()


_ALTERNATE_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
)


def discover_feeds(html: str, base_url: str) -> list[str]:
    """The feeds a page announces with ``<link rel="alternate" type="…">``, absolute, in
    page order; [] if none (or the page cannot be parsed)."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(
            html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8")
        )
    except Exception as exc:  # lxml raises several unrelated types
        log.debug("%s: cannot look for feeds (%s)", base_url, exc)
        return []
    found: list[str] = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = link.get("href")
        if "alternate" in rel and kind in _ALTERNATE_TYPES and href:
            url = urljoin(base_url, href.strip())
            if url not in found:
                found.append(url)
    return found


def fetch_feed(
    url: str, client: Client, *, etag: str | None = None, last_modified: str | None = None
) -> tuple[Page, Feed | None]:
    """GET a feed (conditionally with ``etag``/``last_modified``); (page, None) on a 304."""
    page = client.get(url, accept=FEED_ACCEPT, etag=etag, last_modified=last_modified)
    if page.not_modified:
        return page, None
    return page, parse_feed(page)


def find_feed(url: str, client: Client) -> Feed:
    """The feed at ``url``, or the first one the HTML page at ``url`` announces."""
    page = client.get(url, accept=FEED_ACCEPT)
    if looks_like_feed(page) or not page.content_type.startswith(
        ("text/html", "application/xhtml")
    ):
        return parse_feed(page)
    found = discover_feeds(decode_page(page), page.final_url)
    if not found:
        raise NarratorError(
            "neither a feed nor a page that links to one",
            path=url,
            hint='the page has no <link rel="alternate"> to RSS, Atom or JSON Feed',
        )
    log.debug("%s: feed found at %s", url, found[0])
    return parse_feed(client.get(found[0], accept=FEED_ACCEPT))
