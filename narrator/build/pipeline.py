"""The whole build: articles in, episodes, catalog, feed and page out.

The steps: collect the article files, read each article and find which
episode it is (``narrator.build.identity``: its source, not its title, names
it), drop the episodes whose article is gone from a folder built whole, plan
each article (segment, speak: these never touch the output folder), skip those
whose build key is unchanged, voice the rest in one batch, write each episode as its clips
arrive (``narrator.build.episode``, atomically), then publish the feed and the
page. An article that fails is reported and skipped; the others are still
built and listed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from narrator import __version__
from narrator.build.atomic import atomic_write
from narrator.build.checkpoints import checkpoint
from narrator.build.episode import (
    PlannedEpisode,
    delete_episode,
    describe,
    has_companions,
    mp3_name,
    write_episode,
)
from narrator.build.identity import folder_of, gone, identify
from narrator.build.lock import lock_output
from narrator.build.versions import reading_fingerprint
from narrator.config import Config
from narrator.errors import NarratorError
from narrator.models import Article, Clip, Utterance, Voice
from narrator.publish.catalog import CATALOG_NAME, Catalog, Entry, entry_data
from narrator.publish.cover import Cover, ensure_cover
from narrator.publish.feed import FEED_NAME, write_feed
from narrator.publish.page import PAGE_NAME, page_digest, write_page
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
PUBLISH_EVERY_S = 2.0
"""During a batch, the feed is refreshed at most this often as episodes are replaced."""
PUBLISH_SHARE = 0.1
"""...and takes at most this share of the batch's time (a long archive's pages take a while)."""


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
    removed: list[str] = field(default_factory=list)
    """Episodes taken out because their article left a folder built whole."""
    clips_synthesized: int = 0
    clips_cached: int = 0
    fallbacks: int = 0
    """Sentences voiced by the fallback backend because the chosen one failed."""
    feed_written: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        episodes = len(self.built) + len(self.unchanged)
        parts = [f"{len(self.unchanged)} unchanged", f"{len(self.built)} rebuilt"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
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


def reading_key(config: Config, settings: dict[str, object]) -> str:
    """What, beside an article's file, its ``build_key`` depends on: the build settings, how
    articles are read and spoken (``reading_fingerprint``), the language and the lexicon."""
    doc = {
        "settings": settings,
        "reading": reading_fingerprint(),
        "language": config.show.language,
        "lexicon": sorted(config.lexicon.items()),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def input_key(data: bytes, reading: str) -> str:
    """``Entry.input_key`` of an article file's bytes under ``reading_key``."""
    return hashlib.sha256(reading.encode() + b"\0" + data).hexdigest()


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
    """Build every article under ``paths`` (files, or folders: ``collect_articles``).

    A missing path or an empty folder fails before the output is touched. The folders
    among ``paths`` are built whole: an episode whose article left one is removed. See
    ``build_files`` for the rest.
    """
    return build_files(
        collect_articles(paths),
        out_dir,
        config,
        force=force,
        progress=progress,
        synthesizer=synthesizer,
        wait=wait,
        folders=whole_folders(paths),
    )


def whole_folders(paths: Sequence[Path]) -> list[Path]:
    """The folders among ``paths``: each is built whole, so an article gone from it is removed
    (a file named on its own removes nothing else)."""
    return [path for path in paths if path.is_dir()]


def build_files(
    sources: Sequence[Path],
    out_dir: Path,
    config: Config,
    *,
    force: bool = False,
    progress: Progress | None = None,
    synthesizer: Synthesizer | None = None,
    wait: float = 0.0,
    folders: Sequence[Path] = (),
) -> BuildReport:
    """Build the article files ``sources`` (as ``collect_articles`` lists them) into
    ``out_dir`` and write the feed and the page.

    Plan every article first (ingest, segment, speak: no audio), skip those whose
    build key is unchanged, then voice the sentences of all the others in one
    batch (``Synthesizer.voice_batches``) and write each episode as soon as its
    clips are ready. Without a ``synthesizer``, one with the default clip cache
    (``narrator.build.store.default_cache_dir()``) and one worker per core is used.

    ``folders`` are the articles folders built whole (``whole_folders``): an episode of
    one of them whose article is no longer there is removed (``narrator.build.identity.gone``):
    out of the catalog, the feed and the page, its files deleted.

    The output folder is locked for the whole build (``narrator.build.lock``): another
    build of the same folder waits up to ``wait`` seconds, then stops with an error.
    """
    started = time.perf_counter()
    if synthesizer is None:
        from narrator.build.store import ClipCache, default_cache_dir

        synthesizer = Synthesizer(cache=ClipCache(default_cache_dir()))
    try:
        with lock_output(out_dir, wait=wait):
            report = _build_locked(sources, folders, out_dir, config, force, progress, synthesizer)
    finally:
        synthesizer.close()
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


@dataclass(frozen=True, slots=True)
class _Target:
    """Where and how this build writes: the same for every episode of it."""

    out_dir: Path
    config: Config
    cover: Cover
    catalog: Catalog
    """Updated and saved as each episode is written."""
    settings: dict[str, object] = field(default_factory=dict)
    """``build_settings`` of this build."""
    reading: str = ""
    """``reading_key`` of this build."""


def _build_locked(
    sources: Sequence[Path],
    folders: Sequence[Path],
    out_dir: Path,
    config: Config,
    force: bool,
    progress: Progress | None,
    synthesizer: Synthesizer,
) -> BuildReport:
    """Collect, plan, voice, write, publish (the output folder is locked)."""
    report = BuildReport()
    counts = (synthesizer.synthesized, synthesizer.cached, synthesizer.fallbacks)
    out_dir.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.load(out_dir)
    if force or _edited_since_last_build(sources, out_dir):
        # Load the voices in worker processes while the articles are read and planned.
        synthesizer.warm([config.narration, config.quote], few=_all_built(sources, catalog))
    cover = ensure_cover(out_dir, config.show)
    settings = build_settings(config, cover)
    target = _Target(out_dir, config, cover, catalog, settings, reading_key(config, settings))
    known, articles, inputs = _read_changed(sources, target, force, report)
    articles = _identify(articles, known, folders, catalog, report)
    work = _plan_changed(articles, inputs, target, force, report)
    if work:
        _voice_and_write(work, target, synthesizer, progress, report)
    catalog.save()
    checkpoint("before-feed")
    report.feed_written = _publish(target, skip_unchanged=not force)
    _delete_retired(target)
    report.clips_synthesized = synthesizer.synthesized - counts[0]
    report.clips_cached = synthesizer.cached - counts[1]
    report.fallbacks = synthesizer.fallbacks - counts[2]
    return report


def _read_changed(
    sources: Sequence[Path], target: _Target, force: bool, report: BuildReport
) -> tuple[set[str], list[Article], dict[Path, str]]:
    """(slugs of the episodes whose article file is unchanged, every other article that can
    be read, their ``Entry.input_key`` by file); the unreadable go to ``report.failed``.

    An article is not read at all when its file lies where its catalog entry says, its
    bytes and everything else its episode depends on (``reading_key``) are unchanged and
    the episode is whole: the episode is unchanged (a no-op build of 2,000 articles then
    reads each file's bytes once instead of reading and speaking it). ``force`` reads all.
    """
    catalog = target.catalog
    by_file = {
        entry.article_file(): slug
        for slug, entry in catalog.entries.items()
        if entry.input_key and entry.folder
    }
    known: set[str] = set()
    articles: list[Article] = []
    inputs: dict[Path, str] = {}
    for source in sources:
        try:
            check_file_size(source)
            key = input_key(source.read_bytes(), target.reading)
        except (NarratorError, OSError):
            key = ""  # read_article says what is wrong
        slug = by_file.get(Path(folder_of(source)) / source.name)
        entry = catalog.entries.get(slug) if slug else None
        if (
            not force
            and entry is not None
            and key
            and entry.input_key == key
            and entry.slug not in known
            and _whole(entry, target.out_dir)
        ):
            known.add(entry.slug)
            report.unchanged.append(entry.slug)
            continue
        try:
            check_file_size(source)
            articles.append(read_article(source, language=target.config.show.language))
            inputs[source] = key
        except NarratorError as exc:
            report.failed.append(Failure(source, exc))
    return known, articles, inputs


def _identify(
    articles: Sequence[Article],
    known: set[str],
    folders: Sequence[Path],
    catalog: Catalog,
    report: BuildReport,
) -> list[Article]:
    """The articles with their episodes' slugs (``known``: episodes already recognised by
    their unchanged file); episodes whose article is gone are retired (their files are
    deleted once the feed and page no longer list them)."""
    identified = identify(articles, catalog, known)
    for article, same in identified.duplicates:
        log.warning("%s: the same article as %s; left out", article.source, same)
    unreadable = [failure.source for failure in report.failed]
    for entry in gone(catalog, folders, identified.matched, unreadable):
        catalog.retire(entry.slug)
        report.removed.append(entry.slug)
        log.info("%s: its article %s is gone; episode removed", entry.slug, entry.source)
    return identified.articles


def _plan_changed(
    articles: Sequence[Article],
    inputs: dict[Path, str],
    target: _Target,
    force: bool,
    report: BuildReport,
) -> list[PlannedEpisode]:
    """The articles whose episode must be (re)built, planned; unchanged ones go to the report
    (their entry learns its ``input_key``, so the next build need not read them)."""
    work: list[PlannedEpisode] = []
    catalog = target.catalog
    for article in articles:
        try:
            check_article_size(article)
            utterances = plan(article, target.config)
            if not utterances:
                raise NarratorError("nothing to say", path=article.source)
            key = build_key(article, utterances, target.config, target.cover, target.settings)
            given = inputs.get(article.source, "")
            previous = catalog.entries.get(article.slug)
            if not force and _unchanged(previous, key, target.out_dir):
                assert previous is not None
                report.unchanged.append(article.slug)
                if given and previous.input_key != given:
                    catalog.entries[article.slug] = replace(previous, input_key=given)
                continue
            work.append(PlannedEpisode(article, tuple(utterances), key, given))
        except NarratorError as exc:
            _fail(report, article, exc)
    return work


def _unchanged(previous: Entry | None, key: str, out_dir: Path) -> bool:
    """Whether the episode on disk was built from the same key and is still whole."""
    return previous is not None and previous.build_key == key and _whole(previous, out_dir)


def _whole(entry: Entry, out_dir: Path) -> bool:
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


def _voice_and_write(
    work: Sequence[PlannedEpisode],
    target: _Target,
    synthesizer: Synthesizer,
    progress: Progress | None,
    report: BuildReport,
) -> None:
    """Voice every planned episode in one batch; write each as soon as its clips are ready.

    The feed and page are refreshed at most every ``PUBLISH_EVERY_S`` meanwhile, and less
    often when writing them takes more than ``PUBLISH_SHARE`` of that time. An
    article whose synthesis or writing fails is reported and the others go on; if the
    workers themselves fail, every article not yet written is reported with that
    error. A lost cluster (``ClusterError``) ends the build.
    """
    checkpoint("before-synthesis")
    batches = [requests_for(planned.utterances, target.config) for planned in work]
    finished: set[int] = set()
    published = time.perf_counter() - PUBLISH_EVERY_S
    interval = PUBLISH_EVERY_S
    try:
        for index, outcome in synthesizer.voice_batches(
            batches, progress, [planned.article.slug for planned in work]
        ):
            finished.add(index)
            planned = work[index]
            try:
                if isinstance(outcome, SynthesisFailed):
                    raise _synthesis_error(planned, outcome) from outcome
                _write_and_list(planned, outcome, target, synthesizer.cache)
                report.built.append(planned.article.slug)
                if time.perf_counter() - published > interval:
                    # The MP3 was replaced in place: list its new length soon, not
                    # only when the whole batch is done.
                    started = time.perf_counter()
                    _publish(target)
                    published = time.perf_counter()
                    interval = max(PUBLISH_EVERY_S, (published - started) / PUBLISH_SHARE)
            except NarratorError as exc:
                _fail(report, planned.article, exc)
    except ClusterError:  # the cluster is gone: stop, and leave the output as it was
        raise
    except NarratorError as exc:  # the workers themselves failed: the rest cannot be built
        for index, planned in enumerate(work):
            if index not in finished:
                _fail(report, planned.article, NarratorError(exc.message, hint=exc.hint))


def _write_and_list(
    planned: PlannedEpisode, clips: Sequence[Clip], target: _Target, store: ClipCache | None
) -> None:
    """Write the episode, then put it in the catalog (saved at once: the MP3 is out)."""
    checkpoint("after-synthesis")
    entry = write_episode(
        planned, clips, target.config, target.out_dir, target.cover, target.catalog, store
    )
    checkpoint("before-catalog")
    target.catalog.put(entry)
    target.catalog.save()


def _synthesis_error(planned: PlannedEpisode, failed: SynthesisFailed) -> NarratorError:
    """The failed sentence's error, naming the segment it belongs to."""
    owners = [u for u in planned.utterances for _ in u.sentences]
    return NarratorError(
        f"{segment_label(owners[failed.index])}: {failed.message}",
        path=failed.path,
        hint=failed.hint,
    )


PUBLISHED_NAME = ".narrator-published"
"""In the output folder: the hash of what the feed and the pages were last written from."""
UNPUBLISHED = frozenset({"source", "key", "folder", "input_key"})
"""Fields of an entry that neither the feed nor the page shows (where the article lies)."""


def _publish(target: _Target, *, skip_unchanged: bool = False) -> bool:
    """Write the feed and the listening page for every episode on disk; True if the feed changed.

    ``skip_unchanged``: write nothing when they were last written from the same entries,
    show settings, cover, templates and narrator version (``PUBLISHED_NAME``), so a no-op
    build of a long archive does not render every page to find it unchanged. A page
    deleted by hand is then written again only when something changes (or with ``--force``).
    """
    out_dir = target.out_dir
    present = [e for e in target.catalog.entries.values() if (out_dir / e.file).is_file()]
    show = target.config.show
    shown = [{k: v for k, v in entry_data(e).items() if k not in UNPUBLISHED} for e in present]
    doc = [__version__, page_digest(), repr(show), target.cover.file, shown]
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()
    marker = out_dir / PUBLISHED_NAME
    if skip_unchanged and _published(marker, out_dir) == digest:
        return False
    written = write_feed(out_dir, show, present, target.cover.file)
    write_page(out_dir, show, present, target.cover.file)
    atomic_write(marker, digest.encode())
    return written


def _published(marker: Path, out_dir: Path) -> str | None:
    """The hash the feed and pages were last written from (None if they are not all there)."""
    try:
        if (out_dir / FEED_NAME).is_file() and (out_dir / PAGE_NAME).is_file():
            return marker.read_text(encoding="utf-8")
    except OSError:
        pass
    return None


def _delete_retired(target: _Target) -> None:
    """Delete the files of every retired episode still on disk (after the feed and the page
    stopped listing them, so a build killed in between leaves no link to a missing file)."""
    for entry in target.catalog.retired.values():
        delete_episode(target.out_dir, entry)


def _fail(report: BuildReport, article: Article, exc: NarratorError) -> None:
    if exc.path is None:
        exc.path = article.source
    report.failed.append(Failure(article.source, exc))
