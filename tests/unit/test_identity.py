"""Episode identity: an episode belongs to its article's source, never to its title.

Builds here use the real pipeline with a stand-in voice (``tests.silent``), so each runs
in about a second; ``tests/e2e/test_identity.py`` repeats a retitle with the real voice.
"""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from mutagen.id3 import ID3

from narrator.build.pipeline import BuildReport, build
from narrator.config import Config, load_config
from narrator.publish.catalog import CATALOG_VERSION, Catalog, guid_for
from narrator.voice.synthesizer import Synthesizer
from narrator.web.snapshot import SnapshotMeta, render_snapshot
from tests.silent import silent_config


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Config:
    return silent_config(load_config(None), monkeypatch)


def _build(paths: list[Path], out: Path, config: Config) -> BuildReport:
    return build(paths, out, config, synthesizer=Synthesizer(cache=None, jobs=1))


def _write(folder: Path, name: str, title: str, body: str = "One short line.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return path


def _items(out: Path) -> dict[str, tuple[str, str]]:
    """Feed item title → (guid, enclosure file)."""
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    return {e.title: (e.id, e.enclosures[0].href) for e in feed.entries}


def _by_file(out: Path) -> dict[str, tuple[str, str]]:
    """Feed enclosure file → (guid, title)."""
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    return {e.enclosures[0].href: (e.id, e.title) for e in feed.entries}


def _snapshot(folder: Path, name: str, url: str, title: str, body: str) -> Path:
    meta = SnapshotMeta(
        source_url=url, final_url=url, fetched="2026-11-30T10:00:00+00:00", title=title
    )
    page = f"<html><body><article><h1>{title}</h1><p>{body}</p></article></body></html>"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(render_snapshot(meta, page))
    return path


def test_a_second_article_with_the_same_title_gets_its_own_episode(
    tmp_path: Path, config: Config
) -> None:
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    _write(seeds, "b.txt", "Same Title", "The first article.")
    _build([seeds], out, config)
    (first,) = _items(out).values()
    first_mp3 = (out / "episodes/same-title.mp3").read_bytes()
    _write(seeds, "a.txt", "Same Title", "The second article, sorted before the first.")
    report = _build([seeds], out, config)
    assert report.built == ["same-title-2"] and report.unchanged == ["same-title"]
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    by_file = {e.enclosures[0].href: e.id for e in feed.entries}
    assert by_file == {
        "episodes/same-title.mp3": first[0],
        "episodes/same-title-2.mp3": guid_for("same-title-2"),
    }
    assert (out / "episodes/same-title.mp3").read_bytes() == first_mp3
    entries = Catalog.load(out).entries
    assert Path(entries["same-title"].source).name == "b.txt"
    assert Path(entries["same-title-2"].source).name == "a.txt"


def test_a_retitled_article_keeps_its_guid_and_file_and_gets_the_new_title(
    tmp_path: Path, config: Config
) -> None:
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    _write(seeds, "story.txt", "Harbour Ligths")
    _build([seeds], out, config)
    ((guid, file),) = _items(out).values()
    first_published = Catalog.load(out).entries["harbour-ligths"].first_published
    _write(seeds, "story.txt", "Harbour Lights")
    report = _build([seeds], out, config)
    assert report.built == ["harbour-ligths"] and not report.removed
    assert _items(out) == {"Harbour Lights": (guid, file)}
    (entry,) = Catalog.load(out).entries.values()
    assert (entry.title, entry.first_published) == ("Harbour Lights", first_published)
    assert str(ID3(out / file)["TIT2"]) == "Harbour Lights"
    assert "Harbour Lights" in (out / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (out / "episodes").iterdir())[0].startswith("harbour-ligths")


def test_the_same_url_with_tracking_parameters_is_one_article(
    tmp_path: Path, config: Config
) -> None:
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    _snapshot(seeds, "a.html", "https://example.com/news/1", "Tide Tables", "High tide at noon.")
    _build([seeds], out, config)
    ((guid, file),) = _items(out).values()
    _snapshot(
        seeds,
        "b.html",
        "https://EXAMPLE.com:443/news/1?utm_source=feed&utm_medium=rss#top",
        "Tide Tables",
        "High tide at noon.",
    )
    report = _build([seeds], out, config)
    assert report.built == [] and report.unchanged == ["tide-tables"]
    assert _items(out) == {"Tide Tables": (guid, file)}
    # The first snapshot gone, the second (the same URL) keeps the episode.
    (seeds / "a.html").unlink()
    report = _build([seeds], out, config)
    assert not report.removed
    assert _items(out) == {"Tide Tables": (guid, file)}
    assert Catalog.load(out).entries["tide-tables"].key == "https://example.com/news/1"


def test_a_deleted_article_leaves_the_feed_the_page_and_the_folder(
    tmp_path: Path, config: Config
) -> None:
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    _write(seeds, "keep.txt", "Kept Story")
    gone = _write(seeds, "gone.txt", "Gone Story")
    _build([seeds], out, config)
    assert sorted(p.name for p in (out / "episodes").glob("gone-story*")) == [
        f"gone-story{suffix}" for suffix in (".chapters.json", ".mp3", ".page.json", ".srt", ".vtt")
    ]
    gone.unlink()
    report = _build([seeds], out, config)
    assert report.removed == ["gone-story"]
    assert "1 unchanged, 0 rebuilt, 1 removed" in report.summary()
    assert list(_items(out)) == ["Kept Story"]
    assert not list((out / "episodes").glob("gone-story*"))
    assert "Gone Story" not in (out / "index.html").read_text(encoding="utf-8")
    assert list(Catalog.load(out).entries) == ["kept-story"]
    # A new article with the removed one's title gets another slug (so another GUID and file).
    _write(seeds, "other.txt", "Gone Story", "A different article.")
    report = _build([seeds], out, config)
    assert report.built == ["gone-story-2"]
    assert _items(out)["Gone Story"] == (guid_for("gone-story-2"), "episodes/gone-story-2.mp3")


def test_the_same_file_back_gets_its_episode_back(tmp_path: Path, config: Config) -> None:
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    _write(seeds, "keep.txt", "Kept Story")
    story = _write(seeds, "story.txt", "Story")
    _build([seeds], out, config)
    before = _items(out)["Story"]
    text = story.read_text(encoding="utf-8")
    story.unlink()
    assert _build([seeds], out, config).removed == ["story"]
    story.write_text(text, encoding="utf-8")
    report = _build([seeds], out, config)
    assert report.built == ["story"]
    assert _items(out)["Story"] == before


def test_building_some_files_of_a_folder_removes_nothing_else(
    tmp_path: Path, config: Config
) -> None:
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    one = _write(seeds, "one.txt", "First Story")
    _write(seeds, "two.txt", "Second Story")
    _build([seeds], out, config)
    guids = _items(out)
    report = _build([one], out, config)
    assert report.unchanged == ["first-story"] and not report.removed
    assert _items(out) == guids
    assert (out / "episodes/second-story.mp3").is_file()
    # Another folder built into the same output removes nothing of the first.
    _write(tmp_path / "other", "one.txt", "Other Story")
    report = _build([tmp_path / "other"], out, config)
    assert report.built == ["other-story"] and not report.removed
    assert set(_items(out)) == {"First Story", "Second Story", "Other Story"}
    # A file of the first folder named on its own is the same episode as through its folder.
    assert Catalog.load(out).entries["first-story"].guid == guids["First Story"][0]


def test_an_unreadable_article_keeps_its_episode(tmp_path: Path, config: Config) -> None:
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    _write(seeds, "keep.txt", "Kept Story")
    broken = _write(seeds, "broken.txt", "Broken Story")
    _build([seeds], out, config)
    broken.write_bytes(b"")
    report = _build([seeds], out, config)
    assert not report.removed and len(report.failed) == 1
    assert set(_items(out)) == {"Kept Story", "Broken Story"}


def test_an_old_catalog_is_upgraded_with_its_guids_kept(tmp_path: Path, config: Config) -> None:
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    _write(seeds, "a.txt", "Twin")
    _write(seeds, "b.txt", "Twin", "Another article with the same title.")
    renamed = _write(seeds, "c.txt", "Old Name")
    _build([seeds], out, config)
    # Rewrite the catalog as narrator wrote it before identities: version 1, entries by
    # slug without key or folder, and GUIDs of its own (one made up, to see it is kept).
    raw = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    assert raw["version"] == CATALOG_VERSION
    for entry in raw["episodes"].values():
        for name in ("key", "folder", "input_key"):
            del entry[name]
    raw["episodes"]["twin-2"]["guid"] = "guid-kept-from-before"
    raw["version"] = 1
    (out / "catalog.json").write_text(json.dumps(raw), encoding="utf-8")
    _write(seeds, "c.txt", "New Name")  # retitled since the old catalog was written
    report = _build([seeds], out, config)
    assert sorted(report.built) == ["old-name"] and sorted(report.unchanged) == ["twin", "twin-2"]
    assert _by_file(out) == {
        "episodes/twin.mp3": (guid_for("twin"), "Twin"),
        "episodes/twin-2.mp3": ("guid-kept-from-before", "Twin"),
        "episodes/old-name.mp3": (guid_for("old-name"), "New Name"),
    }
    raw = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    assert raw["version"] == CATALOG_VERSION
    assert {e["key"] for e in raw["episodes"].values()} == {"a.txt", "b.txt", "c.txt"}
    assert renamed.exists()


def test_a_newer_catalog_is_an_error_not_a_fresh_start(tmp_path: Path) -> None:
    from narrator.errors import NarratorError

    (tmp_path / "catalog.json").write_text('{"version": 99, "episodes": {}}', encoding="utf-8")
    with pytest.raises(NarratorError, match="newer"):
        Catalog.load(tmp_path)


def test_an_unchanged_article_is_not_read_again(
    tmp_path: Path, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses
    from types import MappingProxyType

    from narrator.build import pipeline

    seeds, out = tmp_path / "seeds", tmp_path / "out"
    _write(seeds, "one.txt", "First Story")
    edited = _write(seeds, "two.txt", "Second Story")
    _build([seeds], out, config)
    read: list[str] = []
    real = pipeline.read_article

    def counting(path: Path, **kwargs: str):  # type: ignore[no-untyped-def]
        read.append(path.name)
        return real(path, **kwargs)

    monkeypatch.setattr(pipeline, "read_article", counting)
    report = _build([seeds], out, config)
    assert read == [] and sorted(report.unchanged) == ["first-story", "second-story"]
    _write(seeds, "two.txt", "Second Story", "An edit.")
    report = _build([seeds], out, config)
    assert read == ["two.txt"] and report.built == ["second-story"]
    # A setting every article depends on: each is read again (and found unchanged here).
    read.clear()
    lexicon = dataclasses.replace(config, lexicon=MappingProxyType({"zebra": "zee bra"}))
    report = _build([seeds], out, lexicon)
    assert sorted(read) == ["one.txt", "two.txt"] and not report.built
    assert edited.exists()


def test_a_no_op_build_leaves_the_feed_and_pages_alone(tmp_path: Path, config: Config) -> None:
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    _write(seeds, "one.txt", "First Story")
    _build([seeds], out, config)
    stamps = {name: (out / name).stat().st_mtime_ns for name in ("feed.xml", "index.html")}
    report = _build([seeds], out, config)
    assert not report.feed_written
    assert {name: (out / name).stat().st_mtime_ns for name in stamps} == stamps
    # A show setting the feed shows: both are written again.
    import dataclasses

    retitled = dataclasses.replace(
        config, show=dataclasses.replace(config.show, description="New words.")
    )
    assert _build([seeds], out, retitled).feed_written
    assert "New words." in (out / "index.html").read_text(encoding="utf-8")


def test_the_catalog_names_folders_relative_to_the_output(tmp_path: Path, config: Config) -> None:
    project = tmp_path / "project"
    seeds, out = project / "seeds", project / "audio"
    _write(seeds, "one.txt", "First Story")
    _build([seeds], out, config)
    raw = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    assert raw["episodes"]["first-story"]["folder"] == "../seeds"
    assert str(tmp_path) not in (out / "catalog.json").read_text(encoding="utf-8").replace(
        raw["episodes"]["first-story"]["source"], ""
    )
    assert Catalog.load(out).entries["first-story"].folder == seeds.resolve().as_posix()
    # The project moved as a whole: the same episodes, nothing rebuilt or removed.
    moved = tmp_path / "moved"
    project.rename(moved)
    report = _build([moved / "seeds"], moved / "audio", config)
    assert report.unchanged == ["first-story"] and not report.built and not report.removed


def test_the_same_file_name_in_another_folder_is_another_article(
    tmp_path: Path, config: Config
) -> None:
    out = tmp_path / "out"
    first = _write(tmp_path / "a", "one.txt", "Story")
    _write(tmp_path / "a", "keep.txt", "Kept")
    _build([tmp_path / "a"], out, config)
    guid = _items(out)["Story"][0]
    first.unlink()  # gone from a/, and b/ has a file of the same name (and title)
    _write(tmp_path / "b", "one.txt", "Story", "Another article.")
    report = _build([tmp_path / "b"], out, config)
    assert report.built == ["story-2"]
    assert _by_file(out) == {
        "episodes/story.mp3": (guid, "Story"),
        "episodes/story-2.mp3": (guid_for("story-2"), "Story"),
        "episodes/kept.mp3": (guid_for("kept"), "Kept"),
    }
    assert _build([tmp_path / "a"], out, config).removed == ["story"]
