"""HTML reader: trafilatura finds the article in the page chrome; lxml reads metadata.

trafilatura (chosen over readability-lxml after scoring both on the corpus) keeps
Wikipedia's h2-h4 section headings and lists, leaves out hatnotes, infoboxes,
captions, comments and widgets, and gives a small XML tree (head, p, list/item,
quote) that maps directly onto blocks; the paragraphs and items of a ``<blockquote>``
(its <quote>) are quoted blocks. What it leaves in that is never spoken
(``[edit]`` links, ``[1]`` citation markers, back matter such as "References")
is removed here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import lxml.etree as etree
import lxml.html
import trafilatura

from narrator.errors import NarratorError
from narrator.models import BlockKind
from narrator.text.readers import Draft, clean_text

__all__ = ["read_html", "strip_markers"]

log = logging.getLogger(__name__)

MARKERS = re.compile(
    r"\[(?:\d{1,3}|[a-z]|edit|note \d+|nb \d+|[a-z ]{3,30} needed|[a-z ]{2,30}\?)\]",
    re.IGNORECASE,
)
"""Wiki edit links and citation/cleanup markers: ``[edit]``, ``[12]``, ``[citation needed]``."""

BACK_MATTER = re.compile(
    r"^(see also|references|notes|footnotes|citations|sources|bibliography|further reading"
    r"|external links|related (articles|posts|stories))$",
    re.IGNORECASE,
)
"""Headings after which a page holds no more article text."""

TITLE_SUFFIX = re.compile(r"\s+[-–—|·:]\s+[^-–—|·:]{1,40}$")
"""A site-name suffix on a <title>: "… – The Riverside Ledger", "… - Wikipedia"."""

AUTHOR_XPATHS = (
    "//meta[@name='author']/@content",
    "//meta[@property='article:author']/@content",
    "//meta[@name='byl']/@content",
    "//*[@rel='author']//text()",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' byline ')]"
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' author ')]//text()",
)
DATE_XPATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//meta[@name='date' or @name='pubdate' or @name='publish-date' or @name='DC.date.issued']"
    "/@content",
    "//time[contains(concat(' ', normalize-space(@class), ' '), ' published ')]/@datetime",
    "//article//time/@datetime",
)
URL_XPATHS = ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content")
DESCRIPTION_XPATHS = (
    "//meta[@name='description']/@content",
    "//meta[@property='og:description']/@content",
)
LIST_TAGS = frozenset({"list", "item"})


def strip_markers(text: str) -> str:
    """Remove ``[edit]`` links and ``[1]``-style markers, then collapse whitespace."""
    return clean_text(MARKERS.sub("", text))


def _first(tree: lxml.html.HtmlElement, xpaths: tuple[str, ...]) -> str | None:
    for xpath in xpaths:
        for value in tree.xpath(xpath):
            text = clean_text(str(value))
            if text:
                return text
    return None


def _title(tree: lxml.html.HtmlElement) -> str:
    """<h1> (when there is exactly one), else og:title, else <title> minus a site suffix."""
    h1s = [clean_text(h.text_content()) for h in tree.iter("h1")]
    if len(h1s) == 1 and h1s[0]:
        return strip_markers(h1s[0])
    og = _first(tree, ("//meta[@property='og:title']/@content",))
    if og:
        return og
    title = _first(tree, ("//title//text()",)) or ""
    return TITLE_SUFFIX.sub("", title)


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        log.debug("page date %r is not ISO 8601", value)
        return None


_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")
"""The text is decoded already: its bytes are UTF-8 whatever the page's ``<meta charset>`` says."""


def _parse_page(text: str) -> lxml.html.HtmlElement:
    try:
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=_UTF8_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise NarratorError("cannot parse HTML", hint=str(exc)) from exc


def _extract(text: str) -> etree._Element | None:
    try:
        xml = trafilatura.extract(
            text,
            output_format="xml",
            include_comments=False,
            include_tables=False,
            include_images=False,
            favor_precision=True,
            deduplicate=False,
        )
    except Exception as exc:  # trafilatura has no exception family of its own
        raise NarratorError("cannot extract the article from the page", hint=str(exc)) from exc
    if not xml:
        return None
    return etree.fromstring(xml.encode("utf-8"))


def _element_text(element: etree._Element) -> str:
    """Text of an extracted element; <lb/> line breaks become spaces."""
    parts: list[str] = [element.text or ""]
    for child in element:
        parts.append(" " if child.tag == "lb" else _element_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _in_quote(element: etree._Element) -> bool:
    """The element stands inside a block quotation (``<blockquote>``, extracted as <quote>)."""
    return any(ancestor.tag == "quote" for ancestor in element.iterancestors())


def _walk(main: etree._Element, draft: Draft) -> None:
    for element in main.iter("head", "p", "item", "quote"):
        if element.tag == "quote" and not _bare_block_quote(element):
            continue  # an inline <q> is read with its paragraph; a <blockquote>'s own blocks below
        text = strip_markers(_element_text(element))
        if element.tag == "head":
            if BACK_MATTER.match(text):
                _drop_rest(element, draft)
                return
            if text != draft.title:
                draft.add("heading", text)
            continue
        if element.getparent() is not None and element.getparent().tag == "item":
            continue  # a paragraph inside a list item is read with the item
        kind: BlockKind = "list_item" if element.tag == "item" else "paragraph"
        draft.add(kind, text, quoted=element.tag == "quote" or _in_quote(element))


QUOTE_BLOCKS = frozenset({"p", "list", "head", "quote"})
"""Children that make a <quote> a container whose own blocks are read one by one."""


def _bare_block_quote(quote: etree._Element) -> bool:
    """A <quote> that is one paragraph itself: a ``<blockquote>`` without ``<p>``.

    trafilatura writes both ``<blockquote>`` and the inline ``<q>`` as <quote>; an inline one
    stands inside a paragraph, list item or heading. A block quote with paragraphs (or lists)
    gets them as children; text beside them (a ``<cite>`` or ``<footer>`` credit, an embedded
    post's "— Name (@handle) date") is not read, as before.
    """
    if any(ancestor.tag in ("p", "item", "head") for ancestor in quote.iterancestors()):
        return False
    return not any(child.tag in QUOTE_BLOCKS for child in quote)


def _drop_rest(start: etree._Element, draft: Draft) -> None:
    """Record the back-matter heading and everything after it as dropped."""
    draft.dropped.append(strip_markers(_element_text(start)))
    for element in start.itersiblings():
        text = strip_markers(_element_text(element))
        if text:
            draft.dropped.append(text)


def read_html(text: str) -> Draft:
    """Read the article in an HTML page.

    A snapshot's metadata (``narrator.web.snapshot``: what ``narrator add`` recorded when it
    fetched the page) wins over what the page's markup says: title, author, published and
    updated dates, canonical URL.
    """
    from narrator.web.snapshot import parse_header

    snapshot, text = parse_header(text)
    tree = _parse_page(text)
    draft = Draft(
        title=_title(tree),
        author=_first(tree, AUTHOR_XPATHS),
        published=_date(_first(tree, DATE_XPATHS)),
        url=_first(tree, URL_XPATHS),
        description=_first(tree, DESCRIPTION_XPATHS) or "",
    )
    if snapshot is not None:
        draft.title = clean_text(snapshot.title or "") or draft.title
        draft.author = snapshot.author or draft.author
        draft.published = _date(snapshot.published) or draft.published
        draft.url = snapshot.canonical_url or snapshot.final_url or draft.url
        draft.updated = _date(snapshot.updated)
        draft.url_key = snapshot.key
    extracted = _extract(text)
    main = extracted.find("main") if extracted is not None else None
    if main is None:
        log.debug("no article text found in the page")  # ingest reports "no article body"
        return draft
    _walk(main, draft)
    return draft
