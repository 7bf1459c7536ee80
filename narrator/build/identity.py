"""Which episode an article is: its identity, the slug it keeps, and the episodes that are gone.

An article's identity is its source, never its title. A page narrator fetched (a
snapshot, ``Article.url_key``) is its normalised canonical URL, whatever file holds it;
any other file is its name in its *articles folder*, the folder it lies in (builds read
folders one level deep, and a file named on the command line belongs to its own folder,
so ``narrator build seeds`` and ``narrator build seeds/one.txt`` agree). The catalog entry
also records the folder (absolute), so the same file name in two folders is two articles.

The slug (and with it the episode's file and GUID, ``catalog.guid_for``) is given once,
when the episode is first published: the title's slug, with ``-2``, ``-3``… when an
episode, listed or retired, already has it. A retitled article keeps its slug.

Where the rules fail: renaming an article's file (or a snapshot's canonical URL changing)
is a new article, and the old one is removed; an articles folder moved or renamed is
recognised (an entry whose folder is gone is adopted by a file of the same name), but when
several folders are built into one output, one of them renamed may pass its episodes to
files of the same names in another.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from narrator.models import Article
from narrator.publish.catalog import Catalog, Entry

__all__ = [
    "Identified",
    "article_key",
    "folder_of",
    "gone",
    "identify",
    "legacy_slugs",
]

log = logging.getLogger(__name__)


def article_key(article: Article) -> str:
    """The identity key: a fetched page's URL key, else the file's name in its folder."""
    return article.url_key or article.source.name


def folder_of(source: Path) -> str:
    """The articles folder of an article file: its own folder, absolute, POSIX."""
    return source.absolute().parent.resolve().as_posix()


@dataclass(slots=True)
class Identified:
    """What ``identify`` made of a build's articles."""

    articles: list[Article] = field(default_factory=list)
    """Each article once, with the slug of its episode (kept, or new)."""
    duplicates: list[tuple[Article, str]] = field(default_factory=list)
    """(article left out, the file of the article it is the same as): one page in two
    snapshots, or one file named twice."""
    matched: set[str] = field(default_factory=set)
    """Slugs of the catalog's episodes that an article of this build is."""


def legacy_slugs(articles: Iterable[Article]) -> list[str]:
    """The slugs a build before identities gave ``articles`` (title slugs, ``-2``, ``-3``… in
    the order given): how a version-1 catalog named their episodes."""
    seen: dict[str, int] = {}
    out = []
    for article in articles:
        count = seen.get(article.slug, 0)
        seen[article.slug] = count + 1
        out.append(article.slug if count == 0 else f"{article.slug}-{count + 1}")
    return out


def identify(
    articles: Sequence[Article], catalog: Catalog, known: Iterable[str] = ()
) -> Identified:
    """Give each article the slug of its episode; update the matched entries' key and folder.

    Matching, per article: an entry with its key and folder; for a URL key, an entry with
    its key from any folder; an entry with its key whose folder is gone (moved or renamed);
    an entry without a key (from a version-1 catalog) for the same file, else, if that
    entry's file is gone, for the slug its title gave before; a retired entry with its key
    (the article came back: same slug and GUID). Otherwise the article is new and
    gets a free slug.

    ``known``: slugs of episodes already recognised by their unchanged article file (not
    read again); no article of ``articles`` can be one of them.
    """
    result = Identified()
    index: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], str] = {}
    for slug in known:
        entry = catalog.entries[slug]
        result.matched.add(slug)
        seen[(entry.key, "" if entry.is_url else entry.folder)] = entry.source
    for slug, entry in catalog.entries.items():
        index.setdefault(entry.key, []).append(slug)
    pending: list[tuple[Article, str, str]] = []
    for article in articles:
        key, folder = article_key(article), folder_of(article.source)
        claim = (key, "" if article.url_key else folder)
        if claim in seen:
            result.duplicates.append((article, seen[claim]))
            continue
        seen[claim] = str(article.source)
        pending.append((article, key, folder))
    placed: dict[int, str] = {}
    for number, (article, key, folder) in enumerate(pending):
        found = _keyed_match(catalog, index.get(key, ()), folder, bool(article.url_key), result)
        if found is not None:
            placed[number] = found
    keyless = [slug for slug in index.get("", ()) if slug not in result.matched]
    if keyless:
        _match_keyless(catalog, pending, keyless, placed, result)
    retired = {(e.key, "" if e.is_url else e.folder): s for s, e in catalog.retired.items()}
    taken = catalog.taken()
    for number, (article, key, folder) in enumerate(pending):
        kept = placed.get(number) or _revive(catalog, retired, key, article, folder)
        if kept is None:
            slug = _free_slug(article.slug, taken)
            taken.add(slug)
        else:
            slug = kept
            result.matched.add(slug)
            catalog.entries[slug] = _located(catalog.entries[slug], key, folder, article.source)
        result.articles.append(replace(article, slug=slug))
    return result


def _keyed_match(
    catalog: Catalog, slugs: Iterable[str], folder: str, is_url: bool, result: Identified
) -> str | None:
    """The entry with the article's key: from its folder, else (a URL) any, else one whose
    folder is gone (moved or renamed; not merely its file: the same name in another folder
    is another article)."""
    candidates = [s for s in slugs if s not in result.matched]
    for slug in candidates:
        if catalog.entries[slug].folder == folder:
            return _claim(slug, result)
    if is_url and candidates:
        return _claim(candidates[0], result)
    for slug in candidates:
        if not Path(catalog.entries[slug].folder).is_dir():
            log.info("%s: its folder moved to %s", slug, folder)
            return _claim(slug, result)
    return None


def _match_keyless(
    catalog: Catalog,
    pending: Sequence[tuple[Article, str, str]],
    keyless: Sequence[str],
    placed: dict[int, str],
    result: Identified,
) -> None:
    """Match entries of a version-1 catalog: by file first, then by their old slug.

    Two passes, so that a retitled article keeps its own entry even when another article
    now has its old title; an entry is matched by slug only when its own file is gone. An
    entry that names no file (restored from ``feed.xml`` after the catalog was damaged,
    ``narrator.publish.recovery``) is matched by slug.
    """
    by_file = {
        _resolved(catalog.entries[s].source): s for s in keyless if catalog.entries[s].source
    }
    for number, (article, _key, _folder) in enumerate(pending):
        slug = by_file.get(_resolved(str(article.source)))
        if number not in placed and slug is not None and slug not in result.matched:
            placed[number] = _claim(slug, result)
    old = legacy_slugs(article for article, _key, _folder in pending)
    for number, slug in enumerate(old):
        entry = catalog.entries.get(slug)
        if (
            number not in placed
            and entry is not None
            and not entry.key
            and slug not in result.matched
            and not (entry.source and Path(entry.source).exists())
        ):
            placed[number] = _claim(slug, result)


def _revive(
    catalog: Catalog, retired: dict[tuple[str, str], str], key: str, article: Article, folder: str
) -> str | None:
    """The slug of the retired episode this article is (back in the folder), listed again."""
    slug = retired.get((key, "" if article.url_key else folder))
    if slug is None or slug not in catalog.retired:
        return None
    catalog.entries[slug] = catalog.retired.pop(slug)
    log.info("%s: back in the folder; episode %s again", article.source, slug)
    return slug


def _claim(slug: str, result: Identified) -> str:
    result.matched.add(slug)
    return slug


def _resolved(source: str) -> Path:
    return Path(source).absolute().resolve()


def _located(entry: Entry, key: str, folder: str, source: Path) -> Entry:
    """``entry`` with the article's current key, folder and file, if its key or folder changed.

    ``Entry.source`` (the file as the build that wrote the entry named it) is left as it
    is otherwise: the catalog, and so a failed build's output, does not change because a
    build names the same folder another way; ``Entry.article_file`` is where the file is.
    """
    if (entry.key, entry.folder) == (key, folder):
        return entry
    return replace(entry, key=key, folder=folder, source=str(source))


def _free_slug(base: str, taken: set[str]) -> str:
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


def gone(
    catalog: Catalog, folders: Iterable[Path], matched: set[str], unreadable: Iterable[Path]
) -> list[Entry]:
    """Entries of articles no longer in the folders built whole (``folders``).

    An entry is gone when it was read from one of ``folders``, no article of this build is
    it, and its file is not one that could not be read this time (an article that fails to
    read keeps its episode until it is fixed or deleted). Entries of other folders, and of
    files named one by one on the command line, are never gone: a build of some files
    removes nothing else.
    """
    whole = {folder_of(folder / "x") for folder in folders}
    kept = {_resolved(str(path)) for path in unreadable}
    return [
        entry
        for slug, entry in catalog.entries.items()
        if slug not in matched
        and _entry_folder(entry) in whole
        and _resolved(str(entry.article_file())) not in kept
    ]


def _entry_folder(entry: Entry) -> str:
    """The entry's folder; for an entry of a version-1 catalog, its file's folder."""
    return entry.folder or folder_of(Path(entry.source))
