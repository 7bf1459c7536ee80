"""The whole build: articles in, episodes, catalog and feed out.

Reading stages (ingest, segment, speak) never touch the output folder; the
writing stages write atomically. An article that fails is reported and
skipped; the others are still built and listed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from narrator import __version__
from narrator.build.atomic import atomic_path, write_if_changed
from narrator.build.checkpoints import checkpoint
from narrator.build.lock import lock_output
from narrator.config import Config
from narrator.errors import NarratorError
from narrator.models import Article, Clip, Utterance, Voice
from narrator.publish.catalog import CATALOG_NAME, Catalog, Entry, guid_for
from narrator.publish.cover import Cover, ensure_cover
from narrator.publish.feed import write_feed
from narrator.publish.page import write_page
from narrator.text.ingest import SUPPORTED_EXTENSIONS, read_article
from narrator.text.limits import check_article_size, check_file_size
from narrator.text.normalize import speak
from narrator.text.segment import segment_article
from narrator.voice.cluster import ClusterError
from narrator.voice.render import voice_identity
from narrator.voice.synthesizer import Progress, Request, SynthesisFailed, Synthesizer

if TYPE_CHECKING:
    from narrator.build.store import ClipCache

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = SUPPORTED_EXTENSIONS
"""A folder is searched for files that ingest can read."""
EPISODES_DIR = "episodes"
PUBLISH_EVERY_S = 2.0
"""During a batch, the feed is refreshed at most this often as episodes are replaced."""


@dataclass(frozen=True, slots=True)
class Failure:
    """An article that could not be built."""

    source: Path
    error: NarratorError


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the summary line."""

    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    clips_synthesized: int = 0
    clips_cached: int = 0
    fallbacks: int = 0
    """Sentences voiced by the fallback backend because the chosen one failed."""
    feed_written: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        episodes = len(self.built) + len(self.unchanged)
        parts = [f"{len(self.unchanged)} unchanged", f"{len(self.built)} rebuilt"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return (
            f"{episodes} episode{'s' if episodes != 1 else ''}: {', '.join(parts)}; "
            f"{self.clips_cached} clips from cache, {self.clips_synthesized} synthesized"
            + (f" ({self.fallbacks} by the fallback voice)" if self.fallbacks else "")
            + f"; {self.seconds:.1f} s"
        )


def collect_articles(paths: Sequence[Path]) -> list[Path]:
    """Article files named by ``paths`` (files, or folders searched one level deep), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            files = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in ARTICLE_SUFFIXES
                and not p.name.startswith(".")
            )
            if not files:
                raise NarratorError(
                    "no articles found",
                    path=path,
                    hint=f"expected files ending in {', '.join(ARTICLE_SUFFIXES)}",
                )
            found.extend(files)
        elif path.exists():
            found.append(path)
        else:
            raise NarratorError("no such file or folder", path=path)
    return found


def voice_for(utterance: Utterance, config: Config) -> Voice:
    """Quotations get the quote voice; everything else the narration voice."""
    return config.quote if utterance.segment.kind == "quote" else config.narration


def plan(article: Article, config: Config) -> list[Utterance]:
    """The spoken form of every segment of ``article`` (no audio yet)."""
    lexicon = dict(config.lexicon)
    utterances = [speak(segment, lexicon) for segment in segment_article(article)]
    return [u for u in utterances if u.sentences]


def build_key(
    article: Article, utterances: Sequence[Utterance], config: Config, cover: Cover
) -> str:
    """Hash of everything the MP3's bytes depend on (bump ``format`` when assembly changes)."""
    doc = {
        "format": 3,
        "narrator": __version__,
        "utterances": [[u.segment.kind, u.segment.text, list(u.sentences)] for u in utterances],
        "voices": [voice_identity(config.narration), voice_identity(config.quote)],
        "pauses": repr(config.pauses),
        "audio": repr(config.audio),
        "show": [config.show.title, config.show.author],
        "article": [article.title, article.author, str(article.published), article.url],
        "description": describe(article),
        "cover": hashlib.sha256(cover.data).hexdigest(),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def describe(article: Article) -> str:
    """The description ingest found (the page's own or its opening paragraph), else the title."""
    return article.description or article.title


def segment_label(utterance: Utterance, width: int = 40) -> str:
    """How an error names a segment: its number, kind and opening words."""
    segment = utterance.segment
    text = " ".join(segment.text.split())
    if len(text) > width:
        text = text[:width].rsplit(" ", 1)[0] + "…"
    return f"segment {segment.index} ({segment.kind}, {text!r})"


def requests_for(utterances: Sequence[Utterance], config: Config) -> list[Request]:
    """Every sentence of an article with the voice that speaks it, in reading order."""
    return [(s, voice_for(u, config)) for u in utterances for s in u.sentences]


def write_episode(
    article: Article,
    utterances: Sequence[Utterance],
    clips: Sequence[Clip],
    config: Config,
    out_dir: Path,
    cover: Cover,
    catalog: Catalog,
    key: str,
    store: ClipCache | None = None,
) -> Entry:
    """Assemble, encode, tag and write one episode with its transcripts and chapters.

    What leveling and encoding made of each chunk of the episode is kept in ``store``
    and reused while the chunk is unchanged.
    """
    from narrator.audio.assemble import VoicedUtterance, assemble
    from narrator.publish.chapters import make_chapters
    from narrator.publish.tags import Tags, write_tags
    from narrator.publish.transcripts import to_chapters_json, to_srt, to_vtt

    remaining = iter(clips)
    voiced = [VoicedUtterance(u, tuple(next(remaining) for _ in u.sentences)) for u in utterances]
    previous = catalog.entries.get(article.slug)
    assembled = assemble(
        voiced, config.pauses, config.audio, previous.gain_db if previous else None, store
    )
    mp3 = assembled.encode(config.audio.bitrate, store)
    duration = assembled.duration
    chapters = make_chapters(assembled.cues, duration, article.title)
    transcript_text = "\n".join(c.text for c in assembled.cues)
    first_published = catalog.first_published(article.slug)
    article_date = article.published.isoformat() if article.published else None
    description = describe(article)
    episodes = out_dir / EPISODES_DIR
    mp3_path = episodes / f"{article.slug}.mp3"
    with atomic_path(mp3_path) as tmp:
        tmp.write_bytes(mp3)
        write_tags(
            tmp,
            Tags(
                title=article.title,
                artist=article.author or config.show.author,
                album=config.show.title,
                date=article_date or first_published[:10],
                description=description,
                length_ms=round(duration * 1000),
                transcript=transcript_text,
                source_url=article.url,
                cover=cover.data,
                cover_mime=cover.mime,
                chapters=chapters,
            ),
        )
        checkpoint("episode-temp-written")
        size = tmp.stat().st_size
    extras = {
        "transcript_vtt": f"{EPISODES_DIR}/{article.slug}.vtt",
        "transcript_srt": f"{EPISODES_DIR}/{article.slug}.srt",
        "chapters": f"{EPISODES_DIR}/{article.slug}.chapters.json",
    }
    write_if_changed(out_dir / extras["transcript_vtt"], to_vtt(assembled.cues).encode())
    write_if_changed(out_dir / extras["transcript_srt"], to_srt(assembled.cues).encode())
    write_if_changed(out_dir / extras["chapters"], to_chapters_json(chapters).encode())
    return Entry(
        slug=article.slug,
        guid=guid_for(article.slug),
        first_published=first_published,
        title=article.title,
        description=description,
        author=article.author,
        date=article_date,
        file=f"{EPISODES_DIR}/{article.slug}.mp3",
        bytes=size,
        duration=duration,
        source=str(article.source),
        url=article.url,
        build_key=key,
        extras=extras,
        gain_db=assembled.gain_db,
    )


def _unique_slugs(articles: Iterable[Article]) -> list[Article]:

    seen: dict[str, int] = {}
    out = []
    for article in articles:
        count = seen.get(article.slug, 0)
        seen[article.slug] = count + 1
        out.append(article if count == 0 else replace(article, slug=f"{article.slug}-{count + 1}"))
    return out


def build(
    paths: Sequence[Path],
    out_dir: Path,
    config: Config,
    *,
    force: bool = False,
    progress: Progress | None = None,
    synthesizer: Synthesizer | None = None,
    wait: float = 0.0,
) -> BuildReport:
    """Build every article under ``paths`` into ``out_dir`` and write the feed.

    Plan every article first (ingest, segment, speak: no audio), skip those whose
    build key is unchanged, then voice the sentences of all the others in one
    batch (``Synthesizer.voice_batches``) and write each episode as soon as its
    clips are ready. Without a ``synthesizer``, one with the default clip cache
    (``narrator.build.store.default_cache_dir()``) and one worker per core is used.

    The output folder is locked for the whole build (``narrator.build.lock``): another
    build of the same folder waits up to ``wait`` seconds, then stops with an error.

    A build that stored anything in the cache ends by fitting the cache to
    ``[cache] max_size`` (``ClipCache.fit``: least recently used entries go, never one
    this build used).
    """
    started = time.perf_counter()
    if synthesizer is None:
        from narrator.build.store import ClipCache, default_cache_dir

        synthesizer = Synthesizer(cache=ClipCache(default_cache_dir()))
    sources = collect_articles(paths)  # a missing path fails before the output is touched
    try:
        with lock_output(out_dir, wait=wait):
            report = _build_locked(sources, out_dir, config, force, progress, synthesizer)
    finally:
        synthesizer.close()
    cache = synthesizer.cache
    if cache is not None and cache.stored:
        cache.fit(config.cache.max_size.resolve(cache.root))
    report.seconds = time.perf_counter() - started
    return report


def _edited_since_last_build(sources: Sequence[Path], out_dir: Path) -> bool:
    """Whether an article file changed after the catalog was last written (a hint only:
    it decides whether synthesis workers start before planning shows they are needed)."""
    try:
        built = (out_dir / CATALOG_NAME).stat().st_mtime
        return any(source.stat().st_mtime >= built for source in sources)
    except OSError:
        return True


def _all_built(sources: Sequence[Path], catalog: Catalog) -> bool:
    """Whether every article was built before (so a rebuild probably voices few sentences)."""
    built = {entry.source for entry in catalog.entries.values()}
    return bool(built) and all(str(source) in built for source in sources)


def _build_locked(
    sources: Sequence[Path],
    out_dir: Path,
    config: Config,
    force: bool,
    progress: Progress | None,
    synthesizer: Synthesizer,
) -> BuildReport:
    report = BuildReport()
    synthesized, cached, fallbacks = (
        synthesizer.synthesized,
        synthesizer.cached,
        synthesizer.fallbacks,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.load(out_dir)
    if force or _edited_since_last_build(sources, out_dir):
        # Load the voices in worker processes while the articles are read and planned.
        synthesizer.warm([config.narration, config.quote], few=_all_built(sources, catalog))
    cover = ensure_cover(out_dir, config.show)
    articles: list[Article] = []
    for source in sources:
        try:
            check_file_size(source)
            articles.append(read_article(source, language=config.show.language))
        except NarratorError as exc:
            report.failed.append(Failure(source, exc))
    work: list[tuple[Article, list[Utterance], str]] = []
    for article in _unique_slugs(articles):
        try:
            check_article_size(article)
            utterances = plan(article, config)
            if not utterances:
                raise NarratorError("nothing to say", path=article.source)
            key = build_key(article, utterances, config, cover)
            previous = catalog.entries.get(article.slug)
            mp3 = out_dir / EPISODES_DIR / f"{article.slug}.mp3"
            if (
                not force
                and previous is not None
                and previous.build_key == key
                and mp3.is_file()
                and mp3.stat().st_size == previous.bytes
            ):
                report.unchanged.append(article.slug)
                continue
            work.append((article, utterances, key))
        except NarratorError as exc:
            _fail(report, article, exc)
    if work:
        checkpoint("before-synthesis")
        batches = [requests_for(utterances, config) for _, utterances, _ in work]
        finished: set[int] = set()
        published = time.perf_counter() - PUBLISH_EVERY_S
        try:
            for index, outcome in synthesizer.voice_batches(
                batches, progress, [article.slug for article, _, _ in work]
            ):
                finished.add(index)
                article, utterances, key = work[index]
                try:
                    if isinstance(outcome, SynthesisFailed):
                        owners = [u for u in utterances for _ in u.sentences]
                        raise NarratorError(
                            f"{segment_label(owners[outcome.index])}: {outcome.message}",
                            path=outcome.path,
                            hint=outcome.hint,
                        ) from outcome
                    checkpoint("after-synthesis")
                    entry = write_episode(
                        article,
                        utterances,
                        outcome,
                        config,
                        out_dir,
                        cover,
                        catalog,
                        key,
                        synthesizer.cache,
                    )
                    checkpoint("before-catalog")
                    catalog.put(entry)
                    catalog.save()
                    report.built.append(article.slug)
                    if time.perf_counter() - published > PUBLISH_EVERY_S:
                        # The MP3 was replaced in place: list its new length soon, not
                        # only when the whole batch is done.
                        _publish(out_dir, config, catalog, cover)
                        published = time.perf_counter()
                except NarratorError as exc:
                    _fail(report, article, exc)
        except ClusterError:  # the cluster is gone: stop, and leave the output as it was
            raise
        except NarratorError as exc:  # the workers themselves failed: the rest cannot be built
            for index, (article, _, _) in enumerate(work):
                if index not in finished:
                    _fail(report, article, NarratorError(exc.message, hint=exc.hint))
    catalog.save()
    checkpoint("before-feed")
    report.feed_written = _publish(out_dir, config, catalog, cover)
    report.clips_synthesized = synthesizer.synthesized - synthesized
    report.clips_cached = synthesizer.cached - cached
    report.fallbacks = synthesizer.fallbacks - fallbacks
    return report


def _publish(out_dir: Path, config: Config, catalog: Catalog, cover: Cover) -> bool:
    """Write the feed and the listening page for every episode on disk; True if the feed changed."""
    present = [e for e in catalog.entries.values() if (out_dir / e.file).is_file()]
    written = write_feed(out_dir, config.show, present, cover.file)
    write_page(out_dir, config.show, present, cover.file)
    return written


def _fail(report: BuildReport, article: Article, exc: NarratorError) -> None:
    if exc.path is None:
        exc.path = article.source
    report.failed.append(Failure(article.source, exc))
