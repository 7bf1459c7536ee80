"""The sample's segments as the CLI reports them (no synthesis)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from narrator.cli import cli


def test_segments_json_shows_six_quotations_and_no_boilerplate(sample_path: Path) -> None:
    result = CliRunner().invoke(cli, ["segments", str(sample_path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert set(doc) == {"title", "segments", "dropped"}
    quotes = [s["text"] for s in doc["segments"] if s["kind"] == "quote"]
    assert len(quotes) == 6
    assert quotes[0].startswith("I kneel down in front of you")
    assert quotes[-1].startswith("I stand in solidarity")
    for segment in doc["segments"]:
        assert set(segment) == {"index", "paragraph", "kind", "text", "spoken"}
        assert "contribution" not in segment["text"]
        assert segment["text"] not in ("Leave a Reply", "Your email address will not be published.")
    assert doc["segments"][0]["kind"] == "title"
    assert doc["segments"][0]["paragraph"] is None
    assert any("Leave a Reply" in line for line in doc["dropped"])
    assert any("contribution" in line for line in doc["dropped"])
