"""``narrator serve``: the output folder over HTTP, so a podcast app on the network can subscribe.

Built on aiohttp. Its ``web.FileResponse`` already does what podcast apps
(Apple's in particular) need from a media server: HEAD, single byte ranges (206
with ``Content-Range``, 416 with ``bytes */size``), ``ETag`` and
``Last-Modified`` with ``If-None-Match`` / ``If-Modified-Since`` (304),
``If-Match`` / ``If-Unmodified-Since`` (412), and ``sendfile``. Two gaps are
closed here before a request reaches it: aiohttp reads an ``If-Range`` ETag as
a date (so a stale resume would get a range of the new file), and it answers a
multi-range request with 416 where ignoring the ``Range`` (200) is right.

What is served is decided here, not by aiohttp's static route: the request's
raw path is percent-decoded once, any ``.``/``..``/empty segment, backslash,
NUL or hidden name is refused, and the resolved file (symlinks followed) must
still lie inside the folder. ``catalog.json`` and its kept copies (local
source paths) and unfinished ``.tmp`` files are never served.

When no base URL is configured the feed holds relative URLs; they are made
absolute at serve time on the scheme and ``Host`` the client used, so the same
folder works on ``127.0.0.1`` and on the machine's LAN address.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import logging
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin

from aiohttp import hdrs, web
from multidict import CIMultiDict

from narrator.errors import NarratorError
from narrator.publish.catalog import CATALOG_BACKUP, CATALOG_DAMAGED, CATALOG_NAME
from narrator.publish.feed import FEED_NAME, NS

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
INDEX_NAME = "index.html"
HIDDEN_NAMES = frozenset({CATALOG_NAME, CATALOG_BACKUP, CATALOG_DAMAGED})
"""Files in the output folder that are bookkeeping, not for listeners."""

CONTENT_TYPES: dict[str, str] = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
}
FEED_TYPE = "application/rss+xml; charset=utf-8"
CHAPTERS_TYPE = "application/json+chapters"
FALLBACK_TYPE = "application/octet-stream"

_HOST = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.ASCII | re.IGNORECASE)

# (tag, attribute) pairs in the feed that hold URLs of files in the output folder.
_URL_ATTRIBUTES = (
    ("enclosure", "url"),
    (f"{{{NS['itunes']}}}image", "href"),
    (f"{{{NS['podcast']}}}transcript", "url"),
    (f"{{{NS['podcast']}}}chapters", "url"),
)


def content_type(path: Path) -> str:
    """The Content-Type to send for ``path`` (by name, as podcast apps expect)."""
    name = path.name.lower()
    if name == FEED_NAME:
        return FEED_TYPE
    if name.endswith(".chapters.json"):
        return CHAPTERS_TYPE
    return CONTENT_TYPES.get(path.suffix.lower(), FALLBACK_TYPE)


def resolve_request_path(root: Path, raw_path: str) -> Path | None:
    """The file under ``root`` that ``raw_path`` (as sent, still percent-encoded) names, or None.

    ``root`` must already be resolved. None means "not served" whatever the
    reason (traversal, hidden file, outside after following symlinks, missing):
    the caller answers 404 and says nothing about what exists outside.
    """
    raw = raw_path.split("?", 1)[0].split("#", 1)[0]
    if not raw.startswith("/"):
        return None
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\\" in decoded or "\x00" in decoded:
        return None
    parts = decoded[1:].split("/")
    if parts[-1] == "":  # a folder: its index page
        parts[-1] = INDEX_NAME
    for part in parts:
        if part in ("", ".", "..") or part.startswith("."):
            return None
    if len(parts) == 1 and parts[0] in HIDDEN_NAMES:
        return None
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(root) or not resolved.is_file():
        return None
    return resolved


def request_base(request: web.BaseRequest) -> str:
    """``scheme://host[:port]/`` as the client addressed this server (a safe Host only)."""
    host = request.headers.get(hdrs.HOST, "")
    if not _HOST.match(host):
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        if not sockname:
            return ""
        address, port = sockname[0], sockname[1]
        host = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    return f"{request.scheme}://{host}/"


def absolutize_feed(feed: bytes, base: str) -> bytes:
    """``feed`` with every relative URL (enclosure, art, transcripts, chapters, the show's
    page) under ``base``.

    URLs that are already absolute (a configured base URL) are left alone.
    """
    root = ET.fromstring(feed)
    changed = False
    for tag, attribute in _URL_ATTRIBUTES:
        for element in root.iter(tag):
            value = element.get(attribute)
            if value is not None and "://" not in value:
                element.set(attribute, urljoin(base, value))
                changed = True
    for path in ("channel/link", "channel/image/url", "channel/image/link"):
        node = root.find(path)
        if node is not None and node.text and "://" not in node.text:
            node.text = urljoin(base, node.text)
            changed = True
    channel = root.find("channel")
    atom_link = f"{{{NS['atom']}}}link"
    if changed and channel is not None and channel.find(atom_link) is None:
        self_link = ET.Element(
            atom_link,
            {"href": urljoin(base, FEED_NAME), "rel": "self", "type": "application/rss+xml"},
        )
        channel.insert(0, self_link)
        ET.indent(root, space="  ")
    if not changed:
        return feed
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _effective_range_headers(request: web.BaseRequest, etag: str) -> CIMultiDict[str] | None:
    """Request headers with Range/If-Range fixed up for aiohttp, or None if nothing to fix.

    - ``If-Range: "etag"``: a range only if it is this file's (strong) ETag;
      aiohttp only understands the date form.
    - A Range that is not one ``bytes=a-b`` (several ranges, another unit,
      nonsense): ignored, the whole file is sent (RFC 9110 §14.2 allows it).
    """
    if_range = request.headers.get(hdrs.IF_RANGE)
    rng = request.headers.get(hdrs.RANGE)
    drop_range = rng is not None and not _SINGLE_RANGE.match(rng.strip())
    drop_if_range = False
    if if_range is not None and if_range.strip()[:1] in ('"', "W"):
        drop_if_range = True
        if if_range.strip() != f'"{etag}"':
            drop_range = True
    if not (drop_range or drop_if_range):
        return None
    headers = CIMultiDict(request.headers)
    if drop_range:
        headers.popall(hdrs.RANGE, None)
    if drop_if_range or drop_range:
        headers.popall(hdrs.IF_RANGE, None)
    return headers


def _not_modified(request: web.BaseRequest, etag: str, mtime: float) -> bool:
    inm = request.if_none_match
    if inm is not None:
        return any(tag.value in (etag, "*") for tag in inm)
    since = request.if_modified_since
    return since is not None and int(mtime) <= since.timestamp()


class _Handler:
    """Serves one output folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = resolve_request_path(self.root, request.raw_path)
        if path is None:
            raise web.HTTPNotFound(text="404: Not Found\n")
        if path == self.root / FEED_NAME:
            return await self._feed(request, path)
        headers = {
            hdrs.CONTENT_TYPE: content_type(path),
            hdrs.ACCEPT_RANGES: "bytes",
            hdrs.CACHE_CONTROL: "no-cache",
        }
        if path.suffix.lower() in (".vtt", ".srt", ".json"):
            # Web players on other origins may read transcripts and chapters.
            headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = "*"
        response = web.FileResponse(path, headers=headers)
        stat = path.stat()
        fixed = _effective_range_headers(request, f"{stat.st_mtime_ns:x}-{stat.st_size:x}")
        if fixed is None:
            return response
        await response.prepare(request.clone(headers=fixed))
        return response

    async def _feed(self, request: web.Request, path: Path) -> web.StreamResponse:
        data = await asyncio.to_thread(path.read_bytes)
        mtime = path.stat().st_mtime
        try:
            body = absolutize_feed(data, request_base(request))
        except ET.ParseError:
            log.warning("%s is not well-formed XML; serving it as it is", path)
            body = data
        etag = hashlib.sha256(body).hexdigest()[:32]
        headers = {
            hdrs.ETAG: f'"{etag}"',
            hdrs.LAST_MODIFIED: email.utils.formatdate(mtime, usegmt=True),
            hdrs.CACHE_CONTROL: "no-cache",
            hdrs.VARY: "Host",
        }
        if _not_modified(request, etag, mtime):
            return web.Response(status=304, headers=headers)
        headers[hdrs.CONTENT_TYPE] = FEED_TYPE
        return web.Response(body=body, headers=headers)


def make_app(root: Path) -> web.Application:
    """The aiohttp application serving ``root`` (GET and HEAD on every path)."""
    if not root.is_dir():
        raise NarratorError("no such folder", path=root, hint="run `narrator build` first")
    if not (root / FEED_NAME).is_file():
        raise NarratorError(
            f"no {FEED_NAME} in this folder",
            path=root,
            hint="build it first: narrator build -o DIR",
        )
    app = web.Application()
    app.router.add_get("/{tail:.*}", _Handler(root).handle, allow_head=True)
    return app


@dataclass(frozen=True, slots=True)
class Listening:
    """Where a started server can be reached."""

    host: str
    """The address it is bound to (may be 0.0.0.0 / ::)."""
    port: int

    @property
    def url(self) -> str:
        """A URL for this machine itself (loopback when bound to every address)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}/" if ":" in host else f"http://{host}:{self.port}/"


def lan_addresses() -> list[str]:
    """This machine's likely LAN IPv4 address(es), best first; none when offline.

    Asks the kernel which source address it would use for an outside
    destination (a UDP "connect" sends nothing), then adds the hostname's.
    """
    found: list[str] = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routed like the Internet, never reached
        found.append(probe.getsockname()[0])
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if address not in found:
                found.append(address)
    return [a for a in found if not a.startswith("127.")]


async def start(root: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> web.AppRunner:
    """Start serving ``root`` on ``host``:``port`` (0 picks a free port); returns the runner."""
    access_log = logging.getLogger(f"{__name__}.access")
    runner = web.AppRunner(make_app(root), access_log=access_log)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        hint = "pick another with --port" if exc.errno in (98, 48, 10048) else None
        raise NarratorError(f"cannot listen on {host}:{port}: {exc.strerror}", hint=hint) from exc
    return runner


def listening_on(runner: web.AppRunner) -> Listening:
    """Where a started runner listens (with the port the system picked for port 0)."""
    address = runner.addresses[0]
    return Listening(str(address[0]), int(address[1]))


def serve_forever(
    root: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    ready: Callable[[Listening], None] | None = None,
) -> None:
    """Serve ``root`` until interrupted; ``ready`` is told the address once it listens."""

    async def main() -> None:
        runner = await start(root, host, port)
        try:
            if ready is not None:
                ready(listening_on(runner))
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())
