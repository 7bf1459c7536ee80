"""Voicing every sentence of a build: the clip cache, the worker pool and the fallback voice.

The one place where sentences become audio: ``Synthesizer.voice_batches``
takes all articles of a build at once, skips what the clip cache holds, spreads
the rest over worker processes (``narrator.voice.workers``) or a Dask cluster
(``narrator.voice.cluster``), and hands back each article's clips as soon as they
are all ready.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from narrator.errors import NarratorError
from narrator.models import Clip, Voice

if TYPE_CHECKING:
    from narrator.build.store import ClipCache
    from narrator.voice.cluster import VoicePool
    from narrator.voice.workers import Voiced, WorkerPool

log = logging.getLogger(__name__)

# Audio modules (lameenc, mutagen, onnxruntime, soundfile) are imported where audio is
# made, so that a build with nothing to do, and `narrator --help`, stay quick; a build
# with audio to make imports them in the background while voices load. (scipy is
# not among them: ``narrator.audio.filters`` does the episode's filtering without it.)
AUDIO_MODULES = (
    "narrator.audio.assemble",
    "narrator.audio.codec",
    "narrator.publish.tags",
    "lameenc",
    "soundfile",  # the clip cache's entries (FLAC)
)


BIG_BATCH = 16
"""Sentences per worker above which warm workers with several threads each are replaced by
workers of one thread (see ``Synthesizer.warm``)."""


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


Outcome = list[Clip] | SynthesisFailed
"""A batch's clips in request order, or why one of them could not be voiced."""


class Synthesizer:
    """Voices sentences: the clip cache, the worker processes and the fallback voice.

    ``voice_batches`` takes every article of a build at once (one batch of
    requests per article): sentences already in ``cache`` are not voiced again,
    the rest are spread over ``jobs`` worker processes (``threads`` onnxruntime
    threads each; see ``narrator.voice.workers``), and each batch is handed back as
    soon as its last clip is ready, so assembling one episode overlaps with
    voicing the next.

    With a ``fallback`` backend, a sentence the chosen backend cannot voice
    (gTTS after its retries) is voiced by the fallback instead, with a warning;
    such clips are never cached.

    With a ``scheduler`` (``tcp://HOST:8786``, or ``local:N``), ``voice_batches``
    voices sentences on the workers of that Dask cluster instead
    (``narrator.voice.cluster.DaskPool``); everything else stays the same. The build
    itself, given such a synthesizer, sends whole episodes to the cluster instead
    (``narrator.build.remote``) and uses only its settings (scheduler, cache,
    fallback, threads).
    """

    def __init__(
        self,
        fallback: str | None = None,
        *,
        cache: ClipCache | None = None,
        jobs: int | None = None,
        threads: int | None = None,
        scheduler: str | None = None,
        sweep_cache: bool = True,
    ) -> None:
        if scheduler:
            from narrator.voice.cluster import parse_scheduler, require_dask

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
        self.sweep_cache = sweep_cache
        """Whether ``voice_batches`` removes stale temporary files from the cache first
        (a cluster worker leaves it to the build's client, which does it once)."""
        self._warm: WorkerPool | None = None

    def warm(self, voices: Sequence[Voice], few: bool = False) -> None:
        """Start the worker processes and load ``voices`` in them now, while the build
        is still reading and planning its articles (about 0.35 s of voice loading off
        the critical path). Without a cluster, and only if workers would be used.

        ``few``: the build will probably voice only a few sentences (an edit): each
        worker then gets every core's threads, so that one sentence is voiced as fast
        as the machine allows (0.25 s instead of 0.4 s for a long one on two cores);
        their threads sleep rather than spin while they wait, which keeps a larger
        batch within about 10 % of one thread per worker.
        """
        from narrator.voice.backends import threads_setting
        from narrator.voice.workers import Split, WorkerPool, choose_split

        if self.scheduler or self._warm is not None:
            return
        cores = os.cpu_count() or 1
        split = choose_split(self.jobs, self.threads, cores)
        if split.processes < 2:
            return
        if few and self.threads is None and threads_setting() is None:
            split = Split(split.processes, cores)
        log.debug(
            "starting %d synthesis workers x %d threads ahead of planning",
            split.processes,
            split.threads,
        )
        self._warm = WorkerPool(split, voices)
        self._warm.start()

    def close(self) -> None:
        """Stop warmed workers that were never used (a build with nothing to voice)."""
        if self._warm is not None:
            self._warm.terminate()
            self._warm = None

    def render(self, text: str, voice: Voice) -> Clip:
        """One sentence in this process, by ``voice``'s backend or else by the fallback."""
        from narrator.voice.workers import voice_one

        voiced = voice_one(0, text, voice, self.fallback)
        if voiced.clip is None:
            raise NarratorError(voiced.error, hint=voiced.hint)
        self._count(voiced.fallback)
        return voiced.clip

    def _count(self, fallback: bool) -> None:
        self.synthesized += 1
        self.fallbacks += fallback

    def voice_batches(
        self,
        batches: Sequence[Sequence[Request]],
        progress: Progress | None = None,
        slugs: Sequence[str] | None = None,
    ) -> Iterator[tuple[int, Outcome]]:
        """Yield ``(batch index, clips in request order)`` for each batch as it completes.

        A batch whose sentence cannot be voiced is yielded once as ``SynthesisFailed``
        (naming the request); the other batches carry on.
        """
        plan = _Plan.of(batches, self.cache)
        if plan.todo and self.cache is not None and self.sweep_cache:
            self.cache.sweep_stale()  # leftovers of builds killed while writing a clip
        names = list(slugs) if slugs is not None else [str(i) for i in range(len(batches))]
        run = _Run(self, batches, plan, progress, names)
        idle = run.idle()
        for b in idle:
            run.tick(b)
        with self._outcomes([(k, *plan.todo[k]) for k in plan.order]) as outcomes:
            # Episodes that need no synthesis are assembled while the workers start.
            for b in idle:
                yield b, run.hand_over(b)
            for key, voiced in outcomes:
                yield from run.record(key, voiced)

    def _store(self, key: str, clip: Clip, fallback: bool) -> None:
        if self.cache is not None and not fallback:
            self.cache.put(key, clip)

    @contextlib.contextmanager
    def _outcomes(
        self, work: Sequence[tuple[str, str, Voice]]
    ) -> Iterator[Iterator[tuple[str, Voiced]]]:
        """``(key, result)`` for each ``(key, text, voice)``, voiced here or in workers."""
        from narrator.voice.backends import ThreadBudget, set_threads, threads_setting
        from narrator.voice.workers import (
            WorkerPool,
            choose_split,
            voice_one,
            warm_imports,
        )

        split = choose_split(self.jobs, self.threads, len(work))
        warm, self._warm = self._warm, None
        if warm is not None and (
            not work
            or self.scheduler
            or (warm.split.threads > 1 and len(work) > BIG_BATCH * warm.split.processes)
        ):
            # Not needed after all; or a big batch for workers that share the cores: one
            # thread each is about 10 % faster, worth loading the voices again (0.35 s).
            warm.terminate()
            warm = None
        if not work or (split.processes == 1 and not self.scheduler and warm is None):
            if self.threads is not None and threads_setting() is None:
                set_threads(ThreadBudget(split.threads))
            warm_imports(AUDIO_MODULES)
            yield (
                (key, voice_one(i, text, voice, self.fallback))
                for i, (key, text, voice) in enumerate(work)
            )
            return
        voices = [voice for _, _, voice in work]
        pool: VoicePool
        if self.scheduler:
            from narrator.voice.cluster import DaskPool

            log.debug("voicing %d sentences on the Dask cluster %s", len(work), self.scheduler)
            pool = DaskPool(self.scheduler, voices, threads=self.threads)
        elif warm is not None:  # started while the articles were planned; voices loaded
            log.debug(
                "voicing %d sentences in the %d warm workers", len(work), warm.split.processes
            )
            pool = warm
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


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one ``voice_batches`` call has to voice, and which batches wait for what."""

    keys: list[list[str]]
    """Each batch's clip keys, in request order."""
    todo: dict[str, Request]
    """Clips to voice (neither cached nor repeated): key → the first request for it."""
    waiters: dict[str, list[int]]
    """Key to voice → the batches that wait for it, in batch order."""
    order: list[str]
    """The keys to voice, in the order to voice them."""

    @classmethod
    def of(cls, batches: Sequence[Sequence[Request]], cache: ClipCache | None) -> _Plan:
        from narrator.build.store import clip_key

        keys = [[clip_key(text, voice) for text, voice in batch] for batch in batches]
        todo: dict[str, Request] = {}
        for batch, batch_keys in zip(batches, keys, strict=True):
            for request, key in zip(batch, batch_keys, strict=True):
                if key not in todo and not (cache and cache.has(key)):
                    todo[key] = request
        waiters: dict[str, list[int]] = {}
        for b, batch_keys in enumerate(keys):
            for key in {k for k in batch_keys if k in todo}:
                waiters.setdefault(key, []).append(b)
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
        return cls(keys, todo, waiters, order)


class _Run:
    """The bookkeeping of one ``voice_batches`` call as clips arrive: what each batch
    still waits for, which voiced clips another batch will need, and progress."""

    def __init__(
        self,
        synthesizer: Synthesizer,
        batches: Sequence[Sequence[Request]],
        plan: _Plan,
        progress: Progress | None,
        names: list[str],
    ) -> None:
        self.synthesizer = synthesizer
        self.batches = batches
        self.plan = plan
        self.progress = progress
        self.names = names
        self.waiting = [{k for k in batch_keys if k in plan.todo} for batch_keys in plan.keys]
        """Per batch: the keys it still waits for."""
        self.users: dict[str, int] = {}
        """Key → batches that need it and have not been handed over yet."""
        for batch_keys in plan.keys:
            for key in set(batch_keys):
                self.users[key] = self.users.get(key, 0) + 1
        self.fresh: dict[str, Clip] = {}
        """Clips voiced in this call that a batch not yet handed over needs."""
        self.dead: set[int] = set()
        """Batches already handed over as failed."""
        self.done = [sum(1 for k in batch_keys if k not in plan.todo) for batch_keys in plan.keys]
        """Per batch: clips ready."""
        self.all_done = sum(self.done)
        self.all_total = sum(len(batch) for batch in batches)
        self.chars_voiced = 0
        self.chars_total = sum(len(plan.todo[k][0]) for k in plan.order)
        self.started = time.perf_counter()

    def idle(self) -> list[int]:
        """The batches with nothing to voice."""
        return [b for b, wanted in enumerate(self.waiting) if not wanted]

    def tick(self, b: int) -> None:
        """Report batch ``b``'s progress, with the time left estimated from the text left."""
        if self.progress is None:
            return
        elapsed = time.perf_counter() - self.started
        left = self.chars_total - self.chars_voiced
        eta = elapsed * left / self.chars_voiced if self.chars_voiced else None
        total = len(self.batches[b])
        self.progress(Tick(self.names[b], self.done[b], total, self.all_done, self.all_total, eta))

    def hand_over(self, b: int) -> Outcome:
        """Batch ``b``'s clips, in request order; the clips only it needed are let go."""
        outcome = self._clips(b)
        self._release(b)
        return outcome

    def record(self, key: str, voiced: Voiced) -> Iterator[tuple[int, Outcome]]:
        """Take the clip voiced for ``key``; yield each batch it completes (or fails)."""
        plan = self.plan
        self.chars_voiced += len(plan.todo[key][0])
        if voiced.clip is None:
            cause = NarratorError(voiced.error, hint=voiced.hint)
            for b in plan.waiters[key]:
                if b not in self.dead:
                    self.dead.add(b)
                    self._release(b)
                    yield b, SynthesisFailed(plan.keys[b].index(key), cause)
            return
        self.synthesizer._count(voiced.fallback)
        self.synthesizer._store(key, voiced.clip, voiced.fallback)
        if self.users.get(key, 0) > 0:
            self.fresh[key] = voiced.clip
        for b in plan.waiters[key]:
            self.waiting[b].discard(key)
            count = plan.keys[b].count(key)
            self.done[b] += count
            self.all_done += count
            if b in self.dead:
                continue
            self.tick(b)
            if not self.waiting[b]:
                yield b, self.hand_over(b)

    def _clips(self, b: int) -> Outcome:
        synthesizer = self.synthesizer
        cache = synthesizer.cache
        clips: list[Clip] = []
        for index, key in enumerate(self.plan.keys[b]):
            clip = self.fresh.get(key)
            if clip is None and cache is not None:
                clip = cache.get(key)
                if clip is not None:
                    synthesizer.cached += 1
            if clip is None:  # damaged cache entry: voice it here and now
                try:
                    clip = synthesizer.render(*self.batches[b][index])
                except NarratorError as exc:
                    return SynthesisFailed(index, exc)
                synthesizer._store(key, clip, fallback=False)
            clips.append(clip)
        return clips

    def _release(self, b: int) -> None:
        for key in set(self.plan.keys[b]):
            self.users[key] -= 1
            if self.users[key] == 0:
                self.fresh.pop(key, None)
