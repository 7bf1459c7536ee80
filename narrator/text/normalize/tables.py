"""Data tables for :mod:`narrator.text.normalize`: abbreviations, units, acronyms, currencies.

Kept apart from the rules so that they can be read, reviewed and extended on
their own.  Keys are matched as whole words; values are what the voice says.
"""

from __future__ import annotations

from typing import Final


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a table written as a block of text."""
    return text.split()


# Titles and abbreviations that may be written with or without a trailing period.
# espeak (inside Piper) ends a sentence at "Mr." and reads "Gov" as a word, so
# they are written out.  Only capitalised forms are listed: "st" or "no" in
# lower case are ordinary words.
TITLES: Final[dict[str, str]] = {
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

# Months, with their abbreviations (with or without period).
MONTHS: Final[dict[str, str]] = {
    "January": "January",
    "February": "February",
    "March": "March",
    "April": "April",
    "May": "May",
    "June": "June",
    "July": "July",
    "August": "August",
    "September": "September",
    "October": "October",
    "November": "November",
    "December": "December",
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

MONTH_NUMBERS: Final[tuple[str, ...]] = (
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

# Units written directly after a number (5km, 430 km, 20°C): (singular, plural).
UNITS: Final[dict[str, tuple[str, str]]] = {
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ft": ("foot", "feet"),
    "mi": ("mile", "miles"),
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "kmh": ("kilometer per hour", "kilometers per hour"),
    "ha": ("hectare", "hectares"),
    "sq km": ("square kilometer", "square kilometers"),
    "km2": ("square kilometer", "square kilometers"),
    "km²": ("square kilometer", "square kilometers"),
    "m2": ("square meter", "square meters"),
    "m²": ("square meter", "square meters"),
    "l": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"),
    "kW": ("kilowatt", "kilowatts"),
    "MW": ("megawatt", "megawatts"),
    "GW": ("gigawatt", "gigawatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "TB": ("terabyte", "terabytes"),
    "GHz": ("gigahertz", "gigahertz"),
    "MHz": ("megahertz", "megahertz"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "ºC": ("degree Celsius", "degrees Celsius"),
    "°": ("degree", "degrees"),
}

# All-caps words that are said as words, not spelled out.  Anything else of two
# to five capitals is spelled letter by letter (espeak would try to say "KCNA").
PRONOUNCEABLE: Final[frozenset[str]] = frozenset(
    _words(
        """
    NATO NASA UNESCO UNICEF FIFA UEFA NASCAR OPEC ASEAN NAFTA OSHA FEMA HAMAS ISIS
    AIDS COVID SARS MERS LASER RADAR SONAR SCUBA IKEA LEGO GIF JPEG PIN SIM WASP
    NIMBY POTUS SCOTUS FLOTUS DARPA INTERPOL EUROPOL SWAT OFCOM OFSTED UNITA ANZAC
    ASCII CAPTCHA SWIFT TASS FRELIMO SEATO CERN NICE OK
    """
    )
)

# Plain English words written in capitals for emphasis or in headlines; never spelled.
CAPS_WORDS: Final[frozenset[str]] = frozenset(
    _words(
        """
    A I AN AND THE OF TO IN ON AT FOR BY OR BUT NOT NO YES IS ARE WAS BE IT ITS AS
    IF SO DO GO UP WE HE SHE US OUR MY ME YOU ALL NEW OLD BIG OUT NOW ONE TWO TEN
    WAR END HOW WHY WHAT WHEN THIS THAT WITH FROM HAS HAD HAVE WILL CAN MAY
    """
    )
)

# Acronyms with a conventional spoken form other than their letters.
ACRONYM_SPOKEN: Final[dict[str, str]] = {
    "C++": "C plus plus",
    "C#": "C sharp",
    "F#": "F sharp",
    "AT&T": "A T and T",
    "Q&A": "Q and A",
    "R&D": "R and D",
    "B&B": "B and B",
    "P&O": "P and O",
}

# Words before a Roman numeral that take the cardinal ("World War Two", "Chapter Four").
ROMAN_CARDINAL_CONTEXT: Final[frozenset[str]] = frozenset(
    _words(
        """
    War Chapter CHAPTER Part PART Book BOOK Volume Vol Act Scene Phase Stage Type Class
    Level Article Title Section Appendix Psalm Canto Round Apollo Vatican Super Bowl
    Grade Division Tier Episode Season
    """
    )
)

# Capitalised words after which a Roman numeral is NOT a regnal number.
ROMAN_EXCLUDED_BEFORE: Final[frozenset[str]] = frozenset(
    _words(
        """
    The A An And Or But If When Then That This These Those It He She We They You
    In On At Of To For From By With As Is Was Are Were
    """
    )
)

# Words that start a new sentence after an initialism ("in the U.S. The ...").
SENTENCE_STARTERS: Final[frozenset[str]] = frozenset(
    _words(
        """
    The A An He She It They We I You His Her Its Their Our This That These Those
    But And So Yet In On At For However Meanwhile Then There Here When While After
    Before If Although Though Since Because As Many Some Most All No One Both Each
    """
    )
)

# Words after "$5 million" that mean the amount is a noun ("dollars in"), not an
# adjective ("a five million dollar deal").
NOT_NOUNS: Final[frozenset[str]] = frozenset(
    _words(
        """
    a an the in on at of for to from by with per each and or but nor is are was
    were be been will would could should can may might must has have had over
    under into onto than as so that this these those which who whom whose
    while when where if then last next this every more less up down out off
    back away about since until before after during through across between
    among against without within annually yearly monthly daily weekly total
    altogether apiece overall it its his her their our your my we they he she
    """
    )
)

# Small fractions written with a slash.
FRACTION_DENOMINATORS: Final[dict[int, tuple[str, str]]] = {
    2: ("half", "halves"),
    3: ("third", "thirds"),
    4: ("quarter", "quarters"),
    5: ("fifth", "fifths"),
    6: ("sixth", "sixths"),
    7: ("seventh", "sevenths"),
    8: ("eighth", "eighths"),
    9: ("ninth", "ninths"),
    10: ("tenth", "tenths"),
}

# Slash expressions with a fixed reading.
SLASH_PHRASES: Final[dict[str, str]] = {
    "24/7": "twenty-four seven",
    "9/11": "nine eleven",
    "50/50": "fifty-fifty",
    "and/or": "and or",
    "w/o": "without",
    "n/a": "not applicable",
    "N/A": "not applicable",
}

# Top-level domains and URL parts read as words rather than spelled.
URL_WORDS: Final[dict[str, str]] = {
    ".": " dot ",
    "/": " slash ",
    "@": " at ",
    "-": " dash ",
    "_": " underscore ",
}

# Symbols that become words.
SYMBOL_WORDS: Final[dict[str, str]] = {
    "&": " and ",
    "+": " plus ",
    "=": " equals ",
    "×": " times ",
    "§": " section ",
    "№": " number ",
}

# Consonant clusters that can start an English word: "KCNA" cannot be a word, "SHEET" can.
ONSETS: Final[frozenset[str]] = frozenset(
    _words(
        """
    BL BR CH CL CR DR FL FR GL GR KN PH PL PR SC SH SK SL SM SN SP ST SW TH TR TW WH WR
    SCH SCR SHR SPL SPR STR THR
    """
    )
)
