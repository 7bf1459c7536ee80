"""One error family with one line for the user, and the one place a failed write becomes one."""

from __future__ import annotations

import errno
from pathlib import Path


class NarratorError(Exception):
    """An error the user can act on: printed as one ``Error:`` line by the CLI."""

    def __init__(self, message: str, path: Path | str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path is not None else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class BackendUnavailable(NarratorError):
    """A synthesis backend that cannot run here, with the reason."""


DISK_FAULTS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on device", "free some space; nothing was changed"),
    errno.EDQUOT: ("disk quota exceeded", "free some space; nothing was changed"),
    errno.EROFS: ("read-only file system", "write to another folder; nothing was changed"),
    errno.EACCES: ("permission denied", "check the folder's permissions; nothing was changed"),
    errno.EPERM: ("permission denied", "check the folder's permissions; nothing was changed"),
    errno.EIO: ("input/output error", "check the disk; nothing was changed"),
}
"""errno of a failed write → (what happened, what the user can do), for ``write_failed``.

"nothing was changed" holds for the file the message names: every write goes
through ``narrator.build.atomic``, which leaves the previous file in place and
removes its temporary file when a write fails."""


class WriteFailed(NarratorError, OSError):
    """A file could not be written (disk full, quota, read-only, permissions, I/O error).

    Also an ``OSError`` (with the original ``errno``), so code that already treats
    a failed write as a warning, such as the clip cache, keeps doing so.
    """


def write_failed(exc: OSError, path: Path | str) -> WriteFailed:
    """The one-line error for ``exc``, raised while writing ``path``.

    Known errnos (``DISK_FAULTS``) get a plain message and a hint; any other
    ``OSError`` keeps the system's wording with the same "nothing was changed".
    """
    if isinstance(exc, WriteFailed):
        return exc
    message, hint = DISK_FAULTS.get(
        exc.errno or 0, ((exc.strerror or str(exc)).lower(), "nothing was changed")
    )
    error = WriteFailed(message, path=path, hint=hint)
    error.errno = exc.errno
    error.strerror = exc.strerror
    error.filename = str(path)
    return error


def disk_fault(exc: BaseException) -> OSError | None:
    """The ``OSError`` behind ``exc``, if a failed write caused it; else None.

    ``exc`` itself when it is an ``OSError``; otherwise the first ``OSError`` with
    an errno of ``DISK_FAULTS`` among its causes (a library that wraps the
    error, as mutagen does when tagging an MP3 on a full disk). Other wrapped
    ``OSError``s are left to the library's own message.
    """
    if isinstance(exc, OSError):
        return exc
    seen: set[int] = set()
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.errno in DISK_FAULTS:
            return cause
        cause = cause.__cause__ or cause.__context__
    return None
