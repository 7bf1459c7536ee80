"""``narrator remove``: delete an article's file (a snapshot or any article) from the folder.

The article is named the way a user knows it: the URL it came from (any URL that led to the
snapshot, tracking parameters and all), its file, or its episode's slug (as the catalog of
the output folder lists it: a retitled article keeps the slug of its first title). Only the
article file goes; dropping its episode from the feed is the build's job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from narrator.errors import NarratorError
from narrator.web.snapshot import index_folder
from narrator.web.urls import normalize_url

__all__ = ["episode_files", "find_article", "remove_article"]

log = logging.getLogger(__name__)


def find_article(folder: Path, target: str, episodes: Mapping[str, Path] | None = None) -> Path:
    """The article file in ``folder`` that ``target`` (URL, path or slug) names.

    ``episodes``: article files by episode slug, from the output's catalog
    (``episode_files``); without it, or for a slug it lacks, a slug is matched to the slug
    of each article's title.
    """
    from narrator.text.ingest import SUPPORTED_EXTENSIONS, read_article, slugify

    if "://" in target:
        found = index_folder(folder).get(normalize_url(target))
        if found is not None:
            return found
        raise NarratorError(
            "no article in the folder came from this URL", path=target, hint=f"see {folder}/"
        )
    path = Path(target)
    if path.is_file() and path.resolve().parent == folder.resolve():
        return path
    candidates = (
        sorted(
            p
            for p in folder.iterdir()
            if p.is_file()
            and p.suffix.lower() in SUPPORTED_EXTENSIONS
            and not p.name.startswith(".")
        )
        if folder.is_dir()
        else []
    )
    for candidate in candidates:
        if candidate.stem == target or candidate.name == target:
            return candidate
    listed = (episodes or {}).get(target)
    if listed is not None and listed.is_file() and listed.resolve().parent == folder.resolve():
        return listed
    slug = slugify(target)
    for candidate in candidates:
        try:
            if read_article(candidate).slug == slug:
                return candidate
        except NarratorError:
            continue
    raise NarratorError(
        f"no such article in {folder}", path=target, hint="give its URL, file or episode slug"
    )


def episode_files(out_dir: Path) -> dict[str, Path]:
    """Article files by episode slug, as the catalog of ``out_dir`` lists them."""
    from narrator.publish.catalog import Catalog

    return {slug: e.article_file() for slug, e in Catalog.load(out_dir).entries.items()}


def remove_article(folder: Path, target: str, episodes: Mapping[str, Path] | None = None) -> Path:
    """Delete the article ``target`` names from ``folder``; returns the file deleted."""
    path = find_article(folder, target, episodes)
    path.unlink()
    log.info("removed %s", path)
    return path
