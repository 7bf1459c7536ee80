"""The server's parts that need no built site: content types, LAN addresses, listening URLs,
a feed with absolute URLs, the serve command's refusals and help.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from narrator.cli import cli
from narrator.publish.serve import (
    Listening,
    absolutize_feed,
    content_type,
    lan_addresses,
)


def test_content_type_table() -> None:
    assert content_type(Path("x/feed.xml")).startswith("application/rss+xml")
    assert content_type(Path("a.chapters.json")) == "application/json+chapters"
    assert content_type(Path("plain.json")) == "application/json"
    assert content_type(Path("COVER.PNG")) == "image/png"
    assert content_type(Path("unknown.bin")) == "application/octet-stream"


def test_feed_with_absolute_urls_is_served_as_built() -> None:
    feed = (
        b"<?xml version='1.0' encoding='utf-8'?>\n<rss version=\"2.0\"><channel>"
        b'<item><enclosure url="https://example.org/pod/a.mp3" length="1" type="audio/mpeg"/>'
        b"</item></channel></rss>\n"
    )
    assert absolutize_feed(feed, "http://10.0.0.2:8000/") == feed


def test_cli_serve_refuses_a_folder_without_a_feed(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", str(tmp_path), "--port", "0"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {tmp_path}: no feed.xml in this folder (build it first: narrator build -o DIR)"
    )


def test_cli_serve_has_help() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output


def test_lan_addresses_are_ipv4_and_not_loopback() -> None:
    import ipaddress

    for address in lan_addresses():
        ip = ipaddress.IPv4Address(address)
        assert not ip.is_loopback


@pytest.mark.parametrize(
    ("host", "url"),
    [
        pytest.param("127.0.0.1", "http://127.0.0.1:8000/", id="loopback"),
        pytest.param("0.0.0.0", "http://127.0.0.1:8000/", id="every-ipv4-address"),
        pytest.param("::", "http://[::1]:8000/", id="every-ipv6-address"),
        pytest.param("192.168.1.5", "http://192.168.1.5:8000/", id="one-lan-address"),
    ],
)
def test_listening_url_is_one_this_machine_can_open(host: str, url: str) -> None:
    assert Listening(host, 8000).url == url
