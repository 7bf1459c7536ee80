"""Where the tests' inputs live, for unit and end-to-end tests alike.

Everything here is inside the repository, so a fresh clone runs every test:
the sample article in ``seeds/`` (also what ``narrator build`` reads by default)
and the annotated corpus copied into ``tests/data/corpus`` (its README gives the
sources, licences and attribution of each file).
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SAMPLE = SEEDS / "000_accfa6063b6ad7f7.txt"
CORPUS = REPO / "tests" / "data" / "corpus"
