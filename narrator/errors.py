"""One error family with one line for the user."""

from __future__ import annotations

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
