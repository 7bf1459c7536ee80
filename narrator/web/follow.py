"""Followed feeds: the ``[[follow]]`` list in ``narrator.toml`` and what was last seen of each.

The list is the user's, so it lives in ``narrator.toml`` and is edited with tomlkit, which
keeps the file's comments, order and formatting: ``narrator follow`` and a text editor can
both change it. What narrator learns when it checks a feed (ETag, Last-Modified, time of
the last check, item counts) changes on every run and is no setting, so it lives in a
small JSON file beside the snapshots it describes, :data:`STATE_NAME` in the articles
folder (a dot-file: builds do not read it). Losing it costs one full fetch of each feed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from narrator.build.atomic import write_if_changed
from narrator.errors import NarratorError
from narrator.web.urls import check_url, normalize_url

__all__ = [
    "DEFAULT_MAX",
    "STATE_NAME",
    "FeedState",
    "Follow",
    "add_follow",
    "load_state",
    "read_follows",
    "remove_follow",
    "save_state",
    "state_for",
    "with_state",
]

log = logging.getLogger(__name__)

DEFAULT_MAX = 10
"""Newest items taken from a feed when its ``max`` is not given."""
STATE_NAME = ".narrator-sources.json"


@dataclass(frozen=True, slots=True)
class Follow:
    """One ``[[follow]]`` table."""

    url: str
    max: int = DEFAULT_MAX
    title: str | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the last check of a feed found."""

    etag: str | None = None
    last_modified: str | None = None
    last_check: str | None = None
    """ISO 8601 (UTC)."""
    items: int = 0
    """Items the feed listed at the last check that returned it."""
    added: int = 0
    """Articles added from the feed, all checks together."""
    error: str | None = None
    """The last check's error, if it failed."""
    seen: tuple[str, ...] = ()
    """Items (normalised links) added from this feed once: never added again by ``update``,
    so deleting an article's snapshot removes it for good."""


def _load(path: Path) -> Any:
    import tomlkit

    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except (OSError, UnicodeDecodeError) as exc:
        raise NarratorError(f"cannot read configuration: {exc}", path=path) from exc
    except Exception as exc:  # tomlkit's ParseError has no common base with the above
        raise NarratorError(f"invalid TOML: {exc}", path=path) from exc


def read_follows(config_path: Path) -> list[Follow]:
    """The followed feeds in ``config_path`` (none if the file does not exist)."""
    doc = _load(config_path)
    tables = doc.get("follow", [])
    follows = []
    for table in tables:
        url = str(table.get("url", ""))
        title = table.get("title")
        follows.append(
            Follow(
                url=url, max=int(table.get("max", DEFAULT_MAX)), title=str(title) if title else None
            )
        )
    return follows


def add_follow(config_path: Path, follow: Follow) -> bool:
    """Append ``follow`` to the ``[[follow]]`` list; False if the feed was followed already."""
    import tomlkit

    check_url(follow.url)
    doc = _load(config_path)
    key = normalize_url(follow.url)
    if "follow" not in doc:
        doc.append("follow", tomlkit.aot())
    for table in doc["follow"]:
        if normalize_url(str(table.get("url", ""))) == key:
            return False
    table = tomlkit.table()
    table["url"] = follow.url
    table["max"] = follow.max
    if follow.title:
        table["title"] = follow.title
    doc["follow"].append(table)
    write_if_changed(config_path, tomlkit.dumps(doc).encode("utf-8"))
    return True


def remove_follow(config_path: Path, url: str) -> bool:
    """Remove the feed from the ``[[follow]]`` list; False if it was not there."""
    import tomlkit

    doc = _load(config_path)
    if "follow" not in doc:
        return False
    key = normalize_url(url)
    tables = doc["follow"]
    kept = [t for t in tables if normalize_url(str(t.get("url", ""))) != key]
    if len(kept) == len(tables):
        return False
    for index in reversed(range(len(tables))):
        if tables[index] not in kept:
            del tables[index]
    if not kept:
        del doc["follow"]
    write_if_changed(config_path, tomlkit.dumps(doc).encode("utf-8"))
    return True


def load_state(folder: Path) -> dict[str, FeedState]:
    """The state of every checked feed, by normalised feed URL ({} if none or unreadable)."""
    path = folder / STATE_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {
            url: FeedState(**{**data, "seen": tuple(data.get("seen", ()))})
            for url, data in raw.get("feeds", {}).items()
        }
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.warning("%s is unreadable (%s); every feed is fetched in full", path, exc)
        return {}


def save_state(folder: Path, states: dict[str, FeedState]) -> None:
    """Write the feeds' state (atomically; unchanged state is not rewritten)."""
    doc = {"version": 1, "feeds": {url: asdict(s) for url, s in sorted(states.items())}}
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_if_changed(folder / STATE_NAME, text.encode("utf-8"))


def state_for(states: dict[str, FeedState], url: str) -> FeedState:
    """The state of the feed at ``url`` (a fresh one if never checked)."""
    return states.get(normalize_url(url), FeedState())


def with_state(states: dict[str, FeedState], url: str, **changes: Any) -> None:
    """Record ``changes`` in the state of the feed at ``url``."""
    key = normalize_url(url)
    states[key] = replace(states.get(key, FeedState()), **changes)
