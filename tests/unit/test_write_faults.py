"""A write that fails (disk full, quota, read-only, permissions, I/O error) is one clear
error naming the file, leaves the previous file byte-identical and no temporary file.

The errors are injected at the write layer (``Path.write_bytes`` of the temporary
file, ``os.replace``, ``os.open`` of the lock), so these run anywhere without
synthesis; ``tests/e2e/test_disk_full.py`` fills a real tmpfs.
"""

from __future__ import annotations

import errno
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from narrator.build.atomic import atomic_files, atomic_path, atomic_write, write_if_changed
from narrator.build.lock import LOCK_NAME, lock_output
from narrator.build.store import ClipCache
from narrator.errors import DISK_FAULTS, NarratorError, WriteFailed, disk_fault, write_failed
from narrator.models import Clip, Show
from narrator.publish.catalog import CATALOG_BACKUP, CATALOG_NAME, Catalog, Entry, guid_for
from narrator.publish.feed import FEED_NAME, write_feed
from narrator.publish.page import PAGE_NAME, write_page

LINES = {
    errno.ENOSPC: "no space left on device (free some space; nothing was changed)",
    errno.EDQUOT: "disk quota exceeded (free some space; nothing was changed)",
    errno.EROFS: "read-only file system (write to another folder; nothing was changed)",
    errno.EACCES: "permission denied (check the folder's permissions; nothing was changed)",
    errno.EPERM: "permission denied (check the folder's permissions; nothing was changed)",
    errno.EIO: "input/output error (check the disk; nothing was changed)",
}
"""What the user reads after ``PATH: `` for each errno of the issue."""
ERRNOS = [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EIO]


def _oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


def fail_writes(monkeypatch: pytest.MonkeyPatch, name: str, code: int) -> list[Path]:
    """Make writing the temporary file of ``name`` fail with ``code`` after half its bytes
    (as a disk that fills up does); returns the temporary paths that failed."""
    pattern = re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]+\.tmp")
    real = Path.write_bytes
    failed: list[Path] = []

    def write_bytes(self: Path, data: bytes) -> int:  # type: ignore[override]
        if pattern.fullmatch(self.name):
            real(self, bytes(data)[: len(data) // 2])
            failed.append(self)
            raise _oserror(code)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    return failed


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*.tmp")]


@pytest.mark.parametrize("code", sorted(LINES))
def test_each_errno_is_one_line_with_a_hint(code: int) -> None:
    error = write_failed(_oserror(code), "out/feed.xml")
    assert str(error) == f"out/feed.xml: {LINES[code]}"
    assert isinstance(error, NarratorError) and isinstance(error, OSError)
    assert error.errno == code
    assert code in DISK_FAULTS


def test_an_unknown_errno_keeps_the_system_wording() -> None:
    error = write_failed(_oserror(errno.ENAMETOOLONG), "out/x")
    assert str(error) == "out/x: file name too long (nothing was changed)"


def test_a_library_error_caused_by_a_full_disk_is_found() -> None:
    try:
        try:
            raise _oserror(errno.ENOSPC)
        except OSError as exc:
            raise NarratorError("cannot write ID3 tags") from exc
    except NarratorError as wrapped:
        fault = disk_fault(wrapped)
    assert fault is not None and fault.errno == errno.ENOSPC
    assert disk_fault(NarratorError("nothing on disk")) is None


@pytest.mark.parametrize("code", ERRNOS)
def test_atomic_write_that_fails_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    target = tmp_path / "feed.xml"
    target.write_bytes(b"old")
    failed = fail_writes(monkeypatch, "feed.xml", code)
    with pytest.raises(WriteFailed) as caught:
        atomic_write(target, b"new content")
    assert str(caught.value) == f"{target}: {LINES[code]}"
    assert failed, "the injected fault never fired"
    assert target.read_bytes() == b"old"
    assert temp_files(tmp_path) == []


def test_a_failed_rename_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "index.html"
    target.write_bytes(b"old")

    def replace(src: object, dst: object) -> None:
        raise _oserror(errno.EIO)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(WriteFailed, match="input/output error"):
        write_if_changed(target, b"new")
    assert target.read_bytes() == b"old"
    assert temp_files(tmp_path) == []


def test_atomic_path_names_the_target_when_its_body_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "episodes" / "a.mp3"
    with pytest.raises(WriteFailed) as caught, atomic_path(target) as tmp:
        tmp.write_bytes(b"part")
        raise _oserror(errno.ENOSPC)
    assert caught.value.path == target
    assert not target.exists() and temp_files(tmp_path) == []


def test_other_errors_in_the_body_pass_through_and_leave_no_temp(tmp_path: Path) -> None:
    with pytest.raises(KeyError), atomic_path(tmp_path / "a") as tmp:
        tmp.write_bytes(b"x")
        raise KeyError("not a write")
    assert temp_files(tmp_path) == []


def test_a_group_renames_nothing_when_its_second_file_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An episode whose transcript cannot be written keeps its old MP3 too."""
    mp3, vtt = tmp_path / "ep.mp3", tmp_path / "ep.vtt"
    mp3.write_bytes(b"old audio")
    vtt.write_bytes(b"old cues")
    fail_writes(monkeypatch, "ep.vtt", errno.EDQUOT)
    with pytest.raises(WriteFailed) as caught, atomic_files() as files:
        files.write(mp3, b"new audio")
        files.write(vtt, b"new cues")
    assert caught.value.path == vtt
    assert (mp3.read_bytes(), vtt.read_bytes()) == (b"old audio", b"old cues")
    assert temp_files(tmp_path) == []


def test_a_group_renames_in_order_once_every_file_is_complete(tmp_path: Path) -> None:
    with atomic_files() as files:
        files.write(tmp_path / "a", b"1")
        assert not (tmp_path / "a").exists()  # nothing is renamed before the end
        assert files.write_if_changed(tmp_path / "b", b"2")
    assert (tmp_path / "a").read_bytes() == b"1" and (tmp_path / "b").read_bytes() == b"2"
    with atomic_files() as files:
        assert not files.write_if_changed(tmp_path / "b", b"2")
    assert temp_files(tmp_path) == []


def _entry(slug: str, first: str = "2024-03-01T08:00:00+00:00") -> Entry:
    return Entry(
        slug=slug,
        guid=guid_for(slug),
        first_published=first,
        title=slug.title(),
        description="d",
        author=None,
        date=None,
        file=f"episodes/{slug}.mp3",
        bytes=10,
        duration=61.0,
        source=f"/in/{slug}.txt",
    )


SHOW = Show(title="Show", author="A", description="D", language="en", base_url="")


@pytest.mark.parametrize(
    ("name", "write"),
    [
        pytest.param(FEED_NAME, lambda out, e: write_feed(out, SHOW, e, None), id="feed"),
        pytest.param(PAGE_NAME, lambda out, e: write_page(out, SHOW, e, None), id="page"),
    ],
)
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_feed_and_page_writes_that_fail_keep_the_published_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    write: Callable[[Path, list[Entry]], bool],
    code: int,
) -> None:
    write(tmp_path, [_entry("one")])
    before = (tmp_path / name).read_bytes()
    fail_writes(monkeypatch, name, code)
    with pytest.raises(WriteFailed) as caught:
        write(tmp_path, [_entry("one"), _entry("two", "2024-03-02T08:00:00+00:00")])
    assert str(caught.value) == f"{tmp_path / name}: {LINES[code]}"
    assert (tmp_path / name).read_bytes() == before
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
def test_a_catalog_write_that_fails_keeps_catalog_and_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    catalog = Catalog(tmp_path / CATALOG_NAME, {"one": _entry("one")})
    catalog.save()
    catalog.put(_entry("two"))
    catalog.save()
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(files) == {CATALOG_NAME, CATALOG_BACKUP}
    catalog.put(_entry("three"))
    fail_writes(monkeypatch, CATALOG_NAME, code)
    with pytest.raises(WriteFailed) as caught:
        catalog.save()
    assert str(caught.value) == f"{tmp_path / CATALOG_NAME}: {LINES[code]}"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES, errno.ENOSPC])
def test_a_lock_that_cannot_be_created_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    real = os.open

    def fake_open(path: str | os.PathLike[str], flags: int, *args: int, **kw: object) -> int:
        if os.fspath(path).endswith(LOCK_NAME):
            raise OSError(code, os.strerror(code), os.fspath(path))
        return real(path, flags, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", fake_open)
    with pytest.raises(WriteFailed) as caught, lock_output(tmp_path):
        pytest.fail("the lock was taken")
    assert str(caught.value) == f"{tmp_path / LOCK_NAME}: {LINES[code]}"


@pytest.mark.parametrize("code", ERRNOS)
def test_a_cache_that_cannot_be_written_warns_once_and_goes_on(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    code: int,
) -> None:
    cache = ClipCache(tmp_path / "cache")
    real = Path.write_bytes

    def write_bytes(self: Path, data: bytes) -> int:  # type: ignore[override]
        if self.name.endswith(".tmp"):
            raise _oserror(code)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    clip = Clip(np.zeros(100, dtype=np.float32), 22050)
    with caplog.at_level(logging.WARNING, logger="narrator.build.store"):
        cache.put("ab" * 32, clip)
        cache.put("cd" * 32, clip)
        cache.put_chunk("ef" * 32, b"mp3")
        cache.put_hops("01" * 32, b"hops")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    message = LINES[code].split(" (")[0]
    assert warnings == [f"cache: {message}; continuing without caching ({cache.root})"]
    assert cache.get("ab" * 32) is None and cache.get_chunk("ef" * 32) is None
    assert temp_files(tmp_path) == []
