"""``narrator.toml``: show metadata, voices, pauses, audio settings, cache, lexicon,
boilerplate.

Every key has a default; unknown keys and wrong types are errors that name the
key and the file, because a typo silently ignored is a setting the user thinks
they have.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_type_hints
from urllib.parse import urlparse

from narrator.build.store import DEFAULT_LIMIT, SizeLimit, parse_size
from narrator.errors import NarratorError
from narrator.models import Show, Voice
from narrator.publish import apple_categories

CONFIG_NAME = "narrator.toml"


@dataclass(frozen=True, slots=True)
class Pauses:
    """Silence, in seconds, placed between parts of an episode."""

    lead_in: float = 0.4
    """Before the first word."""
    title: float = 1.2
    """After the title."""
    heading: float = 0.9
    """After a heading (and before it, as a paragraph break)."""
    paragraph: float = 0.75
    """Between paragraphs."""
    segment: float = 0.25
    """Between narration and a quotation within a paragraph."""
    sentence: float = 0.35
    """Between sentences of one segment."""
    tail: float = 1.0
    """After the last word."""


@dataclass(frozen=True, slots=True)
class AudioSettings:
    """How the episode file is made."""

    bitrate: int = 64
    """MP3 bitrate in kbit/s (constant)."""
    sample_rate: int = 44100
    """Output sample rate in Hz."""
    loudness: float = -19.0
    """Integrated loudness target in LUFS (-19 is the mono podcast norm)."""
    true_peak: float = -1.0
    """Ceiling for the true peak in dBTP."""


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """How much the cache of clips and episode chunks may hold (``narrator.build.store``)."""

    max_size: SizeLimit = DEFAULT_LIMIT
    """``"5 GB"``, ``"500MB"``, a number of bytes, ``"10%"`` of the disk, or ``"unlimited"``
    (default: a tenth of the disk holding the cache; see ``SizeLimit`` for why)."""


@dataclass(frozen=True, slots=True)
class Boilerplate:
    """``[boilerplate]``: the user's own lines to drop or keep, applied before narrator's rules.

    Each entry is a regular expression matched against a *whole* line (a paragraph, a
    heading, one line of a menu) as ``narrator segments`` shows it, runs of whitespace
    collapsed to one space; ``(?i)`` at its start ignores case. ``keep`` wins over
    ``drop`` and over every built-in rule.
    """

    drop: tuple[str, ...] = ()
    """Lines never spoken (``"Advertisement - scroll to continue"``, ``"(?i)listen to audio"``)."""
    keep: tuple[str, ...] = ()
    """Lines always spoken, even where narrator would take them for site chrome."""

    def patterns(self) -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
        """``drop`` and ``keep`` compiled (load_config has checked that they compile)."""
        return tuple(map(re.compile, self.drop)), tuple(map(re.compile, self.keep))


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a build needs to know besides the articles."""

    show: Show
    narration: Voice
    quote: Voice
    pauses: Pauses = field(default_factory=Pauses)
    audio: AudioSettings = field(default_factory=AudioSettings)
    lexicon: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    path: Path | None = None
    """The file the configuration came from, if any."""
    scheduler: str | None = None
    """Dask scheduler that voices the clips (``[build] scheduler``; None: this machine)."""
    cache: CacheSettings = field(default_factory=CacheSettings)
    """``[cache]``: the size limit of the clip cache."""
    boilerplate: Boilerplate = field(default_factory=Boilerplate)
    """The user's lines to drop and keep (``[boilerplate]``)."""


DEFAULT_SHOW = Show(
    title="Narrated Articles",
    author="narrator",
    description="Articles read aloud by narrator.",
    language="en",
    base_url="",
)
DEFAULT_NARRATION = Voice(backend="piper", name="")
# With one voice, quotations get a distinct delivery: a little lower and slower.
DEFAULT_QUOTE_DELIVERY = {"pitch": 0.92, "length_scale": 1.05}

_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

TomlType = type | tuple[type, ...]
"""What ``isinstance`` accepts for a key's TOML value."""

_TOML_TYPES: dict[object, TomlType] = {
    str: str,
    bool: bool,
    int: int,
    float: (int, float),  # TOML writes 1 for 1.0
    Path | None: str,  # a path relative to the configuration file
    str | None: str,
    tuple[str, ...]: list,  # an array of strings (each checked where the section is read)
    SizeLimit: (str, int, float),  # "5 GB", a number of bytes, "10%", "unlimited"
}


def _keys(
    cls: type, *, only: tuple[str, ...] = (), leave_out: tuple[str, ...] = ()
) -> dict[str, TomlType]:
    """The TOML keys of a settings dataclass: one per field, typed from its annotation.

    A field whose type has no TOML form here (a new kind of setting) fails at import,
    not when a user first sets it.
    """
    hints = get_type_hints(cls)
    names = [
        f.name for f in fields(cls) if (not only or f.name in only) and f.name not in leave_out
    ]
    unknown = [name for name in names if hints[name] not in _TOML_TYPES]
    if unknown:
        raise TypeError(f"{cls.__name__}: no TOML type for {', '.join(unknown)}")
    return {name: _TOML_TYPES[hints[name]] for name in names}


_SCHEMA: dict[str, dict[str, TomlType]] = {
    "show": _keys(Show),
    # The narration voice's pitch stays 1: only quotations get a different delivery.
    "voice": _keys(Voice, leave_out=("pitch",)),
    "quote_voice": _keys(Voice),
    "pauses": _keys(Pauses),
    "audio": _keys(AudioSettings),
    "build": _keys(Config, only=("scheduler",)),
    "boilerplate": _keys(Boilerplate),
    "cache": _keys(CacheSettings),
}
"""Every section of ``narrator.toml`` (but ``[lexicon]``, a table of words) and its keys."""


_FOLLOW_SCHEMA: dict[str, type] = {"url": str, "max": int, "title": str}
"""A ``[[follow]]`` table: a feed ``narrator update`` reads (kept by ``narrator.web.follow``)."""


def _check_follow(value: Any, path: Path) -> None:
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise NarratorError("'follow' must be [[follow]] tables", path=path)
    for number, table in enumerate(value, 1):
        for key, item in table.items():
            expected = _FOLLOW_SCHEMA.get(key)
            if expected is None:
                known = ", ".join(sorted(_FOLLOW_SCHEMA))
                raise NarratorError(
                    f"unknown key 'follow.{key}' (follow #{number})",
                    path=path,
                    hint=f"known: {known}",
                )
            if isinstance(item, bool) or not isinstance(item, expected):
                raise NarratorError(
                    f"'follow.{key}' (follow #{number}) must be a {_TYPE_NAMES[expected]}, "
                    f"not {_kind(item)}",
                    path=path,
                )
        if "url" not in table:
            raise NarratorError(f"follow #{number} has no 'url'", path=path)
        _check_url(f"follow.url (follow #{number})", table["url"], path)
        if table.get("max", 1) < 1:
            raise NarratorError(f"'follow.max' (follow #{number}) must be at least 1", path=path)


def _check_table(data: dict[str, Any], path: Path) -> None:
    for section, value in data.items():
        if section == "follow":
            _check_follow(value, path)
            continue
        if section == "lexicon":
            if not isinstance(value, dict):
                raise NarratorError("[lexicon] must be a table of words", path=path)
            for word, spoken in value.items():
                if not isinstance(spoken, str):
                    raise NarratorError(
                        f"'lexicon.{word}' must be a string, not {_kind(spoken)}", path=path
                    )
            continue
        schema = _SCHEMA.get(section)
        if schema is None:
            known = ", ".join(sorted([*_SCHEMA, "lexicon", "follow"]))
            raise NarratorError(f"unknown section [{section}]", path=path, hint=f"known: {known}")
        if not isinstance(value, dict):
            raise NarratorError(f"[{section}] must be a table", path=path)
        for key, item in value.items():
            expected = schema.get(key)
            if expected is None:
                known = ", ".join(sorted(schema))
                raise NarratorError(
                    f"unknown key '{section}.{key}'", path=path, hint=f"known: {known}"
                )
            if (isinstance(item, bool) and expected is not bool) or not isinstance(item, expected):
                wanted = _TYPE_NAMES.get(expected, "number")
                raise NarratorError(
                    f"'{section}.{key}' must be a {wanted}, not {_kind(item)}", path=path
                )


_TYPE_NAMES: dict[TomlType, str] = {
    str: "string",
    bool: "boolean (true or false)",
    int: "whole number",
    list: "list of strings",
    (str, int, float): 'size such as "5 GB"',
}


def _kind(value: object) -> str:
    """A TOML value as the user wrote it, for error messages: ``integer 5``."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{names.get(type(value), 'value')} {shown}"


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_url(key: str, value: str, path: Path) -> None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise NarratorError(
            f"'{key}' is not an absolute http(s) URL: {value!r}",
            path=path,
            hint="for example https://example.com/podcast/",
        )


def _check_voice(section: str, voice: Voice, path: Path) -> None:
    # The backend's name is the voice stage's to check (narrator.voice.config_check).
    if not _LANG.match(voice.language):
        raise NarratorError(
            f"'{section}.language' is not a language code: {voice.language!r}",
            path=path,
            hint="for example en or en-GB",
        )
    if not 0.25 <= voice.length_scale <= 4:
        raise NarratorError(f"'{section}.length_scale' must be between 0.25 and 4", path=path)
    if not 0.5 <= voice.pitch <= 2:
        raise NarratorError(f"'{section}.pitch' must be between 0.5 and 2", path=path)
    for key in ("noise_scale", "noise_w"):
        if not 0 <= getattr(voice, key) <= 2:
            raise NarratorError(f"'{section}.{key}' must be between 0 and 2", path=path)


def _check_values(config: Config, path: Path) -> None:
    show = config.show
    if not show.title.strip():
        raise NarratorError("'show.title' must not be empty", path=path)
    if show.base_url:
        _check_url("show.base_url", show.base_url, path)
    if show.link:
        _check_url("show.link", show.link, path)
    if show.email and not _EMAIL.match(show.email):
        raise NarratorError(f"'show.email' is not an email address: {show.email!r}", path=path)
    if not _LANG.match(show.language):
        raise NarratorError(
            f"'show.language' is not a language code: {show.language!r}",
            path=path,
            hint="for example en or en-GB",
        )
    if show.feed_limit < 0:
        raise NarratorError("'show.feed_limit' must be 0 (every episode) or more", path=path)
    if not apple_categories.is_valid(show.category):
        raise NarratorError(
            f"'show.category' is not an Apple Podcasts category: {show.category!r}",
            path=path,
            hint="for example News, Technology or News/Tech News",
        )
    if not 8 <= config.audio.bitrate <= 320:
        raise NarratorError("'audio.bitrate' must be between 8 and 320 kbit/s", path=path)
    if config.audio.sample_rate not in (16000, 22050, 24000, 32000, 44100, 48000):
        raise NarratorError(
            "'audio.sample_rate' must be one of 16000, 22050, 24000, 32000, 44100, 48000",
            path=path,
        )
    if not -40 <= config.audio.loudness <= -5:
        raise NarratorError("'audio.loudness' must be between -40 and -5 LUFS", path=path)
    if not -10 <= config.audio.true_peak <= 0:
        raise NarratorError("'audio.true_peak' must be between -10 and 0 dBTP", path=path)
    for name in Pauses.__dataclass_fields__:
        if not 0 <= getattr(config.pauses, name) <= 10:
            raise NarratorError(f"'pauses.{name}' must be between 0 and 10 seconds", path=path)
    _check_voice("voice", config.narration, path)
    _check_voice("quote_voice", config.quote, path)


def load_config(path: Path | None = None) -> Config:
    """Read ``narrator.toml`` (``path``, or the one in the working folder, or defaults)."""
    if path is None:
        candidate = Path.cwd() / CONFIG_NAME
        if not candidate.is_file():
            return Config(
                show=DEFAULT_SHOW,
                narration=DEFAULT_NARRATION,
                quote=replace(DEFAULT_NARRATION, **DEFAULT_QUOTE_DELIVERY),  # type: ignore[arg-type]
            )
        path = candidate
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NarratorError("configuration file not found", path=path) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise NarratorError(f"invalid TOML: {exc}", path=path) from exc
    except OSError as exc:
        raise NarratorError(f"cannot read configuration: {exc.strerror or exc}", path=path) from exc
    _check_table(data, path)
    boilerplate = _boilerplate(data.get("boilerplate", {}), path)
    show_data = dict(data.get("show", {}))
    cover = show_data.pop("cover", None)
    if cover is not None:
        cover_path = (path.parent / cover).resolve()
        if not cover_path.is_file():
            raise NarratorError(f"'show.cover' file not found: {cover}", path=path)
        show_data["cover"] = cover_path
    show = replace(DEFAULT_SHOW, **show_data)
    narration = replace(DEFAULT_NARRATION, **{"language": show.language, **data.get("voice", {})})
    quote_data = data.get("quote_voice")
    quote = (
        replace(narration, **quote_data)
        if quote_data
        else replace(narration, **DEFAULT_QUOTE_DELIVERY)  # type: ignore[arg-type]
    )
    max_size = data.get("cache", {}).get("max_size")
    try:
        cache = CacheSettings() if max_size is None else CacheSettings(parse_size(max_size))
    except ValueError as exc:
        raise NarratorError(f"'cache.max_size' {exc}", path=path) from exc
    config = Config(
        show=show,
        narration=narration,
        quote=quote,
        pauses=Pauses(**{k: float(v) for k, v in data.get("pauses", {}).items()}),
        audio=AudioSettings(**data.get("audio", {})),
        lexicon=MappingProxyType(dict(data.get("lexicon", {}))),
        path=path,
        scheduler=data.get("build", {}).get("scheduler") or None,
        boilerplate=boilerplate,
        cache=cache,
    )
    _check_values(config, path)
    return config


def _boilerplate(table: dict[str, Any], path: Path) -> Boilerplate:
    """``[boilerplate]`` checked: every entry a string that compiles as a regular expression."""
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("drop", "keep"):
        entries = table.get(key, [])
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, str):
                raise NarratorError(
                    f"'boilerplate.{key}' entry {number} must be a string, not {_kind(entry)}",
                    path=path,
                )
            try:
                re.compile(entry)
            except re.error as exc:
                raise NarratorError(
                    f"'boilerplate.{key}' entry {number} is not a regular expression: "
                    f"{entry!r} ({exc})",
                    path=path,
                ) from None
        lists[key] = tuple(entries)
    return Boilerplate(**lists)
