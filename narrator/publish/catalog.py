"""The episode catalog kept beside the output: what was built, its GUID and first date.

GUIDs and first-published dates must never change once an episode is out, or
podcast apps show it again as new; the catalog remembers them across rebuilds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from narrator.build.atomic import AtomicFiles, atomic_files

log = logging.getLogger(__name__)

CATALOG_NAME = "catalog.json"
CATALOG_BACKUP = "catalog.json.bak"
"""The last good catalog, kept beside it each time a new one is written."""
CATALOG_DAMAGED = "catalog.json.damaged"
"""A catalog that did not parse, kept for inspection when a good one replaces it."""
GUID_NAMESPACE = uuid.UUID("0b8d3c9e-0d7a-5d43-9a59-3e4c2b6f6a11")


@dataclass(frozen=True, slots=True)
class Entry:
    """One published episode as the feed needs it."""

    slug: str
    guid: str
    first_published: str
    """ISO 8601 datetime with timezone."""
    title: str
    description: str
    author: str | None
    date: str | None
    """The article's own date (ISO), if it has one."""
    file: str
    """MP3 path relative to the output folder."""
    bytes: int
    duration: float
    source: str
    url: str | None = None
    build_key: str = ""
    """Hash of everything the MP3 was made from; unchanged key → nothing to rebuild."""
    extras: dict[str, str] = field(default_factory=dict)
    """Relative paths of companion files: transcript_vtt, transcript_srt, chapters, page
    (``narrator.build.episode.COMPANIONS``)."""
    gain_db: float | None = None
    """The gain the episode's audio was made with (kept by the next build if it still fits)."""


def guid_for(slug: str) -> str:
    """A GUID that depends only on the slug, so even a lost catalog keeps it."""
    return str(uuid.uuid5(GUID_NAMESPACE, slug))


class Catalog:
    """Entries by slug, loaded from and saved to ``DIR/catalog.json``."""

    def __init__(self, path: Path, entries: dict[str, Entry] | None = None):
        self.path = path
        self.entries: dict[str, Entry] = entries or {}

    @classmethod
    def load(cls, out_dir: Path) -> Catalog:
        """The catalog of ``out_dir``: empty if there is none, or if it is damaged (a warning).

        The build does better with a damaged one: ``narrator.publish.recovery.load_catalog``.
        """
        path = out_dir / CATALOG_NAME
        try:
            entries = read_entries(path)
        except FileNotFoundError:
            entries = {}
        except CatalogDamaged as exc:
            log.warning("%s is unreadable (%s); starting a new catalog", path, exc)
            entries = {}
        return cls(path, entries)

    def first_published(
        self, slug: str, now: dt.datetime | None = None, published: dt.date | None = None
    ) -> str:
        """The date the episode first went out: the catalog's, else the article's own
        ``published`` date (midnight UTC), else now.

        Once in the catalog the date never changes, even if the article's date does later:
        podcast apps would list the episode again.
        """
        entry = self.entries.get(slug)
        if entry is not None:
            return entry.first_published
        if published is not None:
            return dt.datetime.combine(published, dt.time(), dt.UTC).isoformat()
        moment = now or dt.datetime.now(dt.UTC)
        return moment.replace(microsecond=0).isoformat()

    def put(self, entry: Entry) -> None:
        self.entries[entry.slug] = entry

    # --- saving, with the last good catalog kept (faults: disk full, damaged files) ---

    def render(self) -> bytes:
        """The catalog file's content."""
        data = {
            "version": 1,
            "episodes": {slug: asdict(e) for slug, e in sorted(self.entries.items())},
        }
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        return text.encode("utf-8")

    def stage(self, files: AtomicFiles) -> bool:
        """Stage the catalog in ``files`` unless the file already holds it; True if staged.

        The file it replaces is staged first as ``CATALOG_BACKUP`` when it parses
        (so a catalog damaged later can be restored from the one before), else as
        ``CATALOG_DAMAGED``: a catalog is never replaced without a copy.
        """
        data = self.render()
        try:
            current: bytes | None = self.path.read_bytes()
        except OSError:  # missing, or unreadable: written anew (a failed write says why)
            current = None
        if current == data:
            return False
        if current is not None:
            keep = CATALOG_BACKUP if _parses(current) else CATALOG_DAMAGED
            files.write_if_changed(self.path.with_name(keep), current)
        files.write(self.path, data)
        return True

    def save(self) -> bool:
        """Write the catalog (and its backup, ``stage``) atomically; True if it changed."""
        with atomic_files() as files:
            return self.stage(files)


class CatalogDamaged(ValueError):
    """A catalog file that is not a readable catalog (truncated, edited by hand, not JSON)."""


def parse_entries(data: bytes) -> dict[str, Entry]:
    """The entries of a catalog file's content; ``CatalogDamaged`` if it is not one."""
    try:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict):
            raise TypeError("not a JSON object")
        episodes: dict[str, Any] = raw.get("episodes", {})
        return {slug: Entry(**fields) for slug, fields in episodes.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise CatalogDamaged(str(exc)) from exc


def read_entries(path: Path) -> dict[str, Entry]:
    """The entries of the catalog file ``path``.

    Raises ``FileNotFoundError`` when there is none and ``CatalogDamaged`` when it
    does not parse; other ``OSError``s (an unreadable file) propagate.
    """
    return parse_entries(path.read_bytes())


def _parses(data: bytes) -> bool:
    try:
        parse_entries(data)
    except CatalogDamaged:
        return False
    return True
