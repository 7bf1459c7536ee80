"""Speak stage: turn what an article says into what the voice should say.

Piper phonemizes with espeak-ng, which reads plain words and plain numbers well
but stumbles on written conventions: it ends a sentence at ``Mr.``, reads
``1994`` as "one thousand nine hundred ninety-four", says ``£5.3m`` as "pound
five point three m", spells nothing it cannot pronounce, and drops letters
outside Latin-1.  This package rewrites text into plain spoken English first.

Each rule is a small ``str -> str`` function whose docstring says why it exists
and where it fails; it lives, with the tables it reads, in the module for its
subject:

============================  ==================================================
``cleanup``                   Unicode, Markdown leftovers, punctuation, spacing
``web``                       URLs, email addresses, hashtags, handles, file
                              names, command-line options and paths
``symbols``                   emoji, bullets, ``&`` ``+`` ``=``, slashes, fractions
``scripts``                   letters beyond Latin-1 (transliteration)
``abbreviations``             titles (Mr., Dr., St.), dotted abbreviations,
                              party-state and district tags ((D-Calif.), (AZ-07)),
                              postal codes after a city (Atlanta, GA)
``dates``                     dates, times, years, decades
``money``                     currencies, magnitudes, pence
``units``                     units of measure
``identifiers``               model numbers (the 747), codes and standards
                              (RFC 9110, CVE-2024-21626), docket numbers
``numbers``                   cardinals, ordinals, percent, ranges, Roman
                              numerals, digit strings (phone numbers, ISBNs)
``acronyms``                  initialisms, acronyms, shouting, spelled words
``sentences``                 sentence capitals and :func:`split_sentences`
``sentence_ends``             whether a period ends a sentence (shared test)
``lexicon``                   the user's own replacements
============================  ==================================================

:data:`RULES` below lists them in the order they are applied, which matters
(money before plain numbers, dates before years, initialisms before sentence
splitting): a new rule goes into its subject's module and into :data:`RULES`.
A user lexicon runs before all of them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Final

from anyascii import anyascii

from narrator.models import Segment, Utterance
from narrator.text.normalize.abbreviations import (
    expand_city_states,
    expand_district_tags,
    expand_dotted_abbreviations,
    expand_party_tags,
    expand_titles,
)
from narrator.text.normalize.acronyms import (
    expand_initialisms,
    fix_spelled_a,
    lower_shouting,
    spell_acronyms,
    spell_hyphenated_letters,
    split_letters_and_digits,
)
from narrator.text.normalize.cleanup import (
    clean_unicode,
    pauses_for_punctuation,
    strip_markup,
    tidy,
)
from narrator.text.normalize.dates import expand_dates, expand_decades, expand_times, expand_years
from narrator.text.normalize.identifiers import (
    speak_codes,
    speak_docket_numbers,
    speak_model_numbers,
)
from narrator.text.normalize.lexicon import apply_lexicon
from narrator.text.normalize.money import expand_money
from narrator.text.normalize.numbers import (
    expand_numbers,
    expand_ordinals,
    expand_percent,
    expand_ranges_and_scores,
    expand_roman_numerals,
    speak_phone_numbers,
    split_versions,
)
from narrator.text.normalize.scripts import transliterate
from narrator.text.normalize.sentences import (
    MAX_SENTENCE_CHARS,
    capitalize_sentence_starts,
    split_sentences,
)
from narrator.text.normalize.symbols import drop_symbols, expand_slashes
from narrator.text.normalize.units import expand_units
from narrator.text.normalize.web import (
    speak_command_options,
    speak_file_names,
    speak_hashtags_and_handles,
    speak_urls_and_emails,
)

__all__ = [
    "MAX_SENTENCE_CHARS",
    "RULES",
    "Rule",
    "apply_lexicon",
    "normalize",
    "speak",
    "split_sentences",
]

log = logging.getLogger(__name__)

Rule = Callable[[str], str]

RULES: Final[tuple[Rule, ...]] = (
    clean_unicode,
    strip_markup,
    speak_urls_and_emails,
    speak_file_names,
    speak_command_options,
    speak_hashtags_and_handles,
    drop_symbols,
    transliterate,
    split_versions,
    speak_phone_numbers,
    expand_district_tags,
    expand_party_tags,
    expand_titles,
    expand_city_states,
    expand_dotted_abbreviations,
    expand_dates,
    expand_times,
    expand_money,
    speak_docket_numbers,
    speak_model_numbers,
    speak_codes,
    expand_percent,
    expand_units,
    expand_decades,
    expand_ordinals,
    expand_ranges_and_scores,
    expand_slashes,
    expand_roman_numerals,
    spell_hyphenated_letters,
    split_letters_and_digits,
    expand_years,
    expand_initialisms,
    lower_shouting,
    spell_acronyms,
    expand_numbers,
    pauses_for_punctuation,
    fix_spelled_a,
    tidy,
    capitalize_sentence_starts,
)
"""The rules in the order :func:`normalize` applies them."""


def normalize(text: str, lexicon: Mapping[str, str] | None = None) -> str:
    """Turn written text into the text the voice should say."""
    original = text
    text = clean_unicode(text)
    if lexicon:
        text = apply_lexicon(text, lexicon)
    for rule in RULES:
        text = rule(text)
    if re.match(r"\s*[\d$£€¥]", original):
        text = text[:1].upper() + text[1:]  # "1596 was ..." → "Fifteen ninety-six was ..."
    if not re.search(r"\w", text) and re.search(r"\w", original):
        log.warning("normalisation removed every word of %r; using a transliteration", original)
        text = re.sub(r"\s+", " ", anyascii(original)).strip()
    return text


def speak(segment: Segment, lexicon: Mapping[str, str] | None = None) -> Utterance:
    """The spoken form of one segment."""
    text = normalize(segment.text, lexicon)
    return Utterance(segment=segment, text=text, sentences=tuple(split_sentences(text)))
