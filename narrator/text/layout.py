"""Plain-text layout: which line breaks are paragraph breaks, and which lines are page furniture.

People bring plain text in several layouts, and a newline means something different
in each:

* blank-line paragraphs (the usual case);
* hard-wrapped text (e-mail, Gutenberg, the Congressional Record, PDF extracts): a
  newline inside a paragraph is only the end of a line of fixed width, and a word may
  be hyphenated across it;
* paragraphs marked only by an indent, without blank lines;
* one paragraph per line, without blank lines (e-mails and text copied from apps);
* lists of short lines (menus and other site chrome copied with a web page);
* e-mail quoting: lines prefixed with ``>`` (``> >`` nested) are a block quotation,
  laid out by the same rules once the prefixes are off.

Indented blocks are not taken for block quotations: an indent already marks a
paragraph's first line, a centred heading, or a whole file set in from the margin.

:func:`split_units` tells these apart per blank-line block, by the *shape* of its
lines (their lengths against the block's width, their indents, their last
character), and returns :class:`Unit` s: one paragraph, heading or chrome line each.
:func:`remove_page_furniture` then drops page numbers, bracketed page markers and
running heads, and joins a paragraph that a page break cut in two.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

__all__ = [
    "SENTENCE_END",
    "Unit",
    "ends_sentence",
    "is_page_furniture",
    "remove_page_furniture",
    "split_units",
]

SENTENCE_END = tuple(".!?:;…")
"""Characters a line of running prose (or a sentence-like chrome line) ends with."""
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")


def ends_sentence(text: str) -> bool:
    """The text ends with sentence punctuation, perhaps followed by closing quotes or brackets.

    A closing quote alone does not end a sentence: ``… in 'quasi-state of war'`` is a
    headline."""
    return bool(_SENTENCE_END.search(text.rstrip()))


WRAP_MIN_WIDTH = 40
"""Narrower blocks are never hard-wrapped prose: nobody wraps text at 30 columns.

Fails for verse or very narrow newspaper columns, which are read line by line."""
WRAP_MAX_WIDTH = 100
"""Wider lines are never wrapped: a line of 300 characters is a paragraph of its own.

Fails for text wrapped at more than 100 columns (rare), which is read one line per paragraph."""
FULL_LINE = 0.6
"""A wrapped line fills at least this share of the block's width (the last line excepted)."""
WRAPPED_SHARE = 0.7
"""A block is hard-wrapped when at least this share of its lines (the last excepted) are full."""
SENTENCE_LINES_SHARE = 0.6
"""A block most of whose lines end a sentence is one paragraph per line, however even its
lines: in wrapped prose only about one line in five ends a sentence."""
INDENT_STEP = 2
"""A line indented this much more than the block's least-indented line opens a paragraph."""
CENTRED_INDENT = 6
"""Lines indented this far in a block whose lines are all indented are centred (headings)."""
RUNNING_HEAD_REPEATS = 3
"""A short line seen this often in one file is a running head or footer (PDF extracts).

Fails for a short refrain an author repeats three times as its own paragraph ("Yes."):
only lines without sentence punctuation count, so a repeated sentence is kept."""
RUNNING_HEAD_WORDS = 8
LISTED_WORDS = 12
"""Lines of at most this many words without sentence punctuation (nor a comma, as in "Hi
everyone,") are list or menu lines; a block mostly made of them is a menu."""

_HYPHEN_END = re.compile(r"[^\W\d_]-$")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?(?:\s*[-–—])?$", re.IGNORECASE
)
_PAGE_MARKER = re.compile(r"^\[{1,2}\s*(?:page|p\.|pg\.?)\s*[\w.-]{1,12}\s*\]{1,2}$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*[•◦▪‣*+-]\s+(?=\S)")
_QUOTED = re.compile(r"^[ \t]{0,3}>(?=[ \t>]|$)")
_QUOTE_PREFIX = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")
_WORD = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class Unit:
    """One paragraph-sized piece of a plain-text file, with the shape signals it came with."""

    text: str
    """The text, lines joined (hyphenation at line ends undone), whitespace as in the file."""
    block: int
    """Index of the blank-line block it came from (units of one block share it)."""
    lines: int = 1
    """How many source lines it spans."""
    listed: bool = False
    """It is one line of a block of short separate lines (a menu, a list of links)."""
    indented: bool = False
    """It is indented or centred in the file."""
    quoted: bool = False
    """Its lines are quoted e-mail style (``> …``), prefixes removed: a block quotation."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _blocks(text: str) -> list[list[str]]:
    """Blank-line (or form-feed) separated blocks, each as its lines (right-stripped)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.replace("\f", "\n\n").expandtabs(4).split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _is_wrapped(lines: list[str]) -> bool:
    """Whether the block's line ends are mostly the ends of fixed-width lines.

    A wrapped line is nearly as long as the block's longest line; a list of menu
    entries or a one-paragraph-per-line text is not; and few wrapped lines end a
    sentence. Fails for a two-line block whose first line, not ending a sentence,
    happens to be as long as the second; such a block reads as one paragraph.
    """
    width = max(len(line.strip()) for line in lines)
    if len(lines) < 2 or not WRAP_MIN_WIDTH <= width <= WRAP_MAX_WIDTH:
        return False
    full = sum(len(line.strip()) >= FULL_LINE * width for line in lines[:-1])
    ends = sum(ends_sentence(line) for line in lines[:-1])
    if ends >= SENTENCE_LINES_SHARE * (len(lines) - 1):
        return False  # one paragraph per line that happens to fit the width (an e-mail)
    return full >= WRAPPED_SHARE * (len(lines) - 1)


def _join(lines: list[str]) -> str:
    """Wrapped lines as one paragraph; a word hyphenated across a line end is joined.

    Only a hyphen between letters, before a lower-case letter, is a break (``borr-`` /
    ``owers``). Fails for a compound that happens to be split at its own hyphen
    (``student-`` / ``loan`` becomes ``studentloan``), which is rarer in wrapped text.
    """
    text = lines[0].strip()
    for line in lines[1:]:
        nxt = line.strip()
        if _HYPHEN_END.search(text) and nxt[:1].islower():
            text = text[:-1] + nxt
        else:
            text = f"{text}\n{nxt}"
    return text


def _wrapped_units(lines: list[str], block: int) -> list[Unit]:
    """Split a wrapped block at indented lines and after short lines that end a sentence."""
    width = max(len(line.strip()) for line in lines)
    base = min(_indent(line) for line in lines)
    units: list[Unit] = []
    current: list[str] = []
    for i, line in enumerate(lines):
        indented = _indent(line) >= base + INDENT_STEP
        if current and (indented or _BULLET.match(line)):
            units.append(Unit(_join(current), block, len(current)))
            current = []
        current.append(line)
        short_end = len(line.strip()) < FULL_LINE * width and ends_sentence(line)
        if short_end and i + 1 < len(lines):
            units.append(Unit(_join(current), block, len(current)))
            current = []
    if current:
        units.append(Unit(_join(current), block, len(current)))
    return units


def _quote_runs(text: str) -> list[tuple[str, bool]]:
    """The text in runs of lines, quoted (``>`` prefixes removed) or not, in order.

    A run of ``>`` lines without a word (``>>>`` separators in a transcript) is no quotation.
    """
    runs: list[tuple[list[str], bool]] = []
    for line in text.split("\n"):
        quoted = bool(_QUOTED.match(line))
        if not runs or runs[-1][1] != quoted:
            runs.append(([], quoted))
        runs[-1][0].append(line)
    return [
        ("\n".join(_QUOTE_PREFIX.sub("", line) for line in lines), True)
        if quoted and any(_WORD.search(line) for line in lines)
        else ("\n".join(lines), False)
        for lines, quoted in runs
    ]


def split_units(text: str) -> list[Unit]:
    """The file's paragraphs, headings and chrome lines, in order (see the module docstring)."""
    units: list[Unit] = []
    index = 0
    for run, quoted in _quote_runs(text):
        for lines in _blocks(run):
            block = _block_units(lines, index)
            units.extend([replace(unit, quoted=True) for unit in block] if quoted else block)
            index += 1
    return units


def _block_units(lines: list[str], index: int) -> list[Unit]:
    """The units of one blank-line block."""
    centred = all(_indent(line) >= CENTRED_INDENT for line in lines)
    if len(lines) == 1 or _BULLET.match(lines[0]):
        return [Unit("\n".join(lines), index, len(lines), indented=_indent(lines[0]) > 0)]
    if _is_wrapped(lines) and not centred:
        return _wrapped_units(lines, index)
    return _line_units(lines, index, centred)


def _line_units(lines: list[str], block: int, centred: bool) -> list[Unit]:
    """A block of separate lines: one unit per line, except where a sentence runs on.

    A line that does not end a sentence, followed by one that starts in lower case,
    continues into it (a narrow hand-wrapped paragraph); menus and one-paragraph-per-line
    text start each line with a capital. Fails for a menu of lower-case entries, whose
    entries then run together (still one chrome line).
    """
    groups: list[list[str]] = []
    for line in lines:
        if groups and not ends_sentence(groups[-1][-1]) and line.strip()[:1].islower():
            groups[-1].append(line)
        else:
            groups.append([line])
    short = sum(
        not ends_sentence(line) and not line.endswith(",") and len(line.split()) <= LISTED_WORDS
        for line in lines
    )
    listed = not centred and len(groups) >= 2 and 2 * short >= len(lines)
    return [
        Unit(_join(group), block, len(group), listed=listed, indented=_indent(group[0]) > 0)
        for group in groups
    ]


def is_page_furniture(text: str) -> bool:
    """A bare page number (``12``, ``- 12 -``, ``Page 3 of 10``) or marker (``[[Page H2382]]``)."""
    stripped = text.strip()
    return bool(_PAGE_NUMBER.match(stripped) or _PAGE_MARKER.match(stripped))


def remove_page_furniture(units: list[Unit]) -> tuple[list[Unit], list[str]]:
    """Units without page numbers, page markers and running heads; and the lines dropped.

    A running head is a short line without sentence punctuation that recurs
    :data:`RUNNING_HEAD_REPEATS` times (twice in a file with page numbers) on its own
    (lines of menus do not count: a page title repeated in the site's table of contents
    is no running head). Where furniture
    stood between two pieces of one paragraph (the first does not end a sentence, the
    second starts in lower case), the pieces are joined again.
    """
    counts = Counter(" ".join(u.text.split()) for u in units if not u.listed)
    paginated = any(is_page_furniture(u.text) for u in units)
    repeats = RUNNING_HEAD_REPEATS - 1 if paginated else RUNNING_HEAD_REPEATS
    kept: list[Unit] = []
    dropped: list[str] = []
    cut = False
    for unit in units:
        flat = " ".join(unit.text.split())
        repeated = (
            counts[flat] >= repeats
            and len(flat.split()) <= RUNNING_HEAD_WORDS
            and not ends_sentence(flat)
        )
        if is_page_furniture(flat) or repeated:
            dropped.append(flat)
            cut = True
            continue
        if cut and kept and not ends_sentence(kept[-1].text) and unit.text.lstrip()[:1].islower():
            last = kept.pop()
            unit = Unit(
                _join([last.text, unit.text]),
                last.block,
                last.lines + unit.lines,
                quoted=last.quoted,
            )
        kept.append(unit)
        cut = False
    return kept, dropped
