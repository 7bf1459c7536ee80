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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from narrator import __version__
from narrator.build.checkpoints import checkpoint
from narrator.build.episode import (
    PlannedEpisode,
    delete_episode,
    describe,
    has_companions,
    mp3_name,
    write_episode,
)
from narrator.build.identity import gone, identify
from narrator.build.lock import lock_output
from narrator.config import Config
from narrator.errors import NarratorError
from narrator.models import Article, Clip, Utterance, Voice
from narrator.publish.catalog import CATALOG_NAME, Catalog, Entry
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
    target = _Target(out_dir, config, ensure_cover(out_dir, config.show), catalog)
    articles = _identify(_read_articles(sources, config, report), folders, catalog, report)
    work = _plan_changed(articles, target, force, report)
    if work:
        _voice_and_write(work, target, synthesizer, progress, report)
    catalog.save()
    checkpoint("before-feed")
    report.feed_written = _publish(target)
    _delete_retired(target)
    report.clips_synthesized = synthesizer.synthesized - counts[0]
    report.clips_cached = synthesizer.cached - counts[1]
    report.fallbacks = synthesizer.fallbacks - counts[2]
    return report


def _read_articles(sources: Sequence[Path], config: Config, report: BuildReport) -> list[Article]:
    """Every article that can be read; the others go to ``report.failed``."""
    articles: list[Article] = []
    for source in sources:
        try:
            check_file_size(source)
            articles.append(read_article(source, language=config.show.language))
        except NarratorError as exc:
            report.failed.append(Failure(source, exc))
    return articles


def _identify(
    articles: Sequence[Article], folders: Sequence[Path], catalog: Catalog, report: BuildReport
) -> list[Article]:
    """The articles with their episodes' slugs; episodes whose article is gone are retired
    (their files are deleted once the feed and page no longer list them)."""
    identified = identify(articles, catalog)
    for article, same in identified.duplicates:
        log.warning("%s: the same article as %s; left out", article.source, same.source)
    unreadable = [failure.source for failure in report.failed]
    for entry in gone(catalog, folders, identified.matched, unreadable):
        catalog.retire(entry.slug)
        report.removed.append(entry.slug)
        log.info("%s: its article %s is gone; episode removed", entry.slug, entry.source)
    return identified.articles


def _plan_changed(
    articles: Sequence[Article], target: _Target, force: bool, report: BuildReport
) -> list[PlannedEpisode]:
    """The articles whose episode must be (re)built, planned; unchanged ones go to the report."""
    work: list[PlannedEpisode] = []
    for article in articles:
        try:
            check_article_size(article)
            utterances = plan(article, target.config)
            if not utterances:
                raise NarratorError("nothing to say", path=article.source)
            key = build_key(article, utterances, target.config, target.cover)
            previous = target.catalog.entries.get(article.slug)
            if not force and _unchanged(previous, key, target.out_dir):
                report.unchanged.append(article.slug)
                continue
            work.append(PlannedEpisode(article, tuple(utterances), key))
        except NarratorError as exc:
            _fail(report, article, exc)
    return work


def _unchanged(previous: Entry | None, key: str, out_dir: Path) -> bool:
    """Whether the episode on disk was built from the same key and is still whole.

    Its MP3 must have the size the catalog lists (a file replaced or truncated by
    hand is rebuilt), and the entry must list every companion file this version
    writes (an episode built by an older version gets the new ones). A companion
    file deleted by hand is not noticed.
    """
    if previous is None or previous.build_key != key or not has_companions(previous):
        return False
    mp3 = out_dir / mp3_name(previous.slug)
    return mp3.is_file() and mp3.stat().st_size == previous.bytes


def _voice_and_write(
    work: Sequence[PlannedEpisode],
    target: _Target,
    synthesizer: Synthesizer,
    progress: Progress | None,
    report: BuildReport,
) -> None:
    """Voice every planned episode in one batch; write each as soon as its clips are ready.

    The feed and page are refreshed at most every ``PUBLISH_EVERY_S`` meanwhile. An
    article whose synthesis or writing fails is reported and the others go on; if the
    workers themselves fail, every article not yet written is reported with that
    error. A lost cluster (``ClusterError``) ends the build.
    """
    checkpoint("before-synthesis")
    batches = [requests_for(planned.utterances, target.config) for planned in work]
    finished: set[int] = set()
    published = time.perf_counter() - PUBLISH_EVERY_S
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
                if time.perf_counter() - published > PUBLISH_EVERY_S:
                    # The MP3 was replaced in place: list its new length soon, not
                    # only when the whole batch is done.
                    _publish(target)
                    published = time.perf_counter()
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


def _publish(target: _Target) -> bool:
    """Write the feed and the listening page for every episode on disk; True if the feed changed."""
    out_dir = target.out_dir
    present = [e for e in target.catalog.entries.values() if (out_dir / e.file).is_file()]
    written = write_feed(out_dir, target.config.show, present, target.cover.file)
    write_page(out_dir, target.config.show, present, target.cover.file)
    return written


def _delete_retired(target: _Target) -> None:
    """Delete the files of every retired episode still on disk (after the feed and the page
    stopped listing them, so a build killed in between leaves no link to a missing file)."""
    for entry in target.catalog.retired.values():
        delete_episode(target.out_dir, entry)


def _fail(report: BuildReport, article: Article, exc: NarratorError) -> None:
    if exc.path is None:
        exc.path = article.source
    report.failed.append(Failure(article.source, exc))
