"""Faults seen by a user of the real `narrator build`: one clear line, nothing lost.

A failed write (injected into the child process at the write layer: the
temporary file of one named output file fails half-way, as on a full disk) stops
the build with one ``Error:`` line naming the file, exit status 1, no temporary
file, and what was published before byte-identical. A damaged catalog, feed or
page is repaired by the next build, and GUIDs and first-published dates survive.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.output_check import audit, narrator_env, run_narrator, write_article

OLD_TITLE, OLD_SLUG = "Harbour Lights", "harbour-lights"
NEW_TITLE, NEW_SLUG = "Night Ferry", "night-ferry"
NEW_BODY = ("The ferry left at nine. Its horn sounded twice over the water.",)
EDITED = "The lamps came on at dusk, one by one."

INJECT = """
import errno, os, re, sys
from pathlib import Path

kind, name, code = os.environ["FAULT_KIND"], os.environ["FAULT_NAME"], os.environ["FAULT_ERRNO"]
code = getattr(errno, code)
if kind in ("write", "write-re"):  # the temporary file of NAME (a regex: write-re) fails
    base = name if kind == "write-re" else re.escape(name)
    pattern = re.compile(r"\\." + base + r"\\.[a-z0-9_]+\\.tmp")
    real_write = Path.write_bytes
    def write_bytes(self, data):
        if pattern.fullmatch(self.name):
            real_write(self, bytes(data)[: len(data) // 2])
            raise OSError(code, os.strerror(code))
        return real_write(self, data)
    Path.write_bytes = write_bytes
elif kind == "open":  # opening NAME fails
    real_open = os.open
    def fake_open(path, flags, *args, **kw):
        if os.fspath(path).endswith(name):
            raise OSError(code, os.strerror(code), os.fspath(path))
        return real_open(path, flags, *args, **kw)
    os.open = fake_open
sys.argv[0] = "narrator"
from narrator.cli import main
main()
"""

LINES = {
    "ENOSPC": "no space left on device (free some space; nothing was changed)",
    "EDQUOT": "disk quota exceeded (free some space; nothing was changed)",
    "EROFS": "read-only file system (write to another folder; nothing was changed)",
    "EACCES": "permission denied (check the folder's permissions; nothing was changed)",
    "EIO": "input/output error (check the disk; nothing was changed)",
}


def run_faulty(
    site: Path, kind: str, name: str, code: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """`narrator build in -o out` in a child process whose writes of ``name`` fail."""
    env = narrator_env(site, FAULT_KIND=kind, FAULT_NAME=name, FAULT_ERRNO=code)
    return subprocess.run(
        [sys.executable, "-c", INJECT, "build", "in", "-o", "out", *args],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One article built into ``out``; the cache (``.cache``) also holds the new and the
    edited article's sentences, so the builds of the tests synthesize nothing."""
    root = tmp_path_factory.mktemp("faults")
    write_article(root / "in", "old.txt", OLD_TITLE, "The lamps came on at dusk.")
    write_article(root / "warm", "new.txt", NEW_TITLE, *NEW_BODY)
    write_article(root / "warm", "old.txt", OLD_TITLE, EDITED)
    for source, out in (("warm", "warm-out"), ("in", "out")):
        result = run_narrator("build", source, "-o", out, cwd=root)
        assert result.returncode == 0, result.stderr
    shutil.rmtree(root / "warm-out")
    return root


@pytest.fixture
def site(baseline: Path, tmp_path: Path) -> Path:
    shutil.copytree(baseline, tmp_path, dirs_exist_ok=True)
    return tmp_path


def published(out: Path) -> dict[str, bytes]:
    """Every file of the output folder but the lock (which records the last build's PID)."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".narrator.lock"
    }


def temp_files(site: Path) -> list[Path]:
    return list(site.rglob(".*.tmp"))


def one_error_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [expected], result.stderr


@pytest.mark.parametrize(
    ("change", "name", "code", "path"),
    [
        pytest.param("new", f"{NEW_SLUG}.mp3", "ENOSPC", f"episodes/{NEW_SLUG}.mp3", id="mp3"),
        pytest.param("edit", f"{OLD_SLUG}.mp3", "EIO", f"episodes/{OLD_SLUG}.mp3", id="mp3-edit"),
        pytest.param("edit", f"{OLD_SLUG}.vtt", "EDQUOT", f"episodes/{OLD_SLUG}.vtt", id="vtt"),
        pytest.param(
            "new",
            f"{NEW_SLUG}.chapters.json",
            "EACCES",
            f"episodes/{NEW_SLUG}.chapters.json",
            id="chapters",
        ),
        pytest.param("new", "catalog.json", "EROFS", "catalog.json", id="catalog"),
    ],
)
def test_a_failed_episode_write_changes_nothing_and_is_one_line(
    site: Path, change: str, name: str, code: str, path: str
) -> None:
    """An episode's files and its catalog entry are replaced together or not at all."""
    if change == "new":
        write_article(site / "in", "new.txt", NEW_TITLE, *NEW_BODY)
    else:
        write_article(site / "in", "old.txt", OLD_TITLE, EDITED)
    before = published(site / "out")
    result = run_faulty(site, "write", name, code)
    one_error_line(result, f"Error: out/{path}: {LINES[code]}")
    assert published(site / "out") == before
    assert temp_files(site) == []
    result = run_narrator("build", "in", "-o", "out", cwd=site)  # space is back
    assert result.returncode == 0, result.stderr
    assert ", 1 rebuilt" in result.stdout


@pytest.mark.parametrize(
    ("name", "code"), [("feed.xml", "EROFS"), ("index.html", "EACCES")], ids=["feed", "page"]
)
def test_a_failed_feed_or_page_write_keeps_the_published_file(
    site: Path, name: str, code: str
) -> None:
    write_article(site / "in", "new.txt", NEW_TITLE, *NEW_BODY)
    before = published(site / "out")
    result = run_faulty(site, "write", name, code)
    one_error_line(result, f"Error: out/{name}: {LINES[code]}")
    after = published(site / "out")
    assert after[name] == before[name]
    old_files = [f for f in before if OLD_SLUG in f]
    assert {f: after[f] for f in old_files} == {f: before[f] for f in old_files}
    assert temp_files(site) == []
    audit(site / "out")  # the feed still lists only complete, consistent episodes
    result = run_narrator("build", "in", "-o", "out", cwd=site)
    assert result.returncode == 0, result.stderr
    assert sorted(audit(site / "out").items) == [OLD_TITLE, NEW_TITLE]


@pytest.mark.parametrize("code", ["EROFS", "EACCES"])
def test_a_lock_that_cannot_be_created_is_one_line(site: Path, code: str) -> None:
    before = published(site / "out")
    result = run_faulty(site, "open", ".narrator.lock", code)
    one_error_line(result, f"Error: out/.narrator.lock: {LINES[code]}")
    assert published(site / "out") == before


def test_a_cache_that_cannot_be_written_is_one_warning_and_the_build_goes_on(
    site: Path,
) -> None:
    """Every cache write fails: clips (the cache is emptied first, so each sentence is
    voiced and stored), encoded chunks and loudness data."""
    shutil.rmtree(site / ".cache")
    write_article(site / "in", "new.txt", NEW_TITLE, *NEW_BODY)
    result = run_faulty(site, "write-re", r"[0-9a-f]{62}\.(wav|mp3|f64)", "ENOSPC")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "cache" in line]
    assert warnings == [
        "WARNING narrator.build.store: cache: no space left on device; continuing without "
        f"caching ({site / '.cache'})"
    ], result.stderr
    assert [p for p in (site / ".cache").rglob("*") if p.is_file()] == []
    assert temp_files(site) == []
    assert sorted(audit(site / "out").items) == [OLD_TITLE, NEW_TITLE]


def _dates(out: Path) -> dict[str, tuple[str, str]]:
    episodes = json.loads((out / "catalog.json").read_text(encoding="utf-8"))["episodes"]
    return {slug: (e["guid"], e["first_published"]) for slug, e in episodes.items()}


@pytest.mark.parametrize("backup", [True, False], ids=["with-backup", "without-backup"])
def test_a_truncated_catalog_keeps_guids_and_first_dates(site: Path, backup: bool) -> None:
    write_article(site / "in", "new.txt", NEW_TITLE, *NEW_BODY)
    result = run_narrator("build", "in", "-o", "out", cwd=site)
    assert result.returncode == 0, result.stderr
    out = site / "out"
    dates = _dates(out)
    feed = (out / "feed.xml").read_bytes()
    assert set(dates) == {OLD_SLUG, NEW_SLUG}
    assert (out / "catalog.json.bak").exists()  # the catalog before the new episode
    if not backup:
        (out / "catalog.json.bak").unlink()
    catalog = (out / "catalog.json").read_bytes()
    (out / "catalog.json").write_bytes(catalog[: len(catalog) // 3])
    result = run_narrator("build", "in", "-o", "out", cwd=site)
    assert result.returncode == 0, result.stderr
    how = (
        "restored from catalog.json.bak and 1 episode added since from feed.xml"
        if backup
        else "rebuilt from feed.xml: 2 episodes keep their GUIDs and dates"
    )
    (warning,) = [line for line in result.stderr.splitlines() if "damaged" in line]
    assert how in warning and "kept as catalog.json.damaged" in warning
    assert _dates(out) == dates
    assert (out / "feed.xml").read_bytes() == feed  # podcast apps see nothing new
    assert (out / "catalog.json.damaged").read_bytes() == catalog[: len(catalog) // 3]


@pytest.mark.parametrize("name", ["feed.xml", "index.html"])
def test_a_damaged_feed_or_page_is_rewritten_when_nothing_else_changed(
    site: Path, name: str
) -> None:
    out = site / "out"
    good = (out / name).read_bytes()
    (out / name).write_bytes(good[: len(good) // 2])
    result = run_narrator("build", "in", "-o", "out", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "0 rebuilt" in result.stdout
    assert (out / name).read_bytes() == good
