"""The listening page: its markup, and the page itself in real headless Chromium."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from narrator.models import Show
from narrator.publish.catalog import Catalog, Entry
from narrator.publish.page import (
    PAGE_NAME,
    parse_page_data,
    render_page,
    write_page,
)
from tests.serving import BackgroundServer, serving

NASTY = '../../etc/passwd & <script>alert(1)</script> "Q3"'
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@dataclasses.dataclass
class Pages:
    root: Path
    show: Show
    entries: list[Entry]
    """Newest first."""


def _nasty_show(show: Show) -> Show:
    return dataclasses.replace(show, title=NASTY, description=NASTY, author=NASTY)


@pytest.fixture(scope="module")
def two_episodes(sample_build, tmp_path_factory: pytest.TempPathFactory) -> Pages:  # type: ignore[no-untyped-def]
    """The sample build plus a newer copy of its episode under a nasty title, page rewritten."""
    out, _, config = sample_build
    root = tmp_path_factory.mktemp("page") / "site"
    shutil.copytree(out, root)
    (entry,) = Catalog.load(root).entries.values()
    slug = "nasty-copy"
    extras = {}
    for key, rel in entry.extras.items():
        new = rel.replace(entry.slug, slug)
        shutil.copyfile(root / rel, root / new)
        extras[key] = new
    shutil.copyfile(root / entry.file, root / f"episodes/{slug}.mp3")
    nasty = dataclasses.replace(
        entry,
        slug=slug,
        title=NASTY,
        description=NASTY,
        file=f"episodes/{slug}.mp3",
        first_published="2099-01-02T03:04:05+00:00",
        extras=extras,
    )
    show = _nasty_show(config.show)
    write_page(root, show, [entry, nasty], "cover.jpg")
    return Pages(root, show, [nasty, entry])


# --- the markup, without a browser -------------------------------------------------------------


def test_build_writes_the_listening_page(sample_build) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = sample_build
    page = (out / PAGE_NAME).read_text(encoding="utf-8")
    (entry,) = Catalog.load(out).entries.values()
    assert html.escape(entry.title) in page
    assert f'src="{entry.file}"' in page
    assert 'href="feed.xml"' in page


def test_every_title_is_escaped(two_episodes: Pages) -> None:
    root = two_episodes.root
    page = (root / PAGE_NAME).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5
    assert "&quot;Q3&quot;" in page
    assert '"Q3"' not in page
    assert len(re.findall(r"<script\b", page)) == 1


def test_the_inline_script_is_allowed_by_its_hash_and_nothing_else(
    two_episodes: Pages,
) -> None:
    page = (two_episodes.root / PAGE_NAME).read_text(encoding="utf-8")
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None
    assert f"script-src 'sha256-{digest}';" in csp.group(1)


def test_page_needs_nothing_from_other_hosts(two_episodes: Pages) -> None:
    page = (two_episodes.root / PAGE_NAME).read_text(encoding="utf-8")
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert "://" not in url, url


def test_unchanged_page_is_not_rewritten(two_episodes: Pages) -> None:
    pages = two_episodes
    assert write_page(pages.root, pages.show, pages.entries, "cover.jpg") is False


def test_episode_page_data_is_read_not_its_vtt(two_episodes: Pages) -> None:
    """The page shows the cues of the page data file; the transcript files are for players."""
    root = two_episodes.root
    (entry, *_) = two_episodes.entries
    data = root / entry.extras["page"]
    assert data.is_file()
    vtt_before = (root / entry.extras["transcript_vtt"]).read_bytes()
    (root / entry.extras["transcript_vtt"]).write_text("WEBVTT\n", encoding="utf-8")
    try:
        page = render_page(root, two_episodes.show, two_episodes.entries, "cover.jpg")
    finally:
        (root / entry.extras["transcript_vtt"]).write_bytes(vtt_before)
    _, cues = parse_page_data(data.read_text(encoding="utf-8"))
    assert cues
    assert page == (root / PAGE_NAME).read_text(encoding="utf-8")
    assert all(html.escape(cue.text) in page for cue in cues)


# --- the page in headless Chromium -------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module, driven by Selenium through Debian's chromedriver."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(
            f"no headless browser: {', '.join(missing)} missing "
            "(apt-get install chromium chromium-driver; .ci/run installs them)"
        )
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="narrator-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
        f"--user-data-dir={profile}",
        "--window-size=1100,1400",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def server(two_episodes: Pages) -> Iterator[BackgroundServer]:
    with serving(two_episodes.root) as running:
        yield running


@pytest.fixture
def page(browser: Any, server: BackgroundServer) -> Any:
    browser.get(server.url)
    return browser


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _audio(driver: Any, index: int, expression: str) -> Any:
    return driver.execute_script(
        f"var a = document.querySelectorAll('audio')[{index}]; return {expression};"
    )


def _chapter_buttons(driver: Any, index: int = 0) -> list[Any]:
    episode = driver.find_elements("css selector", ".episode")[index]
    buttons: list[Any] = episode.find_elements("css selector", ".chapters button")
    return buttons


def _cues_and_time(driver: Any, index: int) -> dict[str, Any]:
    script = """
    var ep = document.querySelectorAll('.episode')[arguments[0]];
    var audio = ep.querySelector('audio');
    var box = ep.querySelector('.cues');
    var cues = Array.from(ep.querySelectorAll('.cues p'));
    var current = ep.querySelectorAll('.cues p.current');
    var cur = current[0] || null;
    var inView = false;
    if (cur) {
        var b = box.getBoundingClientRect(), c = cur.getBoundingClientRect();
        inView = c.top >= b.top - 1 && c.bottom <= b.bottom + 1;
    }
    return {
        time: audio.currentTime,
        starts: cues.map(function (p) { return parseFloat(p.dataset.start); }),
        current: cues.indexOf(cur),
        currentCount: current.length,
        ariaCurrent: cur && cur.getAttribute('aria-current'),
        inView: inView,
        scrollTop: box.scrollTop
    };"""
    result: dict[str, Any] = driver.execute_script(script, index)
    return result


def test_page_loads_with_show_art_title_and_episodes_newest_first(
    page: Any, two_episodes: Pages
) -> None:
    assert page.title == NASTY
    assert page.execute_script("return document.querySelector('h1').textContent") == NASTY
    titles = page.execute_script(
        "return Array.from(document.querySelectorAll('.episode h2')).map(h => h.textContent)"
    )
    assert titles == [e.title for e in two_episodes.entries]
    assert titles[0] == NASTY
    assert page.execute_script("return document.scripts.length") == 1
    width = wait_for(
        lambda: page.execute_script("return document.querySelector('.show img').naturalWidth"),
        what="cover art",
    )
    assert width == 1400
    meta = page.execute_script(
        "return Array.from(document.querySelectorAll('.meta')).map(m => m.textContent)"
    )
    assert meta[0].startswith("2 January 2099 · ")
    assert re.search(r"\d+ min \d+ s$", meta[0])


def test_subscribe_link_shows_the_absolute_feed_url(page: Any, server: BackgroundServer) -> None:
    link = page.find_element("id", "feed-url")
    assert link.text == server.url + "feed.xml"
    assert link.get_attribute("href") == server.url + "feed.xml"
    assert page.execute_script("return document.querySelector('link[rel=alternate]').type") == (
        "application/rss+xml"
    )


def test_an_episode_plays(page: Any) -> None:
    _audio(page, 0, "a.play()")
    wait_for(lambda: _audio(page, 0, "a.currentTime") > 0.5, what="currentTime to advance")
    assert _audio(page, 0, "a.error") is None
    assert _audio(page, 0, "a.paused") is False


def test_starting_one_episode_pauses_the_other(page: Any) -> None:
    _audio(page, 1, "a.play()")
    wait_for(lambda: _audio(page, 1, "a.currentTime") > 0.2, what="second episode to play")
    _audio(page, 0, "a.play()")
    wait_for(lambda: _audio(page, 1, "a.paused"), what="second episode to pause")


def test_a_chapter_click_seeks_and_announces_the_chapter(page: Any) -> None:
    button = _chapter_buttons(page)[2]
    start = float(button.get_attribute("data-start"))
    button.click()
    wait_for(
        lambda: (
            start <= _audio(page, 0, "a.currentTime") < start + 5
            and not _audio(page, 0, "a.paused")
        ),
        what=f"playback from {start}",
    )
    wait_for(lambda: _audio(page, 0, "a.currentTime") > start + 0.3, what="playback to go on")
    assert button.get_attribute("aria-current") == "true"
    now = page.find_elements("css selector", ".episode .now")[0].text
    assert now == f"Chapter 3: {button.get_attribute('data-title')}"


def test_transcript_highlights_the_current_cue_and_follows_playback(page: Any) -> None:
    buttons = _chapter_buttons(page)
    buttons[-1].click()  # the last chapter: far enough to need scrolling

    def settled() -> dict[str, Any] | None:
        state = _cues_and_time(page, 0)
        return state if state["current"] > 0 and state["time"] > 1 else None

    state = wait_for(settled, what="a highlighted cue")
    starts, current, now = state["starts"], state["current"], state["time"]
    assert state["currentCount"] == 1
    assert state["ariaCurrent"] == "true"
    assert starts[current] <= now + 0.5
    assert current == len(starts) - 1 or starts[current + 1] > now - 0.5
    assert state["scrollTop"] > 0
    assert state["inView"]
    # Playback goes on: the highlight moves on to a later cue.
    page.execute_script("document.querySelectorAll('audio')[0].currentTime = arguments[0]", 0.1)
    wait_for(lambda: _cues_and_time(page, 0)["current"] == 0, what="highlight of the first cue")


def test_keyboard_reaches_the_skip_link_then_a_chapter_plays_with_enter(page: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(page).send_keys(Keys.TAB).perform()
    assert page.switch_to.active_element.text == "Skip to episodes"
    button = _chapter_buttons(page)[1]
    page.execute_script("arguments[0].focus()", button)
    ActionChains(page).send_keys(Keys.ENTER).perform()
    start = float(button.get_attribute("data-start"))
    wait_for(
        lambda: start <= _audio(page, 0, "a.currentTime") < start + 5,
        what="Enter on a chapter to seek",
    )
    label = button.get_attribute("aria-label")
    assert label.startswith("Play from ") and button.get_attribute("data-title") in label


def test_page_works_from_a_file_url_too(browser: Any, two_episodes: Pages) -> None:
    root = two_episodes.root
    browser.get((root / PAGE_NAME).as_uri())
    assert browser.title == NASTY
    chapters = _chapter_buttons(browser)
    assert len(chapters) > 2
    chapters[1].click()
    start = float(chapters[1].get_attribute("data-start"))
    wait_for(lambda: _audio(browser, 0, "a.currentTime") > start + 0.3, what="file:// playback")
    wait_for(lambda: _cues_and_time(browser, 0)["current"] > 0, what="file:// transcript")


def test_screenshot_of_the_page(page: Any, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    page.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    assert page.find_element("tag name", "h1").is_displayed()
