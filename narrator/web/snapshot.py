"""Snapshot files: a fetched page plus what narrator knows about it, in one ``.html`` file.

A snapshot lives in the articles folder, so builds read it like any saved page (offline,
reproducibly) and deleting it removes the article. Its layout::

    <BOM><!-- narrator-snapshot {"source_url": ..., "title": ..., ...} -->
    <the page as fetched, decoded and stored as UTF-8>

The page is stored as UTF-8 (its original charset is kept in ``charset``) with a byte-order
mark: the BOM tells browsers and narrator's reader the encoding even where the page's own
``<meta charset>`` names another, so one decoder reads every snapshot and a correction's diff
is text. The JSON escapes ``<`` and ``>``, so no title or URL can end the comment early.
Only the first :data:`HEADER_MAX` bytes are read to find the header.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from narrator.web.urls import normalize_url

__all__ = [
    "HEADER_MAX",
    "SnapshotMeta",
    "index_folder",
    "parse_header",
    "read_header",
    "render_snapshot",
    "snapshot_body",
    "write_file",
]

log = logging.getLogger(__name__)

MARK = "narrator-snapshot"
HEADER = re.compile(r"\A\ufeff?<!-- " + MARK + r" (\{.*?\}) -->\n?", re.DOTALL)
HEADER_MAX = 64 * 1024
FORMAT = 1


@dataclass(frozen=True, slots=True)
class SnapshotMeta:
    """What narrator recorded when it fetched the page."""

    source_url: str
    """The URL the user (or the feed) gave."""
    final_url: str
    """Where the page came from after redirects."""
    fetched: str
    """When it was fetched (ISO 8601, UTC)."""
    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    site_name: str | None = None
    published: str | None = None
    """The page's publication date (ISO 8601), if it states one."""
    etag: str | None = None
    last_modified: str | None = None
    charset: str | None = None
    """The charset the page was served in (stored as UTF-8 whatever it was)."""
    added: str | None = None
    """When the article first came into the folder (kept when a correction replaces it)."""
    updated: str | None = None
    """When a changed version replaced the first one (ISO 8601, UTC); None if never."""
    feed_url: str | None = None
    """The followed feed the article came through, if any."""
    from_feed: bool = False
    """Whether the text is the feed's full-text content rather than the page."""

    @property
    def key(self) -> str:
        """The article's identity: its canonical URL (else final URL), normalised."""
        return normalize_url(self.canonical_url or self.final_url)

    @property
    def keys(self) -> frozenset[str]:
        """Every URL that leads to this article, normalised."""
        urls = (self.canonical_url, self.final_url, self.source_url)
        return frozenset(normalize_url(u) for u in urls if u)

    def to_json(self) -> str:
        data = {"format": FORMAT, **dataclasses.asdict(self)}
        text = json.dumps(
            {k: v for k, v in data.items() if v not in (None, False)},
            ensure_ascii=False,
            sort_keys=True,
        )
        return text.replace("<", "\\u003c").replace(">", "\\u003e")

    @classmethod
    def from_json(cls, text: str) -> SnapshotMeta:
        data = json.loads(text)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def render_snapshot(meta: SnapshotMeta, page_text: str) -> bytes:
    """The bytes of a snapshot file for ``page_text`` (decoded) with ``meta``."""
    page = parse_header(page_text)[1]  # a snapshot of a snapshot keeps one header
    return codecs.BOM_UTF8 + f"<!-- {MARK} {meta.to_json()} -->\n{page}".encode()


def parse_header(text: str) -> tuple[SnapshotMeta | None, str]:
    """(metadata, page) of a snapshot's text; (None, text) for any other page.

    A header that is there but unreadable is logged and taken as no header: the page is
    still an article.
    """
    match = HEADER.match(text)
    if match is None:
        return None, text
    try:
        meta = SnapshotMeta.from_json(match.group(1))
    except (ValueError, TypeError) as exc:
        log.warning("unreadable %s header (%s); reading the page without it", MARK, exc)
        return None, text[match.end() :]
    return meta, text[match.end() :]


def snapshot_body(text: str) -> str:
    """The page of a snapshot without its header (the text itself for any other page)."""
    return parse_header(text)[1]


def read_header(path: Path) -> SnapshotMeta | None:
    """The metadata of the snapshot at ``path``; None for another file or an unreadable one."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEADER_MAX)
    except OSError:
        return None
    return parse_header(head.decode("utf-8", errors="replace"))[0]


def index_folder(folder: Path) -> dict[str, Path]:
    """Every snapshot in ``folder`` by each URL that leads to it (normalised)."""
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".html", ".htm") or path.name.startswith("."):
            continue
        meta = read_header(path)
        if meta is None:
            continue
        for key in meta.keys:
            found.setdefault(key, path)
    return found


def write_file(path: Path, data: bytes, check: Callable[[Path], object] | None = None) -> None:
    """Write ``data`` to ``path`` at once, after ``check`` accepted the written file.

    The temporary file lies beside ``path`` with a leading dot (builds skip it) and the same
    suffix (so ``check`` can read it as an article); when ``check`` raises, it is removed and
    ``path`` stays as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
