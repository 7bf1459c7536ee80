"""Money: currency symbols and codes, magnitudes (``£5.3m``), pence."""

from __future__ import annotations

import re
from typing import Final

from narrator.text.normalize.numbers import NUMBER, WORD_AFTER, cardinal, number_words, unit_form

# Currency symbols written before the amount: (singular, plural).
CURRENCY_SYMBOLS: Final[dict[str, tuple[str, str]]] = {
    "$": ("dollar", "dollars"),
    "US$": ("dollar", "dollars"),
    "A$": ("Australian dollar", "Australian dollars"),
    "C$": ("Canadian dollar", "Canadian dollars"),
    "£": ("pound", "pounds"),
    "€": ("euro", "euros"),
    "¥": ("yen", "yen"),
    "₹": ("rupee", "rupees"),
    "₩": ("won", "won"),
    "₽": ("ruble", "rubles"),
}


# ISO 4217 codes written directly before an amount (IRR200,000).
CURRENCY_CODES: Final[dict[str, tuple[str, str]]] = {
    "USD": ("dollar", "dollars"),
    "EUR": ("euro", "euros"),
    "GBP": ("pound", "pounds"),
    "IRR": ("rial", "rials"),
    "JPY": ("yen", "yen"),
    "CNY": ("yuan", "yuan"),
    "RMB": ("yuan", "yuan"),
    "INR": ("rupee", "rupees"),
    "RUB": ("ruble", "rubles"),
    "PLN": ("zloty", "zlotys"),
    "CHF": ("Swiss franc", "Swiss francs"),
}


# Magnitude suffixes after an amount ($1.2bn, £5.3m, 40k).
MAGNITUDES: Final[dict[str, str]] = {
    "k": "thousand",
    "K": "thousand",
    "m": "million",
    "M": "million",
    "mn": "million",
    "mln": "million",
    "bn": "billion",
    "b": "billion",
    "B": "billion",
    "tn": "trillion",
    "trn": "trillion",
    "thousand": "thousand",
    "million": "million",
    "billion": "billion",
    "trillion": "trillion",
}


# Words after "$5 million" that mean the amount is a noun ("dollars in"), not an
# adjective ("a five million dollar deal").
NOT_NOUNS: Final[frozenset[str]] = frozenset(
    {
        "a", "an", "the", "in", "on", "at", "of", "for", "to", "from", "by", "with", "per", "each",
        "and", "or", "but", "nor", "is", "are", "was", "were", "be", "been", "will", "would",
        "could", "should", "can", "may", "might", "must", "has", "have", "had", "over", "under",
        "into", "onto", "than", "as", "so", "that", "this", "these", "those", "which", "who",
        "whom", "whose", "while", "when", "where", "if", "then", "last", "next", "every", "more",
        "less", "up", "down", "out", "off", "back", "away", "about", "since", "until", "before",
        "after", "during", "through", "across", "between", "among", "against", "without", "within",
        "annually", "yearly", "monthly", "daily", "weekly", "total", "altogether", "apiece",
        "overall", "it", "its", "his", "her", "their", "our", "your", "my", "we", "they", "he",
        "she",
    }
)  # fmt: skip


IRREGULAR_PARTICIPLES: Final[frozenset[str]] = frozenset(
    {
        "set", "spent", "paid", "made", "given", "put", "cut", "sent", "lent", "kept", "held",
        "left", "lost", "won", "bought", "sold", "brought", "built", "taken", "written",
    }
)  # fmt: skip
"""Verbs after an amount that end in neither -ed nor look like one ("£200 million set aside")."""


def _is_adjective_position(m: re.Match[str]) -> bool:
    """True when an amount is used like an adjective ("a five million dollar deal")."""
    nxt = m.group("next")
    if not nxt or not m.group("after"):
        return False
    if (nxt.endswith("ed") and "-" not in nxt) or nxt.lower() in IRREGULAR_PARTICIPLES:
        return False  # "$3 billion provided by", "£200 million set aside": a verb, not a noun
    return nxt[0].islower() and nxt.lower() not in NOT_NOUNS and nxt.replace("-", "").isalpha()


def expand_money(text: str) -> str:
    """Currency: ``£5.3m`` → "five point three million pounds", ``$2,000 cap`` → "... dollar cap".

    Why: espeak says "pound five point three m" and "dollar one point two b n".
    The unit is singular when the amount modifies a following noun.  Also
    ``5p`` pence and ISO codes before amounts (``IRR200,000``).  Fails: the
    adjective test is a heuristic on the next word ("$5 million grants" reads
    "dollar grants"); cents are only read for two-digit decimals.
    """
    symbols = "|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
    codes = "|".join(CURRENCY_CODES)
    mags = "|".join(sorted(MAGNITUDES, key=len, reverse=True))

    def amount(m: re.Match[str], forms: tuple[str, str]) -> str:
        num = m.group("num")
        mag = m.group("mag")
        adjective = _is_adjective_position(m)
        after = m.group("after") or ""
        if mag:
            words = f"{cardinal(num)} {MAGNITUDES[mag]}"
            unit = forms[0] if adjective else forms[1]
            return f"{words} {unit}{after}"
        if "." in num and re.fullmatch(r"[\d,]+\.\d\d", num) and forms[0] == "dollar":
            whole, cents = num.split(".")
            w = cardinal(whole)
            unit = forms[0] if whole == "1" else forms[1]
            if int(cents) == 0:
                return f"{w} {unit}{after}"
            return f"{w} {unit} and {number_words(int(cents))} cents{after}"
        unit = forms[0] if adjective else unit_form(num, forms)
        return f"{cardinal(num)} {unit}{after}"

    mag_part = rf"(?:\s?(?P<mag>{mags})\b)?"
    text = re.sub(
        rf"(?P<sym>{symbols})\s?(?P<num>{NUMBER}){mag_part}(?!\w){WORD_AFTER}",
        lambda m: amount(m, CURRENCY_SYMBOLS[m.group("sym")]),
        text,
    )
    text = re.sub(
        rf"\b(?P<code>{codes})\s?(?P<num>{NUMBER}){mag_part}(?!\w){WORD_AFTER}",
        lambda m: amount(m, CURRENCY_CODES[m.group("code")]),
        text,
    )
    text = re.sub(
        r"\b(\d+)p\b",
        lambda m: f"{number_words(int(m.group(1)))} {'penny' if m.group(1) == '1' else 'pence'}",
        text,
    )
    return text
