"""Markdown reader: YAML front matter for metadata, markdown-it-py for the body.

markdown-it-py is CommonMark-compliant, so escapes (``\\###``), entities,
emphasis, hard wraps and links come out as the rendered text a reader sees;
link targets, images, raw HTML and code blocks are never spoken.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from narrator.errors import NarratorError
from narrator.models import BlockKind
from narrator.text.readers import Draft, clean_text

__all__ = ["read_markdown", "split_front_matter"]

log = logging.getLogger(__name__)

FRONT_MATTER = re.compile(
    r"\A(?:\ufeff)?---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S
)
TITLE_KEYS = ("title", "headline")
AUTHOR_KEYS = ("author", "authors", "byline", "creator")
DATE_KEYS = ("date", "published", "published_time", "pubdate", "created")
URL_KEYS = ("url", "source_url", "canonical_url", "link", "permalink")
DESCRIPTION_KEYS = ("description", "summary", "excerpt", "subtitle")
INLINE_TEXT = frozenset({"text", "code_inline"})
INLINE_SPACE = frozenset({"softbreak", "hardbreak"})
SKIPPED_BLOCKS = frozenset({"fence", "code_block", "html_block", "hr"})
"""Code, raw HTML and rules are not read aloud (table cells are skipped too: no paragraph)."""


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """The YAML front matter as a mapping (empty if none), and the Markdown after it."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group("yaml"))
    except yaml.YAMLError as exc:
        raise NarratorError(
            "invalid YAML front matter", hint=f"fix the block between the --- lines: {exc}"
        ) from exc
    if not isinstance(data, Mapping):
        return {}, text[match.end() :]
    return {str(key).lower(): value for key, value in data.items()}, text[match.end() :]


def _first(meta: Mapping[str, object], keys: Sequence[str]) -> object:
    return next((meta[key] for key in keys if meta.get(key) not in (None, "")), None)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(clean_text(str(item)) for item in value) or None
    if isinstance(value, Mapping):
        return _as_text(value.get("name"))
    return clean_text(str(value)) or None


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            log.debug("front matter date %r is not ISO 8601", value)
    return None


def _apply_front_matter(draft: Draft, meta: Mapping[str, object]) -> None:
    draft.title = _as_text(_first(meta, TITLE_KEYS)) or ""
    draft.author = _as_text(_first(meta, AUTHOR_KEYS))
    draft.published = _as_date(_first(meta, DATE_KEYS))
    draft.url = _as_text(_first(meta, URL_KEYS))
    draft.description = _as_text(_first(meta, DESCRIPTION_KEYS)) or ""


def inline_text(token: Token) -> str:
    """Rendered text of an inline token: markup, link targets, images and raw HTML removed."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in INLINE_TEXT:
            parts.append(child.content)
        elif child.type in INLINE_SPACE:
            parts.append(" ")
    return clean_text("".join(parts))


def _walk(tokens: Sequence[Token], draft: Draft) -> None:
    list_depth = 0
    pending: BlockKind | None = None
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif token.type == "heading_open":
            pending = "heading"
        elif token.type == "paragraph_open":
            pending = "list_item" if list_depth else "paragraph"
        elif token.type == "inline" and pending is not None:
            _add(draft, pending, token)
            pending = None
        elif token.type in SKIPPED_BLOCKS and token.content.strip():
            draft.dropped.append(clean_text(token.content))


def _add(draft: Draft, kind: BlockKind, token: Token) -> None:
    text = inline_text(token)
    if kind == "heading" and not draft.title and not draft.blocks:
        draft.title = text  # a leading heading is the title when front matter gives none
    elif kind == "heading" and text == draft.title and not draft.blocks:
        pass  # the title repeated as the first heading
    else:
        draft.add(kind, text)


def read_markdown(text: str) -> Draft:
    """Read a Markdown article with optional YAML front matter."""
    meta, body = split_front_matter(text)
    draft = Draft()
    _apply_front_matter(draft, meta)
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    _walk(parser.parse(body), draft)
    return draft
