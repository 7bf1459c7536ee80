"""Durations as text: every way an episode length or a cue time is written out.

One module, so that the feed, the transcripts and the listening page agree on
how a time is rounded (the feed and the page round to whole seconds, the
transcripts to milliseconds; ``clock`` truncates, so a chapter at 59.9 s reads
``0:59``, the second it starts in).
"""

from __future__ import annotations


def _hms(total: int) -> tuple[int, int, int]:
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs


def itunes_duration(seconds: float) -> str:
    """``HH:MM:SS`` for ``<itunes:duration>``, rounded to the nearest second."""
    hours, minutes, secs = _hms(round(seconds))
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``, truncated to the second (negative times read ``0:00``)."""
    hours, minutes, secs = _hms(max(0, int(seconds)))
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def spoken_duration(seconds: float) -> tuple[str, str]:
    """(``"3 min 20 s"``, ``"PT3M20S"``): for people and for ``<time datetime>``.

    Zero parts are left out of both (``"1 h"``, ``PT1H``), except that a length
    under half a second still reads ``"0 s"`` / ``PT0S`` rather than nothing.
    """
    hours, minutes, secs = _hms(round(seconds))
    words = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s"]
    if hours or minutes:
        words[2] = f"{secs} s" if secs else ""
    machine = "PT" + "".join(
        f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if value
    )
    return " ".join(w for w in words if w), machine if machine != "PT" else "PT0S"


def cue_milliseconds(seconds: float) -> int:
    """A cue time in whole milliseconds, as the transcripts and the page data store it."""
    return max(0, round(seconds * 1000))


def cue_stamp(seconds: float, sep: str) -> str:
    """``HH:MM:SS.mmm`` (WebVTT, ``sep="."``) or ``HH:MM:SS,mmm`` (SRT, ``sep=","``)."""
    hours, rest = divmod(cue_milliseconds(seconds), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{millis:03d}"
