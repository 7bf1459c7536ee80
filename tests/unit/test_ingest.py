"""Behaviour of narrator.text.ingest.read_article, checked against the real corpus."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from narrator.errors import NarratorError
from narrator.models import Article, Block
from narrator.text.chars import INVISIBLE
from narrator.text.ingest import read_article, slugify
from narrator.text.readers import clean_text
from tests.paths import CORPUS
from tests.paths import SAMPLE as SEED

FORMATS = {"text", "markdown", "html"}
"""Corpus formats whose reader is implemented."""


def _annotations() -> list[Any]:
    params = []
    for json_path in sorted(CORPUS.glob("*.json")):
        ann = json.loads(json_path.read_text(encoding="utf-8"))
        if ann.get("paragraph_count") and ann["format"] in FORMATS:
            params.append(pytest.param(ann, id=json_path.stem))
    return params


ANNOTATED = _annotations()


def _read(ann: dict[str, Any]) -> Article:
    return read_article(CORPUS / ann["file"])


def _norm(text: str) -> str:
    return clean_text(text)


def _body(article: Article, ann: dict[str, Any]) -> list[Block]:
    """Body blocks: not headings, not lines the annotation calls optional."""
    optional = {_norm(line) for line in ann.get("optional") or []}
    return [b for b in article.blocks if b.kind != "heading" and b.text not in optional]


def _strip_optional_label(text: str, ann: dict[str, Any]) -> str:
    """Remove a leading optional speaker label such as 'Wikinews:'."""
    for label in ann.get("optional") or []:
        if label.endswith(":") and text.startswith(label + " "):
            return text[len(label) + 1 :]
    return text


@pytest.mark.parametrize("ann", ANNOTATED)
def test_corpus_title_is_read(ann: dict[str, Any]) -> None:
    assert _read(ann).title == _norm(ann["title"])


@pytest.mark.parametrize("ann", ANNOTATED)
def test_corpus_paragraph_count_matches(ann: dict[str, Any]) -> None:
    assert len(_body(_read(ann), ann)) == ann["paragraph_count"]


@pytest.mark.parametrize("ann", ANNOTATED)
def test_corpus_paragraphs_start_in_order(ann: dict[str, Any]) -> None:
    body = [_strip_optional_label(b.text, ann) for b in _body(_read(ann), ann)]
    starts = [_norm(s) for s in ann["paragraph_starts"]]
    assert [text[: len(start)] for text, start in zip(body, starts, strict=True)] == starts


@pytest.mark.parametrize("ann", ANNOTATED)
def test_corpus_headings_are_found(ann: dict[str, Any]) -> None:
    headings = [b.text for b in _read(ann).blocks if b.kind == "heading"]
    optional = {_norm(line) for line in ann.get("optional") or []}
    expected = [_norm(h) for h in ann.get("headings") or []]
    assert [h for h in headings if h not in optional] == expected


@pytest.mark.parametrize("ann", ANNOTATED)
def test_corpus_list_items_are_marked(ann: dict[str, Any]) -> None:
    items = [b for b in _read(ann).blocks if b.kind == "list_item"]
    assert len(items) == ann.get("list_item_count", 0)


@pytest.mark.parametrize("ann", ANNOTATED)
def test_corpus_every_body_word_reaches_a_block(ann: dict[str, Any]) -> None:
    if "word_count_body" not in ann:
        pytest.skip("annotation gives no word count")
    body = [_strip_optional_label(b.text, ann) for b in _body(_read(ann), ann)]
    assert sum(len(text.split()) for text in body) == ann["word_count_body"]


def _spoken_boilerplate(article: Article, boilerplate: list[str]) -> list[str]:
    """Boilerplate strings found in blocks: short ones as whole blocks, long ones anywhere.

    This is the corpus README's scoring rule: "Print" or "Twitter" must not be matched
    inside an article sentence.
    """
    texts = [article.title, *(b.text for b in article.blocks)]
    found = []
    for item in map(_norm, boilerplate):
        short = len(item.split()) <= 3  # "Print", "Reply": only as whole blocks
        if (item in texts) if short else any(item in text for text in texts):
            found.append(item)
    return found


@pytest.mark.parametrize("ann", ANNOTATED)
def test_corpus_boilerplate_is_never_in_a_block(ann: dict[str, Any]) -> None:
    assert _spoken_boilerplate(_read(ann), ann.get("boilerplate") or []) == []


@pytest.mark.parametrize("ann", ANNOTATED)
def test_corpus_title_is_not_repeated_in_the_body(ann: dict[str, Any]) -> None:
    article = _read(ann)
    assert all(b.text != article.title for b in article.blocks)


def test_dateline_becomes_the_published_date() -> None:
    article = read_article(CORPUS / "02_wikinews_north_korea_quasi_war.txt")
    assert article.published == dt.date(2015, 8, 21)
    assert "Friday, August 21, 2015" in article.dropped


def test_latin1_file_keeps_its_accents() -> None:
    article = read_article(CORPUS / "93_latin1_street_charleston.txt")
    text = " ".join(b.text for b in article.blocks)
    assert "Legaré" in text
    assert "\ufffd" not in text
    assert article.title == "HISTORY AND ARISTOCRACY"


def test_title_only_file_is_an_error_naming_it() -> None:
    path = CORPUS / "94_title_only.txt"
    with pytest.raises(NarratorError, match="no article body") as info:
        read_article(path)
    assert info.value.path == path
    assert str(path) in str(info.value)


def test_seed_drops_appeal_and_comment_form_and_keeps_the_rest() -> None:
    article = read_article(SEED)
    assert article.dropped == (
        "The Independent employs reporters around the world to bring you truly independent "
        "journalism. To support us, please consider a contribution.",
        "Leave a Reply",
        "Your email address will not be published.",
    )
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    assert len(article.blocks) == len(paragraphs) - 1 - len(article.dropped)
    assert article.blocks[0].text == "In Minsk today, it was a tale of two rallies."
    assert article.blocks[-1].text.startswith("But the Kremlin will have been watching")


# --- plain text: structure ---------------------------------------------------------------


def _write(tmp_path: Path, text: str | bytes, name: str = "article.txt") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _blocks(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in read_article(_write(tmp_path, text)).blocks]


def test_hard_wrapped_lines_join_into_one_paragraph(tmp_path: Path) -> None:
    text = "Title\n\nOne paragraph that\nwraps over\nthree lines.\n\nA second one.\n"
    assert _blocks(tmp_path, text) == [
        ("paragraph", "One paragraph that wraps over three lines."),
        ("paragraph", "A second one."),
    ]


def test_short_bare_line_is_a_heading_but_a_sentence_is_not(tmp_path: Path) -> None:
    text = "Title\n\nIntro sentence.\n\nGetting there\n\nTake the train.\n"
    assert _blocks(tmp_path, text) == [
        ("paragraph", "Intro sentence."),
        ("heading", "Getting there"),
        ("paragraph", "Take the train."),
    ]


def test_long_unpunctuated_standfirst_is_not_a_heading(tmp_path: Path) -> None:
    line = "New prices are expected to save millions of people a great deal of money this year"
    assert _blocks(tmp_path, f"Title\n\n{line}\n\nBody.\n")[0] == ("paragraph", line)


@pytest.mark.parametrize("mark", ["•", "-", "*"])
def test_bullet_lines_become_list_items(tmp_path: Path, mark: str) -> None:
    text = f"Title\n\nWe found:\n\n{mark} first item\n{mark} second item\n  wrapped\n"
    assert _blocks(tmp_path, text)[1:] == [
        ("list_item", "first item"),
        ("list_item", "second item wrapped"),
    ]


@pytest.mark.parametrize("mark", ["* * *", "*       *       *", "###", "---"])
def test_section_breaks_and_end_marks_are_dropped_and_recorded(tmp_path: Path, mark: str) -> None:
    article = read_article(_write(tmp_path, f"Title\n\nBefore.\n\n{mark}\n\nAfter.\n"))
    assert [b.text for b in article.blocks] == ["Before.", "After."]
    assert article.dropped == (clean_text(mark),)


def test_chapter_label_above_the_title_is_not_the_title(tmp_path: Path) -> None:
    article = read_article(_write(tmp_path, "CHAPTER XII\n\nTHE TOWN\n\nIt rained.\n"))
    assert article.title == "THE TOWN"
    assert article.dropped == ("CHAPTER XII",)


def test_byline_sets_author_and_date(tmp_path: Path) -> None:
    text = "Title\n\nPosted on September 22, 2015 by newsdesk\n\nBody text.\n"
    article = read_article(_write(tmp_path, text))
    assert (article.author, article.published) == ("newsdesk", dt.date(2015, 9, 22))
    assert [b.text for b in article.blocks] == ["Body text."]


def test_date_inside_the_body_is_kept(tmp_path: Path) -> None:
    text = "Title\n\nOne.\n\nTwo.\n\nThree.\n\nMonday, March 27, 2006\n"
    assert _blocks(tmp_path, text)[-1][1] == "Monday, March 27, 2006"


def test_invisible_characters_and_nbsp_leave_plain_words(tmp_path: Path) -> None:
    article = read_article(_write(tmp_path, "Biden-\u2060Harris of\u00a0Americans\n\nBody.\n"))
    assert article.title == "Biden-Harris of Americans"


@pytest.mark.parametrize("char", list(INVISIBLE), ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_each_invisible_character_joins_the_word_it_splits(tmp_path: Path, char: str) -> None:
    article = read_article(_write(tmp_path, f"Gda{char}nsk\n\nBody{char} text.\n"))
    assert (article.title, article.blocks[0].text) == ("Gdansk", "Body text.")


@pytest.mark.parametrize(
    ("line", "published"),
    [
        ("Sept. 22, 2015", dt.date(2015, 9, 22)),
        ("Sep 22, 2015", dt.date(2015, 9, 22)),
        ("22 DECEMBER 2015", dt.date(2015, 12, 22)),
        ("Posted on may 1, 2020 by desk", dt.date(2020, 5, 1)),
        ("Friday, Aug 21st, 2015", dt.date(2015, 8, 21)),
    ],
)
def test_datelines_read_every_month_spelling(tmp_path: Path, line: str, published: dt.date) -> None:
    article = read_article(_write(tmp_path, f"Title\n\n{line}\n\nBody text.\n"))
    assert article.published == published
    assert line in article.dropped


def test_description_defaults_to_the_first_paragraph(tmp_path: Path) -> None:
    article = read_article(_write(tmp_path, "Title\n\nHeading\n\nFirst words.\n\nMore.\n"))
    assert article.description == "First words."


def test_language_is_passed_through(tmp_path: Path) -> None:
    assert read_article(_write(tmp_path, "T\n\nB.\n"), language="pl").language == "pl"


# --- boilerplate ---------------------------------------------------------------------------

APPEALS = [
    pytest.param("Please consider making a donation to keep us going.", id="donation"),
    pytest.param("Support us: become a member today.", id="support-us"),
    pytest.param("Donate now", id="donate-now"),
    pytest.param("Sign up for our daily newsletter.", id="newsletter"),
    pytest.param("Subscribe to our podcast", id="subscribe"),
    pytest.param("Leave a Comment", id="leave-comment"),
    pytest.param(
        "Your email address will not be published. Required fields are marked *", id="email"
    ),
    pytest.param("Share this article", id="share"),
    pytest.param("Read more", id="read-more"),
    pytest.param("Continue reading", id="continue-reading"),
    pytest.param("Advertisement", id="advertisement"),
    pytest.param("Photo: Jane Doe / Reuters", id="photo-credit"),
    pytest.param("Image credit: NASA", id="image-credit"),
    pytest.param("Tina McKenzie. Image: Australian Paralympic Committee.", id="caption-credit"),
    pytest.param("Skip to main content", id="skip-link"),
    pytest.param("From Wikivoyage, the free travel guide", id="site-tagline"),
    pytest.param("This article is archived and can no longer be edited.", id="archive"),
    pytest.param("3 comments on “Title”", id="comment-count"),
    pytest.param("© 2024 Example News", id="copyright"),
    pytest.param("This site uses cookies.", id="cookies"),
]


@pytest.mark.parametrize("line", APPEALS)
def test_site_boilerplate_is_dropped_and_recorded(tmp_path: Path, line: str) -> None:
    article = read_article(_write(tmp_path, f"Title\n\nReal text.\n\n{line}\n\nMore text.\n"))
    assert [b.text for b in article.blocks] == ["Real text.", "More text."]
    assert article.dropped == (line,)


KEPT = [
    pytest.param(
        "The charity asked residents to donate blankets, and within a week the hall was full of "
        "them, stacked to the ceiling by volunteers who had come from every part of the county.",
        id="donate-in-a-long-sentence",
    ),
    pytest.param("Readers were asked to subscribe.", id="subscribe-short-sentence-kept"),
    pytest.param("Photography was banned in the hall.", id="photo-word"),
    pytest.param("Share prices fell 3% on Monday.", id="share-prices"),
]


@pytest.mark.parametrize("line", KEPT)
def test_article_sentences_that_mention_furniture_words_are_kept(tmp_path: Path, line: str) -> None:
    article = read_article(_write(tmp_path, f"Title\n\n{line}\n\nMore text.\n"))
    assert article.blocks[0].text == line
    assert article.dropped == ()


# --- decoding ------------------------------------------------------------------------------

ENCODED = [
    pytest.param(codecs.BOM_UTF8 + "Café\n\nNaïve text.\n".encode(), id="utf8-bom"),
    pytest.param("Café\r\n\r\nNaïve\r\ntext.\r\n".encode(), id="crlf"),
    pytest.param("Café\r\rNaïve\rtext.\r".encode(), id="old-mac-cr"),
    pytest.param("Café\n\nNaïve text.\n".encode("cp1252"), id="cp1252"),
    pytest.param("Café\n\nNaïve text.\n".encode("utf-16"), id="utf16-bom"),
]


@pytest.mark.parametrize("data", ENCODED)
def test_encodings_and_line_endings_decode_to_the_same_article(tmp_path: Path, data: bytes) -> None:
    article = read_article(_write(tmp_path, data))
    assert (article.title, [b.text for b in article.blocks]) == ("Café", ["Naïve text."])


def test_cp1252_quotes_decode_as_curly_quotes(tmp_path: Path) -> None:
    article = read_article(_write(tmp_path, b"T\n\n\x93Hi,\x94 she said \x96 twice.\n"))
    assert article.blocks[0].text == "“Hi,” she said – twice."


# --- errors --------------------------------------------------------------------------------

ERRORS = [
    pytest.param("a.txt", b"", "empty", id="empty"),
    pytest.param("a.txt", b"  \n\t\r\n  ", "whitespace", id="whitespace-only"),
    pytest.param("a.txt", b"ab\x00cd\x00", "binary", id="nul-bytes"),
    pytest.param("a.txt", b"Just a headline\n\n\n", "no article body", id="title-only"),
    pytest.param("a.txt", b"Title\n\n* * *\n\n###\n", "no article body", id="only-breaks"),
    pytest.param("a.txt", b"Title\n\nHeading\n", "no article body", id="title-and-heading"),
    pytest.param("a.txt", b"Title\n\n\x81\x8d\x8f\n", "cannot decode", id="undecodable"),
    pytest.param("a.pdf", b"%PDF-1.4", "unsupported file type '.pdf'", id="pdf"),
    pytest.param("README", b"Title\n\nBody.\n", "unsupported file type", id="no-extension"),
]


@pytest.mark.parametrize(("name", "data", "message"), ERRORS)
def test_bad_input_is_a_narrator_error_naming_the_file(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = _write(tmp_path, data, name)
    with pytest.raises(NarratorError, match=re.escape(message)) as info:
        read_article(path)
    assert info.value.path == path
    assert info.value.hint


def test_missing_file_is_a_narrator_error(tmp_path: Path) -> None:
    with pytest.raises(NarratorError, match="file not found"):
        read_article(tmp_path / "nope.txt")


def test_folder_is_a_narrator_error(tmp_path: Path) -> None:
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(NarratorError, match="folder"):
        read_article(folder)


# --- slugs ---------------------------------------------------------------------------------

SLUGS = [
    pytest.param("Łódź", "lodz", id="transliterated"),
    pytest.param("North Korea puts military in 'quasi-state of war'", None, id="quotes"),
    pytest.param("Москва — столица", "moskva-stolitsa", id="cyrillic"),
    pytest.param("CON", "con-article", id="windows-reserved"),
]


@pytest.mark.parametrize(("title", "expected"), SLUGS)
def test_slug_is_lowercase_ascii_words(title: str, expected: str | None) -> None:
    slug = slugify(title)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    if expected is not None:
        assert slug == expected


def test_hostile_title_gives_a_safe_slug(tmp_path: Path) -> None:
    title = '../../etc/passwd & <script>alert(1)</script> "Q3" | *?:'
    article = read_article(_write(tmp_path, f"{title}\n\nBody.\n"))
    assert article.slug == "etc-passwd-script-alert-1-script-q3"


def test_long_title_slug_is_cut_at_a_word(tmp_path: Path) -> None:
    slug = slugify("word " * 40)
    assert len(slug) <= 60
    assert slug.endswith("word")


def test_title_without_letters_falls_back_to_file_stem(tmp_path: Path) -> None:
    article = read_article(_write(tmp_path, "!!! ???\n\nBody.\n", "My Story.txt"))
    assert article.slug == "my-story"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("04_harbour_report.txt", "harbour report"),
        ("2024-05-01-harbour-report.txt", "harbour report"),
        ("101_dalmatians.txt", "101 dalmatians"),
        ("3-body-problem.txt", "3 body problem"),
    ],
)
def test_a_file_names_order_number_is_not_part_of_its_title(
    tmp_path: Path, name: str, title: str
) -> None:
    body = "The harbour was quiet by midnight.\n\nThe boats came in at dawn.\n"
    article = read_article(_write(tmp_path, body, name.replace(".txt", ".md")))
    assert article.title == title


def test_a_sentence_that_mentions_an_image_is_not_a_credit(tmp_path: Path) -> None:
    text = "Title\n\nThe team won. Image: that was how the coach put it to the crowd.\n\nMore.\n"
    article = read_article(_write(tmp_path, text))
    assert article.dropped == ()


# --- Markdown ------------------------------------------------------------------------------

MD_ARTICLE = """---
title: "Rail\\_Plan \\u2060Approved"
author: Jane Doe
date: 2023-04-05
url: https://example.org/rail
---

# Rail Plan Approved

The **council** approved the [rail plan](https://example.org/very/long/link) on
*Tuesday* &amp; said &ldquo;yes&rdquo;.

## Costs

- First item with `code`
- Second item

> A quoted paragraph.

```
print("never spoken")
```

<div class="ad">Advertisement</div>

\\###
"""


def _md(tmp_path: Path, text: str = MD_ARTICLE) -> Article:
    return read_article(_write(tmp_path, text, "article.md"))


def test_markdown_front_matter_gives_metadata(tmp_path: Path) -> None:
    article = _md(tmp_path)
    assert (article.title, article.author, article.published, article.url) == (
        "Rail Plan Approved",
        "Jane Doe",
        dt.date(2023, 4, 5),
        "https://example.org/rail",
    )


def test_markdown_renders_text_without_markup_or_link_targets(tmp_path: Path) -> None:
    assert [(b.kind, b.text) for b in _md(tmp_path).blocks] == [
        ("paragraph", "The council approved the rail plan on Tuesday & said “yes”."),
        ("heading", "Costs"),
        ("list_item", "First item with code"),
        ("list_item", "Second item"),
        ("paragraph", "A quoted paragraph."),
    ]


def test_markdown_code_html_and_escaped_end_mark_are_not_spoken(tmp_path: Path) -> None:
    dropped = _md(tmp_path).dropped
    assert "###" in dropped
    assert any("never spoken" in line for line in dropped)


def test_markdown_first_heading_is_the_title_without_front_matter(tmp_path: Path) -> None:
    article = _md(tmp_path, "# Isfahan\n\nA city.\n\n## See\n\nSquares.\n")
    assert article.title == "Isfahan"
    assert [b.text for b in article.blocks] == ["A city.", "See", "Squares."]


def test_markdown_invalid_front_matter_is_a_narrator_error(tmp_path: Path) -> None:
    with pytest.raises(NarratorError, match="front matter") as info:
        _md(tmp_path, "---\ntitle: [unclosed\n---\n\nBody.\n")
    assert info.value.path == tmp_path / "article.md"


def test_markdown_title_only_has_no_body(tmp_path: Path) -> None:
    with pytest.raises(NarratorError, match="no article body"):
        _md(tmp_path, "---\ntitle: Only\n---\n\n# Only\n")


# --- HTML ----------------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html><head>
<title>Rail plan approved &#8211; The Example Gazette</title>
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2023-04-05T09:00:00+00:00">
<link rel="canonical" href="https://example.org/rail">
</head><body>
<a class="skip-link" href="#content">Skip to content</a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<article><h1>Rail plan approved</h1>
<div class="entry-content">
<p>The council approved the rail plan on Tuesday after a debate that lasted most of the
evening, with councillors from every ward speaking for and against it.[1]</p>
<h2>Costs[edit]</h2>
<p>The plan will cost &pound;5.3m over ten years, the council said[citation needed], and
will be paid for from the transport budget rather than from new borrowing.</p>
<figure><img src="a.jpg" alt="A train"><figcaption>Photo: John Smith</figcaption></figure>
<p>Work starts next spring, and the first trains are expected to run two years later, if the
contractors keep to the timetable that was agreed with the council last month.</p>
<h2>References</h2>
<ol><li>Minutes of the council meeting.</li></ol>
</div></article>
<footer><p>&copy; 2023 The Example Gazette</p></footer>
</body></html>
"""


def _html(tmp_path: Path, text: str = HTML_PAGE) -> Article:
    return read_article(_write(tmp_path, text, "page.html"))


def test_html_metadata_comes_from_meta_tags(tmp_path: Path) -> None:
    article = _html(tmp_path)
    assert (article.title, article.author, article.published, article.url) == (
        "Rail plan approved",
        "Jane Doe",
        dt.date(2023, 4, 5),
        "https://example.org/rail",
    )


def test_html_body_without_chrome_markers_captions_or_back_matter(tmp_path: Path) -> None:
    blocks = [(b.kind, b.text) for b in _html(tmp_path).blocks]
    assert [kind for kind, _ in blocks] == ["paragraph", "heading", "paragraph", "paragraph"]
    assert blocks[1] == ("heading", "Costs")
    assert blocks[0][1].endswith("speaking for and against it.")
    assert "£5.3m over ten years, the council said, and" in blocks[2][1]
    spoken = " ".join(text for _, text in blocks)
    for chrome in ("Skip to content", "Home", "Photo", "References", "Minutes", "©"):
        assert chrome not in spoken


BLOCKQUOTE_PAGE = """<html><head><title>Tram line</title></head><body><article><h1>Tram line</h1>
<p>The council met on Tuesday evening to debate the budget for the coming year, and the
members argued for three hours before the vote on the new tram line was taken.</p>
<blockquote class="pull-quote"><p>the members argued for three hours</p></blockquote>
<p>The mayor called it <q>a fine day for the city</q> and thanked the members for their work.</p>
<blockquote><p>We will:</p><ul><li>build the tracks by 2028;</li><li>run the trams by 2030.</li>
</ul></blockquote>
<blockquote><p>Yes.</p></blockquote>
<p>Work on the line starts next spring; the first trams are due two years later if the
contractors keep to the timetable. Yes.</p>
</article></body></html>
"""


def test_html_blockquote_blocks_are_quoted_and_a_pull_quote_is_dropped(tmp_path: Path) -> None:
    article = _html(tmp_path, BLOCKQUOTE_PAGE)
    assert [(b.kind, b.quoted, b.text[:26]) for b in article.blocks] == [
        ("paragraph", False, "The council met on Tuesday"),
        ("paragraph", False, "The mayor called it a fine"),  # an inline <q> is not a block
        ("paragraph", True, "We will:"),
        ("list_item", True, "build the tracks by 2028;"),
        ("list_item", True, "run the trams by 2030."),
        ("paragraph", True, "Yes."),  # too short to be taken for a pull quote
        ("paragraph", False, "Work on the line starts ne"),
    ]
    assert "the members argued for three hours" in article.dropped


def test_markdown_pull_quote_is_dropped_but_the_first_of_two_equal_quotes_kept(
    tmp_path: Path,
) -> None:
    text = (
        "# Tram line\n\nThe council met on Tuesday and argued for three hours.\n\n"
        "> argued for three hours\n\n> We will run the trams by 2030.\n\n"
        "The mayor spoke.\n\n> We will run the trams by 2030.\n"
    )
    article = _md(tmp_path, text)
    assert [(b.quoted, b.text) for b in article.blocks] == [
        (False, "The council met on Tuesday and argued for three hours."),
        (True, "We will run the trams by 2030."),
        (False, "The mayor spoke."),
    ]
    assert article.dropped[-2:] == ("argued for three hours", "We will run the trams by 2030.")


def test_html_title_tag_loses_its_site_suffix_when_there_is_no_h1(tmp_path: Path) -> None:
    page = HTML_PAGE.replace("<h1>Rail plan approved</h1>", "")
    assert _html(tmp_path, page).title == "Rail plan approved"


def test_html_page_without_article_text_has_no_body(tmp_path: Path) -> None:
    with pytest.raises(NarratorError, match="no article body"):
        _html(
            tmp_path, "<html><head><title>Empty</title></head><body><nav>Home</nav></body></html>"
        )


def test_html_in_a_declared_legacy_charset_reads_right(tmp_path: Path) -> None:
    body = (
        "Сегодня в Москве прошёл большой митинг, на который пришли тысячи людей "
        "из разных городов страны."
    )
    page = (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" '
        'content="text/html; charset=windows-1251"><title>Новости дня</title></head>'
        f"<body><article><h1>Новости дня</h1><p>{body}</p>"
        f"<p>Организаторы сказали, что «это только начало». {body}</p></article></body></html>"
    )
    path = tmp_path / "ru.html"
    path.write_bytes(page.encode("cp1251"))
    article = read_article(path)
    assert article.title == "Новости дня"
    assert article.blocks[0].text == body


def test_utf8_page_that_declares_latin1_stays_utf8(tmp_path: Path) -> None:
    body = "Café déjà vu: the naïve résumé was read aloud twice before the crowd went home."
    page = (
        '<html><head><meta charset="iso-8859-1"><title>Café notes</title></head>'
        f"<body><article><h1>Café notes</h1><p>{body}</p><p>{body}</p></article></body></html>"
    )
    path = tmp_path / "fr.html"
    path.write_bytes(page.encode("utf-8"))
    article = read_article(path)
    assert article.title == "Café notes"
    assert article.blocks[0].text == body
