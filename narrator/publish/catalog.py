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

from narrator.build.atomic import write_if_changed

log = logging.getLogger(__name__)

CATALOG_NAME = "catalog.json"
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
        path = out_dir / CATALOG_NAME
        try:
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            entries = {slug: Entry(**data) for slug, data in raw.get("episodes", {}).items()}
        except FileNotFoundError:
            entries = {}
        except (ValueError, TypeError) as exc:
            log.warning("%s is unreadable (%s); starting a new catalog", path, exc)
            entries = {}
        return cls(path, entries)

    def first_published(self, slug: str, now: dt.datetime | None = None) -> str:
        """The date the episode first went out (now, if it never did)."""
        entry = self.entries.get(slug)
        if entry is not None:
            return entry.first_published
        moment = now or dt.datetime.now(dt.UTC)
        return moment.replace(microsecond=0).isoformat()

    def put(self, entry: Entry) -> None:
        self.entries[entry.slug] = entry

    def save(self) -> bool:
        data = {
            "version": 1,
            "episodes": {slug: asdict(e) for slug, e in sorted(self.entries.items())},
        }
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        return write_if_changed(self.path, text.encode("utf-8"))
