"""``narrator add``: bring pages and files into the articles folder, one at a time.

Each URL is fetched (:mod:`narrator.web.http`), checked for an article
(:mod:`narrator.web.extract`), and stored as a snapshot (:mod:`narrator.web.snapshot`) only
after narrator's own reader has read the written file: a page that cannot become an episode
leaves nothing behind. The same article reached again (same canonical URL, another feed,
tracking parameters) replaces its snapshot in place when its text changed and is left alone
when not, so its episode keeps its file and only changed sentences are voiced again.
A failure is an :class:`Added` with an error; the other targets still go in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from narrator.errors import NarratorError
from narrator.web.snapshot import (
    SnapshotMeta,
    index_folder,
    read_header,
    render_snapshot,
    write_file,
)
from narrator.web.urls import check_url, normalize_url

if TYPE_CHECKING:
    from narrator.models import Article
    from narrator.web.feeds import FeedItem
    from narrator.web.http import Client, Page

__all__ = ["Added", "add_file", "add_targets", "add_url", "is_url", "now_iso", "recheck"]

log = logging.getLogger(__name__)

Status = Literal["added", "updated", "unchanged", "failed"]
HTML_TYPES = ("text/html", "application/xhtml+xml", "")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


@dataclass(frozen=True, slots=True)
class Added:
    """What became of one URL or file."""

    target: str
    """The URL or file as given."""
    status: Status
    """added (new), updated (a changed version replaced it), unchanged, or failed."""
    path: Path | None = None
    """The article's file in the articles folder."""
    title: str | None = None
    """The episode's title, as narrator's reader reads the stored file."""
    error: NarratorError | None = None


def now_iso() -> str:
    """The current time as narrator records it: ISO 8601, UTC, whole seconds."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def is_url(target: str) -> bool:
    """Whether a command-line target is a URL (any ``scheme:``), not a file path.

    A one-letter scheme is a Windows drive (``C:\\…``), so it is a path.
    """
    return bool(_SCHEME.match(target)) and not Path(target).exists()


def add_targets(
    targets: Sequence[str], folder: Path, client: Client, *, language: str = "en"
) -> list[Added]:
    """Add every URL or file in ``targets`` to ``folder`` (created if missing), in order."""
    results = []
    for target in targets:
        if is_url(target):
            results.append(add_url(target, folder, client, language=language))
        else:
            results.append(add_file(Path(target), folder, language=language))
    return results


def add_url(
    url: str,
    folder: Path,
    client: Client,
    *,
    item: FeedItem | None = None,
    feed_url: str | None = None,
    language: str = "en",
) -> Added:
    """Fetch ``url`` and store it as a snapshot in ``folder``; never raises NarratorError.

    With a feed ``item`` that carries the whole article, its text is stored instead of
    fetching the page.
    """
    try:
        url = check_url(url)
        if item is not None and item.content_html:
            meta, text = _from_feed(item, feed_url)
        else:
            page = client.get(url)
            meta, text = _from_page(url, page, item=item, feed_url=feed_url)
        return _store(url, meta, text, folder, language)
    except NarratorError as exc:
        if exc.path is None:
            exc.path = url
        return Added(url, "failed", error=exc)


def recheck(path: Path, client: Client, *, language: str = "en") -> Added:
    """Fetch a stored article's page again (a conditional GET: 304 costs nothing) and replace
    the snapshot in place if the article's text changed; never raises NarratorError."""
    meta = read_header(path)
    if meta is None:
        return Added(str(path), "unchanged", path)
    try:
        page = client.get(meta.final_url, etag=meta.etag, last_modified=meta.last_modified)
        if page.not_modified:
            return Added(meta.source_url, "unchanged", path)
        new, text = _from_page(meta.source_url, page, item=None, feed_url=meta.feed_url)
        new = replace(new, published=new.published or meta.published)
        return _store(meta.source_url, new, text, path.parent, language)
    except NarratorError as exc:
        if exc.path is None:
            exc.path = meta.source_url
        return Added(meta.source_url, "failed", path, error=exc)


def _from_page(
    url: str, page: Page, *, item: FeedItem | None, feed_url: str | None
) -> tuple[SnapshotMeta, str]:
    from narrator.web.extract import check_article, page_info
    from narrator.web.feeds import looks_like_feed
    from narrator.web.http import decode_page

    _check_type(url, page, looks_like_feed(page))
    text = decode_page(page)
    check_article(text, page.final_url)
    info = page_info(text, page.final_url)
    canonical = info.canonical_url
    if canonical is not None:
        try:
            check_url(canonical)
        except NarratorError:
            log.debug("%s: ignoring canonical URL %r", url, canonical)
            canonical = None
    meta = SnapshotMeta(
        source_url=url,
        final_url=page.final_url,
        fetched=now_iso(),
        canonical_url=canonical,
        title=(item.title if item and not info.title else info.title),
        author=info.author or (item.author if item else None),
        site_name=info.site_name,
        published=(item.published if item and item.published else info.published),
        etag=page.etag,
        last_modified=page.last_modified,
        charset=page.charset,
        feed_url=feed_url,
    )
    return meta, text


def _check_type(url: str, page: Page, is_feed: bool) -> None:
    kind = page.content_type
    if is_feed:
        raise NarratorError(
            "is a feed, not an article", path=url, hint=f"to follow it: narrator follow {url}"
        )
    if kind in HTML_TYPES or kind.startswith("text/"):
        return
    what = (
        "a PDF document"
        if kind == "application/pdf"
        else "an image"
        if kind.startswith("image/")
        else "audio or video"
        if kind.startswith(("audio/", "video/"))
        else "not a web page"
    )
    raise NarratorError(
        f"is {what} ({kind})",
        path=url,
        hint="narrator reads HTML articles; save the text as .txt or .md and add the file",
    )


def _from_feed(item: FeedItem, feed_url: str | None) -> tuple[SnapshotMeta, str]:
    """A page made of a feed item's full text, with the item's metadata."""
    title = html.escape(item.title or "")
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        f'<link rel="canonical" href="{html.escape(item.link)}"></head>\n'
        f"<body><article><h1>{title}</h1>\n{item.content_html}\n</article></body></html>\n"
    )
    meta = SnapshotMeta(
        source_url=item.link,
        final_url=item.link,
        fetched=now_iso(),
        canonical_url=item.link,
        title=item.title,
        author=item.author,
        published=item.published,
        feed_url=feed_url,
        from_feed=True,
    )
    return meta, page


def _store(url: str, meta: SnapshotMeta, text: str, folder: Path, language: str) -> Added:
    from narrator.text.ingest import slugify

    index = index_folder(folder)
    existing = next((index[k] for k in sorted(meta.keys) if k in index), None)
    old = read_header(existing) if existing is not None else None
    if existing is not None and old is not None:
        meta = replace(meta, added=old.added or old.fetched)
        path = existing
    else:
        meta = replace(meta, added=meta.fetched)
        stem = slugify(meta.title or "") or slugify(Path(url.rstrip("/")).name) or "article"
        path = _free_name(folder, stem, ".html")
    checked: list[Article] = []

    def check(tmp: Path) -> None:
        checked.append(_read(tmp, url, language))

    if existing is not None and old is not None:
        before = _read_or_none(existing, language)
        new = render_snapshot(meta, text)
        probe = _probe(folder, new, url, language)
        if before is not None and _same_text(before, probe):
            return Added(url, "unchanged", existing, before.title)
        meta = replace(meta, updated=meta.fetched)
        write_file(path, render_snapshot(meta, text), check)
        log.info("%s: changed; %s replaced", url, path)
        return Added(url, "updated", path, checked[0].title)
    write_file(path, render_snapshot(meta, text), check)
    return Added(url, "added", path, checked[0].title)


def _probe(folder: Path, data: bytes, url: str, language: str) -> Article:
    """Read ``data`` as narrator would, without leaving a file."""
    probe = folder / ".narrator-probe.html"
    result: list[Article] = []
    try:
        write_file(probe, data, lambda tmp: result.append(_read(tmp, url, language)))
    finally:
        probe.unlink(missing_ok=True)
    return result[0]


def _same_text(a: Article, b: Article) -> bool:
    """Whether two readings of an article would be voiced alike."""
    return (a.title, a.blocks, a.author, a.published) == (b.title, b.blocks, b.author, b.published)


def _read(path: Path, url: str, language: str) -> Article:
    from narrator.text.ingest import read_article
    from narrator.text.limits import check_file_size

    try:
        check_file_size(path)
        return read_article(path, language=language)
    except NarratorError as exc:
        raise NarratorError(exc.message, path=url, hint=exc.hint) from None


def _read_or_none(path: Path, language: str) -> Article | None:
    try:
        return _read(path, str(path), language)
    except NarratorError:
        return None


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    path = folder / f"{stem}{suffix}"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{number}{suffix}"
        number += 1
    return path


def add_file(source: Path, folder: Path, *, language: str = "en") -> Added:
    """Copy an article file into ``folder`` (a file already there is left as it is).

    The copy keeps the file's name (numbered if another file has it) and is made only after
    narrator's reader has read the file, so a file that cannot become an episode is refused.
    """
    target = str(source)
    try:
        article = _read(source, target, language)
        data = source.read_bytes()
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(data).digest()
        for present in sorted(folder.iterdir()):
            if (
                present.is_file()
                and present.suffix == source.suffix
                and (hashlib.sha256(present.read_bytes()).digest() == digest)
            ):
                return Added(target, "unchanged", present, article.title)
        if source.resolve().parent == folder.resolve():
            return Added(target, "unchanged", source, article.title)
        path = _free_name(folder, source.stem, source.suffix.lower())
        write_file(path, data)
        return Added(target, "added", path, article.title)
    except NarratorError as exc:
        return Added(target, "failed", error=exc)
    except OSError as exc:
        return Added(
            target,
            "failed",
            error=NarratorError(f"cannot copy: {exc.strerror or exc}", path=target),
        )


def article_key(url: str) -> str:
    """The identity key a URL has before its page is fetched (see :mod:`narrator.web.urls`)."""
    return normalize_url(url)
