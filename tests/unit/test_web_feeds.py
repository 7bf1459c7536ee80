"""`narrator follow`, `sources`, `unfollow` and `update` against a real local HTTP server.

Feeds are made by narrator's own RSS writer (``tests.web_server.rss``), by ElementTree
(Atom) and json (JSON Feed); the pages behind them are the corpus page.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrator.cli import cli
from narrator.config import load_config
from narrator.errors import NarratorError
from narrator.text.ingest import read_article
from narrator.web.follow import Follow, add_follow, read_follows, remove_follow
from narrator.web.snapshot import read_header
from tests.web_server import Route, WebServer, article_page, iso, page, rss, serve

LONG_TEXT = " ".join(
    f"<p>Paragraph {n} of the full text carried in the feed, long enough to be the whole "
    f"article and not a teaser of it.</p>"
    for n in range(12)
)


@pytest.fixture
def server() -> Iterator[WebServer]:
    yield from serve()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "narrator.toml").write_text(
        '# my podcast\n[show]\ntitle = "Mine"  # keep this comment\n'
    )
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(mix_stderr=False).invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def articles(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def three_items(server: WebServer) -> bytes:
    for name in ("one", "two", "three"):
        server.routes[f"/{name}"] = page(article_page(f"Story {name}"), etag=f'"{name}"')
    return rss(
        server,
        [
            ("Story one", server.url("/one"), iso(3)),
            ("Story two", server.url("/two?utm_medium=rss"), iso(2)),
            ("Story three", server.url("/three"), iso(1)),
        ],
    )


def test_follow_keeps_comments_and_the_config_still_loads(server: WebServer, workdir: Path) -> None:
    server.routes["/feed.xml"] = Route(three_items(server), content_type="application/rss+xml")
    code, out, _ = run("follow", server.url("/feed.xml"), "--max", "2")
    assert code == 0 and "Following Test feed" in out and "3 items" in out
    text = (workdir / "narrator.toml").read_text()
    assert text.startswith('# my podcast\n[show]\ntitle = "Mine"  # keep this comment\n')
    assert read_follows(workdir / "narrator.toml") == [
        Follow(server.url("/feed.xml"), 2, "Test feed")
    ]
    assert load_config(workdir / "narrator.toml").show.title == "Mine"
    code, out, _ = run("follow", server.url("/feed.xml"))
    assert out.startswith("Already following")
    code, out, _ = run("unfollow", server.url("/feed.xml"))
    assert code == 0 and read_follows(workdir / "narrator.toml") == []
    assert "keep this comment" in (workdir / "narrator.toml").read_text()
    code, _, err = run("unfollow", server.url("/feed.xml"))
    assert code == 1 and err.startswith(f"Error: {server.url('/feed.xml')}: not a followed feed")


def test_follow_a_page_finds_its_feed(server: WebServer, workdir: Path) -> None:
    server.routes["/feeds/all.atom"] = Route(
        atom(server, [("Story one", "/one", None)]), content_type="application/atom+xml"
    )
    server.routes["/one"] = page(article_page("Story one"))
    home = '<html><head><link rel="alternate" type="application/atom+xml" href="/feeds/all.atom">'
    server.routes["/"] = page(home + "</head><body>Home</body></html>")
    code, out, _ = run("follow", server.url("/"))
    assert code == 0, out
    assert [f.url for f in read_follows(workdir / "narrator.toml")] == [
        server.url("/feeds/all.atom")
    ]


def test_update_adds_the_newest_then_nothing(server: WebServer, workdir: Path) -> None:
    server.routes["/feed.xml"] = Route(
        three_items(server), content_type="application/rss+xml", etag='"feed-1"'
    )
    add_follow(workdir / "narrator.toml", Follow(server.url("/feed.xml"), max=2))
    code, out, err = run("update", "--no-build", "--timeout", "1")
    assert code == 0, err
    assert articles(workdir / "seeds") == ["story-three.html", "story-two.html"]
    assert [line.split(" -> ")[0] for line in out.splitlines()] == [
        "added: Story three",
        "added: Story two",
    ]
    meta = read_header(workdir / "seeds" / "story-two.html")
    assert meta is not None and meta.feed_url == server.url("/feed.xml")

    server.hits.clear()
    code, out, _ = run("update", "--no-build")
    assert code == 0 and out.strip() == "Nothing new."
    assert server.fetched() == []  # the feed and both recent pages answered 304
    assert {h.path for h in server.hits} == {"/feed.xml", "/two?utm_medium=rss", "/three"}

    code, out, _ = run("sources")
    assert "last check: 20" in out and "3 items in the feed, 2 added" in out


def test_update_replaces_a_corrected_article_in_place(server: WebServer, workdir: Path) -> None:
    server.routes["/feed.xml"] = Route(three_items(server), content_type="application/rss+xml")
    add_follow(workdir / "narrator.toml", Follow(server.url("/feed.xml"), max=1))
    run("update", "--no-build")
    snapshot = workdir / "seeds" / "story-three.html"
    server.routes["/three"] = page(
        article_page("Story three", extra="Correction: an earlier version misnamed the school."),
        etag='"three-v2"',
    )
    code, out, _ = run("update", "--no-build")
    assert code == 0 and out.startswith("updated: Story three")
    assert articles(workdir / "seeds") == ["story-three.html"]
    article = read_article(snapshot)
    assert article.updated is not None
    assert any("misnamed the school" in block.text for block in article.blocks)


def test_deleted_article_is_not_added_again(server: WebServer, workdir: Path) -> None:
    server.routes["/feed.xml"] = Route(three_items(server), content_type="application/rss+xml")
    add_follow(workdir / "narrator.toml", Follow(server.url("/feed.xml"), max=1))
    run("update", "--no-build")
    (workdir / "seeds" / "story-three.html").unlink()
    code, out, _ = run("update", "--no-build")
    assert code == 0 and out.strip() == "Nothing new."
    assert articles(workdir / "seeds") == []


def atom(server: WebServer, items: list[tuple[str, str | None, str | None]]) -> bytes:
    ns = "http://www.w3.org/2005/Atom"
    feed = ET.Element(f"{{{ns}}}feed")
    ET.SubElement(feed, f"{{{ns}}}title").text = "Atom feed"
    ET.SubElement(feed, f"{{{ns}}}id").text = server.url("/")
    ET.SubElement(feed, f"{{{ns}}}updated").text = iso()
    for n, (title, link, content) in enumerate(items):
        entry = ET.SubElement(feed, f"{{{ns}}}entry")
        ET.SubElement(entry, f"{{{ns}}}title").text = title
        ET.SubElement(entry, f"{{{ns}}}id").text = f"tag:test,2026:{n}"
        ET.SubElement(entry, f"{{{ns}}}updated").text = iso(n)
        if link is not None:
            ET.SubElement(entry, f"{{{ns}}}link", href=link)
        ET.SubElement(entry, f"{{{ns}}}summary").text = f"Summary of {title}"
        if content is not None:
            ET.SubElement(entry, f"{{{ns}}}content", type="html").text = content
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def test_full_text_feed_needs_no_page(server: WebServer, workdir: Path) -> None:
    server.routes["/full.atom"] = Route(
        atom(server, [("Carried in full", "/carried", LONG_TEXT)]),
        content_type="application/atom+xml",
    )
    add_follow(workdir / "narrator.toml", Follow(server.url("/full.atom")))
    code, out, _ = run("update", "--no-build")
    assert code == 0 and out.startswith("added: Carried in full")
    assert server.fetched("/carried") == []
    article = read_article(workdir / "seeds" / "carried-in-full.html")
    assert article.url == server.url("/carried")
    assert len(article.blocks) == 12


def test_json_feed(server: WebServer, workdir: Path) -> None:
    server.routes["/one"] = page(article_page("Story one"))
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON",
        "items": [
            {
                "id": "1",
                "url": "/one",
                "title": "Story one",
                "summary": "s",
                "date_published": "2015-09-22T09:00:00Z",
                "authors": [{"name": "Ann Author"}],
            },
        ],
    }
    server.routes["/feed.json"] = Route(
        json.dumps(doc).encode(), content_type="application/feed+json"
    )
    add_follow(workdir / "narrator.toml", Follow(server.url("/feed.json")))
    code, _out, err = run("update", "--no-build")
    assert code == 0, err
    meta = read_header(workdir / "seeds" / "story-one.html")
    assert meta is not None and meta.final_url == server.url("/one")


def test_bad_feeds_and_items(server: WebServer, workdir: Path) -> None:
    """Invalid XML is an error for that feed; relative links are resolved; an item with no
    link is a warning; repeated items are added once; the other feeds still go."""
    server.routes["/broken.xml"] = Route(
        b"<rss><channel><item>", content_type="application/rss+xml"
    )
    server.routes["/gone.xml"] = Route(b"no", status=404)
    server.routes["/one"] = page(article_page("Story one"))
    server.routes["/two"] = page(article_page("Story two"))
    server.routes["/odd.xml"] = Route(
        rss(
            server,
            [
                ("Story one", "/one", iso(1)),  # relative
                ("No link", None, iso(2)),  # type: ignore[list-item]
                ("Story two", server.url("/two"), iso(3)),
                ("Story two again", server.url("/two#comments"), iso(4)),
            ],
        ),
        content_type="application/rss+xml",
    )
    for url in ("/broken.xml", "/gone.xml", "/odd.xml"):
        add_follow(workdir / "narrator.toml", Follow(server.url(url)))
    code, _out, err = run("update", "--no-build")
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2
    assert errors[0].startswith(
        f"Error: {server.url('/broken.xml')}: not a valid RSS or Atom feed ("
    )
    assert errors[1] == f"Error: {server.url('/gone.xml')}: HTTP 404 Not Found (check the link)"
    warnings = [line for line in err.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        f"Warning: {server.url('/odd.xml')}: item 'No link' has no link (left out)",
        f"Warning: {server.url('/odd.xml')}: the feed repeats items (each is added once)",
    ]
    assert articles(workdir / "seeds") == ["story-one.html", "story-two.html"]


def test_config_checks_follow_tables(tmp_path: Path) -> None:
    config = tmp_path / "narrator.toml"
    config.write_text('[[follow]]\nurl = "https://example.com/feed.xml"\nmax = 3\n')
    assert load_config(config).show.title
    config.write_text('[[follow]]\nurl = "https://example.com/feed.xml"\nmaxx = 3\n')
    with pytest.raises(NarratorError, match=r"unknown key 'follow\.maxx'"):
        load_config(config)
    config.write_text('[[follow]]\nurl = "ftp://example.com/feed.xml"\n')
    with pytest.raises(NarratorError, match="not an absolute http"):
        load_config(config)
    assert remove_follow(config, "https://nowhere.example/") is False


def test_a_recent_article_taken_down_is_kept_with_a_warning(
    server: WebServer, workdir: Path
) -> None:
    server.routes["/feed.xml"] = Route(
        three_items(server), content_type="application/rss+xml", etag='"f"'
    )
    add_follow(workdir / "narrator.toml", Follow(server.url("/feed.xml"), max=1))
    run("update", "--no-build")
    server.routes["/three"] = Route(b"gone", status=410)
    code, out, err = run("update", "--no-build")
    assert code == 0 and out.strip() == "Nothing new."
    assert err.splitlines() == [
        f"Warning: {server.url('/three')}: HTTP 410 Gone (check the link) (kept as stored)"
    ]
    assert articles(workdir / "seeds") == ["story-three.html"]
