"""``narrator remove``: delete an article's file (a snapshot or any article) from the folder.

The article is named the way a user knows it: the URL it came from (any URL that led to the
snapshot, tracking parameters and all), its file, or its episode's slug. Only the article
file goes; dropping its episode from the feed is the build's job.
"""

from __future__ import annotations

import logging
from pathlib import Path

from narrator.errors import NarratorError
from narrator.web.snapshot import index_folder
from narrator.web.urls import normalize_url

__all__ = ["find_article", "remove_article"]

log = logging.getLogger(__name__)


def find_article(folder: Path, target: str) -> Path:
    """The article file in ``folder`` that ``target`` (URL, path or slug) names."""
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


def remove_article(folder: Path, target: str) -> Path:
    """Delete the article ``target`` names from ``folder``; returns the file deleted."""
    path = find_article(folder, target)
    path.unlink()
    log.info("removed %s", path)
    return path
