"""One episode: an article → its plan and build key → (voiced) its MP3 and the files
beside it, and its catalog entry.

Planning (``plan``, ``build_key``, ``is_current``) lives here beside the writing so
that a cluster worker (``narrator.build.remote``) runs the very code the local
build runs.

The steps, in order: pair each sentence's clip with its utterance, assemble and
level the audio, encode it, tag the MP3 (with chapters and transcript), write it
to a temporary file, then the companions (WebVTT and SRT transcripts,
Podcasting 2.0 chapters, the listening page's data), all staged in the caller's
``AtomicFiles`` group: nothing is renamed until every file of the episode (and
the catalog the caller stages after them) is complete, so a disk that fills up
half-way changes none of them. The MP3 is renamed first: a build killed between
the renames leaves companions of the previous version beside the new audio, and
the next build (whose catalog still holds the old build key) writes the episode
again.

Audio and tagging libraries are imported inside the functions that need them,
so importing this module (e.g. for ``describe``) stays light.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from narrator import __version__
from narrator.build.atomic import AtomicFiles
from narrator.build.checkpoints import checkpoint
from narrator.build.identity import article_key, folder_of
from narrator.config import Config
from narrator.errors import NarratorError
from narrator.models import Article, Chapter, Clip, Cue, Utterance, Voice
from narrator.publish.catalog import Catalog, Entry, guid_for
from narrator.publish.cover import Cover
from narrator.publish.page import PAGE_DATA, to_page_data
from narrator.publish.transcripts import to_chapters_json, to_srt, to_vtt
from narrator.text.normalize import speak
from narrator.text.segment import segment_article
from narrator.voice.render import voice_identity

if TYPE_CHECKING:
    from narrator.audio.assemble import Assembled
    from narrator.build.store import ClipCache
    from narrator.publish.tags import Tags
    from narrator.voice.synthesizer import Request, SynthesisFailed

EPISODES_DIR = "episodes"
"""Folder of the output where episodes and their companion files go."""

COMPANIONS = {
    "transcript_vtt": ".vtt",
    "transcript_srt": ".srt",
    "chapters": ".chapters.json",
    PAGE_DATA: ".page.json",
}
"""Companion files written beside each MP3: ``Entry.extras`` key → file name suffix.

An entry that lacks one of these keys was built by an older version and is built
again (``has_companions``), so every episode on the page has all of them."""


@dataclass(frozen=True, slots=True)
class PlannedEpisode:
    """An article ready to be voiced: what it says and the key of what its MP3 depends on."""

    article: Article
    utterances: tuple[Utterance, ...]
    key: str
    """``build_key`` of the article: unchanged key, unchanged MP3."""
    input_key: str = ""
    """``Entry.input_key`` of the article (its file and the settings), if known."""


def voice_for(utterance: Utterance, config: Config) -> Voice:
    """Quotations get the quote voice; everything else the narration voice."""
    return config.quote if utterance.segment.kind == "quote" else config.narration


def requests_for(utterances: Sequence[Utterance], config: Config) -> list[Request]:
    """Every sentence of an article with the voice that speaks it, in reading order."""
    return [(s, voice_for(u, config)) for u in utterances for s in u.sentences]


def segment_label(utterance: Utterance, width: int = 40) -> str:
    """How an error names a segment: its number, kind and opening words."""
    segment = utterance.segment
    text = " ".join(segment.text.split())
    if len(text) > width:
        text = text[:width].rsplit(" ", 1)[0] + "…"
    return f"segment {segment.index} ({segment.kind}, {text!r})"


def synthesis_error(planned: PlannedEpisode, failed: SynthesisFailed) -> NarratorError:
    """The failed sentence's error, naming the segment it belongs to."""
    owners = [u for u in planned.utterances for _ in u.sentences]
    return NarratorError(
        f"{segment_label(owners[failed.index])}: {failed.message}",
        path=failed.path,
        hint=failed.hint,
    )


def plan(article: Article, config: Config) -> list[Utterance]:
    """The spoken form of every segment of ``article`` (no audio yet)."""
    lexicon = dict(config.lexicon)
    utterances = [speak(segment, lexicon) for segment in segment_article(article)]
    return [u for u in utterances if u.sentences]


def build_settings(config: Config, cover: Cover) -> dict[str, object]:
    """The part of ``build_key`` that is the same for every article of a build."""
    return {
        "format": 3,
        "narrator": __version__,
        "voices": [voice_identity(config.narration), voice_identity(config.quote)],
        "pauses": repr(config.pauses),
        "audio": repr(config.audio),
        "show": [config.show.title, config.show.author],
        "cover": hashlib.sha256(cover.data).hexdigest(),
    }


def build_key(
    article: Article,
    utterances: Sequence[Utterance],
    config: Config,
    cover: Cover,
    settings: dict[str, object] | None = None,
) -> str:
    """Hash of everything the MP3's bytes depend on (bump ``format`` when assembly changes).

    ``settings``: ``build_settings(config, cover)``, when the caller has it already.
    """
    doc = {
        **(settings or build_settings(config, cover)),
        "utterances": [[u.segment.kind, u.segment.text, list(u.sentences)] for u in utterances],
        "article": [article.title, article.author, str(article.published), article.url],
        "description": describe(article),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def is_current(previous: Entry | None, key: str, out_dir: Path) -> bool:
    """Whether the episode on disk was built from the same key and is still whole."""
    return previous is not None and previous.build_key == key and is_whole(previous, out_dir)


def is_whole(entry: Entry, out_dir: Path) -> bool:
    """Whether the episode's files are as its entry lists them.

    Its MP3 must have the size the catalog lists (a file replaced or truncated by
    hand is rebuilt), and the entry must list every companion file this version
    writes (an episode built by an older version gets the new ones). A companion
    file deleted by hand is not noticed.
    """
    if not has_companions(entry):
        return False
    mp3 = out_dir / mp3_name(entry.slug)
    try:
        return mp3.stat().st_size == entry.bytes
    except OSError:
        return False


def describe(article: Article) -> str:
    """The description ingest found (the page's own or its opening paragraph), else the title;
    a corrected web article's says when it was updated."""
    text = article.description or article.title
    if article.updated is not None:
        text += f" (Updated {article.updated.day} {article.updated:%B %Y}.)"
    return text


def mp3_name(slug: str) -> str:
    """The episode's MP3, relative to the output folder."""
    return f"{EPISODES_DIR}/{slug}.mp3"


def companion_names(slug: str) -> dict[str, str]:
    """The episode's companion files (``COMPANIONS``), relative to the output folder."""
    return {key: f"{EPISODES_DIR}/{slug}{suffix}" for key, suffix in COMPANIONS.items()}


def has_companions(entry: Entry) -> bool:
    """Whether ``entry`` lists every companion file this version writes."""
    return COMPANIONS.keys() <= entry.extras.keys()


def write_episode(
    planned: PlannedEpisode,
    clips: Sequence[Clip],
    config: Config,
    out_dir: Path,
    cover: Cover,
    catalog: Catalog,
    files: AtomicFiles,
    store: ClipCache | None = None,
) -> Entry:
    """Assemble, encode, tag and stage one episode with its companions in ``files``;
    its catalog entry (the caller puts it in the catalog once ``files`` are renamed).

    ``clips`` are the article's sentences in reading order. What leveling and
    encoding made of each chunk of the episode is kept in ``store`` and reused
    while the chunk is unchanged; the gain of the previous build (from
    ``catalog``) is kept while it still fits, so an edit does not shift the
    loudness of the rest of the episode.
    """
    article = planned.article
    previous = catalog.entries.get(article.slug)
    assembled = _assemble(planned.utterances, clips, config, previous, store)
    duration = assembled.duration
    from narrator.publish.chapters import make_chapters

    chapters = make_chapters(assembled.cues, duration, article.title)
    first_published = catalog.first_published(article.slug, published=article.published)
    mp3 = assembled.encode(config.audio.bitrate, store)
    tags = _tags(article, config, cover, assembled.cues, chapters, duration, first_published)
    size = _write_mp3(files, out_dir / mp3_name(article.slug), mp3, tags)
    extras = companion_names(article.slug)
    _write_companions(files, out_dir, extras, assembled.cues, chapters)
    return Entry(
        slug=article.slug,
        guid=previous.guid if previous else guid_for(article.slug),
        first_published=first_published,
        title=article.title,
        description=describe(article),
        author=article.author,
        date=_article_date(article),
        file=mp3_name(article.slug),
        bytes=size,
        duration=duration,
        source=str(article.source),
        url=article.url,
        build_key=planned.key,
        extras=extras,
        gain_db=assembled.gain_db,
        key=article_key(article),
        folder=folder_of(article.source),
        input_key=planned.input_key,
    )


def delete_episode(out_dir: Path, entry: Entry) -> None:
    """Delete an episode's MP3 and companion files (those missing are skipped).

    Only files of the output's episodes folder are touched, whatever the entry says.
    """
    episodes = (out_dir / EPISODES_DIR).resolve()
    for name in (entry.file, *entry.extras.values()):
        path = out_dir / name
        if path.absolute().resolve().parent == episodes and path.is_file():
            path.unlink()


def _assemble(
    utterances: Sequence[Utterance],
    clips: Sequence[Clip],
    config: Config,
    previous: Entry | None,
    store: ClipCache | None,
) -> Assembled:
    """The episode's audio: each utterance with its sentences' clips, pauses between them."""
    from narrator.audio.assemble import VoicedUtterance, assemble

    remaining = iter(clips)
    voiced = [VoicedUtterance(u, tuple(next(remaining) for _ in u.sentences)) for u in utterances]
    gain_db = previous.gain_db if previous else None
    return assemble(voiced, config.pauses, config.audio, gain_db, store)


def _article_date(article: Article) -> str | None:
    return article.published.isoformat() if article.published else None


def _tags(
    article: Article,
    config: Config,
    cover: Cover,
    cues: Sequence[Cue],
    chapters: Sequence[Chapter],
    duration: float,
    first_published: str,
) -> Tags:
    """The ID3 tag: the article's own date if it has one, else the day it first went out."""
    from narrator.publish.tags import Tags

    return Tags(
        title=article.title,
        artist=article.author or config.show.author,
        album=config.show.title,
        date=_article_date(article) or first_published[:10],
        description=describe(article),
        length_ms=round(duration * 1000),
        transcript="\n".join(c.text for c in cues),
        source_url=article.url,
        cover=cover.data,
        cover_mime=cover.mime,
        chapters=chapters,
    )


def _write_mp3(files: AtomicFiles, path: Path, mp3: bytes, tags: Tags) -> int:
    """Stage the tagged MP3 in ``files`` (renamed over ``path`` later); its size in bytes."""
    from narrator.publish.tags import write_tags

    tmp = files.stage(path)
    tmp.write_bytes(mp3)
    write_tags(tmp, tags)
    checkpoint("episode-temp-written")
    return tmp.stat().st_size


def _write_companions(
    files: AtomicFiles,
    out_dir: Path,
    names: dict[str, str],
    cues: Sequence[Cue],
    chapters: Sequence[Chapter],
) -> None:
    """Stage transcripts, chapters and page data; each file only if its content changed."""
    contents = {
        "transcript_vtt": to_vtt(cues),
        "transcript_srt": to_srt(cues),
        "chapters": to_chapters_json(chapters),
        PAGE_DATA: to_page_data(cues, chapters),
    }
    for key, text in contents.items():
        files.write_if_changed(out_dir / names[key], text.encode())
