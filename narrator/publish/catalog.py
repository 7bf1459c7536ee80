"""The episode catalog kept beside the output: what was built, its GUID and first date.

GUIDs, episode files and first-published dates must never change once an episode is out,
or podcast apps show it again as new; the catalog remembers them across rebuilds. An
episode belongs to its *source*, not its title: each entry records the article's identity
key (``Entry.key``: a fetched page's normalised canonical URL, else the file's path
relative to its articles folder) and the folder, and the slug, GUID and file it was given
when first published stay with that source for good. A removed episode's entry is kept
aside (``Catalog.retired``) so that its slug, and with it its GUID and file name, never
pass to another article.

Format versions: 2 keys entries by slug and records their identity; 1 (or none) is what
narrator wrote before identities, entries by slug without keys. A version-1 catalog is
read as it is, its entries without keys, and they are given their keys by the build
that next reads the articles (``narrator.build.identity``), GUIDs and files kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import uuid
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from narrator.build.atomic import AtomicFiles, atomic_files
from narrator.errors import NarratorError

log = logging.getLogger(__name__)

CATALOG_NAME = "catalog.json"
CATALOG_BACKUP = "catalog.json.bak"
"""The last good catalog, kept beside it each time a new one is written."""
CATALOG_DAMAGED = "catalog.json.damaged"
"""A catalog that did not parse, kept for inspection when a good one replaces it."""
CATALOG_VERSION = 2
"""The format ``save`` writes; ``load`` reads it and every older one."""
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
    key: str = ""
    """The article's identity: a fetched page's normalised canonical URL, else the file's
    name in its articles folder; empty in an entry of a version-1 catalog not yet upgraded."""
    folder: str = ""
    """The articles folder the article was read from (absolute, POSIX). On disk it is
    relative to the output folder, so a published ``catalog.json`` tells no one where the
    articles lie on this machine, and a project moved as a whole keeps its folders."""
    input_key: str = ""
    """Hash of the article file's bytes and of everything else ``build_key`` depends on but
    the article: equal → the episode is up to date without reading the article again."""

    @property
    def is_url(self) -> bool:
        """Whether the identity is a URL (the same for every folder) rather than a file name."""
        return is_url_key(self.key)

    def article_file(self) -> Path:
        """Where the article's file is (or was): its name in its articles folder."""
        return Path(self.folder) / Path(self.source).name if self.folder else Path(self.source)


def is_url_key(key: str) -> bool:
    """Whether an identity key is a URL (a fetched page) rather than a file name."""
    return "://" in key


def guid_for(slug: str) -> str:
    """A GUID that depends only on the slug, so even a lost catalog keeps it."""
    return str(uuid.uuid5(GUID_NAMESPACE, slug))


class Catalog:
    """Entries by slug (each records its identity key), loaded from and saved to
    ``DIR/catalog.json``; ``retired`` holds the entries of removed episodes by slug."""

    def __init__(
        self,
        path: Path,
        entries: dict[str, Entry] | None = None,
        retired: dict[str, Entry] | None = None,
    ):
        self.path = path
        self.entries: dict[str, Entry] = entries or {}
        self.retired: dict[str, Entry] = retired or {}

    @classmethod
    def load(cls, out_dir: Path) -> Catalog:
        """The catalog of ``out_dir``: empty if there is none, or if it is damaged (a warning).

        The build does better with a damaged one: ``narrator.publish.recovery.load_catalog``.
        A catalog of a newer format than this narrator reads is an error (``_version``).
        """
        path = out_dir / CATALOG_NAME
        try:
            return cls(path, *read_catalog(path))
        except FileNotFoundError:
            return cls(path)
        except CatalogDamaged as exc:
            log.warning("%s is unreadable (%s); starting a new catalog", path, exc)
            return cls(path)

    def taken(self) -> set[str]:
        """Slugs no new episode may have: every listed and every retired one."""
        return self.entries.keys() | self.retired.keys()

    def retire(self, slug: str) -> Entry:
        """Take an episode out of the catalog, keeping its entry aside (its slug stays taken)."""
        entry = self.entries.pop(slug)
        self.retired[slug] = entry
        return entry

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
        home = self.path.parent.resolve()
        data: dict[str, Any] = {
            "version": CATALOG_VERSION,
            "episodes": {slug: _to_disk(e, home) for slug, e in sorted(self.entries.items())},
        }
        if self.retired:
            data["retired"] = {slug: _to_disk(e, home) for slug, e in sorted(self.retired.items())}
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
            keep = CATALOG_BACKUP if _parses(current, self.path) else CATALOG_DAMAGED
            files.write_if_changed(self.path.with_name(keep), current)
        files.write(self.path, data)
        return True

    def save(self) -> bool:
        """Write the catalog (and its backup, ``stage``) atomically; True if it changed."""
        with atomic_files() as files:
            return self.stage(files)


class CatalogDamaged(ValueError):
    """A catalog file that is not a readable catalog (truncated, edited by hand, not JSON)."""


def parse_catalog(data: bytes, path: Path) -> tuple[dict[str, Entry], dict[str, Entry]]:
    """The listed and the retired entries of the content of ``path``, a catalog file.

    ``CatalogDamaged`` if it is not a catalog; ``NarratorError`` if it is one of a newer
    format than this narrator reads.
    """
    try:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict):
            raise TypeError("not a JSON object")
        _version(raw, path)
        home = path.parent.resolve()
        entries = {s: _from_disk(d, home) for s, d in raw.get("episodes", {}).items()}
        retired = {s: _from_disk(d, home) for s, d in raw.get("retired", {}).items()}
    except NarratorError:
        raise
    except (ValueError, TypeError, AttributeError) as exc:
        raise CatalogDamaged(str(exc)) from exc
    return entries, retired


def read_catalog(path: Path) -> tuple[dict[str, Entry], dict[str, Entry]]:
    """The listed and the retired entries of the catalog file ``path``.

    Raises ``FileNotFoundError`` when there is none and ``CatalogDamaged`` when it
    does not parse; other ``OSError``s (an unreadable file) propagate.
    """
    return parse_catalog(path.read_bytes(), path)


def read_entries(path: Path) -> dict[str, Entry]:
    """The listed entries of the catalog file ``path`` (as ``read_catalog``)."""
    return read_catalog(path)[0]


def _parses(data: bytes, path: Path) -> bool:
    try:
        parse_catalog(data, path)
    except (CatalogDamaged, NarratorError):
        return False
    return True


def _version(raw: dict[str, Any], path: Path) -> int:
    """The catalog's format version (1 when it names none, as before versions).

    A newer version than this narrator writes is an error rather than a fresh start:
    starting over would give every episode a new identity.
    """
    version = raw.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"version {version!r} is not a number")
    if version > CATALOG_VERSION:
        raise NarratorError(
            f"catalog format {version} is newer than this narrator reads ({CATALOG_VERSION})",
            path=path,
            hint="upgrade narrator, or build into another folder",
        )
    return version


FIELDS = tuple(f.name for f in fields(Entry))
"""The fields of an entry, in order."""


def entry_data(entry: Entry) -> dict[str, Any]:
    """``dataclasses.asdict(entry)``, ten times faster (a catalog of 2,000 episodes is saved
    after every episode a build writes)."""
    data = {name: getattr(entry, name) for name in FIELDS}
    data["extras"] = dict(entry.extras)
    return data


def _to_disk(entry: Entry, home: Path) -> dict[str, Any]:
    """An entry as ``catalog.json`` holds it: ``folder`` relative to the output folder."""
    data = entry_data(entry)
    if entry.folder:
        # On another drive (Windows) only the absolute path names it.
        with contextlib.suppress(ValueError):
            data["folder"] = Path(os.path.relpath(entry.folder, home)).as_posix()
    return data


def _from_disk(data: dict[str, Any], home: Path) -> Entry:
    """An entry of ``catalog.json`` with its ``folder`` absolute again."""
    entry = Entry(**data)
    if entry.folder and not Path(entry.folder).is_absolute():
        folder = Path(os.path.normpath(home / entry.folder)).as_posix()
        entry = replace(entry, folder=folder)
    return entry
