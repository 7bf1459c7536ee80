"""One build at a time per output folder, and the OS file lock it shares with the voice models.

A build takes an exclusive advisory lock on ``DIR/.narrator.lock`` for as long
as it runs. A second build on the same folder does not wait by default: it
stops at once with one clear message naming the process that holds the folder.
Waiting silently would look like a hang to a cron job or a user at a terminal,
and the first build is already producing what the second would; ``wait``
(``narrator build --wait SECONDS``) waits a bounded time for users who want
queued runs.

The lock is an OS lock (``flock`` on POSIX, ``LockFileEx`` on Windows, through
the ``filelock`` library), not a marker file: the kernel drops it when the
process dies, even by SIGKILL, so a crashed build never leaves a stale lock
behind. The lock file itself holds the holder's PID and start time for the
message; it is never deleted, because deleting a lock file another process has
open would let a third process lock a different inode.

:func:`exclusive_lock` is the one way narrator takes such a lock: the output
folder here, the prepared-models folder in ``narrator.voice.backends.piper_model``.
It needs ``filelock`` 4.3 or later: 3.x opens the lock file with ``O_TRUNC``, so
every process that only tries the lock would erase the holder's record, and it
deletes the file on release. On a file system without ``flock`` (some network
mounts) taking the lock fails with an error rather than falling back to a marker
file that a crash would leave behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from narrator.errors import NarratorError, write_failed

log = logging.getLogger(__name__)

LOCK_NAME = ".narrator.lock"
POLL_S = 0.1
LOCK_MODE = 0o644


class OutputLocked(NarratorError):
    """Another build holds the output folder."""


@contextlib.contextmanager
def exclusive_lock(
    path: Path,
    wait: float,
    *,
    poll: float,
    on_wait: Callable[[], None] | None = None,
    on_acquired: Callable[[int], None] | None = None,
) -> Iterator[None]:
    """Hold the exclusive OS lock on the file ``path`` (created if missing, never deleted).

    Tries once; if another process holds it and ``wait`` is positive, calls
    ``on_wait`` (to say so, once) and tries every ``poll`` seconds for up to
    ``wait`` seconds. Raises ``TimeoutError`` when it is still held then, and
    ``OSError`` when the file cannot be opened or locked at all.
    ``on_acquired`` gets the lock file's descriptor as soon as the lock is ours.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(
        path,
        mode=LOCK_MODE,
        poll_interval=poll,
        preserve_lock_file=True,  # also: no marker-file fallback where flock is missing
        on_acquired=on_acquired,
    )
    try:
        lock.acquire(blocking=False)
    except Timeout:
        if wait <= 0:
            raise TimeoutError(f"another process holds {path}") from None
        if on_wait is not None:
            on_wait()
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise TimeoutError(f"another process held {path} for {wait:.0f} s") from None
    try:
        yield
    finally:
        lock.release()


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


def _record_holder(fd: int) -> None:
    """Write this process's PID and start time into the lock file it now holds."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()} {now}\n".encode())
    except OSError as exc:  # only the message of a second build loses the holder's name
        log.debug("cannot record the lock's holder: %s", exc)


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
    released within ``wait`` seconds, and ``narrator.errors.WriteFailed`` if the
    folder or the lock file cannot be created. Yields the lock file's path.
    """
    path = out_dir / LOCK_NAME

    def announce() -> None:
        log.warning("%s: waiting for another build (%s)", out_dir, _holder(path))

    with contextlib.ExitStack() as held:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            held.enter_context(
                exclusive_lock(
                    path, wait, poll=POLL_S, on_wait=announce, on_acquired=_record_holder
                )
            )
        except TimeoutError as exc:  # before OSError, of which it is one
            holder = _holder(path)
            raise OutputLocked(
                "another narrator build is writing to this folder"
                + (f" ({holder})" if holder else ""),
                path=out_dir,
                hint="wait for it to finish, or pass --wait SECONDS to queue behind it",
            ) from exc
        except OSError as exc:  # read-only, permissions, disk full: one line naming the file
            failed = Path(exc.filename) if exc.filename else path
            raise write_failed(exc, path if failed.name == LOCK_NAME else failed) from exc
        sweep_temp_files(out_dir)
        yield path
