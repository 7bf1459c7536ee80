"""Markdown reader: front matter for metadata, markdown-it-py for the body.

markdown-it-py is CommonMark-compliant, so escapes (``\\###``), entities,
emphasis, hard wraps and links come out as the rendered text a reader sees;
link targets, images, raw HTML and code blocks are never spoken. The paragraphs of a
``>`` block quote are quoted blocks (a GitHub alert, ``> [!NOTE]``, is read as paragraphs).

Static-site generators add their own syntax, which CommonMark would read as text;
:func:`strip_template_syntax` removes it first: YAML (``---``) or TOML (``+++``)
front matter, Hugo shortcodes (``{{< … >}}``, ``{{% … %}}``), Liquid tags and output
(``{% … %}``, ``{{ … }}``), and MkDocs admonition markers (``!!! note "Title"``),
whose indented body is prose and is read.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tomllib
from collections.abc import Mapping, Sequence

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from narrator.errors import NarratorError
from narrator.models import BlockKind
from narrator.text.readers import Draft, clean_text

__all__ = ["read_markdown", "split_front_matter", "strip_template_syntax"]

log = logging.getLogger(__name__)

FRONT_MATTER = re.compile(
    r"\A(?:\ufeff)?---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S
)
TOML_FRONT_MATTER = re.compile(
    r"\A(?:\ufeff)?\+\+\+[ \t]*\n(?P<toml>.*?)\n\+\+\+[ \t]*(?:\n|\Z)", re.S
)
"""Hugo and Zola front matter in TOML, between ``+++`` lines."""
TITLE_KEYS = ("title", "headline")
AUTHOR_KEYS = ("author", "authors", "byline", "creator")
DATE_KEYS = ("date", "published", "published_time", "pubdate", "created")
URL_KEYS = ("url", "source_url", "canonical_url", "link", "permalink")
DESCRIPTION_KEYS = ("description", "summary", "excerpt", "subtitle")
INLINE_TEXT = frozenset({"text", "code_inline"})
INLINE_SPACE = frozenset({"softbreak", "hardbreak"})
CODE_QUOTES = re.compile(r"[\"'“”‘’]")
"""Quote marks inside inline code are code (``baseurl: "/myproject"``), never a quotation."""
SKIPPED_BLOCKS = frozenset({"fence", "code_block", "html_block", "hr"})
"""Code, raw HTML and rules are not read aloud (table cells are skipped too: no paragraph)."""


CODE_TAGS = re.compile(
    r"\{%-?\s*(?P<liquid>comment|highlight)\b.*?%\}.*?\{%-?\s*end(?P=liquid)\s*-?%\}"
    r"|\{\{[<%]\s*(?P<hugo>highlight|code|mermaid|math|katex)\b.*?[>%]\}\}.*?"
    r"\{\{[<%]\s*/(?P=hugo)\s*[>%]\}\}",
    re.S,
)
"""Paired template tags whose content is code or a comment: dropped with their content."""
TEMPLATE_TAG = re.compile(r"\{\{[<%].*?[>%]\}\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
"""A Hugo shortcode, Liquid tag or Liquid output: dropped, the text between a pair kept.

Hugo's note, notice and details shortcodes wrap prose, so the inner text of every other
paired shortcode is read. Fails for a site's own shortcode that wraps code or data; its
content is then read aloud (name it in ``[boilerplate] drop``)."""
ADMONITION = re.compile(
    r"^(?:(?:!!!|\?\?\?\+?)[ \t]*[\w-]+(?:[ \t]+\"[^\"\n]*\")?|===\+?[ \t]+\"[^\"\n]*\")[ \t]*$"
)
"""An MkDocs / Python-Markdown admonition (``!!! note "Title"``, ``??? tip``) or content tab
(``=== "Python"``) marker; its body is the indented lines below."""
MARKUP_LINE = re.compile(r"^[ \t]*(?:\{:[^}\n]*\}|\*\[[^\]\n]+\]:[^\n]*)[ \t]*$", re.M)
"""Lines that only configure the page: kramdown attribute lists (``{: .note}``, ``{:toc}``) and
abbreviation definitions (``*[HTML]: Hyper Text Markup Language``)."""


MARKDOWN_IN_HTML = re.compile(
    r"^[ \t]*<\w+\b[^>\n]*\bmarkdown=[\"']?(?:1|block|span)[\"']?[^>\n]*>[ \t]*$", re.M
)
"""An HTML tag on its own line whose content is Markdown (kramdown's ``markdown="1"``)."""
CLOSING_TAG_LINE = re.compile(r"^[ \t]*</\w+>[ \t]*$", re.M)
FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\](?!:)")
FOOTNOTE_DEF = re.compile(r"^[ \t]*\[\^[^\]\s]+\]:[ \t]*")
"""Footnote markers (``[^1]``) are not spoken; a footnote's text is read where it stands."""


def strip_template_syntax(body: str, dropped: list[str]) -> str:
    """The Markdown without generator syntax (see the module docstring); what went is recorded.

    Tags of HTML blocks marked ``markdown="1"`` go too, so the Markdown inside them (a
    pull quote in an ``<aside>``) is read; closing tags alone on a line are then dropped,
    which fails only for a raw HTML block whose closing tag stands alone in such a file
    (its text is then read, as CommonMark would show it).
    """

    def drop(match: re.Match[str]) -> str:
        dropped.append(clean_text(match.group()))
        return ""

    body = MARKUP_LINE.sub(drop, TEMPLATE_TAG.sub(drop, CODE_TAGS.sub(drop, body)))
    if MARKDOWN_IN_HTML.search(body):
        body = CLOSING_TAG_LINE.sub("", MARKDOWN_IN_HTML.sub("", body))
    return _unwrap_admonitions(FOOTNOTE_REF.sub("", body), dropped)


def _unwrap_admonitions(body: str, dropped: list[str]) -> str:
    """Drop each admonition marker (and footnote label) and dedent the indented body below it,
    so it reads as paragraphs rather than as a code block."""
    out: list[str] = []
    inside = False
    for line in body.split("\n"):
        footnote = FOOTNOTE_DEF.match(line)
        if ADMONITION.match(line) or footnote:
            dropped.append(line.strip() if not footnote else footnote.group().strip())
            out.extend(["", line[footnote.end() :]] if footnote else [""])
            inside = True
            continue
        if inside and line.strip() and not line.startswith(("    ", "\t")):
            inside = False
        if inside:
            line = line[4:] if line.startswith("    ") else line.removeprefix("\t")
        out.append(line)
    return "\n".join(out)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """The YAML or TOML front matter as a mapping (empty if none), and the Markdown after it."""
    toml_match = TOML_FRONT_MATTER.match(text)
    if toml_match:
        try:
            data = tomllib.loads(toml_match.group("toml"))
        except tomllib.TOMLDecodeError as exc:
            raise NarratorError(
                "invalid TOML front matter", hint=f"fix the block between the +++ lines: {exc}"
            ) from exc
        return {key.lower(): value for key, value in data.items()}, text[toml_match.end() :]
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
    if isinstance(value, list):  # authors: [a, b] or [{name: a}, …]
        return ", ".join(filter(None, (_as_text(item) for item in value))) or None
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


def _title_keys(meta: Mapping[str, object]) -> list[str]:
    """``title`` and ``headline`` first, then any key ending in "title" (``newstitle``, not
    ``subtitle``), as site generators name it."""
    others = [k for k in meta if k.endswith("title") and k not in TITLE_KEYS and "sub" not in k]
    return [*TITLE_KEYS, *others]


def _apply_front_matter(draft: Draft, meta: Mapping[str, object]) -> None:
    draft.title = _as_text(_first(meta, _title_keys(meta))) or ""
    draft.author = _as_text(_first(meta, AUTHOR_KEYS))
    draft.published = _as_date(_first(meta, DATE_KEYS))
    draft.url = _as_text(_first(meta, URL_KEYS))
    draft.description = _as_text(_first(meta, DESCRIPTION_KEYS)) or ""


def inline_text(token: Token) -> str:
    """Rendered text of an inline token: markup, link targets, images and raw HTML removed."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type == "code_inline":
            parts.append(CODE_QUOTES.sub("", child.content))
        elif child.type in INLINE_TEXT:
            parts.append(child.content)
        elif child.type in INLINE_SPACE:
            parts.append(" ")
    return clean_text("".join(parts))


def _walk(tokens: Sequence[Token], draft: Draft) -> None:
    list_depth = 0
    quotes: list[bool] = []  # the open block quotes, innermost last: True for a GitHub alert
    pending: BlockKind | None = None
    number = ""
    for at, token in enumerate(tokens):
        if token.type == "blockquote_open":
            quotes.append(_alert(tokens, at, draft))
        elif token.type == "blockquote_close":
            quotes.pop()
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif token.type == "list_item_open":
            # An ordered item's number is part of what a reader sees ("3. Restart it").
            number = f"{token.info}. " if token.info.isdigit() else ""
        elif token.type == "heading_open":
            pending = "heading"
        elif token.type == "paragraph_open":
            pending = "list_item" if list_depth else "paragraph"
            if not list_depth and not quotes and _bold_heading(tokens, at):
                pending = "heading"
        elif token.type == "inline" and pending is not None:
            quoted = bool(quotes) and not quotes[-1]  # in a block quote, not in a GitHub alert
            _add(draft, pending, token, number if pending == "list_item" else "", quoted)
            pending, number = None, ""
        elif token.type in SKIPPED_BLOCKS and token.content.strip():
            draft.dropped.append(clean_text(token.content))


ALERT = re.compile(r"^\[!(?:note|tip|important|warning|caution)\][ \t]*(?:\n|$)", re.IGNORECASE)
"""The first line of a GitHub alert (``> [!NOTE]``): an admonition written as a block quote."""


def _alert(tokens: Sequence[Token], at: int, draft: Draft) -> bool:
    """Whether the block quote opened at ``at`` is a GitHub alert, read as the article's own
    paragraphs; its ``[!NOTE]`` marker is taken out of the first paragraph and recorded."""
    first = tokens[at + 2] if at + 2 < len(tokens) else None
    if first is None or tokens[at + 1].type != "paragraph_open" or first.type != "inline":
        return False
    marker = ALERT.match(first.content)
    if marker is None:
        return False
    draft.dropped.append(marker.group().strip())
    children = list(first.children or [])
    if children and children[0].type == "text" and ALERT.match(children[0].content):
        children = children[1:]
        if children and children[0].type in INLINE_SPACE:
            children = children[1:]
    first.children = children
    return True


BOLD_HEADING_WORDS = 10


def _bold_heading(tokens: Sequence[Token], at: int) -> bool:
    """A paragraph that is one short bold phrase without final punctuation is a heading.

    (``__Popular MkDocs plugins__`` above a list.) Fails for a bold one-line paragraph
    meant as text, e.g. a short warning without a period; it is then read as a heading.
    """
    inline = tokens[at + 1] if at + 1 < len(tokens) else None
    children = [
        c
        for c in (inline.children or [] if inline else [])
        if c.type != "softbreak" and not (c.type == "text" and not c.content.strip())
    ]
    if (
        len(children) < 3
        or children[0].type != "strong_open"
        or children[-1].type != "strong_close"
    ):
        return False
    if any(c.type == "strong_open" for c in children[1:]):
        return False
    text = inline_text(inline) if inline else ""
    return 0 < len(text.split()) <= BOLD_HEADING_WORDS and not text.endswith((".", ":", "!", "?"))


def _add(
    draft: Draft, kind: BlockKind, token: Token, prefix: str = "", quoted: bool = False
) -> None:
    text = prefix + inline_text(token)
    if kind == "heading" and not draft.title and not draft.blocks and not quoted:
        draft.title = text  # a leading heading is the title when front matter gives none
    elif kind == "heading" and text == draft.title and not draft.blocks:
        pass  # the title repeated as the first heading
    else:
        draft.add(kind, text, quoted=quoted)


def read_markdown(text: str) -> Draft:
    """Read a Markdown article with optional YAML front matter."""
    meta, body = split_front_matter(text)
    draft = Draft()
    _apply_front_matter(draft, meta)
    body = strip_template_syntax(body, draft.dropped)
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    _walk(parser.parse(body), draft)
    return draft
