"""A damaged catalog is restored, never silently replaced: GUIDs and first dates survive.

``catalog.json`` is the only place that remembers when each episode first went
out; a catalog started afresh would date every episode today and podcast apps
would reorder the show. So when it does not parse (truncated by a full disk or
a crash of something else, edited by hand), the build restores it, in this
order:

1. from ``catalog.json.bak``, the last good catalog (``Catalog.stage`` keeps it
   each time a new one is written): everything survives;
2. else from the published ``feed.xml``: GUID, title, description, link,
   enclosure (→ slug, file and size), pubDate (→ first-published date),
   duration (to the second), transcripts and chapters. What the feed does not
   hold (build key, source file, gain, the article's own date) is left empty,
   so every episode whose article is still there is built again, keeping its
   GUID and date;
3. else (no backup, no readable feed) it starts a new catalog: GUIDs still
   survive (they depend on the slug only, ``guid_for``), dates do not.

Each case is one warning line naming what was used; the damaged file is kept as
``catalog.json.damaged`` when the restored catalog is written. A damaged
``feed.xml`` or ``index.html`` needs nothing here: every build renders both
from the catalog and rewrites them when their bytes differ.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from narrator.publish.catalog import (
    CATALOG_BACKUP,
    CATALOG_DAMAGED,
    CATALOG_NAME,
    Catalog,
    CatalogDamaged,
    Entry,
    read_entries,
)
from narrator.publish.feed import FEED_NAME, NS

log = logging.getLogger(__name__)

_EXTRAS_BY_TYPE = {"text/vtt": "transcript_vtt", "application/x-subrip": "transcript_srt"}


def load_catalog(out_dir: Path) -> Catalog:
    """The catalog of ``out_dir``, restored (with a warning) if it is damaged.

    Missing is not damaged: a folder without a catalog starts an empty one.
    """
    path = out_dir / CATALOG_NAME
    try:
        return Catalog(path, read_entries(path))
    except FileNotFoundError:
        return Catalog(path, {})
    except CatalogDamaged as exc:
        damage = str(exc)
    kept = f"the damaged file is kept as {CATALOG_DAMAGED}"
    try:
        entries = read_entries(out_dir / CATALOG_BACKUP)
        log.warning(
            "%s was damaged (%s); restored from %s (%s)", path, damage, CATALOG_BACKUP, kept
        )
        return Catalog(path, entries)
    except (OSError, CatalogDamaged) as exc:
        log.debug("no usable %s: %s", CATALOG_BACKUP, exc)
    try:
        entries = entries_from_feed(out_dir / FEED_NAME)
        log.warning(
            "%s was damaged (%s); rebuilt from %s: %d episodes keep their GUIDs and dates (%s)",
            path,
            damage,
            FEED_NAME,
            len(entries),
            kept,
        )
        return Catalog(path, entries)
    except (OSError, ValueError) as exc:
        log.debug("no usable %s: %s", FEED_NAME, exc)
    log.warning(
        "%s was damaged (%s) and neither %s nor %s could be read; starting a new catalog "
        "(first-published dates are lost; %s)",
        path,
        damage,
        CATALOG_BACKUP,
        FEED_NAME,
        kept,
    )
    return Catalog(path, {})


def entries_from_feed(path: Path) -> dict[str, Entry]:
    """Catalog entries for the episodes of the feed ``path`` (written by ``feed.build_feed``).

    Raises ``OSError`` if it cannot be read and ``ValueError`` if it does not
    parse or an item lacks its GUID, enclosure or date. Episode files are
    assumed one folder deep in the output (``episodes/SLUG.mp3``), as the build
    writes them; the slug is the enclosure's file name without ``.mp3``.
    """
    try:
        root = ET.fromstring(path.read_bytes())
    except ET.ParseError as exc:
        raise ValueError(f"{path.name} does not parse: {exc}") from exc
    entries: dict[str, Entry] = {}
    for item in root.iter("item"):
        entry = _entry(item)
        entries[entry.slug] = entry
    return entries


def _entry(item: ET.Element) -> Entry:
    guid = item.findtext("guid")
    enclosure = item.find("enclosure")
    published = item.findtext("pubDate")
    url = enclosure.get("url") if enclosure is not None else None
    if not guid or enclosure is None or not url or not published:
        raise ValueError("an item lacks its guid, enclosure or pubDate")
    file = _relative(url)
    extras: dict[str, str] = {}
    for transcript in item.iter(f"{{{NS['podcast']}}}transcript"):
        key = _EXTRAS_BY_TYPE.get(transcript.get("type", ""))
        if key and transcript.get("url"):
            extras[key] = _relative(transcript.get("url", ""))
    chapters = item.find(f"{{{NS['podcast']}}}chapters")
    if chapters is not None and chapters.get("url"):
        extras["chapters"] = _relative(chapters.get("url", ""))
    return Entry(
        slug=PurePosixPath(file).name.removesuffix(".mp3"),
        guid=guid,
        first_published=parsedate_to_datetime(published).isoformat(),
        title=item.findtext("title") or "",
        description=item.findtext("description") or "",
        author=item.findtext(f"{{{NS['itunes']}}}author"),
        date=None,
        file=file,
        bytes=int(enclosure.get("length", "0")),
        duration=_seconds(item.findtext(f"{{{NS['itunes']}}}duration") or "0"),
        source="",
        url=item.findtext("link"),
        extras=extras,
    )


def _relative(url: str) -> str:
    """A URL of the feed as a path in the output folder (``episodes/NAME``)."""
    path = PurePosixPath(unquote(urlparse(url).path))
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _seconds(text: str) -> float:
    """``HH:MM:SS``, ``MM:SS`` or seconds, as seconds."""
    total = 0.0
    for part in text.strip().split(":"):
        total = total * 60 + float(part)
    return total
