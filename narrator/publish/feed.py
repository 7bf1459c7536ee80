"""Stage: the catalog of episodes → ``feed.xml`` (RSS 2.0, iTunes and Podcasting 2.0).

Written with ElementTree: the feed needs Apple's current tags (``explicit``
true/false) and Podcasting 2.0 tags (guid, locked, transcript, chapters) that
feedgen's podcast extension lacks, and ElementTree escapes every text exactly
once. The output is deterministic (no build timestamps), so an unchanged
catalog gives a byte-identical feed that is not rewritten.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, urljoin

from narrator.build.atomic import write_if_changed
from narrator.models import Show
from narrator.publish.catalog import Entry
from narrator.publish.durations import itunes_duration

log = logging.getLogger(__name__)

FEED_NAME = "feed.xml"
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def absolute(base_url: str, relative: str) -> str:
    """``relative`` (a path in the output folder) as a URL under ``base_url``; relative if none."""
    path = quote(relative)
    if not base_url:
        return path
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", path)


def podcast_guid(feed_url: str) -> str:
    """Podcasting 2.0 ``podcast:guid``: UUIDv5 of the feed URL, no scheme or trailing slash."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def channel_link(show: Show) -> str:
    """The show's web page for the channel's (and its image's) ``<link>``.

    RSS 2.0 requires the element. Without a configured ``[show] link`` the
    listening page is the show's page: at ``base_url``, or, when that is not
    configured either, the folder the feed lies in (``./``, relative like every
    other URL of such a feed; feedparser and podcastparser resolve it against
    the feed's address, and ``narrator serve`` makes it absolute).
    """
    return show.link or show.base_url or "./"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _pub_date(entry: Entry) -> str:
    return format_datetime(dt.datetime.fromisoformat(entry.first_published))


def build_feed(show: Show, entries: Sequence[Entry], cover_file: str | None) -> bytes:
    """The feed document for ``entries`` (newest first; the newest ``show.feed_limit`` if set)."""
    ordered = sorted(entries, key=lambda e: (e.first_published, e.slug), reverse=True)
    if show.feed_limit:
        ordered = ordered[: show.feed_limit]
    feed_url = absolute(show.base_url, FEED_NAME)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", show.title)
    _sub(channel, "link", channel_link(show))
    _sub(channel, "description", show.description)
    _sub(channel, "language", show.language)
    _sub(channel, "generator", "narrator")
    if ordered:
        _sub(channel, "lastBuildDate", _pub_date(ordered[0]))
    if show.base_url:
        _sub(channel, _q("atom", "link"), href=feed_url, rel="self", type="application/rss+xml")
    _sub(channel, _q("itunes", "author"), show.author)
    owner = _sub(channel, _q("itunes", "owner"))
    _sub(owner, _q("itunes", "name"), show.author)
    if show.email:
        _sub(owner, _q("itunes", "email"), show.email)
    if cover_file:
        cover_url = absolute(show.base_url, cover_file)
        _sub(channel, _q("itunes", "image"), href=cover_url)
        image = _sub(channel, "image")
        _sub(image, "url", cover_url)
        _sub(image, "title", show.title)
        _sub(image, "link", channel_link(show))
    category, _, subcategory = show.category.partition("/")
    cat = ET.SubElement(channel, _q("itunes", "category"), {"text": category.strip()})
    if subcategory:
        ET.SubElement(cat, _q("itunes", "category"), {"text": subcategory.strip()})
    _sub(channel, _q("itunes", "explicit"), "true" if show.explicit else "false")
    _sub(channel, _q("itunes", "type"), "episodic")
    _sub(channel, _q("podcast", "guid"), podcast_guid(feed_url if show.base_url else show.title))
    locked = _sub(channel, _q("podcast", "locked"), "no")
    if show.email:
        locked.set("owner", show.email)
    for entry in ordered:
        _add_item(channel, show, entry)
    ET.indent(rss, space="  ")
    document: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _add_item(channel: ET.Element, show: Show, entry: Entry) -> None:
    item = _sub(channel, "item")
    _sub(item, "title", entry.title)
    _sub(item, "description", entry.description)
    _sub(item, "pubDate", _pub_date(entry))
    _sub(item, "guid", entry.guid, isPermaLink="false")
    if entry.url:
        _sub(item, "link", entry.url)
    _sub(
        item,
        "enclosure",
        url=absolute(show.base_url, entry.file),
        length=str(entry.bytes),
        type="audio/mpeg",
    )
    _sub(item, _q("itunes", "title"), entry.title)
    _sub(item, _q("itunes", "author"), entry.author or show.author)
    _sub(item, _q("itunes", "duration"), itunes_duration(entry.duration))
    _sub(item, _q("itunes", "episodeType"), "full")
    _sub(item, _q("itunes", "explicit"), "true" if show.explicit else "false")
    transcripts = (("transcript_vtt", "text/vtt"), ("transcript_srt", "application/x-subrip"))
    for key, mime in transcripts:
        if key in entry.extras:
            _sub(
                item,
                _q("podcast", "transcript"),
                url=absolute(show.base_url, entry.extras[key]),
                type=mime,
                language=show.language,
            )
    if "chapters" in entry.extras:
        _sub(
            item,
            _q("podcast", "chapters"),
            url=absolute(show.base_url, entry.extras["chapters"]),
            type="application/json+chapters",
        )


def write_feed(out_dir: Path, show: Show, entries: Sequence[Entry], cover_file: str | None) -> bool:
    """Write ``feed.xml`` if its content changed; True if it was written."""
    return write_if_changed(out_dir / FEED_NAME, build_feed(show, entries, cover_file))
