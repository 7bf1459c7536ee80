"""Cluster settings checked without a cluster (or Dask): scheduler addresses, narrator.toml,
the hint when Dask is missing. Voicing on a real cluster is in ``tests/e2e/test_cluster.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrator.cli import cli
from narrator.config import load_config
from narrator.errors import NarratorError
from narrator.models import Voice
from narrator.voice.cluster import DaskPool, parse_scheduler
from narrator.voice.config_check import check_voice_config
from tests.articles import HARBOUR, article_folder

ARTICLES = {"harbour": HARBOUR}


def _articles(root: Path, names: tuple[str, ...] = tuple(ARTICLES)) -> Path:
    return article_folder(root, {name: ARTICLES[name] for name in names})


def test_without_dask_scheduler_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _articles(tmp_path, ("harbour",))
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    result = CliRunner().invoke(
        cli, ["build", str(folder), "-o", str(tmp_path / "out"), "--scheduler", "local:2"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: --scheduler needs Dask, which is not installed (pip install 'narrator[dask]')\n"
    )
    assert not (tmp_path / "out").exists()
    with pytest.raises(NarratorError, match="not installed"):
        DaskPool("local:1", [Voice("piper", "")])


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786", id="tcp"),
        pytest.param("scheduler.lan:8786", "tcp://scheduler.lan:8786", id="bare-host-port"),
        pytest.param("tls://[::1]:8786", "tls://[::1]:8786", id="tls-ipv6"),
        pytest.param("local:3", "local:3", id="local"),
        pytest.param(" local:02 ", "local:2", id="local-spaces"),
    ],
)
def test_scheduler_addresses_are_checked_when_given(given: str, expected: str) -> None:
    assert parse_scheduler(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("local:0", id="no-workers"),
        pytest.param("local:two", id="local-word"),
        pytest.param("http://host:8786", id="http"),
        pytest.param("tcp://host", id="no-port"),
        pytest.param("somewhere", id="bare-word"),
    ],
)
def test_bad_scheduler_addresses_are_one_error(given: str) -> None:
    with pytest.raises(NarratorError):
        parse_scheduler(given)


def test_a_bad_scheduler_in_narrator_toml_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "narrator.toml"
    path.write_text('[build]\nscheduler = "http://x:1"\n')
    with pytest.raises(NarratorError, match=r"'build.scheduler' is not a Dask scheduler address"):
        check_voice_config(load_config(path))
    path.write_text("[build]\nscheduler = 8786\n")
    with pytest.raises(NarratorError, match=r"'build.scheduler' must be a string"):
        load_config(path)
