"""`narrator add URL` end to end: fetch from a local server, build, and check the episode.

The episode's title is the page's headline; its date (feed pubDate, ID3 TDRC, the listening
page) is the page's published date, not the build's; its artist (TPE1) the page's author.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3

from narrator.cli import cli
from tests.web_server import WebServer, article_page, page, serve

pytestmark = pytest.mark.slow

TITLE = "Clock maker invited to science fair"


@pytest.fixture
def server() -> Iterator[WebServer]:
    yield from serve()


def test_add_builds_an_episode_dated_by_the_page(server: WebServer, tmp_path: Path) -> None:
    server.routes["/story"] = page(
        article_page(TITLE, published="2024-03-05T10:00:00+00:00", author="Jane Roe", short=True)
    )
    seeds, out = tmp_path / "seeds", tmp_path / "audio"
    runner = CliRunner(mix_stderr=False)
    args = ["add", server.url("/story"), "--articles", str(seeds), "-o", str(out), "-q"]

    result = runner.invoke(cli, args)

    assert result.exit_code == 0, result.stderr
    mp3 = out / "episodes" / "clock-maker-invited-to-science-fair.mp3"
    assert f"added: {TITLE} -> {mp3}" in result.stdout.splitlines()
    tags = ID3(mp3)
    assert str(tags["TIT2"]) == TITLE
    assert str(tags["TDRC"]) == "2024-03-05"
    assert str(tags["TPE1"]) == "Jane Roe"
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    (entry,) = feed.entries
    assert entry.title == TITLE
    assert entry.published == "Tue, 05 Mar 2024 00:00:00 +0000"
    assert entry.link == server.url("/story")
    assert '<time datetime="2024-03-05">5 March 2024</time>' in (out / "index.html").read_text()

    before = mp3.read_bytes()
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.stderr
    assert f"unchanged: {TITLE} -> {mp3}" in again.stdout.splitlines()
    assert "0 rebuilt" in again.stdout
    assert mp3.read_bytes() == before
