"""A damaged catalog is restored, never silently replaced (no synthesis here).

From ``catalog.json.bak`` when it parses, else from the published feed; GUIDs and
first-published dates survive either way, and the user is told which in one warning.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from narrator.models import Show
from narrator.publish.catalog import (
    CATALOG_BACKUP,
    CATALOG_DAMAGED,
    CATALOG_NAME,
    Catalog,
    Entry,
    guid_for,
)
from narrator.publish.feed import FEED_NAME, write_feed
from narrator.publish.recovery import entries_from_feed, load_catalog


def _entry(slug: str, first: str, **extra: object) -> Entry:
    fields: dict[str, object] = {
        "slug": slug,
        "guid": guid_for(slug),
        "first_published": first,
        "title": f"{slug.title()} & Co",
        "description": "About " + slug,
        "author": "Writer",
        "date": "2023-05-06",
        "file": f"episodes/{slug}.mp3",
        "bytes": 12345,
        "duration": 83.4,
        "source": f"/in/{slug}.txt",
        "url": f"https://example.org/{slug}",
        "build_key": "k" + slug,
        "extras": {
            "transcript_vtt": f"episodes/{slug}.vtt",
            "transcript_srt": f"episodes/{slug}.srt",
            "chapters": f"episodes/{slug}.chapters.json",
            "page": f"episodes/{slug}.page.json",
        },
        "gain_db": -3.5,
    }
    fields.update(extra)
    return Entry(**fields)  # type: ignore[arg-type]


ENTRIES = {
    "harbour": _entry("harbour", "2024-01-02T03:04:05+00:00"),
    "night ferry": _entry("night ferry", "2024-02-03T10:00:00+02:00", author=None),
}


def _published(out: Path, base_url: str = "") -> Catalog:
    """A folder as a build leaves it: catalog saved twice (so a backup exists) and the feed."""
    show = Show("Show", "Host", "About", "en", base_url)
    catalog = Catalog(out / CATALOG_NAME, {"harbour": ENTRIES["harbour"]})
    catalog.save()
    catalog.put(ENTRIES["night ferry"])
    catalog.save()
    write_feed(out, show, list(catalog.entries.values()), None)
    return catalog


def _truncate(path: Path) -> bytes:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return data[: len(data) // 2]


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_each_new_catalog_keeps_the_previous_one_as_backup(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / CATALOG_NAME, {"harbour": ENTRIES["harbour"]})
    catalog.save()
    first = (tmp_path / CATALOG_NAME).read_bytes()
    assert not (tmp_path / CATALOG_BACKUP).exists()
    catalog.put(ENTRIES["night ferry"])
    catalog.save()
    assert (tmp_path / CATALOG_BACKUP).read_bytes() == first
    assert not catalog.save()  # unchanged: neither file is written again


def test_only_the_backup_is_used_when_it_lists_every_episode(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _published(tmp_path)
    (tmp_path / CATALOG_BACKUP).write_bytes((tmp_path / CATALOG_NAME).read_bytes())
    _truncate(tmp_path / CATALOG_NAME)
    with caplog.at_level(logging.WARNING):
        assert load_catalog(tmp_path).entries == ENTRIES
    (warning,) = _warnings(caplog)
    assert warning.endswith(
        f"; restored from {CATALOG_BACKUP} (the damaged file is kept as {CATALOG_DAMAGED})"
    )


def test_truncated_catalog_is_restored_from_the_backup(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _published(tmp_path)
    backup = (tmp_path / CATALOG_BACKUP).read_bytes()
    damaged = _truncate(tmp_path / CATALOG_NAME)
    with caplog.at_level(logging.WARNING):
        catalog = load_catalog(tmp_path)
    assert catalog.entries["harbour"] == ENTRIES["harbour"]  # the backup: one save ago
    ferry = catalog.entries["night ferry"]  # added by the last save: from the feed
    assert (ferry.guid, ferry.first_published) == (
        guid_for("night ferry"),
        ENTRIES["night ferry"].first_published,
    )
    (warning,) = _warnings(caplog)
    assert f"{tmp_path / CATALOG_NAME} was damaged" in warning
    assert f"restored from {CATALOG_BACKUP} and 1 episode added since from {FEED_NAME}" in warning
    catalog.put(ENTRIES["night ferry"])
    catalog.save()
    assert (tmp_path / CATALOG_DAMAGED).read_bytes() == damaged
    assert (tmp_path / CATALOG_BACKUP).read_bytes() == backup  # the good one is not replaced
    assert Catalog.load(tmp_path).entries == ENTRIES


@pytest.mark.parametrize("base_url", ["", "https://pod.example.org/show/"])
def test_truncated_catalog_without_backup_is_rebuilt_from_the_feed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, base_url: str
) -> None:
    _published(tmp_path, base_url)
    (tmp_path / CATALOG_BACKUP).unlink()
    _truncate(tmp_path / CATALOG_NAME)
    with caplog.at_level(logging.WARNING):
        catalog = load_catalog(tmp_path)
    (warning,) = _warnings(caplog)
    assert f"rebuilt from {FEED_NAME}: 2 episodes keep their GUIDs and dates" in warning
    assert catalog.entries.keys() == ENTRIES.keys()
    for slug, entry in catalog.entries.items():
        old = ENTRIES[slug]
        assert (entry.guid, entry.first_published) == (old.guid, old.first_published)
        assert (entry.title, entry.description, entry.url) == (old.title, old.description, old.url)
        assert (entry.file, entry.bytes, round(entry.duration)) == (old.file, old.bytes, 83)
        feed_extras = {k: v for k, v in old.extras.items() if k != "page"}
        assert entry.extras == feed_extras
        assert entry.build_key == ""  # so the episode is built again, with its old date


def test_restored_entries_give_the_same_feed(tmp_path: Path) -> None:
    """An episode whose article is gone is still listed exactly as before."""
    _published(tmp_path)
    feed = (tmp_path / FEED_NAME).read_bytes()
    restored = entries_from_feed(tmp_path / FEED_NAME)
    show = Show("Show", "Host", "About", "en", "")
    (tmp_path / FEED_NAME).unlink()
    write_feed(tmp_path, show, [dataclasses.replace(e) for e in restored.values()], None)
    assert (tmp_path / FEED_NAME).read_bytes() == feed


def test_damaged_catalog_backup_and_feed_start_anew_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _published(tmp_path)
    for name in (CATALOG_NAME, CATALOG_BACKUP, FEED_NAME):
        _truncate(tmp_path / name)
    with caplog.at_level(logging.WARNING):
        catalog = load_catalog(tmp_path)
    assert catalog.entries == {}
    (warning,) = _warnings(caplog)
    assert "neither catalog.json.bak nor feed.xml could be read; starting a new catalog" in warning


@pytest.mark.parametrize(
    "content",
    [b"", b"[1, 2]", b'{"episodes": {"a": {"slug": "a"}}}', b'{"episodes": []}', b"\xff\xfe"],
    ids=["empty", "list", "missing-fields", "episodes-list", "not-utf8"],
)
def test_anything_that_is_not_a_catalog_counts_as_damaged(tmp_path: Path, content: bytes) -> None:
    _published(tmp_path)
    (tmp_path / CATALOG_NAME).write_bytes(content)
    (tmp_path / FEED_NAME).unlink()
    assert load_catalog(tmp_path).entries == {"harbour": ENTRIES["harbour"]}


def test_a_missing_catalog_is_a_new_one_without_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert load_catalog(tmp_path).entries == {}
    assert _warnings(caplog) == []
