"""Dask for narrator: the connection, the workers' checks, and a pool of sentences.

``narrator build --scheduler`` sends whole episodes to the workers
(``narrator.build.remote``); this module holds what that needs and what the
older sentence-by-sentence path (``DaskPool``) shares with it:

- ``parse_scheduler`` checks an address (``tcp://HOST:8786``, or ``local:N`` for a
  ``LocalCluster`` of N worker processes on this machine, for trying the path out,
  tests and benchmarks);
- ``Connection`` connects (or starts the ``LocalCluster``), waits for a first
  worker, and turns a scheduler that cannot be reached or goes away into one
  ``ClusterError``;
- on the workers, ``configure_threads`` gives the backends their threads and
  ``check_voice`` compares the worker's voice identity (backend version and model
  hash) with the one the client computed, so that a worker with another voice
  model refuses instead of filling the cache with the wrong audio.

``DaskPool`` has the interface the ``Synthesizer`` uses for its local
``WorkerPool`` (``VoicePool``): one task per sentence, each result the clip's
samples (float32 of 16-bit values, about 88 kB per audio-second).
``Synthesizer.voice_batches`` uses it when given a scheduler; the build no
longer does, since the client then had to store, assemble and encode every
clip itself. Tasks are submitted in a
bounded window (``WINDOW_PER_THREAD`` per worker thread) and each result is
handed on (and its future released) as soon as it arrives. A worker that dies
loses nothing: the scheduler runs its tasks again elsewhere.

Each worker process loads a voice once (``get_backend`` keeps one backend per
process, and the backend keeps its loaded models) and keeps it for the whole
build and any later build.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from narrator.errors import NarratorError
from narrator.models import Voice

if TYPE_CHECKING:
    from narrator.voice.workers import Voiced

log = logging.getLogger(__name__)

LOCAL = "local"
CONNECT_TIMEOUT = 5.0
"""Seconds to wait for the scheduler to answer."""
WORKERS_TIMEOUT = 60.0
"""Seconds to wait for a first worker to join a scheduler that has none."""
RETRIES = 2
"""Times a task that raised is tried again (a worker that dies is handled by Dask itself)."""
WINDOW_PER_THREAD = 4
"""Tasks outstanding per worker thread: enough to keep workers busy, few enough to bound memory."""
MIN_WINDOW = 8
INSTALL_HINT = "pip install 'narrator[dask]'"

_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
_HOST_PORT = re.compile(r"^[\w.\-\[\]:]+:\d{1,5}$")


class VoicePool(Protocol):
    """What the ``Synthesizer`` needs from a pool of voices (``WorkerPool``, ``DaskPool``)."""

    def voice(
        self, requests: Sequence[tuple[int, str, Voice]], fallback: str | None
    ) -> Iterator[Voiced]:
        """Voice ``(index, text, voice)`` requests; yield results in order of completion."""
        ...

    def close(self) -> None:
        """Stop the pool and cancel any work not yet handed on."""
        ...

    def __enter__(self) -> VoicePool: ...

    def __exit__(self, *exc: object) -> None: ...


class ClusterError(NarratorError):
    """The cluster cannot be used (unreachable, gone, misconfigured): the build stops."""


def parse_scheduler(value: str) -> str:
    """A checked scheduler address: ``local:N`` / ``local``, or ``scheme://host:port``.

    A bare ``host:port`` means ``tcp://host:port``.
    """
    text = value.strip()
    if text == LOCAL:
        return f"{LOCAL}:{os.cpu_count() or 1}"
    if text.startswith(f"{LOCAL}:"):
        count = text[len(LOCAL) + 1 :]
        if not count.isdigit() or int(count) < 1:
            raise NarratorError(
                f"not a number of local workers: {value!r}", hint="for example local:2"
            )
        return f"{LOCAL}:{int(count)}"
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in _SCHEMES or not _HOST_PORT.match(rest):
        raise NarratorError(
            f"not a Dask scheduler address: {value!r}",
            hint="for example tcp://HOST:8786, or local:N for N local worker processes",
        )
    return f"{scheme}://{rest}"


def dask_available() -> bool:
    """Whether ``dask.distributed`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("distributed") is not None
    except (ImportError, ValueError):
        return False


def require_dask() -> None:
    """Raise the one-line install hint when Dask's distributed scheduler is missing."""
    if not dask_available():
        raise NarratorError("--scheduler needs Dask, which is not installed", hint=INSTALL_HINT)


# --- on the workers -------------------------------------------------------------------

_identities: dict[Voice, str] = {}


class VoiceMismatch(Exception):
    """This worker cannot make the audio the build expects (another model or version)."""


def configure_threads(threads: int | None) -> None:
    """Once per worker process, before any voice loads: the backends' threads (the build's
    ``--threads``, else the worker's own ``NARRATOR_THREADS``, else one)."""
    from narrator.voice.backends import ThreadBudget, set_threads, threads_setting

    if threads is not None:
        set_threads(ThreadBudget(threads))
    elif threads_setting() is None:  # one task thread per worker process: one thread each
        set_threads(ThreadBudget(1))


def warm(voices: Sequence[Voice], threads: int | None) -> str:
    """Load ``voices`` in this worker process now (run on each worker as a build starts)."""
    from narrator.voice.workers import prepare

    configure_threads(threads)
    prepare(voices)
    return socket.gethostname()


def check_voice(voice: Voice, identity: str) -> None:
    """Raise ``VoiceMismatch`` unless this worker's ``voice`` has the build's ``identity``.

    The first check in a worker process also sets its threads (``configure_threads``)
    when no ``warm`` did. The identity is computed once per voice and process.
    """
    from narrator.voice.render import voice_identity

    here = _identities.get(voice)
    if here is None:
        if not _identities:
            configure_threads(None)
        try:
            here = voice_identity(voice)
        except NarratorError as exc:
            raise VoiceMismatch(f"worker on {socket.gethostname()} cannot load it: {exc}") from None
        _identities[voice] = here
    if here != identity:
        raise VoiceMismatch(
            f"worker on {socket.gethostname()} has another {voice.backend} voice "
            f"({here}, the build expects {identity})"
        )


def voice_task(index: int, text: str, voice: Voice, identity: str, fallback: str | None) -> Voiced:
    """One sentence, on a worker: checks the voice is the build's, then ``voice_one``."""
    from narrator.voice.workers import voice_one

    check_voice(voice, identity)
    return voice_one(index, text, voice, fallback)


# --- on the client --------------------------------------------------------------------


def _quiet_dask() -> None:
    """Hide Dask's own log lines (``--debug`` shows them).

    They would break the progress bar and the one-line errors: a lost scheduler
    is reported as one ``ClusterError``, not as Dask's reconnection tracebacks.
    Dask's configuration gives some child loggers (``distributed.client``, ...)
    levels of their own, so each is set, not only the parent.
    """
    names = [
        name
        for name in logging.root.manager.loggerDict
        if name == "distributed" or name.startswith("distributed.")
    ]
    for name in ["distributed", *names]:
        logging.getLogger(name).setLevel(logging.CRITICAL)


class Connection:
    """A ``distributed.Client`` to the build's scheduler, and the ``LocalCluster`` of ``local:N``.

    Opening it waits up to ``connect_timeout`` for the scheduler and up to
    ``WORKERS_TIMEOUT`` for a first worker; either failing is a ``ClusterError``.
    Shared by the sentence pool (``DaskPool``) and the episode build
    (``narrator.build.remote``).
    """

    def __init__(self, scheduler: str, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.address = parse_scheduler(scheduler)
        self._cluster: Any = None
        self._client: Any = None
        self._threads_seen = (0.0, 0)
        try:
            import distributed
        except ImportError as exc:
            raise NarratorError(
                "--scheduler needs Dask, which is not installed", hint=INSTALL_HINT
            ) from exc
        self.debug = log.isEnabledFor(logging.DEBUG)
        if not self.debug:
            _quiet_dask()
        try:
            self._connect(distributed, connect_timeout)
        except BaseException:
            self.close()
            raise

    def _connect(self, distributed: Any, timeout: float) -> None:
        if self.address.startswith(f"{LOCAL}:"):
            count = int(self.address.partition(":")[2])
            log.debug("starting a LocalCluster of %d worker processes", count)
            self._cluster = distributed.LocalCluster(
                n_workers=count,
                processes=True,
                threads_per_worker=1,
                dashboard_address=None,
                silence_logs=False if self.debug else logging.CRITICAL,
            )
            self._client = distributed.Client(self._cluster, set_as_default=False)
            return
        try:
            self._client = distributed.Client(self.address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {self.address} within {timeout:g} s",
                hint="is `dask scheduler` running there, and the port open?",
            ) from exc
        try:
            self._client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"no Dask worker joined the scheduler at {self.address} "
                f"within {WORKERS_TIMEOUT:g} s",
                hint=f"start some: dask worker {self.address} --nthreads 1",
            ) from exc

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` (None once closed)."""
        return self._client

    def threads(self) -> int:
        """Task threads of all workers now (asked at most once a second)."""
        checked, threads = self._threads_seen
        now = time.monotonic()
        if now - checked > 1.0:
            workers = self._client.scheduler_info().get("workers", {})
            threads = sum(int(w.get("nthreads", 1)) for w in workers.values())
            self._threads_seen = (now, threads)
        return threads

    def lost(self) -> ClusterError:
        """The error for a scheduler that went away during the build."""
        return ClusterError(
            f"lost the Dask scheduler at {self.address}",
            hint="run the build again to go on: clips voiced so far are reused from the clip "
            "cache (unless --no-cache)",
        )

    def fatal(self, exc: BaseException, future: Any) -> ClusterError | None:
        """The ``ClusterError`` that ``exc`` (raised by ``future.result()``) means for the
        whole build: a worker with another voice, or the scheduler gone; None when only
        that task failed."""
        from distributed.comm.core import CommClosedError

        if isinstance(exc, VoiceMismatch):
            return ClusterError(
                f"a Dask worker cannot voice this build: {exc}",
                hint="install the same narrator version and voice on every worker",
            )
        if isinstance(exc, (CommClosedError, OSError, TimeoutError)):
            return self.lost()
        if future.status == "cancelled" or self._client is None or self._client.status != "running":
            return self.lost()
        return None

    def close(self) -> None:
        """Disconnect; a ``local:N`` cluster is shut down, a remote one is left running."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        try:
            if client is not None:
                client.close(timeout=CONNECT_TIMEOUT)
            if cluster is not None:
                cluster.close(timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:  # the scheduler may already be gone
            log.debug("closing the Dask client: %s", exc)


class DaskPool:
    """Sentences voiced by the workers of a Dask cluster; results come back as they finish."""

    def __init__(
        self,
        scheduler: str,
        voices: Sequence[Voice],
        *,
        threads: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        window: int | None = None,
    ) -> None:
        self._window = window
        self._connection = Connection(scheduler, connect_timeout)
        self.address = self._connection.address
        try:
            voices = tuple(dict.fromkeys(voices))
            started = time.perf_counter()
            hosts = self.client.run(warm, voices, threads, on_error="return")
            failed = {w: r for w, r in hosts.items() if isinstance(r, BaseException)}
            for worker, error in failed.items():  # voice_task reports it properly if it matters
                log.warning("Dask worker %s could not load the voice: %s", worker, error)
            log.debug(
                "voices loaded on %d Dask workers in %.1f s",
                len(hosts) - len(failed),
                time.perf_counter() - started,
            )
        except BaseException:
            self.close()
            raise

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` (for tests and benchmarks)."""
        return self._connection.client

    def window(self) -> int:
        """How many tasks may be outstanding now (follows workers joining and leaving)."""
        if self._window is not None:
            return self._window
        return max(MIN_WINDOW, WINDOW_PER_THREAD * self._connection.threads())

    def voice(
        self, requests: Sequence[tuple[int, str, Voice]], fallback: str | None
    ) -> Iterator[Voiced]:
        """Voice ``(index, text, voice)`` requests; yields in order of completion.

        Tasks are submitted a window at a time: at most ``window()`` are
        outstanding (running, queued, or finished and not yet handed on).
        """
        from narrator.voice.render import voice_identity

        identities = {voice: voice_identity(voice) for _, _, voice in requests}
        return self._results(iter(requests), identities, fallback)

    def _results(
        self,
        requests: Iterator[tuple[int, str, Voice]],
        identities: dict[Voice, str],
        fallback: str | None,
    ) -> Iterator[Voiced]:
        import distributed

        client = self.client
        batch = uuid.uuid4().hex[:12]
        as_completed: Any = distributed.as_completed
        pending = as_completed(loop=client.loop)
        outstanding: dict[str, Any] = {}
        counter = itertools.count()

        def submit_more() -> None:
            limit = self.window()
            while len(outstanding) < limit:
                request = next(requests, None)
                if request is None:
                    return
                index, text, voice = request
                future = client.submit(
                    voice_task,
                    index,
                    text,
                    voice,
                    identities[voice],
                    fallback,
                    key=f"narrator-voice-{batch}-{next(counter)}",
                    pure=False,
                    retries=RETRIES,
                )
                outstanding[future.key] = future
                pending.add(future)

        try:
            submit_more()
            for future in pending:
                outstanding.pop(future.key, None)
                voiced = self._result(future)
                future.release()
                del future
                submit_more()
                yield voiced
        finally:  # stopped early (an error, Ctrl-C): drop the rest (closing the pool also does)
            if outstanding and self.client is not None:
                self.client.cancel(list(outstanding.values()))
            outstanding.clear()

    def _result(self, future: Any) -> Voiced:
        try:
            voiced: Voiced = future.result()
            return voiced
        except NarratorError:
            raise
        except Exception as exc:
            fatal = self._connection.fatal(exc, future)
            if fatal is not None:
                raise fatal from exc
            raise ClusterError(
                f"a task failed on the Dask cluster: {type(exc).__name__}: {exc}",
                hint="see the worker's log; --debug shows the traceback",
            ) from exc

    def close(self) -> None:
        """Disconnect; a ``local:N`` cluster is shut down, a remote one is left running."""
        self._connection.close()

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
