"""``narrator update``: bring every followed feed's new items into the articles folder.

Per feed: a conditional GET (a 304 costs nothing), then the newest ``max`` items that were
never added from it are added (:func:`narrator.web.add.add_url`). Corrections: articles that
came in during the last :data:`RECHECK_DAYS` days are fetched again conditionally and their
snapshot is replaced in place when the text changed (full-text feed items are compared with
the feed's current text instead). Failures are collected, never raised, so one bad feed or
item leaves the rest to be added and built.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from narrator.errors import NarratorError
from narrator.web.add import Added, add_url, now_iso, recheck
from narrator.web.feeds import fetch_feed
from narrator.web.follow import FeedState, Follow, load_state, save_state, state_for, with_state
from narrator.web.http import Client
from narrator.web.snapshot import SnapshotMeta, index_folder, read_header
from narrator.web.urls import normalize_url

__all__ = ["RECHECK_DAYS", "FeedReport", "UpdateReport", "update"]

log = logging.getLogger(__name__)

RECHECK_DAYS = 3.0
"""Articles added this recently are checked for corrections on every update."""


@dataclass(frozen=True, slots=True)
class FeedReport:
    """What one followed feed gave."""

    url: str
    title: str | None = None
    not_modified: bool = False
    """The server said 304: nothing changed since the last check."""
    items: int = 0
    results: tuple[Added, ...] = ()
    warnings: tuple[str, ...] = ()
    error: NarratorError | None = None


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """What ``update`` did to the articles folder."""

    feeds: tuple[FeedReport, ...]
    rechecked: tuple[Added, ...] = ()

    @property
    def results(self) -> list[Added]:
        return [r for f in self.feeds for r in f.results] + list(self.rechecked)

    @property
    def changed(self) -> bool:
        """Whether any article was added or replaced (so a build is needed)."""
        return any(r.status in ("added", "updated") for r in self.results)

    @property
    def errors(self) -> list[NarratorError]:
        """Feeds and new items that failed (a cron job should hear of these)."""
        found = [f.error for f in self.feeds if f.error is not None]
        new = [r for f in self.feeds for r in f.results]
        return found + [r.error for r in new if r.error is not None]

    @property
    def warnings(self) -> list[str]:
        """Feed warnings, and re-checks for corrections that failed: the article stays as it
        was stored, so a page taken down after it was added is no failure of the update."""
        found = [w for f in self.feeds for w in f.warnings]
        return found + [
            f"{r.error} (kept as stored)" for r in self.rechecked if r.error is not None
        ]


def update(
    follows: Sequence[Follow],
    folder: Path,
    client: Client,
    *,
    recheck_days: float = RECHECK_DAYS,
    language: str = "en",
    now: dt.datetime | None = None,
) -> UpdateReport:
    """Check every feed in ``follows`` and add what is new to ``folder``."""
    moment = now or dt.datetime.now(dt.UTC)
    folder.mkdir(parents=True, exist_ok=True)
    states = load_state(folder)
    reports = []
    touched: set[Path] = set()
    for follow in follows:
        report = _update_feed(follow, folder, client, states, language)
        touched.update(r.path for r in report.results if r.path is not None)
        reports.append(report)
        save_state(folder, states)
    rechecked = []
    for path, meta in _recent(folder, moment - dt.timedelta(days=recheck_days)):
        if path not in touched and not meta.from_feed:
            rechecked.append(recheck(path, client, language=language))
    return UpdateReport(tuple(reports), tuple(rechecked))


def _update_feed(
    follow: Follow, folder: Path, client: Client, states: dict[str, FeedState], language: str
) -> FeedReport:
    state = state_for(states, follow.url)
    try:
        page, feed = fetch_feed(
            follow.url, client, etag=state.etag, last_modified=state.last_modified
        )
    except NarratorError as exc:
        with_state(states, follow.url, last_check=now_iso(), error=str(exc))
        return FeedReport(follow.url, follow.title, error=exc)
    if feed is None:
        with_state(states, follow.url, last_check=now_iso(), error=None)
        return FeedReport(follow.url, follow.title, not_modified=True, items=state.items)
    index = index_folder(folder)
    seen = set(state.seen)
    results = []
    for item in feed.items[: follow.max]:
        key = normalize_url(item.link)
        present = key in index
        if key in seen and not present:
            continue  # added once and deleted since: the user removed it
        if present and not item.content_html:
            continue  # stored already; corrections are rechecked by page
        result = add_url(
            item.link, folder, client, item=item, feed_url=follow.url, language=language
        )
        if present and result.status == "unchanged":
            continue
        results.append(result)
        if result.status != "failed":
            seen.add(key)
            index = index_folder(folder)
    added = sum(1 for r in results if r.status == "added")
    with_state(
        states,
        follow.url,
        etag=page.etag,
        last_modified=page.last_modified,
        last_check=now_iso(),
        items=len(feed.items),
        added=state.added + added,
        error=None,
        seen=tuple(sorted(seen)),
    )
    return FeedReport(
        follow.url,
        follow.title or feed.title,
        items=len(feed.items),
        results=tuple(results),
        warnings=feed.warnings,
    )


def _recent(folder: Path, since: dt.datetime) -> list[tuple[Path, SnapshotMeta]]:
    """Snapshots in ``folder`` added at or after ``since``."""
    found = []
    for path in sorted(set(index_folder(folder).values())):
        meta = read_header(path)
        if meta is None:
            continue
        try:
            added = dt.datetime.fromisoformat(meta.added or meta.fetched)
        except ValueError:
            continue
        if added >= since:
            found.append((path, meta))
    return found
