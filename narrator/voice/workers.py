"""Voicing sentences in worker processes.

Each worker loads its voices once (in the pool initializer) and keeps them for
the whole batch; work is spread across every article of the build, longest
sentences of each article first so that no worker is left alone with a long
sentence at the end.

Processes and threads: Piper runs on onnxruntime, whose intra-op thread pool
gives a single process some parallelism of its own, but sentences are short
and a thread pool spends much of its time waiting. On the 2-core development
machine, for the sample article, one process with two threads took 9.0 s and
two processes with one thread each 8.4 s; so the default is one process per
core with ``cores // processes`` threads each, and a batch with a single
sentence to voice runs it in the build process itself with every core's thread
(no fork, no second voice load). ``--jobs`` and ``--threads`` (or
``NARRATOR_THREADS``) override either; ``bench/bench_build.py -- -j 1`` compares.

The pool tells each worker's backends their share of the cores through
``narrator.voice.backends.set_threads``; how a backend uses it is its own business.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, cast

from narrator.errors import NarratorError
from narrator.models import Clip, Voice
from narrator.voice.backends import ThreadBudget, threads_setting

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Split:
    """How synthesis uses the machine."""

    processes: int
    """Worker processes (1 means: synthesize in the calling process)."""
    threads: int
    """onnxruntime intra-op threads per process (0: the runtime's own choice)."""


def choose_split(jobs: int | None, threads: int | None, pending: int) -> Split:
    """Processes and threads for ``pending`` sentences; ``None`` means the default."""
    cores = os.cpu_count() or 1
    if jobs is not None and jobs < 1:
        raise NarratorError("--jobs must be at least 1")
    if threads is not None and threads < 1:
        raise NarratorError("--threads must be at least 1")
    processes = max(1, min(jobs or cores, pending))
    if threads is None:
        threads = threads_setting() or max(1, cores // processes)
    return Split(processes, threads)


@dataclass(frozen=True, slots=True)
class Voiced:
    """The outcome of voicing one request."""

    index: int
    """Position of the request in the batch."""
    clip: Clip | None
    """The audio, or None when it failed."""
    error: str = ""
    """Why it failed (one line)."""
    hint: str | None = None
    """What the user can do about it."""
    fallback: bool = False
    """Voiced by the fallback backend because the chosen one failed (never cached)."""


def fallback_voice(voice: Voice, backend: str) -> Voice:
    """``voice``'s delivery (pace, pitch, language) with ``backend``'s default voice."""
    return replace(voice, backend=backend, name="")


def voice_one(index: int, text: str, voice: Voice, fallback: str | None) -> Voiced:
    """Voice one sentence, by ``voice``'s backend or else by the ``fallback`` backend."""
    from narrator.voice.render import render

    try:
        return Voiced(index, render(text, voice))
    except NarratorError as exc:
        if not fallback or fallback == voice.backend:
            return Voiced(index, None, exc.message, exc.hint)
        log.warning(
            "%s could not voice %r (%s); using %s instead", voice.backend, text[:60], exc, fallback
        )
        try:
            return Voiced(index, render(text, fallback_voice(voice, fallback)), "", None, True)
        except NarratorError as again:
            return Voiced(index, None, again.message, again.hint)


def prepare(voices: Sequence[Voice]) -> None:
    """Load each voice now (backends that can), so the first sentence pays no load time."""
    from narrator.voice.backends import get_backend

    for voice in voices:
        try:
            backend = get_backend(voice.backend)
            warm = getattr(backend, "prepare", None)
            if warm is not None:
                warm(voice)
        except NarratorError as exc:  # reported again, per sentence, when it is used
            log.debug("could not prepare %s voice: %s", voice.backend, exc)


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when the build process dies (Linux).

    Without it, a build killed by SIGKILL would leave its workers waiting for
    work forever, holding the build's stdout and stderr open.
    """
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - unusual libc
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def worker_budget(split: Split) -> ThreadBudget:
    """The threads each worker's backends get: ``split.threads``, sleeping rather than
    spinning while they wait when other workers share the cores."""
    return ThreadBudget(split.threads, spin=split.processes < 2)


def _init_worker(parent: int, split: Split, voices: tuple[Voice, ...]) -> None:
    import signal

    from narrator.voice.backends import clear_instances, set_threads

    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    set_threads(worker_budget(split))
    clear_instances()  # never reuse a runtime session inherited from the parent
    prepare(voices)


def _ready() -> None:
    """A task that makes a worker start (and load its voices) before there is work."""


def _context() -> BaseContext:
    """fork where it is safe (fast: imports are inherited), else spawn.

    Forking a process whose onnxruntime already started thread pools can leave
    the child waiting on locks held by threads that do not exist there.
    """
    if sys.platform == "linux" and "onnxruntime" not in sys.modules:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class _Tracking:
    """A multiprocessing context that remembers the processes it starts.

    ``ProcessPoolExecutor`` keeps its workers to itself, and its ``shutdown``
    waits for the sentence each is voicing; :meth:`WorkerPool.terminate` must stop
    them at once. The executor starts its workers through its context's
    ``Process``, so this one records them; everything else is the wrapped context's.
    """

    def __init__(self, context: BaseContext) -> None:
        self._context: Any = context  # every concrete context has a Process; BaseContext not
        self.started: list[BaseProcess] = []

    def Process(self, *args: Any, **kwargs: Any) -> BaseProcess:  # the context API's name
        process: BaseProcess = self._context.Process(*args, **kwargs)
        self.started.append(process)
        return process

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class WorkerPool:
    """Processes that voice sentences; results come back as they finish."""

    def __init__(self, split: Split, voices: Sequence[Voice]) -> None:
        self.split = split
        self._tracking = _Tracking(_context())
        self._pool = ProcessPoolExecutor(
            max_workers=split.processes,
            mp_context=cast(BaseContext, self._tracking),
            initializer=_init_worker,
            initargs=(os.getpid(), split, tuple(dict.fromkeys(voices))),
        )

    def start(self) -> None:
        """Start every worker now (each loads the voices in its initializer)."""
        for _ in range(self.split.processes):
            self._pool.submit(_ready)

    def processes(self) -> list[BaseProcess]:
        """The worker processes started so far (alive or not)."""
        return list(self._tracking.started)

    def terminate(self) -> None:
        """Stop the workers at once, whatever they are doing (nothing is left to do)."""
        processes = self.processes()
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        # The executor's own thread may reap a worker first, and then join() here returns
        # before is_alive() knows: wait until it does (a few milliseconds).
        deadline = time.monotonic() + 5
        for process in processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            while process.is_alive() and time.monotonic() < deadline:
                time.sleep(0.002)

    def voice(
        self, requests: Sequence[tuple[int, str, Voice]], fallback: str | None
    ) -> Iterator[Voiced]:
        """Voice ``(index, text, voice)`` requests; yields in order of completion.

        Everything is submitted (and the workers forked) before this returns.
        """
        futures: list[Future[Voiced]] = [
            self._pool.submit(voice_one, index, text, voice, fallback)
            for index, text, voice in requests
        ]
        return self._results(futures)

    def _results(self, futures: list[Future[Voiced]]) -> Iterator[Voiced]:
        try:
            for count, future in enumerate(as_completed(futures), 1):
                try:
                    voiced = future.result()
                except BrokenProcessPool as exc:
                    raise NarratorError(
                        "a synthesis worker died", hint="try again with --jobs 1"
                    ) from exc
                if count == len(futures):  # all voiced: the workers have nothing left to do
                    self.terminate()
                yield voiced
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Stop the workers: at once (they keep nothing that needs saving)."""
        self.terminate()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def warm_imports(modules: Sequence[str]) -> None:
    """Import ``modules`` in a background thread, while voices load or sentences are voiced.

    Call it only after any worker processes are forked: a fork while another
    thread holds an import lock would leave the child stuck on that lock.
    """
    import contextlib
    import importlib
    import threading

    def run() -> None:
        for name in modules:
            with contextlib.suppress(ImportError):  # reported where it is really imported
                importlib.import_module(name)

    threading.Thread(target=run, name="narrator-imports", daemon=True).start()
