"""A real full disk and a real read-only file system under `narrator build`.

The output folder lies on a small tmpfs. Mounting one needs root (and a kernel
that lets this process mount); elsewhere these tests are skipped and the same
faults are covered by injection (``tests/e2e/test_faults_cli.py``,
``tests/unit/test_write_faults.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.output_check import audit, run_narrator, write_article

OLD_TITLE = "Harbour Lights"
NEW_TITLE, NEW_SLUG = "Night Ferry", "night-ferry"
NEW_BODY = (
    "The ferry left at nine. Its horn sounded twice over the water.",
    "Passengers stood at the rail. Some watched the town shrink behind them.",
)
PAGE = 4096

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0,
    reason="mounting a small tmpfs needs root on Linux",
)


def _mount(folder: Path, size: int) -> None:
    folder.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")


def _free(folder: Path) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


def _fill(folder: Path, leave: int) -> Path:
    """Fill the file system of ``folder`` until ``leave`` bytes are free."""
    filler = folder / "filler"
    with filler.open("wb") as fh:
        fh.write(b"\0" * (_free(folder) - leave))
    assert _free(folder) == leave
    return filler


def published(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".narrator.lock"
    }


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """One article built into ``out``, the new one's clips in the cache; and the size of
    the new article's MP3."""
    root = tmp_path_factory.mktemp("disk_full")
    write_article(root / "in", "old.txt", OLD_TITLE, "The lamps came on at dusk.")
    write_article(root / "warm", "new.txt", NEW_TITLE, *NEW_BODY)
    for source, out in (("warm", "warm-out"), ("in", "out")):
        result = run_narrator("build", source, "-o", out, cwd=root)
        assert result.returncode == 0, result.stderr
    size = (root / "warm-out" / "episodes" / f"{NEW_SLUG}.mp3").stat().st_size
    shutil.rmtree(root / "warm-out")
    return root, size


@pytest.fixture
def disk(baseline: tuple[Path, int], tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A copy of the baseline whose output folder (``disk/out``) is on its own 8 MiB tmpfs."""
    root, size = baseline
    shutil.copytree(root, tmp_path / "site")
    site = tmp_path / "site"
    _mount(site / "disk", 8 << 20)
    try:
        shutil.copytree(site / "out", site / "disk" / "out")
        yield site, size
    finally:
        subprocess.run(["umount", str(site / "disk")], check=False)
        if os.path.ismount(site / "disk"):
            subprocess.run(["umount", "-l", str(site / "disk")], check=False)


def test_a_full_disk_stops_the_build_with_one_line_and_changes_nothing(
    disk: tuple[Path, int],
) -> None:
    site, mp3_size = disk
    out = site / "disk" / "out"
    write_article(site / "in", "new.txt", NEW_TITLE, *NEW_BODY)
    before = published(out)
    leave = 2 * PAGE  # the lock's record fits; the new episode does not
    assert mp3_size > 4 * leave
    filler = _fill(site / "disk", leave)
    result = run_narrator("build", "in", "-o", "disk/out", cwd=site)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: disk/out/episodes/{NEW_SLUG}.mp3: no space left on device "
        "(free some space; nothing was changed)"
    ], result.stderr
    assert published(out) == before
    assert list((site / "disk").rglob(".*.tmp")) == []
    assert _free(site / "disk") == leave  # every byte written was given back

    filler.unlink()  # space is back: the next build completes
    result = run_narrator("build", "in", "-o", "disk/out", cwd=site)
    assert result.returncode == 0, result.stderr
    assert sorted(audit(out).items) == [OLD_TITLE, NEW_TITLE]


def test_a_read_only_output_is_one_line(disk: tuple[Path, int]) -> None:
    site, _ = disk
    out = site / "disk" / "out"
    write_article(site / "in", "new.txt", NEW_TITLE, *NEW_BODY)
    before = published(out)
    remount = ["mount", "-o", "remount,ro", str(site / "disk")]
    if subprocess.run(remount, capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot remount the tmpfs read-only")
    result = run_narrator("build", "in", "-o", "disk/out", cwd=site)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: disk/out/.narrator.lock: read-only file system "
        "(write to another folder; nothing was changed)"
    ], result.stderr
    assert published(out) == before
