"""Titles and written abbreviations: ``Mr.``, ``Dr.``, ``St.``, ``Jr.``, ``No. 10``, ``e.g.``."""

from __future__ import annotations

import re
from typing import Final

from narrator.text.normalize.numbers import ordinal
from narrator.text.normalize.sentence_ends import sentence_follows

# Titles and abbreviations that may be written with or without a trailing period.
# espeak (inside Piper) ends a sentence at "Mr." and reads "Gov" as a word, so
# they are written out.  Only capitalised forms are listed: "st" or "no" in
# lower case are ordinary words.
TITLES: Final[dict[str, str]] = {
    # Plurals first ("Sens. Padilla and Feinstein"); the singular patterns need a space next.
    "Sens": "Senators",
    "Reps": "Representatives",
    "Govs": "Governors",
    "Drs": "Doctors",
    "Profs": "Professors",
    "Gens": "Generals",
    "Mr": "Mister",
    "Mrs": "Missus",
    "Ms": "Miz",
    "Messrs": "Messieurs",
    "Prof": "Professor",
    "Gov": "Governor",
    "Sen": "Senator",
    "Rep": "Representative",
    "Sgt": "Sergeant",
    "Capt": "Captain",
    "Cpt": "Captain",
    "Col": "Colonel",
    "Lt": "Lieutenant",
    "Gen": "General",
    "Maj": "Major",
    "Cmdr": "Commander",
    "Adm": "Admiral",
    "Pres": "President",
    "Rev": "Reverend",
    "Hon": "Honorable",
    "Fr": "Father",
    "Supt": "Superintendent",
    "Insp": "Inspector",
}


# Abbreviations that follow a name.
POST_NOMINALS: Final[dict[str, str]] = {
    "Jr": "Junior",
    "Sr": "Senior",
}


# Abbreviations that are only abbreviations when written with a period.
# (Written without one they are ordinary words, e.g. "no", "vs" is kept too.)
DOTTED: Final[dict[str, str]] = {
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "vs.": "versus",
    "vs": "versus",
    "v.": "versus",
    "approx.": "approximately",
    "est.": "established",
    "Inc.": "Incorporated",
    "Ltd.": "Limited",
    "Corp.": "Corporation",
    "Co.": "Company",
    "Dept.": "Department",
    "Univ.": "University",
    "Ave.": "Avenue",
    "Blvd.": "Boulevard",
    "Rd.": "Road",
    "Mt.": "Mount",
    "Ft.": "Fort",
    "a.m.": "a m",
    "p.m.": "p m",
    "A.M.": "a m",
    "P.M.": "p m",
}


PARTIES: Final[dict[str, str]] = {"R": "Republican", "D": "Democrat", "I": "Independent"}
"""The party letters of a US politician's party-state tag."""

STATES: Final[dict[str, str]] = {
    # AP style, as newspapers write them in "(D-Calif.)"
    "Ala.": "Alabama", "Ariz.": "Arizona", "Ark.": "Arkansas", "Calif.": "California",
    "Colo.": "Colorado", "Conn.": "Connecticut", "Del.": "Delaware", "Fla.": "Florida",
    "Ga.": "Georgia", "Ill.": "Illinois", "Ind.": "Indiana", "Kan.": "Kansas",
    "Ky.": "Kentucky", "La.": "Louisiana", "Md.": "Maryland", "Mass.": "Massachusetts",
    "Mich.": "Michigan", "Minn.": "Minnesota", "Miss.": "Mississippi", "Mo.": "Missouri",
    "Mont.": "Montana", "Neb.": "Nebraska", "Nev.": "Nevada", "N.H.": "New Hampshire",
    "N.J.": "New Jersey", "N.M.": "New Mexico", "N.Y.": "New York", "N.C.": "North Carolina",
    "N.D.": "North Dakota", "Okla.": "Oklahoma", "Ore.": "Oregon", "Pa.": "Pennsylvania",
    "R.I.": "Rhode Island", "S.C.": "South Carolina", "S.D.": "South Dakota",
    "Tenn.": "Tennessee", "Vt.": "Vermont", "Va.": "Virginia", "Wash.": "Washington",
    "W.Va.": "West Virginia", "Wis.": "Wisconsin", "Wyo.": "Wyoming",
    # postal codes, as in "(R-TX)"
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
"""State abbreviations of party-state tags; full names ("Texas") need none."""

_STATE_ALT = "|".join(re.escape(s) for s in sorted(STATES, key=len, reverse=True))
_PARTY_TAG = re.compile(
    rf"\((?P<party>[RDI])-(?P<state>{_STATE_ALT}|[A-Z][a-z]+(?: [A-Z][a-z]+)?)\)"
)


def expand_party_tags(text: str) -> str:
    """(D-Calif.) → ", Democrat of California,"; (R-TX), (R-Texas) likewise.

    Why: espeak reads "(D-Calif.)" as "D Calif", and the abbreviation's full stop
    ends the sentence there, so the next word is read as a new sentence. A tag with a
    district ("(D-Calif.-12)", "(AZ-07)") is read by :func:`expand_district_tags`, which
    runs first. Fails: a state spelt otherwise than AP style or by postal code is read as
    written.
    """

    def tag(m: re.Match[str]) -> str:
        state = STATES.get(m.group("state"), m.group("state"))
        return f", {PARTIES[m.group('party')]} of {state},"

    return _PARTY_TAG.sub(tag, text)


_POSTAL_ALT = "|".join(s for s in STATES if s.isupper() and "." not in s)
_DISTRICT = r"(?P<num>\d{1,2}|AL)"
_DISTRICT_TAG = re.compile(
    rf"\((?:(?P<party>[RDI])-)?(?P<state>{_STATE_ALT})-{_DISTRICT}\)"
    rf"|(?<=, )(?P<bare>{_POSTAL_ALT})-(?P<bare_num>\d{{1,2}}|AL)(?=[,;.:]|$)"
)
MAX_DISTRICT = 53
"""No state has more congressional districts (California had 53); a larger number is not
a district ("CA-125" is a blood test)."""


def expand_district_tags(text: str) -> str:
    """(AZ-07) → ", Arizona's seventh district,"; (R-AZ-06), (D-Calif.-12), ", TX-23," too.

    Why: a US congressional district is tagged by state and number; espeak spells the
    letters and the hyphen makes a range or a minus sign of it ("A Z minus seven").  In
    brackets (with or without the party letter) or set off by commas after a name
    ("Rep. Smith, AZ-7, said") it is read as a newsreader says it; ``AL`` is the
    at-large seat.  Fails: a tag elsewhere ("the AZ-7 race") is left to the acronym
    rules ("A-Z seven").
    """

    def repl(m: re.Match[str]) -> str:
        state = STATES.get(m.group("state") or m.group("bare"), m.group("state") or "")
        num = m.group("num") or m.group("bare_num")
        if num == "AL":
            district = "at-large district"
        elif 1 <= int(num) <= MAX_DISTRICT:
            district = f"{ordinal(int(num))} district"
        else:
            return m.group(0)
        party = m.group("party")
        spoken = f"{PARTIES[party]} of {state}'s {district}" if party else f"{state}'s {district}"
        return f", {spoken}," if m.group("state") else spoken

    return _DISTRICT_TAG.sub(repl, text)


CITY_STATE_SKIP: Final[frozenset[str]] = frozenset({"MD", "PA", "DO", "IN", "ME", "OK", "OR"})
"""Postal codes that are also degrees or words ("Jane Doe, MD"; "Portland, OR" is left to the
case of the next word): read as the state only before the end of the text or a line."""

_CITY_STATE = re.compile(
    rf"(?P<city>\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*), (?P<state>{_POSTAL_ALT})"
    r"(?=(?P<end>\s*$)|[,;:)]|\.(?:\s|$)|\s+(?!(?:and|or)\b)[a-z])"
)


def expand_city_states(text: str) -> str:
    """``Atlanta, GA`` → "Atlanta, Georgia", ``Portland, OR`` → "Portland, Oregon".

    Why: US addresses and lists of cities name the state by its postal code, which
    espeak spells ("G A") or reads as a word ("or", "in", "me").  A code after a
    capitalised place name and a comma, followed by punctuation, the end, or a
    lower-case word, is a state.  Codes that are also degrees or words (MD, PA, IN, OR,
    ME, OK) count only at the end of the text ("Baltimore, MD" as a list item; "Jane
    Doe, MD, said" stays a degree).  Fails: a person's name followed by a two-letter
    degree that is also a state code and ends the text ("Ann Lee, MD") is read as a
    state.
    """

    def repl(m: re.Match[str]) -> str:
        state = m.group("state")
        if state in CITY_STATE_SKIP and m.group("end") is None:
            return m.group(0)
        return f"{m.group('city')}, {STATES[state]}"

    return _CITY_STATE.sub(repl, text)


def expand_titles(text: str) -> str:
    """Mr/Mr. → Mister, Dr. → Doctor, Gov. → Governor, Jr. → Junior, St./Dr. by context.

    Why: espeak ends a sentence at "Mr." (a false break and a pause) and reads
    "Gov" as a word.  ``St`` and ``Dr`` before a capitalised name are Saint and
    Doctor; after one (``Baker St.``) Street and Drive.  Fails: "St. John St."
    style chains, and a title that really ends a sentence.
    """
    for abbr, spoken in TITLES.items():
        text = re.sub(rf"\b{abbr}\.?(?=\s+[A-Z])", spoken, text)
        text = re.sub(rf"\b{abbr}\.(?=\s)", spoken, text)

    def street(m: re.Match[str]) -> str:
        word, abbr = m.group(1), m.group(2)
        full = {"St": "Street", "Dr": "Drive", "Ave": "Avenue", "Rd": "Road"}[abbr]
        end = m.end()
        dot = "." if m.group(3) and sentence_follows(m.string, end) else ""
        return f"{word} {full}{dot}"

    text = re.sub(
        r"\b((?!(?:The|A|An|In|On|At|To|Of|And|Or|But|Mister|Doctor)\b)[A-Z][a-z]+)\s+"
        r"(St|Dr|Ave|Rd)(\.)?(?!\s+[A-Z][a-z])(?![\w])",
        street,
        text,
    )
    text = re.sub(r"\bSt\.?(?=\s+[A-Z])", "Saint", text)
    text = re.sub(r"\bDr\.?(?=\s+[A-Z])", "Doctor", text)
    text = re.sub(r"\bDr\.(?=\s)", "Doctor", text)

    def post(m: re.Match[str]) -> str:
        spoken = POST_NOMINALS[m.group(1)]
        return spoken + ("." if m.group(2) and sentence_follows(m.string, m.end()) else "")

    text = re.sub(r"\b(Jr|Sr)(\.)?(?!\w)", post, text)
    text = re.sub(r"(?<![\w.])(?:c|ca|circa)\.\s*(?=\d)", "circa ", text)
    text = re.sub(r"\b[Nn]o\.\s*(?=\d)", "number ", text)
    text = re.sub(r"\bNo\s+(?=\d)", "Number ", text)
    text = re.sub(r"(?<![\w&])#(?=\d)", "number ", text)
    return text


def expand_dotted_abbreviations(text: str) -> str:
    """e.g. → for example, i.e. → that is, etc. → et cetera, vs. → versus.

    Why: espeak breaks the sentence at their periods.  The period is kept when
    the abbreviation ends the sentence.  Fails: ``Co.`` could be Colorado.
    """
    for abbr, spoken in DOTTED.items():
        if abbr in ("a.m.", "p.m.", "A.M.", "P.M."):
            continue
        pattern = rf"(?<![\w.]){re.escape(abbr)}" + (r"(?!\w)" if abbr.endswith(".") else r"\b")

        def repl(m: re.Match[str], spoken: str = spoken, dotted: bool = abbr.endswith(".")) -> str:
            end = m.end()
            if dotted and (end >= len(m.string) or re.match(r"\s+[A-Z\"]", m.string[end:])):
                return spoken + "." if sentence_follows(m.string, end) else spoken
            return spoken

        text = re.sub(pattern, repl, text)
    return text
