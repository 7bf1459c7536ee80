"""A damaged catalog is restored, never silently replaced: GUIDs and first dates survive.

``catalog.json`` is the only place that remembers when each episode first went
out; a catalog started afresh would date every episode today and podcast apps
would reorder the show. So when it does not parse (truncated by a full disk or
a crash of something else, edited by hand), the build restores it, in this
order:

1. from ``catalog.json.bak``, the last good catalog before the current one
   (``Catalog.stage`` keeps it each time a new one is written): everything it
   lists survives as it was;
2. and from the published ``feed.xml`` for the episodes the backup does not
   list (added by the last save): GUID, title, description, link, enclosure
   (→ slug, file and size), pubDate (→ first-published date), duration (to
   the second), transcripts and chapters. What the feed does not hold (build
   key, source file, gain, the article's own date) is left empty, so such an
   episode is built again if its article is still there, keeping its GUID and
   date. An episode that was in neither had never been in the feed: no app
   has seen its date;
3. with neither a backup nor a readable feed it starts a new catalog: GUIDs
   still survive (they depend on the slug only, ``guid_for``), dates do not.

Each case is one warning line naming what was used; the damaged file is kept as
``catalog.json.damaged`` when the restored catalog is written. A damaged
``feed.xml`` or ``index.html`` needs nothing here: every build renders both
from the catalog and rewrites them when their bytes differ.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
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
    read_catalog,
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
        return Catalog(path, *read_catalog(path))
    except FileNotFoundError:
        return Catalog(path, {})
    except CatalogDamaged as exc:
        damage = str(exc)
    backup = _readable(read_entries, out_dir / CATALOG_BACKUP)
    feed = _readable(entries_from_feed, out_dir / FEED_NAME)
    kept = f"the damaged file is kept as {CATALOG_DAMAGED}"
    if backup is None and feed is None:
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
    entries = {**(feed or {}), **(backup or {})}
    from_feed = len(entries) - len(backup or {})
    episodes = f"{from_feed} episode{'' if from_feed == 1 else 's'}"
    if backup is None:
        how = f"rebuilt from {FEED_NAME}: {episodes} keep their GUIDs and dates"
    else:
        how = f"restored from {CATALOG_BACKUP}"
        if from_feed:
            how += f" and {episodes} added since from {FEED_NAME}"
    log.warning("%s was damaged (%s); %s (%s)", path, damage, how, kept)
    return Catalog(path, entries)


def _readable(read: Callable[[Path], dict[str, Entry]], path: Path) -> dict[str, Entry] | None:
    """``read(path)``, or None if it is missing or does not parse (logged at debug level)."""
    try:
        return read(path)
    except (OSError, ValueError) as exc:  # CatalogDamaged is a ValueError
        log.debug("no usable %s: %s", path.name, exc)
        return None


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
