"""The user's lexicon: whole words replaced before any rule runs."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping


@functools.lru_cache(maxsize=32)
def _lexicon_pattern(items: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    keys = sorted((k for k, _ in items), key=len, reverse=True)
    alt = "|".join(re.escape(k) for k in keys)
    return re.compile(rf"(?<!\w)(?:{alt})(?!\w)", re.IGNORECASE)


def apply_lexicon(text: str, lexicon: Mapping[str, str]) -> str:
    """Replace whole words from a user lexicon: exact case first, then any case.

    Why: names and jargon the rules cannot know ("Łódź" → "Wootch").  Fails:
    a lexicon entry is not re-checked by later rules' assumptions (a value
    with digits is still normalised afterwards, which is usually wanted).
    """
    if not lexicon:
        return text
    items = tuple(sorted((k, v) for k, v in lexicon.items() if k))
    if not items:
        return text
    any_re = _lexicon_pattern(items)
    folded: dict[str, str] = {}
    for key, value in lexicon.items():
        folded.setdefault(key.casefold(), value)
    # One pass, so that a replacement is never replaced again.
    return any_re.sub(lambda m: lexicon.get(m.group(0), folded[m.group(0).casefold()]), text)
