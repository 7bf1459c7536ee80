"""Score narrator.text.normalize.normalize against the corpus ``speakable`` checks.

    python bench/speakable_score.py [CORPUS_DIR] [-v]

For every check, the paragraph of the source that contains ``raw`` (for HTML:
the sentence or so around it in the rendered text) is normalised by narrator
and compared with the check's alternatives, both sides put through
``normalize()`` from the corpus's ``check_corpus.py`` (see its README).
Prints the pass rate and every failure; exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from narrator.text.normalize import normalize

log = logging.getLogger("speakable_score")

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus"


@dataclass(frozen=True)
class Result:
    """Outcome of one speakable check."""

    file: str
    raw: str
    passed: bool
    spoken: str
    reason: str


def load_checker(corpus: Path) -> ModuleType:
    """Import the corpus's check_corpus.py by path."""
    spec = importlib.util.spec_from_file_location("check_corpus", corpus / "check_corpus.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(corpus / "check_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def window(source: str, fmt: str, raw: str, cc: ModuleType) -> str:
    """The written text around ``raw`` as an ingester would hand it over."""
    if fmt == "html":
        flat = str(cc.html_text(source))
        pos = flat.find(raw)
        if pos < 0:
            return raw
        start = max(flat.rfind(". ", 0, max(pos - 1, 0)) + 2, pos - 300, 0)
        nxt = flat.find(". ", pos + len(raw))
        end = min(nxt + 1 if nxt >= 0 else len(flat), pos + len(raw) + 300)
        return flat[start:end]
    if fmt == "markdown" and source.startswith("---\n"):
        source = source.split("---\n", 2)[2]
    for para in _paragraphs(source):
        if raw in para:
            return str(cc.md_text(para)) if fmt == "markdown" else para
    return raw


def score(corpus: Path = DEFAULT_CORPUS) -> list[Result]:
    """Run every speakable check of the corpus."""
    cc = load_checker(corpus)
    results: list[Result] = []
    for jf in sorted(corpus.glob("[0-9][0-9]_*.json")):
        ann = json.loads(jf.read_text(encoding="utf-8"))
        checks = ann.get("speakable", [])
        if not checks:
            continue
        enc = "latin-1" if "ISO-8859-1" in ann.get("encoding", "") else "utf-8"
        source = (corpus / ann["file"]).read_bytes().decode(enc).replace("\r\n", "\n")
        for check in checks:
            raw = check["raw"]
            spoken = normalize(window(source, ann.get("format", "text"), raw, cc))
            said = str(cc.normalize(spoken))
            hit = any(cc.contains_words(said, alt) for alt in check["spoken_any_of"])
            bad = [n for n in check.get("spoken_none_of", []) if cc.contains_words(said, n)]
            reason = "" if hit else "none of spoken_any_of"
            if bad:
                reason = f"says {bad}"
            results.append(Result(jf.stem, raw, hit and not bad, spoken, reason))
    return results


def main(argv: list[str] | None = None) -> int:
    """Print the pass rate and the failures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("-v", "--verbose", action="store_true", help="show spoken text")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    results = score(args.corpus)
    passed = sum(r.passed for r in results)
    for r in results:
        if not r.passed:
            log.info("FAIL %s %r: %s", r.file, r.raw, r.reason)
            if args.verbose:
                log.info("     spoken: %s", r.spoken)
    log.info("speakable: %d/%d passed (%.1f%%)", passed, len(results), 100 * passed / len(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
