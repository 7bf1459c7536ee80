"""The command line: help everywhere, version, one-line errors, --debug tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrator import __version__
from narrator.cli import cli


def _commands() -> list[str]:
    return sorted(cli.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    doc = cli.commands[command].help  # type: ignore[attr-defined]
    assert doc and doc.split("\n")[0].strip() in " ".join(result.output.split())


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_missing_path_is_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    result = subprocess.run(
        [sys.executable, "-m", "narrator.cli", "segments", str(missing)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"Error: {missing}: ")
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    result = subprocess.run(
        [sys.executable, "-m", "narrator.cli", "--debug", "segments", str(missing)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "NarratorError" in result.stderr


def test_segments_without_json_lists_kinds(sample_path: Path) -> None:
    result = CliRunner().invoke(cli, ["segments", str(sample_path)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["0", "title"]
    assert sum(1 for line in lines if line.split()[1:2] == ["quote"]) == 6
    assert any("dropped" in line and "Leave a Reply" in line for line in lines)
