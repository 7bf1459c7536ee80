"""Units of measure after a number (``430km``, ``20°C``)."""

from __future__ import annotations

import re
from typing import Final

from narrator.text.normalize.numbers import NUMBER, WORD_AFTER, cardinal, unit_form

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


def expand_units(text: str) -> str:
    """Units after numbers: ``430km`` → "four hundred thirty kilometers", ``20°C``.

    Why: espeak reads "430km" as "four hundred thirty k m" or as a word.
    Fails: "100m" could be 100 million; it is read as meters unless a plural
    noun follows ("100m people" → million).  "5-km run" stays plural.
    """
    units = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))

    def unit(m: re.Match[str]) -> str:
        num, u = m.group("num"), m.group("unit")
        nxt = m.group("next") or ""
        if u in ("m", "M") and nxt and nxt.islower() and nxt.endswith("s"):
            return f"{cardinal(num)} million{m.group('after') or ''}"
        return f"{cardinal(num)} {unit_form(num, UNITS[u])}{m.group('after') or ''}"

    text = re.sub(
        rf"(?<![\w.,])(?P<num>{NUMBER})\s?(?P<unit>{units})(?![\w/²]){WORD_AFTER}", unit, text
    )
    # A scale after words ("the mid to high twenties °C"): the plural reading.
    return re.sub(r"(?<=[^\W\d_]) ?°([CF])\b", lambda m: " " + UNITS["°" + m.group(1)][1], text)
