"""`narrator add` against a real local HTTP server: good pages, and every kind of bad input.

Each bad case gives one ``Error: URL: what (hint)`` line, leaves no snapshot (or temporary
file) behind, and does not stop the good URL of the same command from being added.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrator.cli import cli
from narrator.text.ingest import read_article
from narrator.web.snapshot import read_header
from tests.web_server import (
    CLOCK_TITLE,
    Route,
    WebServer,
    article_page,
    page,
    serve,
)

GOOD = "/good"


@pytest.fixture
def server() -> Iterator[WebServer]:
    yield from serve()


def run(args: list[str], folder: Path, timeout: float = 0.5) -> tuple[int, str, str]:
    runner = CliRunner(mix_stderr=False)
    result = runner.invoke(
        cli, ["add", "--no-build", "--articles", str(folder), "--timeout", str(timeout), *args]
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def redirect(to: str) -> Route:
    return Route(status=302, headers={"Location": to})


STUB = (
    "<html><head><title>Members</title></head><body><article><h1>Big story</h1>"
    "<p>Subscribe to read the rest. Sign in.</p></article></body></html>"
)
HOME = (
    "<html><head><title>Home</title></head>"
    "<body><nav><a href='/a'>A</a> <a href='/b'>B</a></nav></body></html>"
)
TOO_LARGE = "the answer is larger than 10 MB"

CASES = {
    "404": ({"/x": Route(b"gone", status=404)}, "/x", "HTTP 404 Not Found", "check the link"),
    "500 forever": (
        {"/x": Route(b"oops", status=500)},
        "/x",
        "HTTP 500",
        "try again later",
    ),
    "never answers": ({"/x": "never"}, "/x", "did not answer in time", "nothing within 0.5 s"),
    "nothing listening": ({}, "http://127.0.0.1:1/x", "cannot connect", "refused"),
    "redirect loop": (
        {"/x": redirect("/y"), "/y": redirect("/x")},
        "/x",
        "too many redirects (more than 5)",
        "loop",
    ),
    "redirect to file:": (
        {"/x": redirect("file:///etc/passwd")},
        "/x",
        "redirected to a URL narrator will not fetch: file:///etc/passwd",
        "unsupported URL scheme 'file'",
    ),
    "redirect to ftp:": (
        {"/x": redirect("ftp://example.com/a.html")},
        "/x",
        "redirected to a URL narrator will not fetch",
        "unsupported URL scheme 'ftp'",
    ),
    "50 MB body": ({"/x": "huge-declared"}, "/x", TOO_LARGE, "not downloads"),
    "50 MB body, no length": ({"/x": "huge"}, "/x", TOO_LARGE, "not downloads"),
    "PDF": (
        {"/x": Route(b"%PDF-1.4 ...", content_type="application/pdf")},
        "/x",
        "is a PDF document (application/pdf)",
        "narrator reads HTML articles",
    ),
    "image": (
        {"/x": Route(b"\x89PNG\r\n", content_type="image/png")},
        "/x",
        "is an image (image/png)",
        "narrator reads HTML articles",
    ),
    "no article": ({"/x": page(HOME)}, "/x", "no extractable article on the page", "link to"),
    "login wall": ({"/x": page(STUB)}, "/x", "characters of article text", "login"),
    "javascript:": ({}, "javascript:alert(1)", "unsupported URL scheme 'javascript'", "http"),
    "feed, not a page": (
        {
            "/x": Route(
                b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>",
                content_type="application/rss+xml",
            )
        },
        "/x",
        "is a feed, not an article",
        "narrator follow",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_error_line_and_the_rest_is_added(
    case: str, server: WebServer, tmp_path: Path
) -> None:
    routes, target, message, hint = CASES[case]
    for path, route in routes.items():
        if route == "never":
            server.routes[path] = server.never_answer
        elif route == "huge-declared":
            server.routes[path] = WebServer.huge(50_000_000, declare=True)
        elif route == "huge":
            server.routes[path] = WebServer.huge(50_000_000, declare=False)
        else:
            server.routes[path] = route
    server.routes[GOOD] = page(article_page())
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "mine.txt").write_text("Mine\n\nA paragraph of my own that must stay.\n")
    url = target if ":" in target else server.url(target)

    code, out, err = run([url, server.url(GOOD)], folder)

    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert errors == [errors[0]] and errors[0].startswith(f"Error: {url}: ")
    assert message in errors[0]
    assert f"({hint}" in errors[0] or hint in errors[0].split("(", 1)[1]
    assert code == 1
    assert out.splitlines() == [f"added: {CLOCK_TITLE} -> {folder / files(folder)[1]}"]
    assert files(folder) == [
        "mine.txt",
        "texas-student-ahmed-mohamed-inspires-social-movement.html",
    ]
    assert (folder / "mine.txt").read_text() == "Mine\n\nA paragraph of my own that must stay.\n"


def test_retries_a_500_and_gets_the_page(server: WebServer, tmp_path: Path) -> None:
    server.routes["/flaky"] = [Route(b"busy", status=503), page(article_page())]
    code, out, _ = run([server.url("/flaky")], tmp_path / "seeds")
    assert code == 0 and out.startswith(f"added: {CLOCK_TITLE}")
    assert len(server.fetched("/flaky")) == 2


def test_500_forever_is_tried_three_times_and_404_once(server: WebServer, tmp_path: Path) -> None:
    server.routes["/down"] = Route(b"oops", status=500)
    server.routes["/gone"] = Route(b"gone", status=404)
    run([server.url("/down"), server.url("/gone")], tmp_path / "seeds")
    assert len(server.fetched("/down")) == 3
    assert len(server.fetched("/gone")) == 1


def test_request_names_narrator_and_asks_for_compression(server: WebServer, tmp_path: Path) -> None:
    from narrator import __version__

    server.routes["/a"] = page(article_page())
    run([server.url("/a")], tmp_path / "seeds")
    headers = server.hits[0].headers
    assert headers["user-agent"].startswith(f"narrator/{__version__} ")
    assert "gzip" in headers["accept-encoding"] and "br" in headers["accept-encoding"]


def test_snapshot_keeps_the_page_and_its_metadata(server: WebServer, tmp_path: Path) -> None:
    body = article_page(
        "Harbour lights return",
        published="2024-03-05T10:00:00+00:00",
        author="Jane Roe",
        canonical=server.url("/news/harbour"),
    )
    server.routes["/short"] = redirect("/news/harbour?utm_source=feed")
    server.routes["/news/harbour?utm_source=feed"] = Route(
        body.encode(), etag='"v1"', headers={"Last-Modified": "Tue, 05 Mar 2024 10:00:00 GMT"}
    )
    folder = tmp_path / "seeds"
    code, _, _ = run([server.url("/short")], folder)
    assert code == 0
    (snapshot,) = folder.iterdir()
    assert snapshot.name == "harbour-lights-return.html"
    meta = read_header(snapshot)
    assert meta is not None
    assert meta.source_url == server.url("/short")
    assert meta.final_url == server.url("/news/harbour?utm_source=feed")
    assert meta.canonical_url == server.url("/news/harbour")
    assert (meta.title, meta.author, meta.published) == (
        "Harbour lights return",
        "Jane Roe",
        "2024-03-05",
    )
    assert (meta.etag, meta.last_modified) == ('"v1"', "Tue, 05 Mar 2024 10:00:00 GMT")
    assert meta.fetched and meta.site_name
    assert body in snapshot.read_text(encoding="utf-8-sig")  # the page as fetched
    article = read_article(snapshot)
    assert article.title == "Harbour lights return"
    assert article.author == "Jane Roe"
    assert str(article.published) == "2024-03-05"
    assert article.url == server.url("/news/harbour")


def test_same_article_twice_is_one_snapshot(server: WebServer, tmp_path: Path) -> None:
    canonical = server.url("/story")
    server.routes["/story"] = page(article_page(canonical=canonical))
    server.routes["/story?utm_campaign=x&fbclid=y"] = page(article_page(canonical=canonical))
    server.routes["/mirror"] = page(article_page(canonical=canonical + "#top"))
    folder = tmp_path / "seeds"
    code, out, _ = run(
        [canonical, server.url("/story?utm_campaign=x&fbclid=y"), server.url("/mirror")], folder
    )
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == ["added", "unchanged", "unchanged"]
    assert len(files(folder)) == 1


def test_changed_page_replaces_its_snapshot_in_place(server: WebServer, tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    server.routes["/a"] = page(article_page())
    run([server.url("/a")], folder)
    (first,) = folder.iterdir()
    added = read_header(first).added  # type: ignore[union-attr]
    server.routes["/a"] = page(article_page(extra="Correction: the clock was built at home."))
    code, out, _ = run([server.url("/a")], folder)
    assert code == 0 and out.startswith("updated:")
    assert files(folder) == [first.name]
    meta = read_header(first)
    assert meta is not None and meta.updated and meta.added == added
    assert read_article(first).updated is not None
    assert "Correction: the clock" in first.read_text(encoding="utf-8-sig")


def test_charset_from_the_http_header(server: WebServer, tmp_path: Path) -> None:
    text = article_page("Café society in Łódź", charset=None).replace("inspires", "inspires café")
    server.routes["/latin"] = Route(
        text.replace("Łódź", "Lodz").encode("iso-8859-1"),
        content_type="text/html; charset=ISO-8859-1",
    )
    server.routes["/polish"] = Route(
        text.encode("iso-8859-2"), content_type="text/html; charset=iso-8859-2"
    )
    folder = tmp_path / "seeds"
    code, out, _ = run([server.url("/latin"), server.url("/polish")], folder)
    assert code == 0, out
    titles = sorted(read_article(p).title for p in folder.iterdir())
    assert titles == ["Café society in Lodz", "Café society in Łódź"]
    meta = read_header(folder / "cafe-society-in-lodz.html")
    assert meta is not None and meta.charset == "ISO-8859-1"


def test_adding_a_file_copies_it(tmp_path: Path) -> None:
    source = tmp_path / "note.md"
    source.write_text("# A note\n\nSome words worth hearing, and a few more.\n")
    folder = tmp_path / "seeds"
    code, out, _ = run([str(source), str(source), str(tmp_path / "missing.txt")], folder)
    assert code == 1
    assert out.splitlines() == [
        f"added: A note -> {folder / 'note.md'}",
        f"unchanged: A note -> {folder / 'note.md'}",
    ]
    assert (folder / "note.md").read_bytes() == source.read_bytes()


def test_remove_by_url_slug_or_file(server: WebServer, tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    server.routes["/a"] = page(article_page("First story"))
    server.routes["/b"] = page(article_page("Second story"))
    (folder).mkdir()
    (folder / "note.md").write_text("# Third story\n\nWords enough to be an article here.\n")
    run([server.url("/a"), server.url("/b")], folder)
    runner = CliRunner(mix_stderr=False)
    args = ["remove", "--articles", str(folder)]
    result = runner.invoke(cli, [*args, server.url("/a?utm_source=x"), "second-story"])
    assert result.exit_code == 0, result.stderr
    assert files(folder) == ["note.md"]
    result = runner.invoke(cli, [*args, "third-story", str(folder / "nothing.md")])
    assert result.exit_code == 1
    assert files(folder) == []
    assert result.stderr.startswith(f"Error: {folder / 'nothing.md'}: no such article")
