"""Ingest: read an article file (.txt, .md, .html) into an :class:`Article`.

The one public entry point is :func:`read_article`. It checks and decodes the
file, hands the text to the reader for its extension (``narrator.text.readers``),
removes boilerplate (``narrator.text.boilerplate``), recording every dropped line,
turns a leading dateline or byline into metadata, and derives a safe slug.
Every failure is a :class:`NarratorError` naming the file.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from anyascii import anyascii

from narrator.errors import NarratorError
from narrator.models import Article, Block
from narrator.text.boilerplate import (
    LineRules,
    boilerplate_rule,
    is_section_break,
    parse_byline,
    parse_dateline,
)
from narrator.text.chrome import recurring_lines
from narrator.text.limits import MAX_FILE_BYTES
from narrator.text.readers import Draft, clean_text
from narrator.text.readers.text import read_text

__all__ = ["SUPPORTED_EXTENSIONS", "batch_rules", "read_article", "slugify"]

log = logging.getLogger(__name__)

Reader = Callable[[str, LineRules], Draft]


def _read_markdown(text: str, rules: LineRules) -> Draft:
    from narrator.text.readers.markdown import read_markdown

    return read_markdown(text)  # the rules apply to its blocks, in read_article


def _read_html(text: str, rules: LineRules) -> Draft:
    from narrator.text.readers.html import read_html

    return read_html(text)


READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".text": read_text,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
}
SUPPORTED_EXTENSIONS = tuple(READERS)

SLUG_MAX = 60
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
LEADING_METADATA_BLOCKS = 3
"""How many blocks at the top may be a dateline or byline."""
DESCRIPTION_MAX = 300


def read_article(path: Path, *, language: str = "en", rules: LineRules | None = None) -> Article:
    """Read one article file into an :class:`Article`, boilerplate removed.

    ``rules`` are the user's ``[boilerplate]`` patterns and the lines that recur across
    the batch (:func:`batch_rules`); they apply before the built-in rules.
    Raises :class:`NarratorError` (naming ``path``) for a missing, empty,
    binary, undecodable or unsupported file, and for a file with no body.
    """
    path = Path(path)
    rules = rules or LineRules()
    reader = _reader_for(path)
    text = decode(_read_bytes(path), path)
    if not text.strip():
        raise NarratorError(
            "file holds only whitespace", path=path, hint="write the article text into it"
        )
    try:
        draft = reader(text, rules)
    except NarratorError as exc:
        exc.path = exc.path or path
        raise
    blocks, dropped = _remove_boilerplate(draft.blocks, rules)
    draft.dropped.extend(dropped)
    blocks, dropped = _drop_pull_quotes(blocks)
    draft.dropped.extend(dropped)
    blocks = _take_leading_metadata(blocks, draft)
    title = clean_text(draft.title)
    if not any(block.kind != "heading" for block in blocks):
        raise NarratorError(
            "no article body" + (f" (only the title {title!r})" if title else ""),
            path=path,
            hint="an article needs at least one paragraph after its title",
        )
    if not title:
        title = _title_from_stem(path)
    for line in draft.dropped:
        log.debug("%s: dropped %r", path, line)
    return Article(
        slug=slugify(title) or slugify(path.stem) or "article",
        title=title,
        author=draft.author,
        published=draft.published,
        language=language,
        source=path,
        blocks=tuple(blocks),
        dropped=tuple(draft.dropped),
        url=draft.url,
        description=draft.description or _describe(blocks),
        updated=draft.updated,
        url_key=draft.url_key,
    )


BATCH_CHROME_SUFFIXES = (".txt", ".text")
"""Plain text is where copied site chrome lives; Markdown and HTML carry their structure."""


def batch_rules(
    paths: Sequence[Path],
    drop: Sequence[re.Pattern[str]] = (),
    keep: Sequence[re.Pattern[str]] = (),
) -> LineRules:
    """The user's patterns plus the chrome lines that recur across the plain-text files of
    a batch (:func:`narrator.text.chrome.recurring_lines`); unreadable files are skipped
    here (reading them reports the problem)."""
    texts: list[str] = []
    for path in paths:
        if Path(path).suffix.lower() not in BATCH_CHROME_SUFFIXES:
            continue
        try:
            if Path(path).stat().st_size <= MAX_FILE_BYTES:
                texts.append(decode(Path(path).read_bytes(), Path(path)))
        except (OSError, NarratorError):
            continue
    recurring = recurring_lines(texts) if len(texts) > 1 else frozenset()
    return LineRules(drop=tuple(drop), keep=tuple(keep), recurring=recurring)


def _reader_for(path: Path) -> Reader:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise NarratorError(
            f"unsupported file type {path.suffix or '(no extension)'!r}",
            path=path,
            hint="narrator reads " + ", ".join(SUPPORTED_EXTENSIONS),
        )
    return reader


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NarratorError("file not found", path=path, hint="check the path") from None
    except IsADirectoryError:
        raise NarratorError("is a folder, not a file", path=path) from None
    except OSError as exc:
        raise NarratorError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    if not data:
        raise NarratorError("file is empty", path=path, hint="write the article text into it")
    return data


@dataclass(frozen=True, slots=True)
class _Bom:
    mark: bytes
    codec: str


BOMS = (
    _Bom(codecs.BOM_UTF8, "utf-8-sig"),
    _Bom(codecs.BOM_UTF16_LE, "utf-16"),
    _Bom(codecs.BOM_UTF16_BE, "utf-16"),
)
FALLBACK_CODECS = ("utf-8", "cp1252")
"""Tried in order when there is no BOM: UTF-8, else (after the charset an HTML page
declares, if any) the legacy Western single-byte set."""


def decode(data: bytes, path: Path) -> str:
    """Decode file bytes to text with LF line endings; never yields U+FFFD."""
    text = _decode_bytes(data, path)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_bytes(data: bytes, path: Path) -> str:
    for bom in BOMS:
        if data.startswith(bom.mark):
            try:
                return data.decode(bom.codec)
            except UnicodeDecodeError as exc:
                raise _undecodable(path, exc) from exc
    if b"\x00" in data:
        raise NarratorError(
            "file holds binary data (NUL bytes), not text",
            path=path,
            hint="give narrator a .txt, .md or .html article",
        )
    error: UnicodeDecodeError | None = None
    declared = _declared_charset(data) if path.suffix.lower() in HTML_SUFFIXES else None
    # UTF-8 first even so: text that decodes as UTF-8 is UTF-8 (legacy encodings almost
    # never form valid multi-byte sequences), whatever a copied <meta> tag claims.
    codecs_to_try = (FALLBACK_CODECS[0], *([declared] if declared else []), *FALLBACK_CODECS[1:])
    for codec in codecs_to_try:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            error = error or exc
            continue
        if codec == declared:
            log.debug("%s: read as %s, as the page declares", path, codec)
        elif codec != FALLBACK_CODECS[0]:
            log.warning("%s: not UTF-8, read as %s", path, codec)
        return text
    assert error is not None
    raise _undecodable(path, error) from error


HTML_SUFFIXES = (".html", ".htm")
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)


def _declared_charset(data: bytes) -> str | None:
    """The encoding a page declares in a ``<meta>`` near its start (``charset=`` or an
    ``http-equiv`` Content-Type), as Python names it; None if none, unknown, or UTF-8.

    As browsers do (WHATWG): ISO-8859-1 and US-ASCII mean windows-1252, and a page
    can't declare UTF-16 in its own bytes."""
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    label = match.group(1).decode("ascii").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    if name.startswith("utf-16") or name.startswith("utf-8"):
        return None
    return name


def _undecodable(path: Path, exc: UnicodeDecodeError) -> NarratorError:
    return NarratorError(
        f"cannot decode text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}",
        path=path,
        hint="save the file as UTF-8",
    )


def _remove_boilerplate(blocks: list[Block], rules: LineRules) -> tuple[list[Block], list[str]]:
    """Blocks without boilerplate, and the texts dropped, in order (the user's rules first)."""
    kept: list[Block] = []
    dropped: list[str] = []
    for block in blocks:
        verdict = rules.verdict(block.text)
        if verdict is not None:
            if verdict == "keep":
                kept.append(block)
            else:
                dropped.append(block.text)
            continue
        rule = boilerplate_rule(block.text)
        if rule or is_section_break(block.text):
            log.debug("boilerplate (%s): %r", rule or "section break", block.text)
            dropped.append(block.text)
        else:
            kept.append(block)
    return kept, dropped


PULL_QUOTE_MIN_WORDS = 4
"""Shorter block quotes are never taken for pull quotes: a "Yes." may well occur in the text."""


def _words_key(text: str) -> str:
    """The text's words, case-folded, one space apart: punctuation and marks left out."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _drop_pull_quotes(blocks: list[Block]) -> tuple[list[Block], list[str]]:
    """Blocks without the block quotes that repeat the article's own text, and those dropped.

    A pull quote (a sentence of the article set large beside it) is site chrome: it is read
    where it stands in the text, not twice. A quoted block whose words stand, in order, in
    another paragraph, list item or block quote is one; of two equal block quotes the first
    is kept. Fails for an article that quotes the same words again on purpose; the block
    quote is then read once, where the text quotes them.
    """
    keys = [_words_key(block.text) if block.kind != "heading" else "" for block in blocks]

    def repeats(i: int) -> bool:
        key = keys[i]
        return len(key.split()) >= PULL_QUOTE_MIN_WORDS and any(
            f" {key} " in f" {other} " and (other != key or j < i or not blocks[j].quoted)
            for j, other in enumerate(keys)
            if j != i
        )

    kept: list[Block] = []
    dropped: list[str] = []
    for i, block in enumerate(blocks):
        if block.quoted and repeats(i):
            log.debug("pull quote (repeats the text): %r", block.text)
            dropped.append(block.text)
        else:
            kept.append(block)
    return kept, dropped


def _take_leading_metadata(blocks: list[Block], draft: Draft) -> list[Block]:
    """Turn datelines and bylines among the first blocks into metadata."""
    kept: list[Block] = []
    for index, block in enumerate(blocks):
        if index < LEADING_METADATA_BLOCKS and block.kind != "list_item" and not block.quoted:
            date = parse_dateline(block.text)
            byline = parse_byline(block.text)
            if byline is not None:
                date = date or byline.published
                draft.author = draft.author or byline.author
            if date is not None or byline is not None:
                draft.published = draft.published or date
                draft.dropped.append(block.text)
                continue
        kept.append(block)
    return kept


def _describe(blocks: list[Block]) -> str:
    """The first paragraph, cut at a word boundary."""
    first = next((b.text for b in blocks if b.kind != "heading"), "")
    if len(first) <= DESCRIPTION_MAX:
        return first
    return first[:DESCRIPTION_MAX].rsplit(" ", 1)[0] + "…"


def _title_from_stem(path: Path) -> str:
    """A title from the file's name: ``04_wikinews_interview.txt`` → "wikinews interview".

    A leading date or zero-padded number (``2024-05-01-``, ``04_``: what static-site
    generators and people numbering their files put first) orders files, it is not part of
    the title; ``101_dalmatians`` and ``3-body-problem`` keep theirs."""
    stem = re.sub(r"^(?:\d{4}[-_.]\d{1,2}[-_.]\d{1,2}|0\d{1,3})[-_. ]+(?=\D)", "", path.stem)
    words = re.sub(r"[_-]+", " ", stem).split()
    return " ".join(words) or path.stem


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """Lowercase ASCII words joined by '-', at most ``max_length`` characters.

    Safe as a file name everywhere (no separators, dots, reserved device names)
    and in URLs. Returns '' when ``text`` has no letters or digits.
    """
    words = re.findall(r"[a-z0-9]+", anyascii(text).lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][:max_length]
    if slug in WINDOWS_RESERVED:
        slug += "-article"
    return slug
