"""A ``narrator serve`` server in a background thread, for tests that talk HTTP to it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from narrator.publish.serve import DEFAULT_HOST, Listening, listening_on, start


class BackgroundServer:
    """A server in a thread of its own: ``with BackgroundServer(d) as s``."""

    def __init__(self, root: Path, host: str = DEFAULT_HOST, port: int = 0) -> None:
        self.root, self.host, self.port = root, host, port
        self.listening: Listening | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server, ending in ``/``."""
        if self.listening is None:
            raise RuntimeError("server not started")
        return self.listening.url

    def start(self) -> BackgroundServer:
        self._thread = threading.Thread(target=self._run, name="narrator-serve", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            try:
                runner = await start(self.root, self.host, self.port)
            except BaseException as exc:
                self._error = exc
                self._started.set()
                return
            self.listening = listening_on(runner)
            self._started.set()
            try:
                await self._stop.wait()
            finally:
                await runner.cleanup()

        asyncio.run(main())

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def serving(root: Path, host: str = DEFAULT_HOST, port: int = 0) -> Iterator[BackgroundServer]:
    """Serve ``root`` in the background for the duration of a ``with`` block."""
    server = BackgroundServer(root, host, port).start()
    try:
        yield server
    finally:
        server.stop()
