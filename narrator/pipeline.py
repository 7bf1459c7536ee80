"""The whole build: articles in, episodes, catalog and feed out.

Reading stages (ingest, segment, speak) never touch the output folder; the
writing stages write atomically. An article that fails is reported and
skipped; the others are still built and listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from narrator.catalog import Catalog, Entry, guid_for
from narrator.checkpoints import checkpoint
from narrator.cluster import ClusterError
from narrator.config import Config
from narrator.cover import Cover, ensure_cover
from narrator.errors import NarratorError
from narrator.fsutil import atomic_path, write_if_changed
from narrator.ingest import read_article
from narrator.limits import check_article_size, check_file_size
from narrator.models import Article, Clip, Utterance, Voice
from narrator.publish import write_feed
from narrator.segment import segment_article
from narrator.site import write_page
from narrator.speak import speak
from narrator.synthesize import voice_identity

if TYPE_CHECKING:
    from narrator.cache import ClipCache
    from narrator.cluster import VoicePool
    from narrator.workers import Voiced

# Audio modules (scipy, lameenc, mutagen, onnxruntime) are imported where audio is
# made, so that a build with nothing to do, and `narrator --help`, stay quick; a
# build with audio to make imports them in the background while voices load.
AUDIO_MODULES = (
    "narrator.assemble",
    "narrator.codec",
    "narrator.tag",
    "lameenc",
    "scipy.signal",  # the loudness meter and resampler: ~0.5 s to import
    "scipy.ndimage",  # the peak limiter
)

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
EPISODES_DIR = "episodes"
DESCRIPTION_CHARS = 400


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
    """Hash of everything the MP3's bytes depend on."""
    identities = {v.backend + v.name: voice_identity(v) for v in (config.narration, config.quote)}
    doc = {
        "format": 1,
        "utterances": [[u.segment.kind, u.segment.text, list(u.sentences)] for u in utterances],
        "voices": [voice_identity(config.narration), voice_identity(config.quote), identities],
        "pauses": repr(config.pauses),
        "audio": repr(config.audio),
        "show": [config.show.title, config.show.author],
        "article": [article.title, article.author, str(article.published), article.url],
        "description": describe(article),
        "cover": hashlib.sha256(cover.data).hexdigest(),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def describe(article: Article) -> str:
    """The episode description: the article's own, or its opening paragraph."""
    if article.description:
        return article.description
    first = next((b.text for b in article.blocks if b.kind != "heading"), article.title)
    if len(first) <= DESCRIPTION_CHARS:
        return first
    cut = first[:DESCRIPTION_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


@dataclass(frozen=True, slots=True)
class Tick:
    """How far a build has got, after each clip."""

    slug: str
    """The article the clip belongs to."""
    done: int
    """Clips of that article ready (from the cache or synthesized)."""
    total: int
    """Clips that article needs."""
    all_done: int
    """Clips ready across the whole batch."""
    all_total: int
    """Clips the whole batch needs."""
    eta: float | None
    """Seconds of synthesis left, estimated from the text still to voice (None: unknown)."""


Progress = Callable[[Tick], None]
"""Called after each clip that becomes ready."""

Request = tuple[str, Voice]
"""One sentence to voice, and the voice to voice it with."""


class SynthesisFailed(NarratorError):
    """Voicing request ``index`` of a batch failed (the cause is chained)."""

    def __init__(self, index: int, cause: NarratorError) -> None:
        super().__init__(cause.message, path=cause.path, hint=cause.hint)
        self.index = index


class Synthesizer:
    """Voices sentences: the clip cache, the worker processes and the fallback voice.

    ``voice_batches`` takes every article of a build at once (one batch of
    requests per article): sentences already in ``cache`` are not voiced again,
    the rest are spread over ``jobs`` worker processes (``threads`` onnxruntime
    threads each; see ``narrator.workers``), and each batch is handed back as
    soon as its last clip is ready, so assembling one episode overlaps with
    voicing the next.

    With a ``fallback`` backend, a sentence the chosen backend cannot voice
    (gTTS after its retries) is voiced by the fallback instead, with a warning;
    such clips are never cached.

    With a ``scheduler`` (``tcp://HOST:8786``, or ``local:N``), sentences are
    voiced by the workers of that Dask cluster instead (``narrator.cluster``);
    everything else stays the same.
    """

    def __init__(
        self,
        fallback: str | None = None,
        *,
        cache: ClipCache | None = None,
        jobs: int | None = None,
        threads: int | None = None,
        scheduler: str | None = None,
    ) -> None:
        if scheduler:
            from narrator.cluster import parse_scheduler, require_dask

            scheduler = parse_scheduler(scheduler)
            require_dask()
        self.scheduler = scheduler or None
        self.synthesized = 0
        self.cached = 0
        self.fallback = fallback
        self.fallbacks = 0
        self.cache = cache
        self.jobs = jobs
        self.threads = threads

    def render(self, text: str, voice: Voice) -> Clip:
        """One sentence in this process, by ``voice``'s backend or else by the fallback."""
        from narrator.workers import voice_one

        voiced = voice_one(0, text, voice, self.fallback)
        if voiced.clip is None:
            raise NarratorError(voiced.error, hint=voiced.hint)
        self._count(voiced.fallback)
        return voiced.clip

    def _count(self, fallback: bool) -> None:
        self.synthesized += 1
        self.fallbacks += fallback

    def voice(self, requests: Sequence[Request], progress: Callable[[int], None]) -> list[Clip]:
        """Clips for ``requests`` in order; ``progress`` gets the count of clips ready."""
        result: list[Clip] = []

        def tick(t: Tick) -> None:
            progress(t.done)

        for _, outcome in self.voice_batches([requests], tick):
            if isinstance(outcome, SynthesisFailed):
                raise outcome
            result = outcome
        return result

    def voice_batches(
        self,
        batches: Sequence[Sequence[Request]],
        progress: Progress | None = None,
        slugs: Sequence[str] | None = None,
    ) -> Iterator[tuple[int, list[Clip] | SynthesisFailed]]:
        """Yield ``(batch index, clips in request order)`` for each batch as it completes.

        A batch whose sentence cannot be voiced is yielded once as ``SynthesisFailed``
        (naming the request); the other batches carry on.
        """
        from narrator.cache import clip_key

        names = list(slugs) if slugs is not None else [str(i) for i in range(len(batches))]
        keys = [[clip_key(text, voice) for text, voice in batch] for batch in batches]
        todo: dict[str, Request] = {}
        for batch, batch_keys in zip(batches, keys, strict=True):
            for request, key in zip(batch, batch_keys, strict=True):
                if key not in todo and not (self.cache and self.cache.has(key)):
                    todo[key] = request
        waiting = [{k for k in batch_keys if k in todo} for batch_keys in keys]
        waiters: dict[str, list[int]] = {}
        for b, wanted in enumerate(waiting):
            for key in wanted:
                waiters.setdefault(key, []).append(b)
        users: dict[str, int] = {}
        for batch_keys in keys:
            for key in set(batch_keys):
                users[key] = users.get(key, 0) + 1
        # Article by article, longest sentence first: episodes complete in order and
        # no worker is left alone with a long sentence at the very end.
        order = [
            key
            for b in range(len(batches))
            for key in sorted(
                dict.fromkeys(k for k in keys[b] if k in waiters and waiters[k][0] == b),
                key=lambda k: -len(todo[k][0]),
            )
        ]
        fresh: dict[str, Clip] = {}
        all_total = sum(len(batch) for batch in batches)
        chars_total = sum(len(todo[k][0]) for k in order)
        done = [sum(1 for k in batch_keys if k not in todo) for batch_keys in keys]
        clock = {"chars": 0, "done": sum(done), "t0": time.perf_counter()}
        dead: set[int] = set()

        def ready(b: int) -> list[Clip] | SynthesisFailed:
            clips: list[Clip] = []
            for index, key in enumerate(keys[b]):
                clip = fresh.get(key)
                if clip is None and self.cache is not None:
                    clip = self.cache.get(key)
                    if clip is not None:
                        self.cached += 1
                if clip is None:  # damaged cache entry: voice it here and now
                    try:
                        clip = self.render(*batches[b][index])
                    except NarratorError as exc:
                        return SynthesisFailed(index, exc)
                    self._store(key, clip, fallback=False)
                clips.append(clip)
            return clips

        def release(b: int) -> None:
            for key in set(keys[b]):
                users[key] -= 1
                if users[key] == 0:
                    fresh.pop(key, None)

        def tick(b: int) -> None:
            if progress is None:
                return
            elapsed = time.perf_counter() - clock["t0"]
            left = chars_total - clock["chars"]
            eta = elapsed * left / clock["chars"] if clock["chars"] else None
            progress(Tick(names[b], done[b], len(batches[b]), int(clock["done"]), all_total, eta))

        for b, wanted in enumerate(waiting):
            if not wanted:
                tick(b)
        with self._outcomes([(k, *todo[k]) for k in order]) as outcomes:
            # Episodes that need no synthesis are assembled while the workers start.
            for b, wanted in enumerate(waiting):
                if not wanted:
                    outcome = ready(b)
                    release(b)
                    yield b, outcome
            for key, voiced in outcomes:
                clock["chars"] += len(todo[key][0])
                if voiced.clip is None:
                    cause = NarratorError(voiced.error, hint=voiced.hint)
                    for b in waiters[key]:
                        if b not in dead:
                            dead.add(b)
                            release(b)
                            yield b, SynthesisFailed(keys[b].index(key), cause)
                    continue
                self._count(voiced.fallback)
                self._store(key, voiced.clip, voiced.fallback)
                if users.get(key, 0) > 0:
                    fresh[key] = voiced.clip
                for b in waiters[key]:
                    waiting[b].discard(key)
                    done[b] += keys[b].count(key)
                    clock["done"] += keys[b].count(key)
                    if b in dead:
                        continue
                    tick(b)
                    if not waiting[b]:
                        outcome = ready(b)
                        release(b)
                        yield b, outcome

    def _store(self, key: str, clip: Clip, fallback: bool) -> None:
        if self.cache is not None and not fallback:
            self.cache.put(key, clip)

    @contextlib.contextmanager
    def _outcomes(
        self, work: Sequence[tuple[str, str, Voice]]
    ) -> Iterator[Iterator[tuple[str, Voiced]]]:
        """``(key, result)`` for each ``(key, text, voice)``, voiced here or in workers."""
        from narrator.workers import (
            THREADS_ENV,
            WorkerPool,
            choose_split,
            voice_one,
            warm_imports,
        )

        split = choose_split(self.jobs, self.threads, len(work))
        if not work or (split.processes == 1 and not self.scheduler):
            if self.threads is not None:
                os.environ.setdefault(THREADS_ENV, str(split.threads))
            warm_imports(AUDIO_MODULES)
            yield (
                (key, voice_one(i, text, voice, self.fallback))
                for i, (key, text, voice) in enumerate(work)
            )
            return
        voices = [voice for _, _, voice in work]
        pool: VoicePool
        if self.scheduler:
            from narrator.cluster import DaskPool

            log.debug("voicing %d sentences on the Dask cluster %s", len(work), self.scheduler)
            pool = DaskPool(self.scheduler, voices, threads=self.threads)
        else:
            log.debug(
                "voicing %d sentences in %d processes x %d threads",
                len(work),
                split.processes,
                split.threads,
            )
            pool = WorkerPool(split, voices)
        with pool:
            requests = [(i, text, voice) for i, (_, text, voice) in enumerate(work)]
            results = pool.voice(requests, self.fallback)  # the workers are forked now
            warm_imports(AUDIO_MODULES)
            yield ((work[v.index][0], v) for v in results)


def fallback_voice(voice: Voice, backend: str) -> Voice:
    """``voice``'s delivery (pace, pitch, language) with ``backend``'s default voice."""
    return replace(voice, backend=backend, name="")


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
) -> Entry:
    """Assemble, encode, tag and write one episode with its transcripts and chapters."""
    from narrator.assemble import VoicedUtterance, assemble
    from narrator.chapters import make_chapters
    from narrator.codec import encode_mp3
    from narrator.tag import Tags, write_tags
    from narrator.transcript import to_chapters_json, to_srt, to_vtt

    remaining = iter(clips)
    voiced = [VoicedUtterance(u, tuple(next(remaining) for _ in u.sentences)) for u in utterances]
    assembled = assemble(voiced, config.pauses, config.audio)
    mp3 = encode_mp3(assembled.audio, config.audio.bitrate)
    duration = assembled.audio.duration
    chapters = make_chapters(assembled.cues, duration, article.title)
    transcript_text = "\n".join(c.text for c in assembled.cues)
    first_published = catalog.first_published(article.slug)
    date = article.published.isoformat() if article.published else first_published[:10]
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
                date=date,
                description=describe(article),
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
        description=describe(article),
        author=article.author,
        date=article.published.isoformat() if article.published else None,
        file=f"{EPISODES_DIR}/{article.slug}.mp3",
        bytes=size,
        duration=duration,
        source=str(article.source),
        url=article.url,
        build_key=key,
        extras=extras,
    )


def _unique_slugs(articles: Iterable[Article]) -> list[Article]:
    from dataclasses import replace

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
) -> BuildReport:
    """Build every article under ``paths`` into ``out_dir`` and write the feed.

    Plan every article first (ingest, segment, speak: no audio), skip those whose
    build key is unchanged, then voice the sentences of all the others in one
    batch (``Synthesizer.voice_batches``) and write each episode as soon as its
    clips are ready. Without a ``synthesizer``, one with the default clip cache
    (``narrator.cache.default_cache_dir()``) and one worker per core is used.
    """
    started = time.perf_counter()
    report = BuildReport()
    if synthesizer is None:
        from narrator.cache import ClipCache, default_cache_dir

        synthesizer = Synthesizer(cache=ClipCache(default_cache_dir()))
    synthesized, cached, fallbacks = (
        synthesizer.synthesized,
        synthesizer.cached,
        synthesizer.fallbacks,
    )
    sources = collect_articles(paths)
    out_dir.mkdir(parents=True, exist_ok=True)
    cover = ensure_cover(out_dir, config.show)
    catalog = Catalog.load(out_dir)
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
                        article, utterances, outcome, config, out_dir, cover, catalog, key
                    )
                    checkpoint("before-catalog")
                    catalog.put(entry)
                    catalog.save()
                    report.built.append(article.slug)
                except NarratorError as exc:
                    _fail(report, article, exc)
        except ClusterError:  # the cluster is gone: stop, and leave the output as it was
            raise
        except NarratorError as exc:  # the workers themselves failed: the rest cannot be built
            for index, (article, _, _) in enumerate(work):
                if index not in finished:
                    _fail(report, article, NarratorError(exc.message, hint=exc.hint))
    catalog.save()
    present = [e for e in catalog.entries.values() if (out_dir / e.file).is_file()]
    checkpoint("before-feed")
    report.feed_written = write_feed(out_dir, config.show, present, cover.file)
    write_page(out_dir, config.show, present, cover.file)
    report.clips_synthesized = synthesizer.synthesized - synthesized
    report.clips_cached = synthesizer.cached - cached
    report.fallbacks = synthesizer.fallbacks - fallbacks
    report.seconds = time.perf_counter() - started
    return report


def _fail(report: BuildReport, article: Article, exc: NarratorError) -> None:
    if exc.path is None:
        exc.path = article.source
    report.failed.append(Failure(article.source, exc))
