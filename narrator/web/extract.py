"""What a fetched page says about itself (trafilatura), and whether it holds an article.

The check runs before a snapshot is written, so a page that is no article (a home page, an
error page, a login wall) is refused with a reason instead of becoming an empty episode.
The login-wall check is by length only: an article shorter than :data:`MIN_ARTICLE_CHARS`
characters of text is taken for a stub ("subscribe to read"); a genuinely short news brief
is refused too, and a wall that pads its stub with the first paragraphs passes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from narrator.errors import NarratorError

__all__ = ["MIN_ARTICLE_CHARS", "PageInfo", "check_article", "page_info"]

log = logging.getLogger(__name__)

MIN_ARTICLE_CHARS = 300
"""Extracted article text shorter than this is a stub (login wall, teaser), not an article."""
NO_ARTICLE_CHARS = 80
"""Less text than this (a menu's words) without login words: there is no article at all."""
WALL_WORDS = re.compile(
    r"\b(subscribe|subscription|sign in|log ?in|register|paywall|members only)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class PageInfo:
    """The metadata trafilatura finds in a page (None where it finds nothing)."""

    title: str | None
    author: str | None
    site_name: str | None
    published: str | None
    """ISO date (``2015-09-22``)."""
    canonical_url: str | None
    description: str | None


def page_info(html: str, url: str) -> PageInfo:
    """Metadata of ``html`` fetched from ``url``: title, author, site, date, canonical URL.

    trafilatura's date finder (htmldate) may take a date from the text when the page states
    none in its markup (Wikipedia pages get a date from their body); the date is a guess there.
    """
    import trafilatura

    try:
        meta = trafilatura.extract_metadata(html, default_url=url, extensive=False)
    except Exception as exc:  # trafilatura has no exception family of its own
        log.debug("%s: no metadata (%s)", url, exc)
        return PageInfo(None, None, None, None, None, None)
    canonical = meta.url if meta.url and meta.url != url else None
    return PageInfo(
        title=meta.title or None,
        author=meta.author or None,
        site_name=meta.sitename or None,
        published=meta.date or None,
        canonical_url=canonical,
        description=meta.description or None,
    )


def check_article(html: str, url: str) -> int:
    """The length of the article text in ``html``; a NarratorError if there is none or a stub."""
    import trafilatura

    try:
        text = trafilatura.extract(html, url=url, favor_precision=True, deduplicate=False) or ""
    except Exception as exc:  # trafilatura has no exception family of its own
        raise NarratorError("cannot extract the article", path=url, hint=str(exc)) from exc
    length = len(" ".join(text.split()))
    wall = WALL_WORDS.search(text)
    if length < NO_ARTICLE_CHARS and wall is None:
        raise NarratorError(
            "no extractable article on the page",
            path=url,
            hint="link to the article itself, not a home or index page",
        )
    if length < MIN_ARTICLE_CHARS:
        raise NarratorError(
            f"only {length} characters of article text"
            + (f" (it says {wall.group(0)!r})" if wall else ""),
            path=url,
            hint="the page may need a login, or shows only a teaser; save it from a browser "
            "and add the file instead",
        )
    return length
