"""Transcripts (WebVTT, SRT) and Podcasting 2.0 chapters JSON, from assembly timings."""

from __future__ import annotations

import json
from collections.abc import Sequence

from narrator.models import Chapter, Cue
from narrator.publish.durations import cue_stamp


def _clean(text: str) -> str:
    return " ".join(text.split())


def to_vtt(cues: Sequence[Cue]) -> str:
    """A WebVTT document, one cue per spoken sentence; quotations marked with a voice tag."""
    lines = ["WEBVTT", ""]
    for number, cue in enumerate(cues, 1):
        text = _clean(cue.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if cue.kind == "quote":
            text = f"<v Quote>{text}"
        lines += [
            str(number),
            f"{cue_stamp(cue.start, '.')} --> {cue_stamp(cue.end, '.')}",
            text,
            "",
        ]
    return "\n".join(lines)


def to_srt(cues: Sequence[Cue]) -> str:
    """An SRT document with the same cues as ``to_vtt``."""
    lines: list[str] = []
    for number, cue in enumerate(cues, 1):
        lines += [
            str(number),
            f"{cue_stamp(cue.start, ',')} --> {cue_stamp(cue.end, ',')}",
            _clean(cue.text),
            "",
        ]
    return "\n".join(lines)


def to_chapters_json(chapters: Sequence[Chapter]) -> str:
    """Podcasting 2.0 JSON chapters (version 1.2)."""
    doc = {
        "version": "1.2",
        "chapters": [
            {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "title": c.title}
            for c in chapters
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
