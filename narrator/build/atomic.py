"""Writing files so that nothing already written is ever lost or half-written.

Every file narrator writes goes through here: a temporary file beside the
target (``.NAME.XXXX.tmp``), flushed to disk, then renamed over the target.
A write that fails (disk full, quota, read-only file system, permissions,
I/O error) removes its temporary file, leaves the target as it was, and raises
``narrator.errors.WriteFailed``: one line naming the target, e.g.
``PATH: no space left on device (free some space; nothing was changed)``.

``atomic_files`` writes several files as one: all are written to temporary
files first, and only when every one of them is complete are they renamed, in
the order they were staged. A disk that fills up while writing an episode's
MP3 or its transcripts therefore changes none of them. Where this fails: a
rename itself failing half-way (an I/O error between two renames; a rename
needs no space) leaves the files renamed before it in place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from narrator.build.checkpoints import checkpoint
from narrator.errors import WriteFailed, disk_fault, write_failed


class AtomicFiles:
    """Files staged by ``atomic_files``: each a temporary path beside its target."""

    def __init__(self) -> None:
        self.staged: list[tuple[Path, Path]] = []
        """(temporary path, target) in the order they are renamed."""

    def stage(self, path: Path) -> Path:
        """A new temporary file beside ``path``, renamed over it when the group completes."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
        except OSError as exc:
            raise write_failed(exc, path) from exc
        tmp = Path(tmp_name)
        self.staged.append((tmp, path))
        return tmp

    def write(self, path: Path, data: bytes) -> None:
        """Stage ``data`` for ``path``."""
        self.stage(path).write_bytes(data)

    def write_if_changed(self, path: Path, data: bytes) -> bool:
        """Stage ``data`` for ``path`` unless the file already holds exactly it; True if staged."""
        if _holds(path, data):
            return False
        self.write(path, data)
        return True

    @property
    def current(self) -> Path | None:
        """The target being written (the last one staged), to name in an error."""
        return self.staged[-1][1] if self.staged else None


@contextlib.contextmanager
def atomic_files() -> Iterator[AtomicFiles]:
    """Stage files in the block; when it ends without error, flush and rename them all.

    An error in the block or while flushing removes every temporary file and
    renames nothing. An ``OSError`` of a write (``narrator.errors.disk_fault``)
    becomes ``WriteFailed`` naming the target being written.
    """
    group = AtomicFiles()
    finishing: Path | None = None  # flushed or renamed now; before that, ``group.current``
    try:
        try:
            yield group
            for tmp, path in group.staged:
                finishing = path
                with tmp.open("rb+") as fh:
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o644)
            for tmp, finishing in group.staged:
                checkpoint(f"replace:{finishing.name}")
                os.replace(tmp, finishing)
        except WriteFailed:
            raise
        except Exception as exc:
            fault = disk_fault(exc)
            named = finishing or group.current
            if fault is None or named is None:
                raise
            raise write_failed(fault, named) from exc
    finally:
        for tmp, _ in group.staged:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` at once."""
    with atomic_files() as group:
        yield group.stage(path)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder + rename)."""
    with atomic_files() as group:
        group.write(path, data)


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write atomically unless the file already holds exactly ``data``; True if written."""
    if _holds(path, data):
        return False
    atomic_write(path, data)
    return True
