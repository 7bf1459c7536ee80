"""The whole build on a Dask cluster, one task per episode (``narrator build --scheduler``).

Who does what:

- **The client** (the ``narrator build`` process) reads and plans the articles,
  decides from the catalog which episodes changed, submits one task per changed
  episode (``ClusterBuild.episodes``), and writes the catalog, the feed and the
  page from the small entries that come back. It voices, assembles and encodes
  nothing, and imports no audio library for it.
- **A worker** runs ``build_episode_on_worker``: it voices the sentences the clip
  cache lacks in its own process (the backend it keeps loaded between tasks),
  then assembles, levels, encodes and tags the MP3 and writes it with its
  transcripts and chapters into the output folder. That is the code of the local
  build (``Synthesizer.voice_batches`` with one process, ``write_episode``), so
  the same clips make the same bytes on either path.

Folders every machine sees: the output folder and the clip cache are named by
absolute paths that must mean the same folder on every worker (NFS, a cluster
volume). At the start the client writes a token file into both and every
worker must read it and write beside it (``check_shared``); a worker that
cannot is one ``ClusterError`` before any episode is built. A worker that joins
later finds the token missing and refuses its first task the same way. Workers
write with the rules of the local build: every file by temporary name and
rename (``narrator.build.atomic``), the clip cache shared by content; the
client holds the output folder's lock for the whole build.

What crosses the wire: to a worker, the episode's plan (the article's metadata
and the spoken text of every segment), the previous catalog entry, the show
and voice settings, and the paths; back, the catalog entry and a few counts.
No audio in either direction.

A worker that dies mid-episode: Dask runs the task again on another worker.
Nothing half-written is visible (temporary files are hidden and renamed only
when complete), clips the lost attempt voiced are in the cache for the retry,
and each attempt is recorded in the build's folder of the output, so the retry
knows an earlier one was lost and the summary says so. A task that raises is
retried ``RETRIES`` times. A task still running when the client stops (an
error, Ctrl-C, a lost scheduler) finds the token gone and writes nothing.

Very long articles are not split across workers: a build worth a cluster has
many more episodes than workers, and one episode per task keeps all of an
episode's work (and its clips) on one machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from narrator.build.atomic import atomic_files
from narrator.build.checkpoints import checkpoint
from narrator.build.episode import (
    EPISODES_DIR,
    PlannedEpisode,
    build_key,
    is_current,
    plan,
    requests_for,
    synthesis_error,
    write_episode,
)
from narrator.config import AudioSettings, Config, Pauses
from narrator.errors import NarratorError, WriteFailed
from narrator.models import Article, Show, Voice
from narrator.publish.catalog import CATALOG_NAME, Catalog, Entry
from narrator.publish.cover import Cover
from narrator.text.limits import check_article_size
from narrator.voice.cluster import (
    CONNECT_TIMEOUT,
    RETRIES,
    ClusterError,
    Connection,
    check_voice,
    configure_threads,
)
from narrator.voice.synthesizer import Progress, Tick

log = logging.getLogger(__name__)

WORK_PREFIX = ".narrator-cluster-"
"""The build's own folder in the output (token, attempt records), and its token file in
the cache; removed when the build ends."""
TOKEN_NAME = "token"
ATTEMPTS_DIR = "attempts"
EPISODES_PER_THREAD = 2
"""Episode tasks outstanding per worker thread: one running, one ready to start."""
MIN_WINDOW = 4
STALE_TOKEN_S = 86400.0
"""Cache token files older than this were left by builds that died; they are removed."""
SHARED_HINT = (
    "the output folder and cache must be on a filesystem every worker mounts; see docs/cluster.md"
)


# --- what travels ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EpisodeSettings:
    """The part of the build's ``Config`` a worker needs to write an episode.

    (``Config`` itself holds the lexicon as a read-only mapping, which cannot be pickled.)
    """

    show: Show
    narration: Voice
    quote: Voice
    pauses: Pauses
    audio: AudioSettings
    lexicon: tuple[tuple[str, str], ...]
    """For a worker that plans the article itself."""

    @classmethod
    def of(cls, config: Config) -> EpisodeSettings:
        return cls(
            config.show,
            config.narration,
            config.quote,
            config.pauses,
            config.audio,
            tuple(config.lexicon.items()),
        )

    def config(self) -> Config:
        """A ``Config`` that plans and writes the same episode as the client's."""
        return Config(
            show=self.show,
            narration=self.narration,
            quote=self.quote,
            pauses=self.pauses,
            audio=self.audio,
            lexicon=MappingProxyType(dict(self.lexicon)),
        )


@dataclass(frozen=True, slots=True)
class SharedPaths:
    """Folders every worker must see at the same absolute path, and the build's token."""

    out_dir: str
    cache_dir: str | None
    """None: the build uses no clip cache (``--no-cache``)."""
    work_dir: str
    """The build's folder inside ``out_dir`` (token file and attempt records)."""
    token: str
    """Content of the token files: unique to this build."""

    def folders(self) -> list[tuple[str, Path]]:
        """Each shared folder with the token file the client wrote into it."""
        found = [(self.out_dir, Path(self.work_dir) / TOKEN_NAME)]
        if self.cache_dir is not None:
            found.append((self.cache_dir, Path(self.cache_dir) / f"{WORK_PREFIX}{self.token}"))
        return found


@dataclass(frozen=True, slots=True)
class CoverRef:
    """The cover as the worker finds it in the output folder: file, type and hash."""

    file: str
    mime: str
    sha256: str


@dataclass(frozen=True, slots=True)
class EpisodeJob:
    """Everything a worker needs to build one episode."""

    article: Article
    planned: PlannedEpisode | None
    """The client's plan; None: the worker plans the article, and builds it only if its
    build key differs from ``previous``'s (or ``force``)."""
    force: bool
    previous: Entry | None
    """The catalog's entry for the slug (first-published date, gain), if any."""
    settings: EpisodeSettings
    identities: tuple[tuple[Voice, str], ...]
    """Each voice with the identity the client computed (``voice_identity``)."""
    cover: CoverRef
    paths: SharedPaths
    fallback: str | None
    threads: int | None
    input_key: str = ""
    """``Entry.input_key`` of the article's file, for an entry the worker plans and writes."""


@dataclass(frozen=True, slots=True)
class EpisodeDone:
    """What comes back from a worker: the catalog entry, or why there is none."""

    slug: str
    entry: Entry | None
    error: str = ""
    error_path: str | None = None
    hint: str | None = None
    synthesized: int = 0
    cached: int = 0
    fallbacks: int = 0
    attempt: int = 1
    """1, or the how-manieth time this build started the episode."""
    lost: int = 0
    """Earlier attempts that ended without finishing or raising: their worker was lost."""
    worker: str = ""
    """Host and process id of the worker that built it."""
    unshared: str | None = None
    """A shared folder this worker cannot see (nothing was built)."""
    unchanged: bool = False
    """Planned on the worker and found current: ``entry`` is the catalog's, untouched."""
    stored: int = 0
    """Bytes the worker stored in the clip cache (the client fits the cache to its limit)."""
    write_failed: bool = False
    """The error is a file that could not be written (``WriteFailed``): the build stops."""

    def failure(self) -> NarratorError:
        """The error as the client reports it (a ``WriteFailed`` stays one)."""
        kind = WriteFailed if self.write_failed else NarratorError
        return kind(self.error, path=self.error_path, hint=self.hint)


# --- on the workers ----------------------------------------------------------------------

_threads_set: list[int | None] = []


def _where() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _token_ok(path: Path, token: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == token
    except OSError:
        return False


def check_shared(folders: Sequence[tuple[str, str]], token: str) -> str | None:
    """On a worker: None when every ``(folder, token file)`` holds ``token`` and the worker
    can write beside it; else the first folder that fails."""
    for folder, token_file in folders:
        path = Path(token_file)
        if not _token_ok(path, token):
            return folder
        probe = path.with_name(f"{path.name}.{socket.gethostname()}-{os.getpid()}")
        try:
            probe.write_text("ok", encoding="utf-8")
            probe.unlink()
        except OSError:
            return folder
    return None


def _attempt(work_dir: Path, slug: str, note: str) -> tuple[int, int]:
    """Record an attempt at ``slug`` (``note`` is ``start`` or ``error``); with ``start``,
    return this attempt's number and how many earlier ones were lost."""
    record = work_dir / ATTEMPTS_DIR / slug
    try:
        lines = record.read_text(encoding="utf-8").split()
    except OSError:
        lines = []
    with contextlib.suppress(OSError):
        record.parent.mkdir(exist_ok=True)
        with record.open("a", encoding="utf-8") as fh:
            fh.write(f"{note}\n")
    starts, errors = lines.count("start"), lines.count("error")
    return starts + 1, starts - errors


def build_episode_on_worker(job: EpisodeJob) -> EpisodeDone:
    """Build one episode on a worker: voice what the cache lacks, write the MP3 and its
    companions into the shared output folder, return the catalog entry.

    A ``NarratorError`` (a sentence that cannot be voiced, a full disk) comes back
    as ``EpisodeDone.error``; anything else is raised for Dask to retry.
    """
    paths = job.paths
    slug = job.article.slug
    work_dir = Path(paths.work_dir)
    unshared = next((f for f, p in paths.folders() if not _token_ok(p, paths.token)), None)
    if unshared is not None:
        return EpisodeDone(slug, None, worker=_where(), unshared=unshared)
    attempt, lost = _attempt(work_dir, slug, "start")
    try:
        return _build_episode(job, attempt, lost)
    except NarratorError as exc:
        return EpisodeDone(
            slug,
            None,
            exc.message,
            None if exc.path is None else str(exc.path),
            exc.hint,
            attempt=attempt,
            lost=lost,
            worker=_where(),
            write_failed=isinstance(exc, WriteFailed),
        )
    except BaseException:
        _attempt(work_dir, slug, "error")
        raise


def _build_episode(job: EpisodeJob, attempt: int, lost: int) -> EpisodeDone:
    from narrator.voice.synthesizer import SynthesisFailed, Synthesizer

    if _threads_set != [job.threads]:  # once per worker process (and --threads value)
        configure_threads(job.threads)
        _threads_set[:] = [job.threads]
    for voice, identity in job.identities:
        check_voice(voice, identity)
    paths = job.paths
    out_dir = Path(paths.out_dir)
    config = job.settings.config()
    cover = _read_cover(out_dir, job.cover)
    planned = job.planned
    if planned is None:
        planned = _plan(job.article, config, cover, job.input_key)
        if not job.force and is_current(job.previous, planned.key, out_dir):
            return EpisodeDone(planned.article.slug, job.previous, unchanged=True)
    cache = None
    if paths.cache_dir is not None:
        from narrator.build.store import ClipCache

        cache = ClipCache(Path(paths.cache_dir))
    synthesizer = Synthesizer(
        job.fallback, cache=cache, jobs=1, threads=job.threads, sweep_cache=False
    )
    [(_, outcome)] = list(synthesizer.voice_batches([requests_for(planned.utterances, config)]))
    if isinstance(outcome, SynthesisFailed):
        raise synthesis_error(planned, outcome)
    checkpoint("after-synthesis")
    if not _token_ok(Path(paths.work_dir) / TOKEN_NAME, paths.token):
        raise NarratorError("the build stopped before this episode was written")
    slug = planned.article.slug
    catalog = Catalog(out_dir / CATALOG_NAME, {slug: job.previous} if job.previous else None)
    with atomic_files() as files:  # the catalog is the client's: only the episode's files
        entry = write_episode(planned, outcome, config, out_dir, cover, catalog, files, cache)
    return EpisodeDone(
        slug,
        entry,
        synthesized=synthesizer.synthesized,
        cached=synthesizer.cached,
        fallbacks=synthesizer.fallbacks,
        attempt=attempt,
        lost=lost,
        worker=_where(),
        stored=0 if cache is None else cache.stored,
    )


def _plan(article: Article, config: Config, cover: Cover, input_key: str = "") -> PlannedEpisode:
    """What the client's planning step does for one article (``pipeline._plan_changed``)."""
    check_article_size(article)
    utterances = plan(article, config)
    if not utterances:
        raise NarratorError("nothing to say", path=article.source)
    key = build_key(article, utterances, config, cover)
    return PlannedEpisode(article, tuple(utterances), key, input_key)


def _read_cover(out_dir: Path, ref: CoverRef) -> Cover:
    """The cover the client wrote, checked against its hash (it is in the build key)."""
    path = out_dir / ref.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NarratorError(f"cannot read the cover: {exc.strerror}", path=path) from exc
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise NarratorError("the cover changed during the build", path=path)
    return Cover(ref.file, data, ref.mime)


# --- on the client -----------------------------------------------------------------------


def _share(out_dir: Path, cache_dir: Path | None) -> SharedPaths:
    """Write this build's token files into the output folder and the cache."""
    token = uuid.uuid4().hex
    for old in out_dir.glob(f"{WORK_PREFIX}*"):  # builds that died (the output is locked)
        shutil.rmtree(old, ignore_errors=True)
    work_dir = out_dir / f"{WORK_PREFIX}{token[:12]}"
    (work_dir / ATTEMPTS_DIR).mkdir(parents=True)
    (work_dir / TOKEN_NAME).write_text(token, encoding="utf-8")
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - STALE_TOKEN_S
        for old in cache_dir.glob(f"{WORK_PREFIX}*"):  # other builds may share the cache
            with contextlib.suppress(OSError):
                if old.stat().st_mtime < cutoff:
                    old.unlink()
        (cache_dir / f"{WORK_PREFIX}{token}").write_text(token, encoding="utf-8")
    return SharedPaths(
        str(out_dir), None if cache_dir is None else str(cache_dir), str(work_dir), token
    )


def _unshared(folder: str, worker: str) -> ClusterError:
    return ClusterError(f"not visible from worker {worker}", path=folder, hint=SHARED_HINT)


class ClusterBuild:
    """A connection to the cluster for one build, with the build's shared-folder token.

    Opening it connects (``Connection``), writes the tokens and checks that every
    worker sees both folders; closing it removes the tokens (so that a task still
    running writes nothing) and disconnects.
    """

    def __init__(
        self,
        scheduler: str,
        out_dir: Path,
        cache_dir: Path | None,
        *,
        fallback: str | None = None,
        threads: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.fallback = fallback
        self.threads = threads
        self.paths: SharedPaths | None = None
        self.connection = Connection(scheduler, connect_timeout)
        self.retried: list[str] = []
        """Slugs of the episodes built again after a worker was lost building them."""
        try:
            self.paths = _share(
                out_dir.absolute(), None if cache_dir is None else cache_dir.absolute()
            )
            self._check_shared(self.paths)
        except BaseException:
            self.close()
            raise

    def _check_shared(self, paths: SharedPaths) -> None:
        folders = [(folder, str(token)) for folder, token in paths.folders()]
        answers = self.connection.client.run(check_shared, folders, paths.token, on_error="return")
        for worker, answer in sorted(answers.items()):
            if isinstance(answer, BaseException):
                raise ClusterError(
                    f"worker {worker} could not check the shared folders: {answer}",
                    hint=SHARED_HINT,
                )
            if answer is not None:
                raise _unshared(answer, worker)
        log.debug("%d Dask workers see %s", len(answers), [f for f, _ in folders])

    def window(self) -> int:
        """Episode tasks to keep outstanding (follows workers joining and leaving)."""
        return max(MIN_WINDOW, EPISODES_PER_THREAD * self.connection.threads())

    def episodes(
        self,
        work: Sequence[PlannedEpisode | Article],
        config: Config,
        cover: Cover,
        catalog: Catalog,
        progress: Progress | None = None,
        *,
        force: bool = False,
        inputs: Mapping[Path, str] | None = None,
    ) -> Iterator[tuple[Article, EpisodeDone]]:
        """Build ``work`` on the workers; yield each article with its outcome as it comes back.

        An episode planned here is built as planned; a bare ``Article`` is planned on
        the worker and built only if it changed (or ``force``). Tasks are submitted a
        window at a time (``window()``), so the scheduler never holds more than a few
        plans per worker thread however long the archive. ``progress`` is called once
        per episode, before it is yielded (counting sentences of planned episodes, and
        one for each article planned on a worker). ``inputs``: each article file's
        ``Entry.input_key``, for the entries of the articles the workers plan.
        """
        import distributed

        from narrator.voice.render import voice_identity

        assert self.paths is not None
        paths = self.paths
        client = self.connection.client
        settings = EpisodeSettings.of(config)
        voices = dict.fromkeys([config.narration, config.quote])
        identities = tuple((voice, voice_identity(voice)) for voice in voices)
        ref = CoverRef(cover.file, cover.mime, hashlib.sha256(cover.data).hexdigest())
        batch = paths.token[:12]
        articles = [item.article if isinstance(item, PlannedEpisode) else item for item in work]
        queue = iter(enumerate(work))
        as_completed: Any = distributed.as_completed
        pending = as_completed(loop=client.loop)
        outstanding: dict[str, tuple[Any, int]] = {}
        sentences = [
            sum(len(u.sentences) for u in item.utterances)
            if isinstance(item, PlannedEpisode)
            else 1
            for item in work
        ]
        ticks = _Ticks(progress, sentences)
        counter = itertools.count()

        def submit_more() -> None:
            limit = self.window()
            while len(outstanding) < limit:
                item = next(queue, None)
                if item is None:
                    return
                index, planned = item
                article = articles[index]
                job = EpisodeJob(
                    article,
                    planned if isinstance(planned, PlannedEpisode) else None,
                    force,
                    catalog.entries.get(article.slug),
                    settings,
                    identities,
                    ref,
                    paths,
                    self.fallback,
                    self.threads,
                    (inputs or {}).get(article.source, ""),
                )
                future = client.submit(
                    build_episode_on_worker,
                    job,
                    key=f"narrator-episode-{batch}-{next(counter)}",
                    pure=False,
                    retries=RETRIES,
                )
                outstanding[future.key] = (future, index)
                pending.add(future)

        try:
            submit_more()
            for future in pending:
                _, index = outstanding.pop(future.key)
                done = self._result(future, articles[index])
                future.release()
                del future
                submit_more()
                if done.lost:
                    self.retried.append(done.slug)
                    log.warning(
                        "%s: built again by %s after a worker was lost", done.slug, done.worker
                    )
                elif done.attempt > 1:
                    log.warning("%s: built on attempt %d", done.slug, done.attempt)
                ticks.episode(articles[index].slug, index)
                yield articles[index], done
            self._sweep(self.retried)
        finally:  # stopped early: drop the rest (tasks already running find the token gone)
            if outstanding and self.connection.client is not None:
                self.connection.client.cancel([f for f, _ in outstanding.values()])
            outstanding.clear()

    def _sweep(self, slugs: Sequence[str]) -> None:
        """Remove the hidden temporary files that lost workers left of ``slugs``' episodes
        (every task of the batch has finished, so none of them is being written)."""
        assert self.paths is not None
        folder = Path(self.paths.out_dir) / EPISODES_DIR
        for slug in slugs:
            for path in folder.glob(f".{slug}.*.tmp"):
                with contextlib.suppress(OSError):
                    path.unlink()
                    log.debug("removed %s, left by a lost worker", path)

    def _result(self, future: Any, article: Article) -> EpisodeDone:
        slug = article.slug
        try:
            done: EpisodeDone = future.result()
        except Exception as exc:
            fatal = self.connection.fatal(exc, future)
            if fatal is not None:
                raise fatal from exc
            from distributed.scheduler import KilledWorker

            if isinstance(exc, KilledWorker):
                message = "every Dask worker that built this episode died"
            else:
                message = f"a task failed on the Dask cluster: {type(exc).__name__}: {exc}"
            return EpisodeDone(slug, None, message, hint="see the workers' logs")
        if done.unshared is not None:
            raise _unshared(done.unshared, done.worker)
        return done

    def close(self) -> None:
        """Remove the build's token files, then disconnect."""
        paths, self.paths = self.paths, None
        if paths is not None:
            shutil.rmtree(paths.work_dir, ignore_errors=True)
            if paths.cache_dir is not None:
                with contextlib.suppress(OSError):
                    (Path(paths.cache_dir) / f"{WORK_PREFIX}{paths.token}").unlink()
        self.connection.close()

    def __enter__(self) -> ClusterBuild:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Ticks:
    """Progress once per episode that comes back, with the time left by sentences left."""

    def __init__(self, progress: Progress | None, sentences: list[int]) -> None:
        self.progress = progress
        self.sentences = sentences
        self.total = sum(sentences)
        self.done = 0
        self.started = time.perf_counter()

    def episode(self, slug: str, index: int) -> None:
        count = self.sentences[index]
        self.done += count
        if self.progress is None:
            return
        elapsed = time.perf_counter() - self.started
        eta = elapsed * (self.total - self.done) / self.done if self.done else None
        self.progress(Tick(slug, count, count, self.done, self.total, eta))
