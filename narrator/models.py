"""Data that flows between the pipeline stages.

Every type here is a frozen dataclass: a stage returns new values and never
mutates what it was given, so stages can run in other processes and results can
be cached by content.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

BlockKind = Literal["paragraph", "heading", "list_item"]
SegmentKind = Literal["title", "heading", "narration", "quote"]


@dataclass(frozen=True, slots=True)
class Block:
    """One block of article body text, in reading order."""

    kind: BlockKind
    """paragraph, heading or list_item."""
    text: str
    """The block's text with markup removed and whitespace collapsed."""
    quoted: bool = False
    """It stands in a block quotation (HTML ``<blockquote>``, Markdown and e-mail ``>``): the
    words of someone other than the article's writer, voiced as a quotation."""


@dataclass(frozen=True, slots=True)
class Article:
    """An article as read from disk, with boilerplate already removed."""

    slug: str
    """File-system and URL safe identifier: from the title when read; the build then gives
    the article the slug its episode was first published with (``narrator.build.identity``)."""
    title: str
    """The headline, announced once at the start of the episode."""
    author: str | None
    """Byline, when the article states one."""
    published: _dt.date | None
    """Publication date, when the article states one."""
    language: str
    """BCP 47 language tag of the text (e.g. ``en``)."""
    source: Path
    """The file the article was read from."""
    blocks: tuple[Block, ...]
    """Body blocks in reading order (never empty)."""
    dropped: tuple[str, ...] = ()
    """Lines never spoken (site boilerplate, section breaks, back matter), in order found."""
    url: str | None = None
    """Where the article was published, when known."""
    description: str = ""
    """A short summary for the feed (first paragraph when not given)."""
    updated: _dt.date | None = None
    """When a corrected version of a fetched article replaced the first (show notes say so)."""
    url_key: str | None = None
    """A fetched page's identity (a snapshot's normalised canonical URL,
    ``narrator.web.snapshot.SnapshotMeta.key``); None for any other file, whose identity is
    its path: a URL inside a file the user saved or wrote is only metadata."""


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of article text spoken with one delivery."""

    index: int
    """Position in the article's segment list (0 is the title)."""
    paragraph: int | None
    """Index of the body block it belongs to; None for the title."""
    kind: SegmentKind
    """title, heading, narration or quote."""
    text: str
    """What the article says, verbatim apart from whitespace."""


@dataclass(frozen=True, slots=True)
class Utterance:
    """What the voice says for one segment."""

    segment: Segment
    """The segment this is the spoken form of."""
    text: str
    """The normalized, speakable text."""
    sentences: tuple[str, ...]
    """``text`` split into sentences; each is synthesized on its own."""


@dataclass(frozen=True, slots=True, eq=False)
class Clip:
    """Mono audio that carries its own format."""

    samples: npt.NDArray[np.float32]
    """Samples in [-1, 1], one channel."""
    sample_rate: int
    """Samples per second."""

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True, slots=True)
class Voice:
    """A voice of one backend, with its delivery settings."""

    backend: str
    """Registry name of the backend (``piper``, ``gtts``, ...)."""
    name: str
    """Backend-specific voice name or model path; empty for the default."""
    length_scale: float = 1.0
    """Tempo: above 1 is slower (Piper's length scale)."""
    pitch: float = 1.0
    """Pitch factor applied after synthesis (1.0 = unchanged)."""
    language: str = "en"
    """Language for backends that need one (gTTS)."""
    noise_scale: float = 0.2
    """How much the sound varies (Piper's noise scale; the voice's own default is 0.667).
    With ``noise_w`` 0.3 it gave an offline recognizer the fewest word errors of the
    settings tried (0.667/0.8, 0.2/0.3, 0.1/0.15, 0/0), with the same pitch movement
    (``bench/measure_noise.py``, figures in ``bench/README.md``). Piper backend only."""
    noise_w: float = 0.3
    """How much phoneme lengths vary (Piper's noise w; the voice's own default is 0.8)."""

    def settings(self) -> dict[str, object]:
        """Settings that change the audio, for cache keys."""
        return {
            "backend": self.backend,
            "name": self.name,
            "length_scale": self.length_scale,
            "pitch": self.pitch,
            "language": self.language,
            "noise_scale": self.noise_scale,
            "noise_w": self.noise_w,
        }


@dataclass(frozen=True, slots=True)
class Cue:
    """A timed stretch of the episode: one spoken sentence."""

    start: float
    """Seconds from the start of the episode."""
    end: float
    """Seconds from the start of the episode."""
    text: str
    """What the article says here (the transcript text)."""
    segment: int
    """Index of the segment it belongs to."""
    paragraph: int | None
    """Index of the body block, None for the title."""
    kind: SegmentKind
    """The segment's kind."""


@dataclass(frozen=True, slots=True)
class Chapter:
    """A navigable part of an episode."""

    start: float
    """Seconds from the start of the episode."""
    end: float
    """Seconds from the start of the episode."""
    title: str
    """What the chapter is called in players."""


@dataclass(frozen=True, slots=True)
class Show:
    """Podcast-level metadata, from narrator.toml."""

    title: str
    author: str
    description: str
    language: str
    base_url: str
    """Absolute URL where the output folder is published ('' if unknown)."""
    email: str = ""
    category: str = "News"
    explicit: bool = False
    cover: Path | None = None
    link: str = ""
    feed_limit: int = 0
    """How many of the newest episodes ``feed.xml`` lists (0: all). Older ones stay on the
    listening page and in the episodes folder; apps that already have them keep them."""
