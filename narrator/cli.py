"""The command line: a thin click layer over the library.

Every library error is one ``Error: …`` line and a non-zero exit; ``--debug``
shows the traceback instead. Heavy imports happen inside commands so that
``narrator --help`` stays instant.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from narrator import __version__
from narrator.errors import NarratorError

if TYPE_CHECKING:
    from narrator.build.pipeline import BuildReport

F = TypeVar("F", bound=Callable[..., Any])

QUIET_LIBRARIES = ("trafilatura", "htmldate", "courlan", "justext", "readability", "urllib3")
"""Loggers of libraries whose warnings users cannot act on (shown with --debug)."""
ARTICLES_DIR = Path("seeds")
"""The articles folder: what a bare ``narrator build`` reads and ``narrator add`` fills."""


class _Progress:
    """A one-line progress bar with an ETA on stderr, only on a terminal.

    Shows the article whose clip just became ready (its clips done of total),
    the whole batch's count and the time left to synthesize.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = 0.0
        self.width = 0

    def __call__(self, tick: Any) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        finished = tick.all_done >= tick.all_total
        if not finished and now - self.last < 0.1:
            return
        self.last = now
        if finished:
            click.echo("\r" + " " * self.width + "\r", err=True, nl=False)
            return
        bar_width = 20
        filled = round(bar_width * tick.done / max(tick.total, 1))
        bar = "#" * filled + "-" * (bar_width - filled)
        eta = "ETA --" if tick.eta is None else f"ETA {tick.eta:4.0f} s"
        line = (
            f"{tick.slug[:28]:28} [{bar}] {tick.done}/{tick.total} clips"
            f" (all {tick.all_done}/{tick.all_total}), {eta}"
        )
        self.width = max(self.width, len(line))
        click.echo(f"\r{line:{self.width}}", err=True, nl=False)


class NarratorGroup(click.Group):
    """Turns library errors into one line for the user."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except NarratorError as exc:
            if debug:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=NarratorGroup)
@click.version_option(__version__, prog_name="narrator")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration file (default: ./narrator.toml if present).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, config_path: Path | None) -> None:
    """Turn written articles into a podcast: tagged MP3 episodes and an RSS feed."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not debug:  # libraries' own complaints are noise beside narrator's one-line errors
        for name in QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    ctx.obj = {"config_path": config_path, "debug": debug}


def _config(ctx: click.Context) -> Any:
    from narrator.config import load_config
    from narrator.voice.config_check import check_voice_config

    config = load_config(ctx.obj["config_path"])
    check_voice_config(config)
    return config


def _cache_dir_option(f: F) -> F:
    option = click.option(
        "--cache-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        envvar="NARRATOR_CACHE_DIR",
        help="Clip cache folder (default: the user cache folder; env NARRATOR_CACHE_DIR).",
    )
    return option(f)


def _clip_cache(cache_dir: Path | None) -> Any:
    from narrator.build.store import ClipCache, default_cache_dir

    return ClipCache(cache_dir or default_cache_dir())


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("audio"),
    show_default=True,
    help="Output folder.",
)
@click.option("--force", is_flag=True, help="Rebuild every episode even if nothing changed.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--fallback",
    type=click.Choice(["piper"]),
    default=None,
    help="Voice a sentence with this backend when the chosen one fails (e.g. gTTS offline).",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for another build on the same output folder before giving up.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Synthesis worker processes (default: one per CPU core, fewer if memory is short).",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    envvar="NARRATOR_THREADS",
    help="onnxruntime threads per worker (default: cores / jobs).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the clip cache.")
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Voice clips on a Dask cluster: tcp://HOST:8786, or local:N for N local worker "
    "processes (default: [build] scheduler in narrator.toml, else this machine's --jobs). "
    "Needs pip install 'narrator[dask]'.",
)
@_cache_dir_option
@click.pass_context
def build(
    ctx: click.Context,
    paths: tuple[Path, ...],
    out_dir: Path,
    force: bool,
    quiet: bool,
    fallback: str | None,
    wait: float,
    jobs: int | None,
    threads: int | None,
    no_cache: bool,
    scheduler: str | None,
    cache_dir: Path | None,
) -> None:
    """Build episodes and the feed from articles in PATHS (default: seeds/)."""
    from narrator.build.pipeline import build_files, collect_articles, whole_folders
    from narrator.voice.synthesizer import Synthesizer

    config = _config(ctx)
    # Listed once, here: a missing path fails before the output folder is touched.
    given = list(paths) or [ARTICLES_DIR]
    sources = collect_articles(given)
    progress = _Progress(enabled=not quiet and sys.stderr.isatty())
    synthesizer = Synthesizer(  # a bad --scheduler (or no Dask) fails before the lock is taken
        fallback=fallback,
        cache=None if no_cache else _clip_cache(cache_dir),
        jobs=jobs,
        threads=threads,
        scheduler=scheduler or config.scheduler,
    )
    report = build_files(
        sources,
        out_dir,
        config,
        force=force,
        progress=progress,
        synthesizer=synthesizer,
        wait=wait,
        folders=whole_folders(given),
    )
    if not _print_report(report):
        ctx.exit(1)


def _print_report(report: BuildReport) -> bool:
    """One ``Error:`` line per failed article, then the summary line; True if none failed."""
    for failure in report.failed:
        click.echo(f"Error: {failure.error}", err=True)
    click.echo(report.summary())
    return not report.failed


def _build_folder(
    ctx: click.Context, folder: Path, out_dir: Path, quiet: bool, cache_dir: Path | None
) -> bool:
    """Build every article in ``folder`` as ``narrator build`` does; True if none failed."""
    from narrator.build.pipeline import build as run_build
    from narrator.voice.synthesizer import Synthesizer

    config = _config(ctx)
    synthesizer = Synthesizer(cache=_clip_cache(cache_dir), scheduler=config.scheduler)
    report = run_build(
        [folder],
        out_dir,
        config,
        progress=_Progress(enabled=not quiet and sys.stderr.isatty()),
        synthesizer=synthesizer,
    )
    return _print_report(report)


def _articles_option(text: str) -> Callable[[F], F]:
    """The ``--articles`` option: the folder of articles (snapshots and files)."""
    return click.option(
        "--articles",
        "articles_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=ARTICLES_DIR,
        show_default=True,
        help=text,
    )


def _web_options(f: F) -> F:
    """Options shared by the commands that fetch: the articles folder and the timeout."""
    f = click.option(
        "--timeout",
        type=click.FloatRange(min=0.01),
        default=None,
        envvar="NARRATOR_HTTP_TIMEOUT",
        help="Seconds to wait for a server to connect and to answer (default: 10 and 30; "
        "env NARRATOR_HTTP_TIMEOUT).",
    )(f)
    where = "Articles folder: snapshots of fetched pages go here, and builds read it."
    return _articles_option(where)(f)


def _http_client(timeout: float | None) -> Any:
    from narrator.web.http import Client, Limits

    limits = Limits() if timeout is None else Limits(connect_timeout=timeout, read_timeout=timeout)
    return Client(limits)


def _config_path(ctx: click.Context) -> Path:
    from narrator.config import CONFIG_NAME

    return ctx.obj["config_path"] or Path(CONFIG_NAME)


def _episode_files(out_dir: Path) -> dict[Path, str]:
    """Episode files of the catalog by the resolved path of their article."""
    from narrator.publish.catalog import Catalog

    catalog = Catalog.load(out_dir)
    return {
        entry.article_file().resolve(): str(out_dir / entry.file)
        for entry in catalog.entries.values()
        if (out_dir / entry.file).is_file()
    }


def _report_added(results: Any, out_dir: Path | None) -> bool:
    """One line per article (title and episode file, or its error); True if none failed."""
    episodes = _episode_files(out_dir) if out_dir is not None else {}
    ok = True
    for result in results:
        if result.error is not None:
            click.echo(f"Error: {result.error}", err=True)
            ok = False
            continue
        where = str(result.path)
        if out_dir is not None:
            episode = episodes.get(result.path.resolve())
            if episode is None:
                click.echo(f"Error: {result.target}: no episode was built", err=True)
                ok = False
                continue
            where = episode
        click.echo(f"{result.status}: {result.title} -> {where}")
    return ok


_OUT_OPTION = click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("audio"),
    show_default=True,
    help="Output folder.",
)


@cli.command()
@click.argument("targets", nargs=-1, required=True, metavar="URL|FILE...")
@_OUT_OPTION
@click.option("--no-build", is_flag=True, help="Only store the articles; build later.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@_web_options
@_cache_dir_option
@click.pass_context
def add(
    ctx: click.Context,
    targets: tuple[str, ...],
    out_dir: Path,
    no_build: bool,
    quiet: bool,
    articles_dir: Path,
    timeout: float | None,
    cache_dir: Path | None,
) -> None:
    """Fetch pages (or copy files) into the articles folder, then build.

    A page is kept as a snapshot (the page as fetched, with its URL, title, author and
    dates) that every later build reads offline; delete the file to remove the article.
    """
    from narrator.web.add import add_targets

    config = _config(ctx)
    with _http_client(timeout) as client:
        results = add_targets(targets, articles_dir, client, language=config.show.language)
    built = True
    if not no_build and any(r.error is None for r in results):
        built = _build_folder(ctx, articles_dir, out_dir, quiet, cache_dir)
    ok = _report_added(results, None if no_build else out_dir)
    if not (ok and built):
        ctx.exit(1)


@cli.command()
@click.argument("targets", nargs=-1, required=True, metavar="URL|PATH|SLUG...")
@_articles_option("Articles folder.")
@_OUT_OPTION
@click.pass_context
def remove(ctx: click.Context, targets: tuple[str, ...], articles_dir: Path, out_dir: Path) -> None:
    """Delete articles (snapshots or files) from the articles folder, by URL, file or slug.

    The next build takes their episodes out of the feed, the page and the episodes folder.
    A slug is looked up in the catalog of the output folder (-o).
    """
    from narrator.web.remove import episode_files, remove_article

    episodes = episode_files(out_dir)
    failed = False
    for target in targets:
        try:
            click.echo(f"removed {remove_article(articles_dir, target, episodes)}")
        except NarratorError as exc:
            click.echo(f"Error: {exc}", err=True)
            failed = True
    if failed:
        ctx.exit(1)


@cli.command()
@click.argument("url")
@click.option(
    "--max",
    "max_items",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Newest items to take from the feed at each update.",
)
@click.option("--title", default=None, help="A name for the feed in `narrator sources`.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.01),
    default=None,
    envvar="NARRATOR_HTTP_TIMEOUT",
    help="Seconds to wait for the server (env NARRATOR_HTTP_TIMEOUT).",
)
@click.pass_context
def follow(
    ctx: click.Context, url: str, max_items: int, title: str | None, timeout: float | None
) -> None:
    """Follow a feed (RSS, Atom or JSON Feed; or a page that links to one).

    The feed is recorded as a [[follow]] table in narrator.toml; `narrator update` adds its
    new items.
    """
    from narrator.web.feeds import find_feed
    from narrator.web.follow import Follow, add_follow

    with _http_client(timeout) as client:
        feed = find_feed(url, client)
    for warning in feed.warnings:
        click.echo(f"Warning: {warning}", err=True)
    name = title or feed.title
    path = _config_path(ctx)
    if not add_follow(path, Follow(feed.url, max_items, name)):
        click.echo(f"Already following {feed.url}")
        return
    click.echo(
        f"Following {name or feed.url} ({feed.url}): {len(feed.items)} items; "
        f"`narrator update` adds the newest {max_items}"
    )


@cli.command()
@click.argument("url")
@click.pass_context
def unfollow(ctx: click.Context, url: str) -> None:
    """Stop following a feed (its articles already added stay)."""
    from narrator.web.follow import remove_follow

    path = _config_path(ctx)
    if not remove_follow(path, url):
        raise NarratorError("not a followed feed", path=url, hint="see `narrator sources`")
    click.echo(f"No longer following {url}")


@cli.command()
@_articles_option("Articles folder (where the feeds' state is kept).")
@click.pass_context
def sources(ctx: click.Context, articles_dir: Path) -> None:
    """List followed feeds with their last check and item counts."""
    from narrator.web.follow import load_state, read_follows, state_for

    follows = read_follows(_config_path(ctx))
    if not follows:
        click.echo("No feeds followed; add one with `narrator follow URL`.")
        return
    states = load_state(articles_dir)
    for entry in follows:
        state = state_for(states, entry.url)
        checked = state.last_check or "never checked"
        line = (
            f"{entry.title or entry.url}\n  {entry.url}\n  max {entry.max}; last check: "
            f"{checked}; {state.items} items in the feed, {state.added} added"
        )
        if state.error:
            line += f"\n  last error: {state.error}"
        click.echo(line)


@cli.command()
@_OUT_OPTION
@click.option("--no-build", is_flag=True, help="Only store new articles; build later.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@_web_options
@_cache_dir_option
@click.pass_context
def update(
    ctx: click.Context,
    out_dir: Path,
    no_build: bool,
    quiet: bool,
    articles_dir: Path,
    timeout: float | None,
    cache_dir: Path | None,
) -> None:
    """Add new items of every followed feed, then build (for cron: exit 1 if any failed)."""
    from narrator.web.follow import read_follows
    from narrator.web.update import update as run_update

    config = _config(ctx)
    follows = read_follows(_config_path(ctx))
    if not follows:
        raise NarratorError("no feeds followed", hint="add one with `narrator follow URL`")
    with _http_client(timeout) as client:
        report = run_update(follows, articles_dir, client, language=config.show.language)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for feed in report.feeds:
        if feed.error is not None:
            click.echo(f"Error: {feed.error}", err=True)
    built = True
    if report.changed and not no_build:
        built = _build_folder(ctx, articles_dir, out_dir, quiet, cache_dir)
    changed = [r for r in report.results if r.status in ("added", "updated")]
    changed += [r for f in report.feeds for r in f.results if r.status == "failed"]
    ok = _report_added(changed, None if no_build else out_dir)
    if not changed and not report.errors:
        click.echo("Nothing new.")
    if report.errors or not (ok and built):
        ctx.exit(1)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_context
def segments(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Show how PATH will be read: segments, their spoken form, and dropped boilerplate."""
    from narrator.text.ingest import SUPPORTED_EXTENSIONS, batch_rules, read_article
    from narrator.text.normalize import speak
    from narrator.text.segment import segment_article

    config = _config(ctx)
    # The files beside it are its batch: lines they share are site chrome, as in a build.
    batch = [p for p in sorted(path.parent.glob("*")) if p.suffix.lower() in SUPPORTED_EXTENSIONS]
    rules = batch_rules(batch or [path], *config.boilerplate.patterns())
    article = read_article(path, language=config.show.language, rules=rules)
    lexicon = dict(config.lexicon)
    rows = []
    for segment in segment_article(article):
        utterance = speak(segment, lexicon)
        rows.append(
            {
                "index": segment.index,
                "paragraph": segment.paragraph,
                "kind": segment.kind,
                "text": segment.text,
                "spoken": utterance.text,
            }
        )
    if as_json:
        doc = {"title": article.title, "segments": rows, "dropped": list(article.dropped)}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['index']:4d} {row['kind']:9s} {row['text']}")
    for line in article.dropped:
        click.echo(f"   - dropped  {line}")


@cli.command()
def voices() -> None:
    """List voice backends and voices, and why any is unavailable."""
    from narrator.voice.backends import describe_backends

    for info in describe_backends():
        state = "available" if info.available else f"unavailable: {info.reason}"
        click.echo(f"{info.name:8s} {info.description} — {state}")
        for voice in info.voices:
            click.echo(f"         voice: {voice}")


@cli.group()
def cache() -> None:
    """Inspect, trim or empty the cache of synthesized clips."""


def _size_limit(ctx: click.Context, max_size: str | None) -> Any:
    """``--max-size`` if given, else ``[cache] max_size`` of the configuration."""
    from narrator.build.store import parse_size

    if max_size is None:
        return _config(ctx).cache.max_size
    try:
        return parse_size(max_size)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-size") from exc


_MAX_SIZE_HELP = (
    'Size limit: "5 GB", "500MB", bytes, "10%" of the disk or "unlimited" '
    "(default: [cache] max_size in narrator.toml, else 10% of the disk)."
)


@cache.command("info")
@_cache_dir_option
@click.option("--max-size", default=None, metavar="SIZE", help=_MAX_SIZE_HELP)
@click.pass_context
def cache_info(ctx: click.Context, cache_dir: Path | None, max_size: str | None) -> None:
    """Show where the cache (voiced clips, encoded episode chunks) and the prepared voice
    models are, how much each holds, and the cache's use against its size limit.

    Prepared voice models are Piper voices rewritten for faster synthesis (folder:
    NARRATOR_MODEL_DIR, default models/ in the user cache folder).
    """
    from narrator.build.store import format_size
    from narrator.voice.backends.piper_model import models_info

    clip_cache = _clip_cache(cache_dir)
    limit = _size_limit(ctx, max_size)
    info = clip_cache.info()
    allowed = limit.resolve(clip_cache.root)
    if allowed is None:
        use = f"{format_size(info.total)} in use, no size limit"
    else:
        shown = str(limit) if limit.bytes is not None else f"{format_size(allowed)} ({limit})"
        use = f"{format_size(info.total)} of {shown} in use, {100 * info.total / allowed:.0f}%"
    click.echo(
        f"{info.path}: {info.entries} clips, {info.bytes / 1e6:.1f} MB; "
        f"{info.chunks} encoded episode chunks, {info.chunk_bytes / 1e6:.1f} MB; {use}"
    )
    models = models_info()
    plural = "" if models.models == 1 else "s"
    click.echo(
        f"{models.path}: {models.models} prepared voice model{plural}, "
        f"{models.bytes / 1e6:.1f} MB (with onnxruntime's optimized copies)"
    )
    if info.old_bytes:
        click.echo(
            f"{format_size(info.old_bytes)} of the cache are folders of an older narrator, "
            "never read: `narrator cache prune` removes them"
        )


@cache.command("prune")
@_cache_dir_option
@click.option("--max-size", default=None, metavar="SIZE", help=_MAX_SIZE_HELP)
@click.pass_context
def cache_prune(ctx: click.Context, cache_dir: Path | None, max_size: str | None) -> None:
    """Fit the cache to its size limit now: remove the least recently used clips and episode
    chunks until it fits, and any folders left by an older narrator.

    Builds do this themselves when they add to the cache; an entry removed while another
    build wants it is voiced or encoded again there.
    """
    from narrator.build.store import format_size

    clip_cache = _clip_cache(cache_dir)
    limit = _size_limit(ctx, max_size)
    removed = clip_cache.prune(limit.resolve(clip_cache.root))
    left = clip_cache.info()
    click.echo(
        f"removed {removed.entries} clips ({removed.bytes / 1e6:.1f} MB), {removed.chunks} "
        f"episode chunks and their loudness data ({removed.chunk_bytes / 1e6:.1f} MB)"
        + (f" and {removed.old_bytes / 1e6:.1f} MB of old folders" if removed.old_bytes else "")
        + f" from {removed.path}; {format_size(left.total)} left (limit: {limit})"
    )


@cache.command("clear")
@_cache_dir_option
def cache_clear(cache_dir: Path | None) -> None:
    """Remove every cached clip and encoded episode chunk (episodes already built are kept).

    Prepared voice models are kept too (see `narrator cache info`): each is made once per voice
    and reused; delete their folder by hand to remove them, or set NARRATOR_PREPARE_MODEL=0 to
    load voices as they are.
    """
    info = _clip_cache(cache_dir).clear()
    click.echo(
        f"removed {info.entries} clips ({info.bytes / 1e6:.1f} MB) and {info.chunks} episode "
        f"chunks ({info.chunk_bytes / 1e6:.1f} MB) from {info.path}"
    )


@cli.command()
@click.argument(
    "directory", default=Path("audio"), type=click.Path(path_type=Path, file_okay=False)
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 shares the podcast with your local network.",
)
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port."
)
@click.option("-q", "--quiet", is_flag=True, help="Do not log each request.")
def serve(directory: Path, host: str, port: int, quiet: bool) -> None:
    """Serve DIRECTORY (default: audio/) to browsers and podcast apps until Ctrl-C."""
    from narrator.publish.serve import Listening, lan_addresses, serve_forever

    if not quiet:
        access = logging.getLogger("narrator.publish.serve.access")
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False

    def ready(listening: Listening) -> None:
        urls = [listening.url]
        if listening.host in ("0.0.0.0", "::"):
            urls = [f"http://{a}:{listening.port}/" for a in lan_addresses()] + urls
        click.echo(f"Serving {directory} (Ctrl-C to stop)")
        click.echo(f"  Listen in a browser:        {urls[0]}")
        click.echo(f"  Subscribe in a podcast app: {urls[0]}feed.xml")
        for url in urls[1:]:
            click.echo(f"  also at:                    {url}feed.xml")
        if listening.host.startswith("127.") or listening.host in ("localhost", "::1"):
            click.echo("Only this computer can connect; --host 0.0.0.0 shares it on your network.")

    serve_forever(directory, host, port, ready)


def main() -> None:
    """Entry point of the ``narrator`` command."""
    cli(prog_name="narrator")


if __name__ == "__main__":
    main()
