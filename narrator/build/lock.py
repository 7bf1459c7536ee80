"""One build at a time per output folder.

A build takes an exclusive advisory lock on ``DIR/.narrator.lock`` for as long
as it runs. A second build on the same folder does not wait by default: it
stops at once with one clear message naming the process that holds the folder.
Waiting silently would look like a hang to a cron job or a user at a terminal,
and the first build is already producing what the second would; ``wait``
(``narrator build --wait SECONDS``) waits a bounded time for users who want
queued runs.

The lock is an OS lock (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
Windows), not a marker file: the kernel drops it when the process dies, even by
SIGKILL, so a crashed build never leaves a stale lock behind. The lock file
itself holds the holder's PID and start time for the message; it is never
deleted, because deleting a lock file another process has open would let a
third process lock a different inode.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from narrator.errors import NarratorError

log = logging.getLogger(__name__)

LOCK_NAME = ".narrator.lock"
POLL_S = 0.1


class OutputLocked(NarratorError):
    """Another build holds the output folder."""


def _try_lock(fh: IO[str]) -> bool:
    """Take the lock without blocking; False if another process holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fh: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _holder(path: Path) -> str:
    """Who holds the lock, as recorded in the lock file ('' if unknown)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    pid, _, since = text.partition(" ")
    if not pid.isdigit():
        return ""
    return f"process {pid}" + (f", since {since}" if since else "")


def sweep_temp_files(out_dir: Path) -> list[Path]:
    """Delete temporary files a killed build left behind (``.NAME.XXXX.tmp``).

    Only safe while holding the lock: no other build can be writing them then.
    Looks in the output folder and one level below it. Returns what it removed.
    """
    removed = []
    for pattern in (".*.tmp", "*/.*.tmp"):
        for stale in out_dir.glob(pattern):
            if stale.is_file() and not stale.is_symlink():
                try:
                    stale.unlink()
                except OSError as exc:
                    log.warning("cannot remove %s: %s", stale, exc)
                    continue
                log.info("removed %s, left by an interrupted build", stale)
                removed.append(stale)
    return removed


@contextlib.contextmanager
def lock_output(out_dir: Path, wait: float = 0.0) -> Iterator[Path]:
    """Hold the exclusive build lock on ``out_dir`` (created if missing).

    Raises :class:`OutputLocked` if another process holds it and it is not
    released within ``wait`` seconds. Yields the lock file's path.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / LOCK_NAME
        # Opened without truncating: the holder's PID must survive until we own the lock.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise NarratorError(
            f"cannot create the build lock: {exc.strerror or exc}", path=out_dir
        ) from exc
    with os.fdopen(fd, "r+", encoding="utf-8") as fh:
        deadline = time.monotonic() + max(wait, 0.0)
        announced = False
        while not _try_lock(fh):
            if time.monotonic() >= deadline:
                holder = _holder(path)
                raise OutputLocked(
                    "another narrator build is writing to this folder"
                    + (f" ({holder})" if holder else ""),
                    path=out_dir,
                    hint="wait for it to finish, or pass --wait SECONDS to queue behind it",
                )
            if not announced:
                log.warning("%s: waiting for another build (%s)", out_dir, _holder(path))
                announced = True
            time.sleep(POLL_S)
        try:
            fh.seek(0)
            fh.truncate()
            now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
            fh.write(f"{os.getpid()} {now}\n")
            fh.flush()
            sweep_temp_files(out_dir)
            yield path
        finally:
            _unlock(fh)
