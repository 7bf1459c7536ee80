"""Stage: ID3v2.4 tags on the episode MP3, through mutagen (one wrapper, one place)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TLEN,
    TPE1,
    USLT,
    WOAS,
    CTOCFlags,
    ID3NoHeaderError,
)
from mutagen.id3 import error as ID3Error

from narrator.errors import NarratorError
from narrator.models import Chapter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tags:
    """What goes into an episode's ID3 tag."""

    title: str
    artist: str
    album: str
    date: str
    """ISO date, e.g. 2020-08-16."""
    description: str
    length_ms: int
    transcript: str = ""
    source_url: str | None = None
    cover: bytes | None = None
    cover_mime: str = "image/jpeg"
    chapters: Sequence[Chapter] = ()
    language: str = "eng"


def write_tags(path: Path, tags: Tags) -> None:
    """Replace the ID3 tag of ``path`` with ``tags`` (ID3v2.4)."""
    try:
        try:
            id3 = ID3(path)
            id3.clear()
        except ID3NoHeaderError:
            id3 = ID3()
        id3.add(TIT2(encoding=3, text=tags.title))
        id3.add(TPE1(encoding=3, text=tags.artist))
        id3.add(TALB(encoding=3, text=tags.album))
        if tags.date:
            id3.add(TDRC(encoding=3, text=tags.date))
        id3.add(TCON(encoding=3, text="Podcast"))
        id3.add(COMM(encoding=3, lang=tags.language, desc="", text=tags.description))
        id3.add(TLEN(encoding=3, text=str(tags.length_ms)))
        if tags.transcript:
            id3.add(USLT(encoding=3, lang=tags.language, desc="transcript", text=tags.transcript))
        if tags.source_url:
            id3.add(WOAS(url=tags.source_url))
        if tags.cover:
            id3.add(APIC(encoding=3, mime=tags.cover_mime, type=3, desc="Cover", data=tags.cover))
        _add_chapters(id3, tags.chapters)
        id3.save(path, v2_version=4)
    except (ID3Error, OSError) as exc:
        raise NarratorError(f"cannot write ID3 tags: {exc}", path=path) from exc


def _add_chapters(id3: ID3, chapters: Sequence[Chapter]) -> None:
    if not chapters:
        return
    ids = [f"chp{n}" for n in range(len(chapters))]
    id3.add(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=3, text="Chapters")],
        )
    )
    for element_id, chapter in zip(ids, chapters, strict=True):
        id3.add(
            CHAP(
                element_id=element_id,
                start_time=round(chapter.start * 1000),
                end_time=round(chapter.end * 1000),
                sub_frames=[TIT2(encoding=3, text=chapter.title)],
            )
        )
