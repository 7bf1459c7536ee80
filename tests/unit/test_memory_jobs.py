"""The default number of synthesis workers respects the memory available."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrator.voice import workers
from narrator.voice.workers import (
    BUILD_RESERVE_BYTES,
    WORKER_PEAK_BYTES,
    available_memory,
    choose_split,
    memory_jobs,
)

MiB = 2**20


def _fake_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, available_kib: int, cgroup: str | None
) -> None:
    tmp_path.mkdir(parents=True, exist_ok=True)
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(
        f"MemTotal: 1000000 kB\nMemFree: 1000 kB\nMemAvailable: {available_kib} kB\n",
        encoding="ascii",
    )
    group = tmp_path / "cgroup"
    group.mkdir()
    if cgroup is not None:
        (group / "memory.max").write_text(f"{cgroup}\n", encoding="ascii")
        (group / "memory.current").write_text(f"{100 * MiB}\n", encoding="ascii")
    monkeypatch.setattr(workers, "MEMINFO", meminfo)
    monkeypatch.setattr(workers, "CGROUP", group)


def test_available_memory_reads_meminfo_and_a_smaller_cgroup_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_machine(tmp_path, monkeypatch, 2_000_000, None)
    assert available_memory() == 2_000_000 * 1024
    _fake_machine(tmp_path / "b", monkeypatch, 2_000_000, "max")
    assert available_memory() == 2_000_000 * 1024
    _fake_machine(tmp_path / "c", monkeypatch, 2_000_000, str(600 * MiB))
    assert available_memory() == 500 * MiB  # limit minus what the group already uses


def test_memory_jobs_counts_the_workers_that_fit() -> None:
    assert memory_jobs(BUILD_RESERVE_BYTES + 3 * WORKER_PEAK_BYTES) == 3
    assert memory_jobs(BUILD_RESERVE_BYTES + 3 * WORKER_PEAK_BYTES - 1) == 2
    assert memory_jobs(100 * MiB) == 1  # never fewer than one


def test_default_jobs_follow_memory_but_jobs_given_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 8)
    monkeypatch.delenv("NARRATOR_THREADS", raising=False)
    _fake_machine(tmp_path, monkeypatch, 16_000_000, None)  # 16 GB: every core
    assert choose_split(None, None, 100).processes == 8
    small = (BUILD_RESERVE_BYTES + 2 * WORKER_PEAK_BYTES) // 1024
    _fake_machine(tmp_path / "small", monkeypatch, small, None)
    assert choose_split(None, None, 100) == workers.Split(2, 4)
    assert choose_split(6, None, 100).processes == 6  # the user's --jobs is taken as given
    _fake_machine(tmp_path / "tiny", monkeypatch, 300_000, None)
    assert choose_split(None, None, 100) == workers.Split(1, 8)
