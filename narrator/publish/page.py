"""Stage: the catalog of episodes → ``index.html``, a static listening page.

One self-contained file (CSS and script inline, no CDN, no build step) that
works from any web host, from ``narrator serve`` and from ``file://``: show art
and title, a subscribe link, and per episode (newest first) an audio player,
chapters that seek and a transcript that follows playback.

Chapters and transcript cues are rendered into the markup from the episode's
page data (``SLUG.page.json``, written by the build with the episode), so
nothing has to be fetched at run time (browsers refuse ``fetch`` from
``file://``). Every piece of text goes through
``html.escape`` exactly once; the script is allowed by its SHA-256 in a
Content-Security-Policy, so markup that slipped through could not run script.

A long archive is split into pages (``paginate``): ``index.html`` holds the newest
episodes, ``page-2.html``, ``page-3.html``… the older ones, each page at most
``PAGE_EPISODES`` episodes and about ``PAGE_BUDGET`` bytes of their markup, so the
first load stays small however many episodes there are (the feed lists them all).
Only each page's first player preloads its metadata (an MP3's tag carries the cover
art); the others load when played. With one page, the page is what it always was.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from narrator.build.atomic import write_if_changed
from narrator.models import Chapter, Cue, Show
from narrator.publish.catalog import Entry
from narrator.publish.durations import clock, cue_milliseconds, spoken_duration
from narrator.publish.feed import FEED_NAME, absolute

log = logging.getLogger(__name__)

PAGE_NAME = "index.html"
PAGE_EPISODES = 20
"""At most this many episodes on one page."""
PAGE_BUDGET = 250_000
"""A page takes no more episodes once their markup passes this many bytes (UTF-8): with
the style and script (9 KB), the cover (about 100 KB) and the first player's MP3 tag (the
cover again, and the transcript), a first load stays under 500 KB. One episode whose
transcript alone is longer still gets its page, whatever its size."""
_OLDER_PAGE = re.compile(r"page-(\d+)\.html")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
PAGE_DATA = "page"
"""The catalog entry's ``extras`` key of the episode's page data file (``to_page_data``)."""


@dataclass(frozen=True, slots=True)
class PageCue:
    """One transcript line on the page."""

    start: float
    end: float
    text: str
    """Plain text: escape it before use."""
    quote: bool = False


@dataclass(frozen=True, slots=True)
class PageChapter:
    """One chapter on the page."""

    start: float
    title: str


def _template(name: str) -> str:
    templates = resources.files("narrator.publish").joinpath("templates")
    return templates.joinpath(name).read_text(encoding="utf-8")


PAGE_DATA_VERSION = 1


def page_digest() -> str:
    """A hash of the page's templates (markup, style, script): a build compares it to know
    whether the pages it wrote last are still what it would write."""
    digest = hashlib.sha256()
    for name in ("index.html", "page.css", "page.js"):
        digest.update(_template(name).encode("utf-8") + b"\0")
    return digest.hexdigest()


def to_page_data(cues: Sequence[Cue], chapters: Sequence[Chapter]) -> str:
    """What the page shows of one episode besides its catalog entry, as compact JSON.

    Written beside the episode when it is built (``SLUG.page.json``), so that the
    page, which is rewritten for every episode on each build, reads plain data
    instead of parsing the WebVTT and chapters files made for players. The values
    are exactly what those files hold: cue times in whole milliseconds (as in the
    VTT), chapter starts rounded to the millisecond (as in ``.chapters.json``),
    cue text with whitespace collapsed; cues without text and chapters without a
    title are left out, as players would show nothing for them.
    """
    titled = [(round(c.start, 3), c.title.strip()) for c in chapters if c.title.strip()]
    doc = {
        "version": PAGE_DATA_VERSION,
        "chapters": sorted(titled, key=lambda chapter: chapter[0]),
        "cues": [
            [cue_milliseconds(c.start), cue_milliseconds(c.end), text, c.kind == "quote"]
            for c in cues
            if (text := " ".join(c.text.split()))
        ],
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def parse_page_data(text: str) -> tuple[list[PageChapter], list[PageCue]]:
    """The chapters and cues of a ``to_page_data`` document.

    Raises ``ValueError`` (or ``TypeError``, ``KeyError``) for a document of another
    version or shape, so that a damaged file leaves the episode's parts off the page
    rather than showing wrong ones.
    """
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("version") != PAGE_DATA_VERSION:
        raise ValueError(f"not page data version {PAGE_DATA_VERSION}")
    chapters = [PageChapter(float(start), str(title)) for start, title in doc["chapters"]]
    cues = [
        PageCue(start_ms / 1000, end_ms / 1000, str(text), bool(quote))
        for start_ms, end_ms, text, quote in doc["cues"]
    ]
    return chapters, cues


def _date(entry: Entry) -> tuple[str, str]:
    """(``"25 November 2026"``, ``"2026-11-25"``) for the episode's publication."""
    try:
        when = dt.datetime.fromisoformat(entry.first_published).date()
    except ValueError:
        return entry.first_published, entry.first_published
    return f"{when.day} {when:%B %Y}", when.isoformat()


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _href(path: str) -> str:
    """A relative link to a file in the output folder, escaped for an attribute."""
    return _e(quote(path))


def _companions(out_dir: Path, entry: Entry) -> tuple[list[PageChapter], list[PageCue]]:
    """The episode's chapters and cues from its page data file (none if it has none)."""
    data_file = entry.extras.get(PAGE_DATA)
    if not data_file:
        return [], []
    try:
        return parse_page_data((out_dir / data_file).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("%s: chapters and transcript left off the page (%s)", data_file, exc)
        return [], []


def page_name(number: int) -> str:
    """The file of page ``number`` (1: ``index.html``, the newest episodes)."""
    return PAGE_NAME if number == 1 else f"page-{number}.html"


def paginate(sizes: Sequence[int]) -> list[range]:
    """Split episodes (newest first, by the byte size of their markup) into pages: at most
    ``PAGE_EPISODES`` each, and no more once a page's markup passes ``PAGE_BUDGET``
    (a page always takes at least one episode)."""
    pages: list[range] = []
    start = used = 0
    for index, size in enumerate(sizes):
        if index > start and (index - start >= PAGE_EPISODES or used + size > PAGE_BUDGET):
            pages.append(range(start, index))
            start, used = index, 0
        used += size
    if sizes:
        pages.append(range(start, len(sizes)))
    return pages


def _nav(number: int, count: int) -> str:
    """Links to the newer and older pages (nothing when there is only one page)."""
    if count < 2:
        return ""
    links = []
    if number > 1:
        links.append(f'<a href="{page_name(number - 1)}" rel="prev">Newer episodes</a>')
    links.append(f"<span>Page {number} of {count}</span>")
    if number < count:
        links.append(f'<a href="{page_name(number + 1)}" rel="next">Older episodes</a>')
    return f'<nav class="links" aria-label="Pages of episodes">{" · ".join(links)}</nav>'


def _episode_html(
    entry: Entry,
    chapters: Sequence[PageChapter],
    cues: Sequence[PageCue],
    preload: str = "metadata",
) -> str:
    ident = "ep-" + re.sub(r"[^A-Za-z0-9_-]", "-", entry.slug)
    title = _e(entry.title)
    date_text, date_iso = _date(entry)
    duration_text, duration_iso = spoken_duration(entry.duration)
    out = [
        f'<article class="episode" id="{ident}" aria-labelledby="{ident}-title">',
        f'<h2 id="{ident}-title">{title}</h2>',
        f'<p class="meta"><time datetime="{_e(date_iso)}">{_e(date_text)}</time> · '
        f'<time datetime="{duration_iso}">{duration_text}</time></p>',
    ]
    if entry.description:
        out.append(f'<p class="description">{_e(entry.description)}</p>')
    out.append(
        f'<audio controls preload="{preload}" src="{_href(entry.file)}" '
        f'aria-label="{_e("Play: " + entry.title)}"></audio>'
    )
    out.append('<p class="now" aria-live="polite"></p>')
    if chapters or cues:
        out.append('<div class="parts">')
    if chapters:
        out += [
            f'<section class="chapters" aria-labelledby="{ident}-chapters">',
            f'<h3 id="{ident}-chapters">Chapters</h3>',
            "<ol>",
        ]
        for number, chapter in enumerate(chapters, 1):
            label = f"Play from {clock(chapter.start)}: chapter {number}, {chapter.title}"
            out.append(
                f'<li><button type="button" data-start="{chapter.start:.3f}" '
                f'data-title="{_e(chapter.title)}" aria-label="{_e(label)}">'
                f'<span class="time">{clock(chapter.start)}</span> '
                f"<span>{_e(chapter.title)}</span></button></li>"
            )
        out += ["</ol>", "</section>"]
    if cues:
        out += [
            f'<section class="transcript" aria-labelledby="{ident}-transcript">',
            '<div class="transcript-head">',
            f'<h3 id="{ident}-transcript">Transcript</h3>',
            '<label><input type="checkbox" class="follow" checked> Follow along</label>',
            "</div>",
            f'<div class="cues" role="region" tabindex="0" '
            f'aria-label="{_e("Transcript: " + entry.title)}">',
        ]
        for cue in cues:
            css = ' class="quote"' if cue.quote else ""
            out.append(
                f'<p{css} data-start="{cue.start:.3f}" data-end="{cue.end:.3f}">{_e(cue.text)}</p>'
            )
        out += ["</div>", "</section>"]
    if chapters or cues:
        out.append("</div>")
    links = [f'<a href="{_href(entry.file)}" download>Download MP3</a>']
    if "transcript_vtt" in entry.extras:
        links.append(f'<a href="{_href(entry.extras["transcript_vtt"])}">Transcript (WebVTT)</a>')
    if "transcript_srt" in entry.extras:
        links.append(f'<a href="{_href(entry.extras["transcript_srt"])}">Transcript (SRT)</a>')
    if entry.url and entry.url.startswith(("http://", "https://")):
        links.append(f'<a href="{_e(entry.url)}" rel="noopener">Original article</a>')
    out.append(f'<p class="links">{" · ".join(links)}</p>')
    out.append("</article>")
    return "\n".join(out)


def _fill(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{{name}}`` in one pass (a value that contains ``{{x}}`` stays as it is)."""

    def replace(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return _PLACEHOLDER.sub(replace, template)


def render_page(out_dir: Path, show: Show, entries: Sequence[Entry], cover_file: str | None) -> str:
    """The listening page for ``entries`` (newest first, as in the feed): its first page."""
    return render_pages(out_dir, show, entries, cover_file)[0]


def render_pages(
    out_dir: Path, show: Show, entries: Sequence[Entry], cover_file: str | None
) -> list[str]:
    """Every page of the listening page for ``entries`` (newest first, as in the feed):
    ``index.html`` first, then ``page-2.html``… (``paginate``)."""
    ordered = sorted(entries, key=lambda e: (e.first_published, e.slug), reverse=True)
    parts = [_companions(out_dir, e) for e in ordered]
    lazy = [_episode_html(e, *p, preload="none") for e, p in zip(ordered, parts, strict=True)]
    pages = paginate([len(markup.encode()) for markup in lazy]) or [range(0)]
    out = []
    for number, span in enumerate(pages, 1):
        episodes = [lazy[i] for i in span]
        if episodes:  # the first player of a page shows its length before it is played
            episodes[0] = _episode_html(ordered[span.start], *parts[span.start])
        if not episodes:
            episodes = ['<p class="empty">No episodes yet.</p>']
        nav = _nav(number, len(pages))
        out.append(_render(show, [*episodes, nav] if nav else episodes, cover_file))
    return out


def _render(show: Show, episodes: Sequence[str], cover_file: str | None) -> str:
    """One page: the show, the subscribe box and ``episodes`` (markup)."""
    script = _template("page.js")
    if "</script" in script.lower():
        raise ValueError("page.js must not contain '</script'")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    feed_href = absolute(show.base_url, FEED_NAME)
    cover = f'<img src="{_href(cover_file)}" alt="" width="144" height="144">' if cover_file else ""
    return _fill(
        _template("index.html"),
        {
            "lang": _e(show.language),
            "title": _e(show.title),
            "description": _e(show.description),
            "author": _e(show.author),
            "cover": cover,
            "icon": f'<link rel="icon" href="{_href(cover_file)}">\n' if cover_file else "",
            "feed_href": _e(feed_href),
            "feed_text": _e(feed_href),
            "episodes": "\n".join(episodes),
            "css": _template("page.css"),
            "js": script,
            "script_hash": f"'sha256-{digest}'",
        },
    )


def write_page(out_dir: Path, show: Show, entries: Sequence[Entry], cover_file: str | None) -> bool:
    """Write ``index.html`` and the older pages, each if its content changed, and delete
    older pages no longer needed; True if ``index.html`` was written."""
    pages = render_pages(out_dir, show, entries, cover_file)
    written = [
        write_if_changed(out_dir / page_name(number), page.encode("utf-8"))
        for number, page in enumerate(pages, 1)
    ]
    for path in out_dir.glob("page-*.html"):
        match = _OLDER_PAGE.fullmatch(path.name)
        if match and int(match.group(1)) > len(pages):
            path.unlink(missing_ok=True)
    return written[0]
