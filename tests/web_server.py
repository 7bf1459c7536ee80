"""A real HTTP server on 127.0.0.1 for the web tests: fixture pages, feeds and bad answers.

Each route is a :class:`Route` (status, body, headers; ETag answered with 304 when the client
sends it back) or a callable for odd behaviour (a server that never answers, a body larger
than the cap). Every request is logged, so tests can say "no page was fetched".
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.paths import CORPUS

CLOCK_PAGE = (CORPUS / "13_wikinews_ahmed_clock.html").read_text(encoding="utf-8")
"""A real article page (from the corpus): headline, byline, date, page chrome."""
CLOCK_TITLE = "Texas student Ahmed Mohamed inspires social movement"


def article_page(
    title: str = CLOCK_TITLE,
    *,
    published: str | None = None,
    author: str | None = None,
    canonical: str | None = None,
    extra: str = "",
    charset: str | None = "UTF-8",
    short: bool = False,
) -> str:
    """The corpus page with another headline, metadata and (``extra``) one more paragraph;
    ``short`` keeps only its first paragraph (a quick build)."""
    page = CLOCK_PAGE.replace(CLOCK_TITLE, title)
    if short:
        start = page.index('<figure class="wp-block-image')
        page = page[:start] + page[page.index('<p class="wikinews-attribution"') :]
    head = ""
    if published:
        head += f'<meta property="article:published_time" content="{published}">\n'
    if author:
        head += f'<meta name="author" content="{author}">\n'
    if canonical:
        head += f'<link rel="canonical" href="{canonical}">\n'
    page = page.replace("</head>", head + "</head>", 1)
    if charset is None:
        page = page.replace('<meta charset="UTF-8">\n', "", 1)
    if extra:
        page = page.replace(
            '<div class="entry-content">', f'<div class="entry-content"><p>{extra}</p>', 1
        )
    return page


@dataclass
class Route:
    """A fixed answer."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None


Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int


class WebServer:
    """Serves ``routes`` (path -> Route, callable, or list of them served in turn)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | Handler | list[Route | Handler]] = {}
        self.hits: list[Hit] = []
        self.stop = threading.Event()
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def fetched(self, path: str | None = None) -> list[Hit]:
        """Requests answered with a body (not 304), for ``path`` or all."""
        return [h for h in self.hits if h.status != 304 and (path is None or h.path == path)]

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path
        route = self.routes.get(path, self.routes.get(path.split("?")[0]))
        if isinstance(route, list):
            route = route.pop(0) if len(route) > 1 else route[0]
        headers = {k.lower(): v for k, v in request.headers.items()}
        if route is None:
            route = Route(b"<html><body>not here</body></html>", status=404)
        if callable(route):
            self.hits.append(Hit(path, headers, 200))
            route(request)
            return
        if route.etag and headers.get("if-none-match") == route.etag:
            self.hits.append(Hit(path, headers, 304))
            request.send_response(304)
            request.send_header("ETag", route.etag)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        self.hits.append(Hit(path, headers, route.status))
        request.send_response(route.status)
        request.send_header("Content-Type", route.content_type)
        request.send_header("Content-Length", str(len(route.body)))
        if route.etag:
            request.send_header("ETag", route.etag)
        for name, value in route.headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(route.body)

    def never_answer(self, request: BaseHTTPRequestHandler) -> None:
        """Keep the connection open and say nothing (until the server closes)."""
        self.stop.wait(10)

    @staticmethod
    def huge(size: int, declare: bool) -> Handler:
        """A body of ``size`` bytes, sent lazily, with or without a Content-Length."""

        def handler(request: BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", "text/html")
            if declare:
                request.send_header("Content-Length", str(size))
            else:
                request.send_header("Connection", "close")
                request.close_connection = True
            request.end_headers()
            chunk = b"<p>" + b"x" * 65530 + b"</p>"
            sent = 0
            try:
                while sent < size:
                    request.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass  # the client stopped reading at its cap

        return handler


def page(html: str, **kwargs: object) -> Route:
    return Route(html.encode("utf-8"), **kwargs)  # type: ignore[arg-type]


def rss(server: WebServer, items: list[tuple[str, str, str]], title: str = "Test feed") -> bytes:
    """An RSS 2.0 feed made by narrator's own feed writer: (title, link, ISO date) items."""
    from narrator.models import Show
    from narrator.publish.catalog import Entry
    from narrator.publish.feed import build_feed

    show = Show(
        title=title,
        author="Tests",
        description="Fixture feed",
        language="en",
        base_url=server.base + "/",
        link=server.base + "/",
    )
    entries = [
        Entry(
            slug=f"item-{n}",
            guid=f"guid-{n}",
            first_published=date,
            title=name,
            description=f"Summary of {name}",
            author=None,
            date=None,
            file=f"e/{n}.mp3",
            bytes=1,
            duration=1.0,
            source="",
            url=link,
        )
        for n, (name, link, date) in enumerate(items)
    ]
    return build_feed(show, entries, None)


def iso(days_ago: float = 0) -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    return moment.replace(microsecond=0).isoformat()


def serve() -> Iterator[WebServer]:
    server = WebServer()
    try:
        yield server
    finally:
        server.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
