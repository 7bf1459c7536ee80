"""The HTTP client: one GET with every limit narrator promises, returning a frozen :class:`Page`.

Built on ``requests`` over ``urllib3``: both are kept by large teams, were in the environment
already (``requests`` for gTTS, ``responses`` in the tests), and urllib3's :class:`Retry`
does retries with backoff on 5xx and connection errors (never on 4xx) without code of our
own; ``requests`` streams a body so the size cap holds before the whole body is in memory,
and decodes gzip, deflate and (when the ``brotli`` package is installed) brotli. aiohttp,
also installed, would make every caller async for no gain: pages are fetched one by one.

Redirects are followed here, not by the library, so each hop's scheme is checked (a redirect
to ``file:`` or ``ftp:`` is an error, not a read of a local file) and the count is exact.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from narrator import __version__
from narrator.errors import NarratorError
from narrator.web.urls import check_url

if TYPE_CHECKING:
    import requests

__all__ = ["USER_AGENT", "Client", "FetchError", "Limits", "Page", "decode_page"]

log = logging.getLogger(__name__)

USER_AGENT = f"narrator/{__version__} (article-to-podcast tool; +https://github.com/narrator)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchError(NarratorError):
    """A page or feed that could not be fetched; ``path`` is its URL."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one fetch may cost. Tests shorten the timeouts and the backoff."""

    connect_timeout: float = 10.0
    """Seconds to wait for the connection."""
    read_timeout: float = 30.0
    """Seconds to wait for each part of the answer."""
    max_redirects: int = 5
    max_bytes: int = 10_000_000
    """The body's size cap, after decompression (so a small gzip bomb is caught too)."""
    retries: int = 2
    """Retries after a 5xx answer or a connection error (never after a 4xx)."""
    backoff: float = 0.5
    """urllib3's backoff factor: the second retry waits ``2 * backoff`` seconds."""


@dataclass(frozen=True, slots=True)
class Page:
    """What a GET brought back."""

    url: str
    """The URL asked for."""
    final_url: str
    """Where the answer came from, after redirects."""
    status: int
    """200, or 304 (Not Modified: ``body`` is empty)."""
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Response headers, names in lower case."""
    body: bytes = b""
    content_type: str = ""
    """The media type, lower case, without parameters (``text/html``)."""
    charset: str | None = None
    """The charset the Content-Type header declares, if any."""

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def parse_content_type(value: str) -> tuple[str, str | None]:
    """(media type, charset) of a Content-Type header value."""
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip("\"'") or None
    return media.strip().lower(), charset


class Client:
    """A reusable HTTP session with narrator's User-Agent, timeouts, retries and caps."""

    def __init__(self, limits: Limits | None = None) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.limits = limits or Limits()
        retry = Retry(
            total=self.limits.retries,
            connect=self.limits.retries,
            read=self.limits.retries,
            status=self.limits.retries,
            other=0,
            redirect=False,
            status_forcelist=tuple(range(500, 600)),
            allowed_methods=frozenset({"GET"}),
            backoff_factor=self.limits.backoff,
            backoff_max=30.0,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        accept: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Page:
        """GET ``url``, following at most ``max_redirects`` redirects to http(s) URLs.

        With ``etag``/``last_modified`` the request is conditional and a 304 comes back as
        a :class:`Page` with an empty body. Every failure is a :class:`FetchError` naming
        the URL asked for: 4xx/5xx, too many redirects, a redirect elsewhere than http(s),
        a timeout, a refused connection, a body over the size cap.
        """
        import requests

        original = check_url(url)
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = original
        timeout = (self.limits.connect_timeout, self.limits.read_timeout)
        for hop in range(self.limits.max_redirects + 1):
            try:
                response = self.session.get(
                    current, headers=headers, timeout=timeout, allow_redirects=False, stream=True
                )
            except requests.RequestException as exc:
                if _timed_out(exc):
                    raise FetchError(
                        "the server did not answer in time",
                        path=original,
                        hint=f"nothing within {self.limits.read_timeout:g} s; it may be down, "
                        "or try a longer --timeout",
                    ) from exc
                raise FetchError("cannot connect", path=original, hint=_reason(exc)) from exc
            with response:
                if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                    target = urljoin(current, response.headers["location"])
                    try:
                        check_url(target)
                    except NarratorError as exc:
                        raise FetchError(
                            f"redirected to a URL narrator will not fetch: {target}",
                            path=original,
                            hint=exc.message,
                        ) from None
                    log.debug("%s: redirect %d to %s", original, hop + 1, target)
                    current = target
                    continue
                return self._page(original, current, response)
        raise FetchError(
            f"too many redirects (more than {self.limits.max_redirects})",
            path=original,
            hint="the site redirects in a loop, or the link is stale",
        )

    def _page(self, original: str, final: str, response: requests.Response) -> Page:
        import requests

        status = response.status_code
        headers = MappingProxyType({k.lower(): v for k, v in response.headers.items()})
        if status != 304 and not 200 <= status < 300:
            reason = response.reason or ""
            hint = (
                "the server failed; try again later"
                if status >= 500
                else "check the link"
                if status in (404, 410)
                else "the server refused the request"
            )
            raise FetchError(f"HTTP {status} {reason}".rstrip(), path=original, hint=hint)
        if status != 200 and status != 304:
            log.debug("%s: HTTP %d taken as success", original, status)
        media, charset = parse_content_type(headers.get("content-type", ""))
        if status == 304:
            return Page(original, final, status, headers, b"", media, charset)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise self._too_large(original)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in _chunks(response):
                size += len(chunk)
                if size > self.limits.max_bytes:
                    raise self._too_large(original)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise FetchError(
                "the connection broke while reading", path=original, hint=_reason(exc)
            ) from exc
        return Page(original, final, status, headers, b"".join(chunks), media, charset)

    def _too_large(self, url: str) -> FetchError:
        return FetchError(
            f"the answer is larger than {self.limits.max_bytes / 1e6:g} MB",
            path=url,
            hint="narrator reads article pages, not downloads",
        )


def _chunks(response: requests.Response) -> Iterator[bytes]:
    yield from response.iter_content(chunk_size=64 * 1024)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps (requests → urllib3's MaxRetryError → its reason)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in current.args if isinstance(a, BaseException)), None)
        current = inner if isinstance(inner, BaseException) else current.__cause__


def _timed_out(exc: BaseException) -> bool:
    """Whether the server was reached but did not answer (a refused connection is no timeout,
    though urllib3's NewConnectionError derives from its ConnectTimeoutError)."""
    import requests
    from urllib3.exceptions import NewConnectionError, ReadTimeoutError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    causes = list(_causes(exc))
    if any(isinstance(e, NewConnectionError) for e in causes) and not any(
        isinstance(e, ReadTimeoutError) for e in causes
    ):
        return "timed out" in str(causes[-1])
    return any(isinstance(e, (requests.Timeout, Urllib3Timeout)) for e in causes)


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests error, without urllib3's connection-pool preamble."""
    *_, inner = _causes(exc)
    text = str(inner)
    if text.startswith(("HTTPConnectionPool(", "HTTPSConnectionPool(")) and "): " in text:
        text = text.split("): ", 1)[1]
    text = re.sub(r"<[\w.]+ object at 0x[0-9a-f]+>: ", "", text)
    return text.strip() or type(inner).__name__


def decode_page(page: Page) -> str:
    """The body as text: BOM, else the HTTP header's charset, else the page's ``<meta>``
    charset, else UTF-8, else windows-1252 (the order browsers use).

    A header charset that does not decode the bytes is ignored with a warning (servers
    misconfigure it more often than pages lie). Never yields U+FFFD.
    """
    from narrator.text.ingest import decode

    body = page.body
    if page.charset and not body.startswith(
        (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        name = _codec(page.charset)
        if name is not None:
            try:
                return body.decode(name).replace("\r\n", "\n").replace("\r", "\n")
            except UnicodeDecodeError:
                log.warning("%s: not %s as its server says; guessing", page.url, page.charset)
    try:
        return decode(body, Path("page.html"))
    except NarratorError as exc:
        raise FetchError(exc.message, path=page.url, hint=exc.hint) from None


def _codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name
