"""``narrator serve``: real HTTP requests against a server on 127.0.0.1 and a free port."""

from __future__ import annotations

import http.client
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

import podcastparser
import pytest
from click.testing import CliRunner

from narrator.cli import cli
from tests.serving import BackgroundServer, serving

SECRET = "top secret: must never be served"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass
class Site:
    root: Path
    """The served output folder (a copy of the sample build)."""
    server: BackgroundServer
    mp3: Path

    @property
    def port(self) -> int:
        assert self.server.listening is not None
        return self.server.listening.port

    def request(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> Reply:
        """Send ``path`` exactly as written (http.client does not normalize it)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_host="Host" in (headers or {}))
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def raw(self, request: bytes) -> bytes:
        """Send bytes over a bare socket; the whole reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture(scope="module")
def site(sample_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    """A copy of the sample build, with a secret beside it and symlinks pointing out of it."""
    out, _, _ = sample_build
    base = tmp_path_factory.mktemp("served")
    root = base / "site"
    shutil.copytree(out, root)
    (base / "secret.txt").write_text(SECRET)
    (base / "outside").mkdir()
    (base / "outside" / "secret.txt").write_text(SECRET)
    (root / "link-out.txt").symlink_to(base / "secret.txt")
    (root / "link-dir").symlink_to(base / "outside", target_is_directory=True)
    (root / "link-in.jpg").symlink_to(root / "cover.jpg")
    (root / ".hidden").write_text(SECRET)
    mp3 = next((root / "episodes").glob("*.mp3"))
    with serving(root) as server:
        yield Site(root, server, mp3)


def _mp3_url(site: Site) -> str:
    return "/" + site.mp3.relative_to(site.root).as_posix()


def test_server_binds_loopback_on_the_port_it_was_given(site: Site) -> None:
    assert site.server.listening is not None
    assert site.server.listening.host == "127.0.0.1"
    assert site.server.url == f"http://127.0.0.1:{site.port}/"


def test_get_serves_the_mp3_whole_with_length_and_ranges_advertised(site: Site) -> None:
    reply = site.request(_mp3_url(site))
    assert reply.status == 200
    assert reply.body == site.mp3.read_bytes()
    assert reply.headers["Content-Length"] == str(site.mp3.stat().st_size)
    assert reply.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("path", ["/MP3", "/feed.xml", "/", "/cover.jpg"])
def test_head_has_the_get_headers_and_no_body(site: Site, path: str) -> None:
    path = path.replace("/MP3", _mp3_url(site))
    get = site.request(path)
    head = site.request(path, method="HEAD")
    assert head.status == 200
    assert head.body == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified"):
        assert head.headers[name] == get.headers[name], name
    assert int(get.headers["Content-Length"]) == len(get.body)


@pytest.mark.parametrize(
    ("spec", "first", "last"),
    [
        pytest.param("bytes=0-99", 0, 99, id="first-hundred"),
        pytest.param("bytes=1000-1999", 1000, 1999, id="middle"),
        pytest.param("bytes=-500", -500, -1, id="suffix"),
        pytest.param("bytes=5000-", 5000, -1, id="open-ended"),
        pytest.param("bytes=0-999999999", 0, -1, id="past-the-end-is-clamped"),
    ],
)
def test_byte_range_gets_206_with_content_range(
    site: Site, spec: str, first: int, last: int
) -> None:
    data = site.mp3.read_bytes()
    size = len(data)
    start = first % size
    end = last % size
    reply = site.request(_mp3_url(site), headers={"Range": spec})
    assert reply.status == 206
    assert reply.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert reply.headers["Content-Length"] == str(end - start + 1)
    assert reply.body == data[start : end + 1]


def test_range_on_head_gets_206_and_no_body(site: Site) -> None:
    size = site.mp3.stat().st_size
    reply = site.request(_mp3_url(site), method="HEAD", headers={"Range": "bytes=0-1"})
    assert reply.status == 206
    assert reply.headers["Content-Range"] == f"bytes 0-1/{size}"
    assert reply.body == b""


def test_unsatisfiable_range_gets_416_with_the_size(site: Site) -> None:
    size = site.mp3.stat().st_size
    reply = site.request(_mp3_url(site), headers={"Range": f"bytes={size}-"})
    assert reply.status == 416
    assert reply.headers["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("bytes=0-1,5-9", id="several-ranges"),
        pytest.param("items=0-1", id="unknown-unit"),
        pytest.param("bytes=abc", id="nonsense"),
    ],
)
def test_range_it_does_not_do_gets_the_whole_file(site: Site, spec: str) -> None:
    reply = site.request(_mp3_url(site), headers={"Range": spec})
    assert reply.status == 200
    assert reply.body == site.mp3.read_bytes()


def test_if_range_with_the_current_etag_gets_the_range(site: Site) -> None:
    etag = site.request(_mp3_url(site), method="HEAD").headers["ETag"]
    reply = site.request(_mp3_url(site), headers={"Range": "bytes=0-9", "If-Range": etag})
    assert reply.status == 206
    assert len(reply.body) == 10


def test_if_range_with_a_stale_etag_gets_the_whole_new_file(site: Site) -> None:
    """A resumed download of an older file must not be spliced with the new one."""
    reply = site.request(
        _mp3_url(site), headers={"Range": "bytes=0-9", "If-Range": '"older-version"'}
    )
    assert reply.status == 200
    assert reply.body == site.mp3.read_bytes()


def test_if_range_with_an_old_date_gets_the_whole_file(site: Site) -> None:
    reply = site.request(
        _mp3_url(site), headers={"Range": "bytes=0-9", "If-Range": formatdate(0, usegmt=True)}
    )
    assert reply.status == 200


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/feed.xml", "application/rss+xml", id="feed"),
        pytest.param("/EPISODE.mp3", "audio/mpeg", id="mp3"),
        pytest.param("/EPISODE.vtt", "text/vtt", id="vtt"),
        pytest.param("/EPISODE.srt", "application/x-subrip", id="srt"),
        pytest.param("/EPISODE.chapters.json", "application/json+chapters", id="chapters"),
        pytest.param("/index.html", "text/html", id="page"),
        pytest.param("/", "text/html", id="folder-index"),
        pytest.param("/cover.jpg", "image/jpeg", id="cover"),
    ],
)
def test_content_type_by_kind_of_file(site: Site, path: str, expected: str) -> None:
    episode = _mp3_url(site).removesuffix(".mp3")
    reply = site.request(path.replace("/EPISODE", episode))
    assert reply.status == 200
    assert reply.headers["Content-Type"].split(";")[0] == expected


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/MP3", id="mp3"),
        pytest.param("/cover.jpg", id="cover"),
        pytest.param("/index.html", id="page"),
        pytest.param("/feed.xml", id="feed-rewritten"),
    ],
)
def test_etag_and_last_modified_answer_conditional_requests_with_304(site: Site, path: str) -> None:
    path = path.replace("/MP3", _mp3_url(site))
    first = site.request(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    by_etag = site.request(path, headers={"If-None-Match": etag})
    assert by_etag.status == 304
    assert by_etag.body == b""
    assert by_etag.headers["ETag"] == etag
    by_date = site.request(path, headers={"If-Modified-Since": modified})
    assert by_date.status == 304
    other = site.request(path, headers={"If-None-Match": '"something-else"'})
    assert other.status == 200
    assert other.body == first.body
    older = site.request(path, headers={"If-Modified-Since": formatdate(0, usegmt=True)})
    assert older.status == 200


def test_if_match_with_a_stale_etag_is_412(site: Site) -> None:
    reply = site.request(_mp3_url(site), headers={"If-Match": '"older-version"'})
    assert reply.status == 412


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/../secret.txt", id="dot-dot"),
        pytest.param("/../../../../../../etc/passwd", id="dot-dot-deep"),
        pytest.param("/episodes/../../secret.txt", id="dot-dot-after-folder"),
        pytest.param("/%2e%2e/secret.txt", id="percent-encoded-dots"),
        pytest.param("/%2E%2E/%2E%2E/%2E%2E/etc/passwd", id="percent-encoded-upper"),
        pytest.param("/..%2fsecret.txt", id="encoded-slash"),
        pytest.param("/episodes/..%2F..%2Fsecret.txt", id="encoded-slash-after-folder"),
        pytest.param("/%2e%2e%2f%2e%2e%2fetc%2fpasswd", id="all-encoded"),
        pytest.param("/..%5csecret.txt", id="encoded-backslash"),
        pytest.param("/..\\secret.txt", id="backslash"),
        pytest.param("//etc/passwd", id="absolute-double-slash"),
        pytest.param("/%2fetc%2fpasswd", id="absolute-encoded"),
        pytest.param("/etc/passwd", id="absolute-as-relative"),
        pytest.param("/cover.jpg%00.mp3", id="nul-byte"),
        pytest.param("/%c0%ae%c0%ae/secret.txt", id="overlong-utf8-dots"),
        pytest.param("/link-out.txt", id="symlink-to-file-outside"),
        pytest.param("/link-dir/secret.txt", id="symlink-to-folder-outside"),
        pytest.param("/.hidden", id="hidden-file"),
        pytest.param("/catalog.json", id="catalog-with-local-paths"),
        pytest.param("/episodes/", id="folder-without-index"),
        pytest.param("/nope.mp3", id="missing"),
    ],
)
def test_nothing_outside_the_folder_is_served(site: Site, path: str) -> None:
    for method in ("GET", "HEAD"):
        reply = site.request(path, method=method)
        assert reply.status in (403, 404), (method, reply.status)
        assert SECRET.encode() not in reply.body
        assert b"root:" not in reply.body


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(b"/../secret.txt", id="origin-form"),
        pytest.param(b"http://127.0.0.1/../secret.txt", id="absolute-form"),
        pytest.param(b"/%2e%2e/secret.txt?x=1", id="with-query"),
    ],
)
def test_raw_request_lines_cannot_escape(site: Site, target: bytes) -> None:
    reply = site.raw(
        b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    status = reply.split(b"\r\n", 1)[0]
    assert b" 200 " not in status and b" 206 " not in status, status
    assert SECRET.encode() not in reply


def test_symlink_that_stays_inside_is_served(site: Site) -> None:
    reply = site.request("/link-in.jpg")
    assert reply.status == 200
    assert reply.body == (site.root / "cover.jpg").read_bytes()


def test_feed_urls_resolve_on_the_host_the_client_used(site: Site) -> None:
    reply = site.request("/feed.xml", headers={"Host": "192.168.1.50:8000"})
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/rss+xml")
    feed = ET.fromstring(reply.body)
    base = "http://192.168.1.50:8000/"
    enclosure = feed.find("channel/item/enclosure")
    assert enclosure is not None
    assert enclosure.get("url") == base + _mp3_url(site).lstrip("/")
    itunes, podcast = (
        "{http://www.itunes.com/dtds/podcast-1.0.dtd}",
        "{https://podcastindex.org/namespace/1.0}",
    )
    urls = [el.get("url", "") for el in feed.iter("enclosure")]
    urls += [el.get("url", "") for el in feed.iter(f"{podcast}transcript")]
    urls += [el.get("url", "") for el in feed.iter(f"{podcast}chapters")]
    urls += [el.get("href", "") for el in feed.iter(f"{itunes}image")]
    urls += [el.text or "" for el in feed.iterfind("channel/image/url")]
    assert len(urls) == 6, urls
    assert all(u.startswith(base) for u in urls), urls
    # The show's page (the channel's and the image's <link>) is the served folder.
    assert feed.findtext("channel/link") == base
    assert feed.findtext("channel/image/link") == base
    self_link = feed.find("channel/{http://www.w3.org/2005/Atom}link")
    assert self_link is not None and self_link.get("href") == base + "feed.xml"


def test_a_podcast_parser_gets_absolute_urls_that_download(site: Site) -> None:
    """gPodder's own parser, fed the served feed: every URL it finds can be fetched here."""
    reply = site.request("/feed.xml")
    url = f"http://127.0.0.1:{site.port}/feed.xml"
    parsed = podcastparser.parse(url, io.BytesIO(reply.body))
    episode = parsed["episodes"][0]
    enclosure = episode["enclosures"][0]
    assert enclosure["url"].startswith(f"http://127.0.0.1:{site.port}/episodes/")
    assert enclosure["file_size"] == site.mp3.stat().st_size
    assert parsed["cover_url"] == f"http://127.0.0.1:{site.port}/cover.jpg"
    for link in (enclosure["url"], parsed["cover_url"]):
        assert site.request(urlsplit(link).path, method="HEAD").status == 200


def test_a_forged_host_header_is_not_reflected_into_the_feed(site: Site) -> None:
    reply = site.request("/feed.xml", headers={"Host": 'evil"/><x a="'})
    assert reply.status == 200
    ET.fromstring(reply.body)  # still well-formed
    assert b"evil" not in reply.body
    assert f"http://127.0.0.1:{site.port}/episodes/".encode() in reply.body


def test_feed_cache_validators_change_with_the_host(site: Site) -> None:
    one = site.request("/feed.xml", headers={"Host": "a.local:8000"})
    two = site.request("/feed.xml", headers={"Host": "b.local:8000"})
    assert one.headers["ETag"] != two.headers["ETag"]
    assert "Host" in one.headers["Vary"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_serve_prints_the_feed_url_to_subscribe_to(site: Site) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "narrator.cli", "serve", str(site.root), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
            if "podcast app" in line:
                break
        feed_url = f"http://127.0.0.1:{port}/feed.xml"
        assert f"  Subscribe in a podcast app: {feed_url}" in lines, lines
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/feed.xml")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_serve_says_when_the_port_is_taken(site: Site) -> None:
    result = CliRunner().invoke(cli, ["serve", str(site.root), "--port", str(site.port)])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: cannot listen on 127.0.0.1:{site.port}: ")
    assert last.endswith("(pick another with --port)")
