"""The voice stage's own checks of ``narrator.toml``: backend names and the scheduler.

``narrator.config`` checks what it can know by itself (keys, types, ranges) and
stays a plain data layer; which backends exist (built-ins and entry points) and
what a Dask scheduler address looks like are the voice stage's knowledge, so the
caller (the CLI, right after ``load_config``) runs :func:`check_voice_config`.
The error lines are those of the other configuration errors: the key, the
value, the file, and a hint.

Where it falls short: a configuration with several bad values reports the
config layer's first (say a bad ``voice.language``) before a bad backend name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from narrator.errors import NarratorError

if TYPE_CHECKING:
    from pathlib import Path

    from narrator.config import Config
    from narrator.models import Voice


def check_voice_config(config: Config) -> None:
    """Raise one ``NarratorError`` naming the key if ``config`` names a voice backend
    that is not installed or a scheduler that is not an address."""
    _check_backend("voice", config.narration, config.path)
    _check_backend("quote_voice", config.quote, config.path)
    if config.scheduler:
        from narrator.voice.cluster import parse_scheduler

        try:
            parse_scheduler(config.scheduler)
        except NarratorError as exc:
            raise NarratorError(
                f"'build.scheduler' is {exc.message}", path=config.path, hint=exc.hint
            ) from exc


def _check_backend(section: str, voice: Voice, path: Path | None) -> None:
    from narrator.voice.backends import registry

    known = registry()
    if voice.backend not in known:
        raise NarratorError(
            f"'{section}.backend' is not a voice backend: {voice.backend!r}",
            path=path,
            hint="choose one of: " + ", ".join(sorted(known)),
        )
