"""The whole build: articles in, episodes, catalog, feed and page out.

The steps: collect the article files, read each article and find which
episode it is (``narrator.build.identity``: its source, not its title, names
it), drop the episodes whose article is gone from a folder built whole, plan
each article (segment, speak: these never touch the output folder), skip those
whose build key is unchanged, voice the rest in one batch, write each episode as its clips
arrive (``narrator.build.episode``, atomically), then publish the feed and the
page. An article that fails is reported and skipped; the others are still
built and listed.

A file that cannot be written (disk full, quota, read-only, permissions, I/O
error: ``narrator.errors.WriteFailed``) is different: it would fail every
article after it too, so the build stops at the first one, with that one line.
The episode being written is left as it was (its files and its catalog entry
are renamed together or not at all, ``narrator.build.atomic.atomic_files``);
episodes written before it in the same build stay written and listed. A cache
that cannot be written is only a warning (``narrator.build.store``).

With a Dask scheduler (``Synthesizer.scheduler``), the voice and write steps run
on the cluster's workers, one task per episode (``narrator.build.remote``): this
process then only reads, plans, lists and publishes.
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
from narrator.build.atomic import atomic_files, atomic_write
from narrator.build.checkpoints import checkpoint
from narrator.build.episode import (
    PlannedEpisode,
    build_key,
    build_settings,
    delete_episode,
    is_current,
    is_whole,
    plan,
    requests_for,
    synthesis_error,
    write_episode,
)
from narrator.build.identity import article_key, folder_of, gone, identify
from narrator.build.lock import lock_output
from narrator.build.versions import reading_fingerprint
from narrator.config import Config
from narrator.errors import NarratorError, WriteFailed
from narrator.models import Article, Clip
from narrator.publish.catalog import CATALOG_NAME, Catalog, entry_data
from narrator.publish.cover import Cover, ensure_cover
from narrator.publish.feed import FEED_NAME, write_feed
from narrator.publish.page import PAGE_NAME, page_digest, write_page
from narrator.publish.recovery import load_catalog
from narrator.text.boilerplate import LineRules
from narrator.text.ingest import SUPPORTED_EXTENSIONS, batch_rules, read_article
from narrator.text.limits import check_article_size, check_file_size
from narrator.voice.cluster import ClusterError
from narrator.voice.synthesizer import Progress, SynthesisFailed, Synthesizer

if TYPE_CHECKING:
    from narrator.build.store import ClipCache

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = SUPPORTED_EXTENSIONS
"""A folder is searched for files that ingest can read."""
PUBLISH_EVERY_S = 2.0
"""During a batch, the feed is refreshed at most this often as episodes are replaced."""
PUBLISH_SHARE = 0.1
"""...and takes at most this share of the batch's time (a long archive's pages take a while)."""
PLAN_ON_WORKERS_FROM = 64
"""A cluster build of this many articles or more has the workers plan them too.

Planning (segmenting, normalizing) is most of what the client does per article,
about 20 ms for a four-minute one, which would cap one client at about 10,000
audio-seconds per second. A smaller build plans here, so a build with nothing
changed never connects to the cluster."""


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
    retried: list[str] = field(default_factory=list)
    """Episodes built again on the cluster after a worker was lost building them."""

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
            + (
                f"; {len(self.retried)} episode{'s' if len(self.retried) != 1 else ''}"
                " retried after a worker was lost"
                if self.retried
                else ""
            )
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


def reading_key(config: Config, settings: dict[str, object], rules: LineRules) -> str:
    """What, beside an article's file, its ``build_key`` depends on: the build settings, how
    articles are read and spoken (``reading_fingerprint``), the language, the lexicon and
    the batch's line rules (``[boilerplate]`` and the chrome recurring across the batch's
    files, ``batch_rules``: an article added with the same menu changes how the others read)."""
    doc = {
        "settings": settings,
        "reading": reading_fingerprint(),
        "language": config.show.language,
        "lexicon": sorted(config.lexicon.items()),
        "rules": [
            [p.pattern for p in rules.drop],
            [p.pattern for p in rules.keep],
            sorted(rules.recurring),
        ],
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def input_key(data: bytes, reading: str) -> str:
    """``Entry.input_key`` of an article file's bytes under ``reading_key``."""
    return hashlib.sha256(reading.encode() + b"\0" + data).hexdigest()


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

    A build that stored anything in the cache ends by fitting the cache to
    ``[cache] max_size`` (``ClipCache.fit``: least recently used entries go, never one
    this build used).
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
    rules: LineRules = field(default_factory=LineRules)
    """``batch_rules`` of this build's articles."""


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
    catalog = load_catalog(out_dir)
    if force or _edited_since_last_build(sources, out_dir):
        # Load the voices in worker processes while the articles are read and planned.
        synthesizer.warm([config.narration, config.quote], few=_all_built(sources, catalog))
    cover = ensure_cover(out_dir, config.show)
    settings = build_settings(config, cover)
    rules = batch_rules(sources, *config.boilerplate.patterns())
    reading = reading_key(config, settings, rules)
    target = _Target(out_dir, config, cover, catalog, settings, reading, rules)
    known, articles, inputs = _read_changed(sources, target, force, report)
    articles = _identify(articles, known, folders, catalog, report)
    if synthesizer.scheduler and len(articles) >= PLAN_ON_WORKERS_FROM:
        _build_on_cluster(articles, inputs, target, synthesizer, progress, report, force)
        work = []
    else:
        work = _plan_changed(articles, inputs, target, force, report)
    if work and synthesizer.scheduler:
        _build_on_cluster(work, inputs, target, synthesizer, progress, report, force)
    elif work:
        _voice_and_write(work, target, synthesizer, progress, report)
    catalog.save()
    checkpoint("before-feed")
    report.feed_written = _publish(target, skip_unchanged=not force)
    _delete_retired(target)
    report.clips_synthesized += synthesizer.synthesized - counts[0]
    report.clips_cached += synthesizer.cached - counts[1]
    report.fallbacks += synthesizer.fallbacks - counts[2]
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
            and is_whole(entry, target.out_dir)
        ):
            known.add(entry.slug)
            report.unchanged.append(entry.slug)
            continue
        try:
            check_file_size(source)
            language = target.config.show.language
            articles.append(read_article(source, language=language, rules=target.rules))
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
            if not force and is_current(previous, key, target.out_dir):
                assert previous is not None
                report.unchanged.append(article.slug)
                if given and previous.input_key != given:
                    catalog.entries[article.slug] = replace(previous, input_key=given)
                continue
            work.append(PlannedEpisode(article, tuple(utterances), key, given))
        except NarratorError as exc:
            _fail(report, article, exc)
    return work


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
    error. A lost cluster (``ClusterError``) ends the build, and so does a file that
    cannot be written (``WriteFailed``), after a last try to publish the episodes
    already written.
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
                    raise synthesis_error(planned, outcome) from outcome
                _write_and_list(planned, outcome, target, synthesizer.cache)
                report.built.append(planned.article.slug)
                if time.perf_counter() - published > interval:
                    # The MP3 was replaced in place: list its new length soon, not
                    # only when the whole batch is done.
                    started = time.perf_counter()
                    _publish(target)
                    published = time.perf_counter()
                    interval = max(PUBLISH_EVERY_S, (published - started) / PUBLISH_SHARE)
            except WriteFailed:
                raise
            except NarratorError as exc:
                _fail(report, planned.article, exc)
    except ClusterError:  # the cluster is gone: stop, and leave the output as it was
        raise
    except WriteFailed:  # disk full or the like: the next articles would fail the same way
        _publish_if_possible(target)
        raise
    except NarratorError as exc:  # the workers themselves failed: the rest cannot be built
        for index, planned in enumerate(work):
            if index not in finished:
                _fail(report, planned.article, NarratorError(exc.message, hint=exc.hint))


def _build_on_cluster(
    work: Sequence[PlannedEpisode | Article],
    inputs: dict[Path, str],
    target: _Target,
    synthesizer: Synthesizer,
    progress: Progress | None,
    report: BuildReport,
    force: bool,
) -> None:
    """Have the workers of ``synthesizer.scheduler`` build each episode
    (``narrator.build.remote``); list each as its entry comes back.

    ``work`` holds episodes planned here, or, from ``PLAN_ON_WORKERS_FROM`` articles
    on, the articles themselves: the workers then plan them too and build only
    those that changed. As in a local build, a file a worker cannot write
    (``WriteFailed``) stops the build.

    The catalog is saved and the feed and page refreshed at most every
    ``PUBLISH_EVERY_S``, and never taking more than about a tenth of the client's
    time (both grow with the archive); the catalog is saved once more however the
    batch ends. A lost cluster (``ClusterError``) ends the build.

    ``inputs``: each article file's ``Entry.input_key`` (``_read_changed``). The entry an
    episode comes back with is given the identity this process found (``key``, ``folder``:
    a worker may resolve a relative path in another folder) and its ``input_key``, as a
    local build writes them; an episode a worker found unchanged learns its ``input_key``.
    """
    from narrator.build.remote import ClusterBuild

    assert synthesizer.scheduler is not None
    cache = synthesizer.cache
    if cache is not None:
        cache.sweep_stale()  # leftovers of builds killed while writing (workers leave it)
    checkpoint("before-synthesis")
    published, cost = time.perf_counter(), 0.0
    with ClusterBuild(
        synthesizer.scheduler,
        target.out_dir,
        None if cache is None else cache.root,
        fallback=synthesizer.fallback,
        threads=synthesizer.threads,
    ) as cluster:
        try:
            episodes = cluster.episodes(
                work,
                target.config,
                target.cover,
                target.catalog,
                progress,
                force=force,
                inputs=inputs,
            )
            for article, done in episodes:
                report.clips_synthesized += done.synthesized
                report.clips_cached += done.cached
                report.fallbacks += done.fallbacks
                if cache is not None:
                    cache.stored += done.stored  # so that the build fits the cache at its end
                if done.entry is None:
                    failure = done.failure()
                    if isinstance(failure, WriteFailed):  # the next episodes would fail too
                        _publish_if_possible(target)
                        raise failure
                    _fail(report, article, failure)
                    continue
                given = inputs.get(article.source, "")
                if done.unchanged:
                    report.unchanged.append(article.slug)
                    previous = target.catalog.entries.get(article.slug)
                    if previous is not None and given and previous.input_key != given:
                        target.catalog.entries[article.slug] = replace(previous, input_key=given)
                    continue
                checkpoint("before-catalog")
                target.catalog.put(
                    replace(
                        done.entry,
                        key=article_key(article),
                        folder=folder_of(article.source),
                        input_key=given,
                    )
                )
                report.built.append(article.slug)
                if time.perf_counter() - published > max(PUBLISH_EVERY_S, 10 * cost):
                    started = time.perf_counter()
                    target.catalog.save()
                    _publish(target)
                    published = time.perf_counter()
                    cost = published - started
        finally:
            target.catalog.save()  # every episode written so far stays listed
            report.retried.extend(cluster.retried)


def _write_and_list(
    planned: PlannedEpisode, clips: Sequence[Clip], target: _Target, store: ClipCache | None
) -> None:
    """Write the episode and the catalog that lists it, all renamed together at the end.

    If any of its files cannot be written, none is replaced and the catalog in
    memory keeps the previous entry (so the feed is not updated for it either).
    """
    checkpoint("after-synthesis")
    catalog = target.catalog
    slug = planned.article.slug
    previous = catalog.entries.get(slug)
    try:
        with atomic_files() as files:
            entry = write_episode(
                planned, clips, target.config, target.out_dir, target.cover, catalog, files, store
            )
            checkpoint("before-catalog")
            catalog.put(entry)
            catalog.stage(files)
    except BaseException:
        if previous is None:
            catalog.entries.pop(slug, None)
        else:
            catalog.put(previous)
        raise


PUBLISHED_NAME = ".narrator-published"
"""In the output folder: the hash of what the feed and the pages were last written from."""
UNPUBLISHED = frozenset({"source", "key", "folder", "input_key"})
"""Fields of an entry that neither the feed nor the page shows (where the article lies)."""


def _publish(target: _Target, *, skip_unchanged: bool = False) -> bool:
    """Write the feed and the listening page for every episode on disk; True if the feed changed.

    ``skip_unchanged``: write nothing when they were last written from the same entries,
    show settings, cover, templates and narrator version (``PUBLISHED_NAME``) and are still
    as written (sizes and times: ``_publication``), so a no-op build of a long archive does
    not render every page to find it unchanged, while a feed or page damaged, deleted or
    replaced since is written again.
    """
    out_dir = target.out_dir
    present = [e for e in target.catalog.entries.values() if (out_dir / e.file).is_file()]
    show = target.config.show
    shown = [{k: v for k, v in entry_data(e).items() if k not in UNPUBLISHED} for e in present]
    doc = [__version__, page_digest(), repr(show), target.cover.file, shown]
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()
    marker = out_dir / PUBLISHED_NAME
    if skip_unchanged:
        state = _publication(out_dir, digest)
        if state is not None and _published(marker) == state:
            return False
    written = write_feed(out_dir, show, present, target.cover.file)
    write_page(out_dir, show, present, target.cover.file)
    state = _publication(out_dir, digest)
    if state is not None:
        atomic_write(marker, state.encode())
    return written


def _publish_if_possible(target: _Target) -> None:
    """Publish the episodes written so far, when a build stops on a write that failed.

    On a full disk this usually fails too; the feed and page then stay as they were.
    """
    try:
        _publish(target)
    except WriteFailed as exc:
        log.debug("feed not refreshed: %s", exc)


def _published(marker: Path) -> str | None:
    """What the feed and pages were last written from, and as (``_publication``)."""
    try:
        return marker.read_text(encoding="utf-8")
    except OSError:
        return None


def _publication(out_dir: Path, digest: str) -> str | None:
    """``digest`` with the size and modification time of the feed and of every page (None
    if the feed or ``index.html`` is missing): a file damaged or replaced since it was
    written differs, and the next build writes it again even when nothing else changed."""
    names = [FEED_NAME, PAGE_NAME, *sorted(p.name for p in out_dir.glob("page-*.html"))]
    lines = [digest]
    try:
        for name in names:
            stat = (out_dir / name).stat()
            lines.append(f"{name} {stat.st_size} {stat.st_mtime_ns}")
    except OSError:
        return None
    return "\n".join(lines) + "\n"


def _delete_retired(target: _Target) -> None:
    """Delete the files of every retired episode still on disk (after the feed and the page
    stopped listing them, so a build killed in between leaves no link to a missing file)."""
    for entry in target.catalog.retired.values():
        delete_episode(target.out_dir, entry)


def _fail(report: BuildReport, article: Article, exc: NarratorError) -> None:
    if exc.path is None:
        exc.path = article.source
    report.failed.append(Failure(article.source, exc))
