"""Score how narrator reads the annotated corpora: quotes, paragraphs, boilerplate, titles, speech.

    python bench/read_score.py [FOLDER ...] [--only REGEX] [-v]

Default folders: ``tests/data/corpus`` if present, else ``/work/shared/corpus``, plus
``tests/data/reading``. Every ``NN_*.json`` annotation (format: the corpus README) is
compared with what narrator really does with its input: ``read_article`` then
``segment_article``, and ``normalize`` for the speakable checks. Scores, as the README's
"Suggested scoring" defines them:

* **quotes**: recall of the annotated quotations (scare quotes optional) among the
  quote-voiced segments, and precision of those segments (each must be an annotated
  quotation, nested quote, scare quote or block quote: no quote voice leaking past a closing
  mark); the paragraphs of block quotations without marks (``block_quotes``) are counted
  apart, as ``block quotes`` found of annotated, so the mark-based recall stays comparable;
* **paragraphs**: the body blocks (headings left out, ``optional`` lines such as captions
  allowed as extras) match ``paragraph_count`` and ``paragraph_starts`` in order;
* **boilerplate**: lines of ``boilerplate`` that are spoken (the title included), matched as
  whole blocks, at the start or end of a block (two words or more), or verbatim inside a
  block (eight words or more); a chrome copy of the headline is the title, spoken once; plus
  strings of ``must_not_repeat`` spoken more than once;
* **title**: the article's title equals the annotated one (or, when that title occurs nowhere
  in the file, the file's name: no reader can announce it);
* **speakable**: the checks of ``bench/speakable_score.py`` (its ``judge``), against the
  normalised text of the block narrator really speaks that contains ``raw`` (letters beyond
  Latin-1 compared in ASCII too: narrator transliterates them on purpose).

Each folder is read as one batch (lines recurring across its plain-text files are chrome,
as in a build of the folder). Texts are compared in the checker's normalised form (lower
case, letters and digits only), after joining words hyphenated across a line end. Prints
one line per article, then totals overall and per ``kind``; exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from anyascii import anyascii

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speakable_score import judge, load_checker

from narrator.errors import NarratorError
from narrator.models import Article
from narrator.text.boilerplate import LineRules
from narrator.text.ingest import batch_rules, read_article
from narrator.text.normalize import normalize
from narrator.text.segment import segment_article

log = logging.getLogger("read_score")

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = Path("/work/shared/corpus")
SHORT_LINE_WORDS = 3
"""Boilerplate lines up to this many words leak only as a whole block (``Print``, ``Sources``)."""
CONTAINED_WORDS = 8
"""Boilerplate lines of at least this many words also leak when they stand verbatim inside a
block; shorter ones (``Free and open-source software``) may be words of the article's prose."""

_REF_LINK = re.compile(r"\[([^\]]*)\]\[[^\]]*(?:\]|$)")
"""A Markdown reference link ``[text][label]`` (perhaps cut off) as the reader renders it: text."""
_HYPHEN_BREAK = re.compile(r"(\w)-[ \t]*\r?\n[ \t]*(\w)")


def default_folders() -> list[Path]:
    """The shared corpus (the repository's copy if present) and the reading corpus."""
    corpus = ROOT / "tests" / "data" / "corpus"
    return [corpus if corpus.is_dir() else SHARED_CORPUS, ROOT / "tests" / "data" / "reading"]


@dataclass
class Score:
    """What narrator got right for one annotated article."""

    file: str
    kind: str
    error: str = ""
    title: str = ""
    title_ok: bool = True
    paragraphs_ok: bool = True
    paragraphs: str = ""
    quotes_wanted: int = 0
    quotes_found: int = 0
    quote_segments: int = 0
    quote_segments_ok: int = 0
    block_quotes_wanted: int = 0
    block_quotes_found: int = 0
    leaks: list[str] = field(default_factory=list)
    repeats: list[str] = field(default_factory=list)
    speakable_total: int = 0
    speakable_passed: int = 0
    missed_quotes: list[str] = field(default_factory=list)
    wrong_quotes: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)


class Keys:
    """The checker's comparison form, with words hyphenated over a line end joined."""

    def __init__(self, cc: ModuleType) -> None:
        self.cc = cc

    def __call__(self, text: str) -> str:
        return str(self.cc.normalize(_HYPHEN_BREAK.sub(r"\1\2", text)))

    def contains(self, haystack: str, needle: str) -> bool:
        return bool(needle) and bool(self.cc.contains_words(haystack, needle))


def _load(jf: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(jf.read_text(encoding="utf-8"))
    return data


def _spoken_units(article: Article) -> list[str]:
    """Everything narrator says, as whole units: the title, then each block."""
    return [article.title, *(block.text for block in article.blocks)]


def _score_quotes(score: Score, ann: dict[str, Any], article: Article, key: Keys) -> None:
    scare = {key(q) for q in ann.get("scare_quotes", [])}
    wanted = [q for q in ann.get("quotes", []) if key(q) not in scare]
    blocks = [key(_rendered(q, ann, key)) for q in ann.get("block_quotes", [])]
    allowed = {key(q) for q in [*ann.get("quotes", []), *ann.get("nested_quotes", [])]} | scare
    allowed |= set(blocks)
    voiced = [s.text for s in segment_article(article) if s.kind == "quote"]
    voiced_keys = [key(v) for v in voiced]
    score.quotes_wanted = len(wanted)
    for quote in wanted:
        if key(quote) in voiced_keys:
            score.quotes_found += 1
        else:
            score.missed_quotes.append(quote)
    score.block_quotes_wanted = len(blocks)
    for quote, k in zip(ann.get("block_quotes", []), blocks, strict=True):
        if k in voiced_keys:
            score.block_quotes_found += 1
        else:
            score.missed_quotes.append(f"(block quote) {quote}")
    score.quote_segments = len(voiced)
    for text, k in zip(voiced, voiced_keys, strict=True):
        if k in allowed:
            score.quote_segments_ok += 1
        else:
            score.wrong_quotes.append(text)


def _rendered(text: str, ann: dict[str, Any], key: Keys) -> str:
    """An annotation string of a Markdown file as rendered text (some were left as source)."""
    if ann.get("format") != "markdown":
        return text
    return re.sub(r"<[^>]+>", "", str(key.cc.md_text(_REF_LINK.sub(r"\1", text))))


def _score_paragraphs(score: Score, ann: dict[str, Any], article: Article, key: Keys) -> None:
    optional = {key(_rendered(o, ann, key)) for o in ann.get("optional", [])}
    body = [key(b.text) for b in article.blocks if b.kind != "heading"]
    body = [b for b in body if b not in optional]
    starts = [key(_rendered(s, ann, key)) for s in ann.get("paragraph_starts", [])]
    count = int(ann.get("paragraph_count", len(starts)))
    if len(body) != count:
        score.paragraphs_ok = False
        score.paragraphs = f"{len(body)} paragraphs, want {count}"
    for i, (got, want) in enumerate(zip(body, starts, strict=False)):
        label = next((o for o in optional if got.startswith(o + " ")), "")
        if not got.startswith(want) and not got[len(label) :].lstrip().startswith(want):
            score.paragraphs_ok = False
            score.paragraphs += f"; #{i} starts {got[:40]!r}, want {want!r}"
            break


def _score_boilerplate(score: Score, ann: dict[str, Any], article: Article, key: Keys) -> None:
    spoken = _spoken_units(article)
    units = [key(u) for u in spoken]
    unit_set = set(units)
    title = key(ann.get("title", ""))
    blocks = [u for u in units if u != title]  # the headline may end like a chrome link
    for line in ann.get("boilerplate", []):
        k = key(line)
        if not k or k == title:
            continue  # a chrome copy of the headline: the title itself is spoken once
        words = len(k.split())
        flat = " ".join(line.split())
        if k in unit_set or (words >= CONTAINED_WORDS and any(flat in u for u in spoken)):
            score.leaks.append(line)
        elif words > 1 and any(u.startswith(k + " ") or u.endswith(" " + k) for u in blocks):
            score.leaks.append(line)  # a chrome line glued to a paragraph
    for text in ann.get("must_not_repeat", []):
        k = key(text)
        if sum(key.contains(u, k) for u in units) > 1:
            score.repeats.append(text)


def _unit_for(raw: str, units: Sequence[str], fmt: str, key: Keys) -> str | None:
    """The spoken unit (title or block) that contains ``raw``, or None."""
    flat = " ".join(_HYPHEN_BREAK.sub(r"\1\2", raw).split())
    for unit in units:
        if flat in unit:
            return unit
    if fmt == "markdown":
        rendered = " ".join(re.sub(r"<[^>]+>", "", str(key.cc.md_text(raw))).split())
        for unit in units:
            if rendered in unit:
                return unit
    k = key(raw)
    for unit in units:
        if key.contains(key(unit), k):
            return unit
    return None


def _folded(check: dict[str, Any]) -> dict[str, Any]:
    """The check with its alternatives in ASCII, as narrator's transliteration writes them.

    narrator transliterates letters beyond Latin-1 on purpose (its voice drops them), so
    "wroclaw" for ``Wrocław`` is the defensible reading the corpus README asks to accept.
    """
    return {
        **check,
        "spoken_any_of": [anyascii(a).lower() for a in check["spoken_any_of"]],
        "spoken_none_of": [anyascii(a).lower() for a in check.get("spoken_none_of", [])],
    }


def _score_speakable(score: Score, ann: dict[str, Any], article: Article, key: Keys) -> None:
    units = _spoken_units(article)
    for check in ann.get("speakable", []):
        unit = _unit_for(check["raw"], units, ann.get("format", "text"), key)
        if unit is None:
            if check.get("only_if_spoken"):
                continue
            score.speakable_total += 1
            score.failed_checks.append(f"{check['raw']!r}: not spoken")
            continue
        score.speakable_total += 1
        result = judge(score.file, check, normalize(unit), key.cc)
        if not result.passed:
            result = judge(score.file, _folded(check), anyascii(normalize(unit)), key.cc)
        if result.passed:
            score.speakable_passed += 1
        else:
            score.failed_checks.append(f"{check['raw']!r}: {result.reason}")


def _expected_title(ann: dict[str, Any], jf: Path, key: Keys) -> str:
    """The annotated title, or the file's name when the title is nowhere in the file.

    A reader cannot announce a title the file does not hold (27 and 26 of the reading
    corpus have none); it must then name the episode after the file, not after a line
    of the body.
    """
    title = str(ann.get("title", ""))
    source = (jf.parent / ann["file"]).read_bytes().decode("utf-8", errors="replace")
    if key(title) and not set(key(title).split()) <= set(key(source).split()):
        return " ".join(re.sub(r"[_-]+", " ", Path(ann["file"]).stem).split())
    return title


def score_article(jf: Path, cc: ModuleType, rules: LineRules | None = None) -> Score:
    """Read the input of annotation ``jf`` with narrator (``rules``: its batch's) and score it."""
    ann = _load(jf)
    key = Keys(cc)
    score = Score(jf.stem, str(ann.get("kind", "corpus")))
    try:
        article = read_article(jf.parent / ann["file"], rules=rules)
    except NarratorError as exc:
        score.error = str(exc)
        if ann.get("paragraph_count", 1) == 0:
            return score  # a body-less file must be refused
        score.title_ok = score.paragraphs_ok = False
        score.quotes_wanted = len(ann.get("quotes", []))
        return score
    if ann.get("paragraph_count", 1) == 0:
        score.paragraphs_ok = False
        score.paragraphs = "read a file that has no body"
    score.title = article.title
    score.title_ok = key(article.title) == key(_expected_title(ann, jf, key))
    _score_quotes(score, ann, article, key)
    _score_paragraphs(score, ann, article, key)
    _score_boilerplate(score, ann, article, key)
    _score_speakable(score, ann, article, key)
    return score


def score_folder(folder: Path, only: str | None = None) -> list[Score]:
    """Score every annotated article of ``folder`` (those whose stem matches ``only``)."""
    cc = load_checker(_checker_folder(folder))
    files = sorted(folder.glob("[0-9][0-9]_*.json"))
    inputs = [jf.parent / _load(jf)["file"] for jf in files]
    rules = batch_rules(inputs)  # the folder is one batch, as a build of it would be
    return [score_article(jf, cc, rules) for jf in files if not only or re.search(only, jf.stem)]


def _checker_folder(folder: Path) -> Path:
    for candidate in (folder, *default_folders(), SHARED_CORPUS):
        if (candidate / "check_corpus.py").is_file():
            return candidate
    raise FileNotFoundError("check_corpus.py")


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.3f}" if den else "  -  "


def summary(scores: Sequence[Score]) -> str:
    """One line of totals for ``scores``."""
    n = len(scores)
    wanted = sum(s.quotes_wanted for s in scores)
    found = sum(s.quotes_found for s in scores)
    segs = sum(s.quote_segments for s in scores)
    ok = sum(s.quote_segments_ok for s in scores)
    b_wanted = sum(s.block_quotes_wanted for s in scores)
    b_found = sum(s.block_quotes_found for s in scores)
    paras = sum(s.paragraphs_ok for s in scores)
    titles = sum(s.title_ok for s in scores)
    leaks = sum(len(s.leaks) for s in scores)
    leaky = sum(bool(s.leaks) for s in scores)
    repeats = sum(len(s.repeats) for s in scores)
    sp_t = sum(s.speakable_total for s in scores)
    sp_p = sum(s.speakable_passed for s in scores)
    return (
        f"{n:3d} articles  quote recall {_ratio(found, wanted)} ({found}/{wanted})"
        f"  precision {_ratio(ok, segs)} ({ok}/{segs})  block quotes {b_found}/{b_wanted}"
        f"  paragraphs exact {paras}/{n} ({100 * paras / max(n, 1):.0f}%)"
        f"  titles {titles}/{n}  boilerplate spoken {leaks} lines in {leaky} articles"
        f" (+{repeats} repeats)  speakable {_ratio(sp_p, sp_t)} ({sp_p}/{sp_t})"
    )


def _article_line(s: Score) -> str:
    flags = [
        "title" if s.title_ok else "TITLE",
        "paras" if s.paragraphs_ok else "PARAS",
        f"q {s.quotes_found}/{s.quotes_wanted} p {s.quote_segments_ok}/{s.quote_segments}",
        f"leaks {len(s.leaks) + len(s.repeats)}",
        f"speak {s.speakable_passed}/{s.speakable_total}",
    ]
    return f"{s.file[:44]:44s} " + "  ".join(flags) + (f"  ERROR {s.error}" if s.error else "")


def _details(s: Score) -> Iterable[str]:
    if not s.title_ok:
        yield f"    title: {s.title!r}"
    if not s.paragraphs_ok:
        yield f"    paragraphs: {s.paragraphs.lstrip('; ')}"
    for q in s.missed_quotes:
        yield f"    missed quote: {q[:90]!r}"
    for q in s.wrong_quotes:
        yield f"    wrong quote segment: {q[:90]!r}"
    for line in s.leaks:
        yield f"    spoken boilerplate: {line[:90]!r}"
    for line in s.repeats:
        yield f"    repeated: {line[:90]!r}"
    for check in s.failed_checks:
        yield f"    speakable: {check[:110]}"


def main(argv: list[str] | None = None) -> int:
    """Print per-article lines, then totals overall and per kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--only", help="score only articles whose file stem matches this regex")
    parser.add_argument("-v", "--verbose", action="store_true", help="say what each failure is")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("narrator").setLevel(logging.ERROR)
    scores: list[Score] = []
    for folder in args.folders or default_folders():
        scores.extend(score_folder(folder, args.only))
    for s in scores:
        log.info("%s", _article_line(s))
        if args.verbose:
            for line in _details(s):
                log.info("%s", line)
    by_kind: dict[str, list[Score]] = defaultdict(list)
    for s in scores:
        by_kind[s.kind].append(s)
    log.info("")
    for kind in sorted(by_kind):
        log.info("%-13s %s", kind, summary(by_kind[kind]))
    log.info("%-13s %s", "ALL", summary(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
