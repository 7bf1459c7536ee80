"""Month names and their abbreviations: one table for the whole text stage.

Used to find datelines and bylines (:mod:`narrator.text.boilerplate`) and to
read dates aloud (:mod:`narrator.text.normalize.dates`).  English only: an
article in another language keeps its dates as written.
"""

from __future__ import annotations

from typing import Final

MONTH_NAMES: Final[tuple[str, ...]] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""The twelve months in calendar order: ``MONTH_NAMES[0]`` is January."""

MONTH_ABBREVIATIONS: Final[dict[str, str]] = {
    "Jan": "January",
    "Feb": "February",
    "Mar": "March",
    "Apr": "April",
    "Jun": "June",
    "Jul": "July",
    "Aug": "August",
    "Sep": "September",
    "Sept": "September",
    "Oct": "October",
    "Nov": "November",
    "Dec": "December",
}
"""Short forms (written with or without a period) and the month each means.

May has none: it is already short.
"""

MONTHS: Final[dict[str, str]] = {
    **{name: name for name in MONTH_NAMES},
    **MONTH_ABBREVIATIONS,
}
"""Every way a month is written (full or short, capitalised) and its full name."""


def month_number(written: str) -> int | None:
    """1 to 12 for a month name or abbreviation in any case (``"sept"`` is 9), else None."""
    name = MONTHS.get(written.strip().rstrip(".").capitalize())
    return MONTH_NAMES.index(name) + 1 if name else None
