"""An invalid narrator.toml is one clear error naming the key and the file, through the CLI."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from narrator.cli import cli
from narrator.config import AudioSettings, Pauses
from narrator.models import Show, Voice
from tests.output_check import write_article


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # pragma: no cover - click >= 8.2 always keeps stderr apart
        return CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_article(tmp_path / "in", "a.txt", "A Title", "A body sentence.")
    return tmp_path


def _one_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


BAD_CONFIGS = [
    pytest.param(
        "[show]\ntitle = 5\n", "'show.title' must be a string, not integer 5", id="int-for-string"
    ),
    pytest.param(
        '[show]\nexplicit = "yes"\n',
        "'show.explicit' must be a boolean (true or false), not string 'yes'",
        id="string-for-bool",
    ),
    pytest.param(
        "[audio]\nbitrate = true\n",
        "'audio.bitrate' must be a whole number, not boolean true",
        id="bool-for-int",
    ),
    pytest.param(
        '[pauses]\ntitle = "long"\n', "'pauses.title' must be a number", id="string-for-number"
    ),
    pytest.param(
        '[voice]\nname = ["a"]\n', "'voice.name' must be a string, not an array", id="array"
    ),
    pytest.param('show = "My Show"\n', "[show] must be a table", id="section-not-table"),
    pytest.param('[show]\ntitel = "x"\n', "unknown key 'show.titel'", id="unknown-key"),
    pytest.param('[voices]\nbackend = "piper"\n', "unknown section [voices]", id="unknown-section"),
    pytest.param(
        '[show]\nbase_url = "example.com/podcast"\n',
        "'show.base_url' is not an absolute http(s) URL: 'example.com/podcast'",
        id="url-without-scheme",
    ),
    pytest.param(
        '[show]\nbase_url = "ftp://example.com/"\n',
        "'show.base_url' is not an absolute http(s) URL",
        id="url-wrong-scheme",
    ),
    pytest.param(
        '[show]\nbase_url = "https://"\n',
        "'show.base_url' is not an absolute http(s) URL",
        id="url-without-host",
    ),
    pytest.param(
        '[show]\nlink = "www.example.com"\n',
        "'show.link' is not an absolute http(s) URL",
        id="link-not-url",
    ),
    pytest.param(
        '[show]\nlanguage = "English"\n',
        "'show.language' is not a language code: 'English'",
        id="language-name",
    ),
    pytest.param(
        '[show]\nlanguage = "en_US"\n', "'show.language' is not a language code", id="underscore"
    ),
    pytest.param(
        '[voice]\nlanguage = "french"\n', "'voice.language' is not a language code", id="voice-lang"
    ),
    pytest.param(
        '[voice]\nbackend = "espeak"\n', "'voice.backend' is not a voice backend", id="backend"
    ),
    pytest.param(
        "[quote_voice]\npitch = 0\n", "'quote_voice.pitch' must be between 0.5 and 2", id="pitch"
    ),
    pytest.param(
        "[voice]\nlength_scale = -1\n", "'voice.length_scale' must be between", id="tempo"
    ),
    pytest.param('[show]\ntitle = "  "\n', "'show.title' must not be empty", id="empty-title"),
    pytest.param('[show]\nemail = "nobody"\n', "'show.email' is not an email address", id="email"),
    pytest.param("[audio]\nbitrate = 1000\n", "'audio.bitrate' must be between", id="bitrate"),
    pytest.param("[audio]\nloudness = nan\n", "'audio.loudness' must be between", id="nan"),
    pytest.param("[pauses]\ntail = inf\n", "'pauses.tail' must be between", id="inf"),
    pytest.param("[lexicon]\nNATO = 1\n", "'lexicon.NATO' must be a string", id="lexicon"),
    pytest.param('[show]\ntitle = "unclosed\n', "invalid TOML", id="syntax"),
    pytest.param(b'[show]\ntitle = "\xff"\n', "invalid TOML", id="not-utf8"),
]


@pytest.mark.parametrize(("text", "problem"), BAD_CONFIGS)
def test_invalid_config_in_the_working_folder_is_one_error_naming_key_and_file(
    workdir: Path, text: str | bytes, problem: str
) -> None:
    toml = workdir / "narrator.toml"
    toml.write_bytes(text if isinstance(text, bytes) else text.encode())
    error = _one_error(_runner().invoke(cli, ["segments", "in/a.txt"]))
    assert error.startswith(f"Error: {toml}: "), error
    assert problem in error


def test_invalid_config_named_with_option_stops_build_before_output(workdir: Path) -> None:
    toml = workdir / "show.toml"
    toml.write_text('[show]\nlanguage = "Deutsch"\n', encoding="utf-8")
    result = _runner().invoke(cli, ["--config", str(toml), "build", "in", "-o", "out"])
    error = _one_error(result)
    assert error == (
        f"Error: {toml}: 'show.language' is not a language code: 'Deutsch' "
        "(for example en or en-GB)"
    )
    assert not (workdir / "out").exists()


def test_unknown_key_lists_the_known_ones(workdir: Path) -> None:
    (workdir / "narrator.toml").write_text("[audio]\nbitrat = 96\n", encoding="utf-8")
    error = _one_error(_runner().invoke(cli, ["segments", "in/a.txt"]))
    assert "unknown key 'audio.bitrat'" in error
    assert "(known: bitrate, loudness, sample_rate, true_peak)" in error


def test_missing_config_file_is_named(workdir: Path) -> None:
    error = _one_error(_runner().invoke(cli, ["--config", "nope.toml", "segments", "in/a.txt"]))
    assert error == "Error: nope.toml: configuration file not found"


def test_valid_config_is_accepted(workdir: Path) -> None:
    (workdir / "narrator.toml").write_text(
        '[show]\ntitle = "Q & A"\nbase_url = "https://example.com/pod/"\nlanguage = "en-GB"\n'
        'email = "me@example.com"\n[voice]\nlength_scale = 1.1\nlanguage = "en-GB"\n'
        "[quote_voice]\npitch = 0.9\n"
        '[lexicon]\nNATO = "nay-toe"\n',
        encoding="utf-8",
    )
    result = _runner().invoke(cli, ["segments", "in/a.txt"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("section", "cls", "left_out"),
    [
        pytest.param("show", Show, (), id="show"),
        pytest.param("voice", Voice, ("pitch",), id="voice"),
        pytest.param("quote_voice", Voice, (), id="quote_voice"),
        pytest.param("pauses", Pauses, (), id="pauses"),
        pytest.param("audio", AudioSettings, (), id="audio"),
    ],
)
def test_every_setting_of_a_section_is_a_known_key(
    workdir: Path, section: str, cls: type, left_out: tuple[str, ...]
) -> None:
    """The keys come from the dataclass fields, so a new setting needs no second edit."""
    (workdir / "narrator.toml").write_text(f"[{section}]\nnope = 1\n", encoding="utf-8")
    error = _one_error(_runner().invoke(cli, ["segments", "in/a.txt"]))
    known = sorted(f.name for f in dataclasses.fields(cls) if f.name not in left_out)
    assert error.endswith(f"unknown key '{section}.nope' (known: {', '.join(known)})"), error
