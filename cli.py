"""The `loa` command line: thin click commands that parse options, call one library function, print, and exit.

Heavy modules are imported inside commands, after the run lock is taken, so cron start-up stays cheap.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from worker.config import Config
    from worker.store import Store

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class Context:
    """Options shared by every command; the config and store open lazily."""

    def __init__(self, config_path: str, db_path: str | None) -> None:
        self.config_path = config_path
        self.db_override = db_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from worker.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    @property
    def db_path(self) -> Path:
        return Path(self.db_override).resolve() if self.db_override else self.config.db_path

    def open_store(self, *, link: bool = True) -> Store:
        """The database, with every item sync saved linked into its story first (unless `link` is False).

        Commands that show, decide on or publish stories must never see an item sync saved but did not
        link: linking is a separate stage (`loa dedupe link`), so any command may find it still to do.
        """
        from worker.store import Store

        store = Store.open(self.db_path)
        store.register_sources(self.config.sources)
        if link and store.pending_links():
            try:
                links = _link_queued(self, store)
            except BaseException:
                store.close()
                raise
            if sys.stderr.isatty():  # a note for the person waiting, not for cron mail or a JSON reader
                click.echo(_links_line(links.as_json()), err=True)
        return store

    def link_now(self) -> Any:
        """The dedupe stage on its own: link what sync queued (`stories.link_pending`) and return the counts."""
        store = self.open_store(link=False)
        try:
            return _link_queued(self, store)
        finally:
            store.close()


def _link_queued(ctx: Context, store: Store) -> Any:
    from worker.clock import now
    from worker.stories import link_pending

    return link_pending(store, ctx.config.dedupe, now=now())


def _links_line(links: dict[str, int]) -> str:
    return (
        f"Linked {links['items']} items into stories: {links['stories_new']} new stories, "
        f"{links['variants_linked']} variants linked"
    )


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@contextmanager
def loa_errors() -> Iterator[None]:
    """Turn Loa's own errors into a clear message and the documented exit code."""
    from worker.errors import ConfigError, LoaError

    try:
        yield
    except ConfigError as error:
        fail(str(error), EXIT_CONFIG)
    except LoaError as error:
        fail(str(error))


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextmanager
def run_lock(ctx: Context, command: str) -> Iterator[bool]:
    """Take the writer lock first; yields False (and says who holds it) when another run has it."""
    from worker.errors import LockHeld
    from worker.lock import RunLock

    lock = RunLock(ctx.db_path, command)
    try:
        lock.acquire()
    except LockHeld as held:
        click.echo(f"Another Loa run is in progress: {held.holder}. Nothing to do; exiting.", err=True)
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    envvar="LOA_CONFIG",
    default="sources.yaml",
    show_default=True,
    help="Config file (env LOA_CONFIG). Relative paths inside it resolve against its folder.",
)
@click.option(
    "--db", "db_path", envvar="LOA_DB", help="SQLite database (env LOA_DB); default from config, data/loa.db."
)
@click.version_option(package_name="loa", message="loa %(version)s")
@click.pass_context
def main(click_ctx: click.Context, config_path: str, db_path: str | None) -> None:
    """Loa: pull scam-awareness material from national sources, review it, and syndicate it to wards.

    Set LOA_NOW (ISO 8601 with offset) to run any command as if at that time.
    """
    click_ctx.obj = Context(config_path, db_path)


# -- config and sources -------------------------------------------------------------------------


@main.group("config")
def config_group() -> None:
    """Validate the configuration."""


@config_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the parsed sources as JSON.")
@click.pass_obj
def config_check(ctx: Context, as_json: bool) -> None:
    """Validate the config file and list its sources. Exit 2 when it is invalid."""
    with loa_errors():
        config = ctx.config
        if as_json:
            emit_json(
                {
                    "config": str(config.path),
                    "db": str(ctx.db_path),
                    "sources": [_source_json(s) for s in config.sources],
                }
            )
            return
        click.echo(f"{config.path}: OK ({len(config.sources)} sources)")
        click.echo(f"database: {ctx.db_path}\noutputs:  {config.outputs_path}")
        if config.campaign:
            c = config.campaign
            click.echo(f"campaign: {c.name} ({c.start:%d/%m/%Y}–{c.end:%d/%m/%Y})")
        _print_sources(config)


def _source_json(source: Any) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "kind": source.kind,
        "url": source.url,
        "every": source.every_seconds,
        "item_kind": source.item_kind.value if source.item_kind else None,
        "enabled": source.enabled,
        "respect_robots": source.respect_robots,
        "rank": source.rank,
    }


def _print_sources(config: Config) -> None:
    from worker.views import table

    rows = [[s.id, s.kind, _every(s.every_seconds), "yes" if s.enabled else "no", s.url] for s in config.sources]
    click.echo(table(rows, ["source", "kind", "every", "enabled", "url"]))


def _every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@main.group("sources")
def sources_group() -> None:
    """List sources and test their selectors."""


@sources_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def sources_list(ctx: Context, as_json: bool) -> None:
    """List the configured sources in trust order (first = most trusted)."""
    with loa_errors():
        if as_json:
            emit_json([_source_json(s) for s in ctx.config.sources])
        else:
            _print_sources(ctx.config)


@sources_group.command("test")
@click.argument("source_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=10, show_default=True, help="How many extracted items to print.")
@click.pass_obj
def sources_test(ctx: Context, source_id: str, as_json: bool, limit: int) -> None:
    """Fetch and parse SOURCE_ID once, without storing, and print what was extracted.

    Use it to tune selectors after a portal changes its layout. Exit 1 if extraction failed.
    """
    from worker.clock import now
    from worker.pipeline import dry_run_source

    with loa_errors():
        config = ctx.config
        source = config.source(source_id)
        with _fetcher(config) as fetcher:
            result = dry_run_source(config, source, fetcher, now=now())
        items = [
            {
                "title": i.title,
                "url": i.url,
                "published_at": i.published_at.isoformat(),
                "kind": i.kind.value,
                "summary": i.summary[:200],
                "body_chars": len(i.body_text),
                "attachments": [a.url for a in i.attachments],
                "image": i.image,
            }
            for i in result.items
        ]
        if as_json:
            emit_json(
                {
                    "source": source.id,
                    "ok": result.error is None,
                    "error": str(result.error) if result.error else None,
                    "error_kind": result.error.kind if result.error else None,
                    "items": items,
                    "warnings": [str(e) for e in result.partial_errors],
                }
            )
        else:
            click.echo(f"{source.id}: {source.url}")
            if result.error:
                click.echo(f"ERROR ({result.error.kind}): {result.error}")
            else:
                click.echo(f"{len(items)} items extracted in {result.seconds:.2f}s")
            for item in items[:limit]:
                click.echo(
                    f"\n- {item['title']}\n  {item['url']}\n  {item['published_at']}  {item['kind']}  body: {item['body_chars']} chars"
                )
                if item["summary"]:
                    click.echo(f"  {item['summary']}")
                for attachment in item["attachments"]:
                    click.echo(f"  attachment: {attachment}")
            for warning in result.partial_errors:
                click.echo(f"warning: {warning}")
        if result.error:
            sys.exit(EXIT_FAILED)


@contextmanager
def _fetcher(config: Config) -> Iterator[Any]:
    from worker.fetch import Fetcher

    defaults = config.defaults
    fetcher = Fetcher(
        user_agent=defaults.user_agent,
        timeout=defaults.timeout_seconds,
        max_bytes=defaults.max_bytes,
        retries=defaults.retries,
        per_host=defaults.per_host,
    )
    try:
        yield fetcher
    finally:
        fetcher.close()


# -- sync -----------------------------------------------------------------------------------------


@main.command()
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Only these sources (due or not).")
@click.option(
    "--force", is_flag=True, help="Fetch sources that are not due yet (still conditional: a 304 stays a 304)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless a source failed.")
@click.option("--strict", is_flag=True, help="Exit 1 if any source failed.")
@click.option("--link", "then_link", is_flag=True, help="Then link the new items into stories (`loa dedupe link`).")
@click.pass_obj
def sync(
    ctx: Context, source_ids: tuple[str, ...], force: bool, as_json: bool, quiet: bool, strict: bool, then_link: bool
) -> None:
    """Pull new items from every due source into the database.

    New items wait to be linked into stories: `--link` does it in the same run, `loa dedupe link` or
    `loa run` does it later, and any command that shows or acts on stories does it first.

    Exit 0 when the run completed (even if some sources failed), 1 with --strict if any failed,
    2 on a configuration error. A second run while one holds the lock exits 0 at once.
    """
    with loa_errors():
        config = ctx.config
        with run_lock(ctx, "sync") as locked:
            if not locked:
                return
            report = _run_sync(ctx, config, source_ids=source_ids, force=force, show_progress=not (as_json or quiet))
            if then_link:
                report = _with_links(ctx, report)
        _print_sync(report, config, as_json=as_json, quiet=quiet)
        if strict and report.failed:
            sys.exit(EXIT_FAILED)


def _run_sync(ctx: Context, config: Config, *, source_ids: tuple[str, ...], force: bool, show_progress: bool) -> Any:
    from dataclasses import replace

    from worker.clock import now
    from worker.pipeline import sync as run_sync

    store = ctx.open_store(link=False)  # the sync stage stores; linking is the next stage
    try:
        with _fetcher(config) as fetcher:
            total = len(source_ids) or sum(1 for s in config.sources if s.enabled)
            if show_progress and sys.stderr.isatty():
                with click.progressbar(length=total, label="Syncing", file=sys.stderr) as bar:
                    report = run_sync(
                        config,
                        store,
                        fetcher,
                        now=now(),
                        source_ids=source_ids,
                        force=force,
                        on_result=lambda _r: bar.update(1),
                    )
            else:
                report = run_sync(config, store, fetcher, now=now(), source_ids=source_ids, force=force)
        return replace(report, extra={**report.extra, "unlinked": store.pending_links()})
    finally:
        store.close()


def _with_links(ctx: Context, report: Any) -> Any:
    """The sync report with the dedupe stage run after it: what linking did, and nothing left to link."""
    from dataclasses import replace

    return replace(report, extra={**report.extra, "unlinked": 0, "linked": ctx.link_now().as_json()})


def _print_sync(report: Any, config: Config, *, as_json: bool, quiet: bool) -> None:
    from worker.views import report_json, table

    if as_json:
        emit_json(report_json(report))
        return
    if quiet and not report.failed:
        return
    rows = []
    for result in report.results:
        if quiet and result.status.value != "error":
            continue
        rows.append(
            [
                result.source_id,
                result.status.value.replace("_", "-"),
                str(result.new),
                str(result.updated),
                str(result.duplicates),
                f"{result.seconds:.2f}",
                result.health.value,
            ]
        )
    click.echo(table(rows, ["source", "status", "new", "updated", "duplicates", "seconds", "health"]))
    totals = report.totals
    click.echo(
        f"\n{totals['sources']} sources: {totals['ok']} ok, {totals['not_modified']} not modified, "
        f"{totals['error']} failed, {totals['skipped']} not due; "
        f"{totals['new']} new, {totals['updated']} updated, {totals['duplicates']} duplicates"
    )
    linked = report.extra.get("linked")
    if linked:
        click.echo(_links_line(linked))
    elif report.extra.get("unlinked"):
        click.echo(
            f"{report.extra['unlinked']} items wait to be linked into stories: `loa dedupe link` "
            "(or `loa run`; any review command links them first)"
        )
    media = [r.extra["media"] for r in report.results if r.extra.get("media")]
    if media:
        click.echo(
            f"media: {sum(m['downloaded'] for m in media)} files downloaded, "
            f"{sum(m['failed'] for m in media)} failed (retried on the next sync)"
        )
    for result in report.results:
        alert = result.extra.get("alert")
        if alert:
            click.echo(
                f"alert {alert['status']}: {result.source_id} {alert['from']} → {alert['to']}: {alert['reason']}"
            )
    if report.network_down:
        click.echo("Every source failed with a network error: the network looks down, so no source was penalised.")
    for result in report.results:
        if result.error:
            click.echo(f"\n{result.source_id} failed ({result.error_kind}): {result.error}", err=True)
        for warning in result.extra.get("warnings", []):
            click.echo(f"{result.source_id} warning: {warning}", err=True)


# -- items ----------------------------------------------------------------------------------------


@main.group("items")
def items_group() -> None:
    """Browse stored items."""


@items_group.command("list")
@click.option("--status", type=click.Choice(["new", "duplicate", "held", "approved", "rejected", "withdrawn"]))
@click.option("--source", "source_id", metavar="ID")
@click.option("--since", metavar="DATE", help="Published on or after DATE (YYYY-MM-DD, in the config time zone).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def items_list(
    ctx: Context, status: str | None, source_id: str | None, since: str | None, limit: int, as_json: bool
) -> None:
    """List items, newest first."""
    from worker.views import item_json, local, table

    with loa_errors():
        config = ctx.config
        since_dt = _parse_day(since, config) if since else None
        store = ctx.open_store()
        rows = store.items(status=status, source_id=source_id, since=since_dt, limit=limit)
        store.close()
        if as_json:
            emit_json([item_json(r) for r in rows])
            return
        table_rows = [
            [
                r["id"][:10],
                r["source_id"],
                r["kind"],
                r["status"],
                local(r["published_at"], config.timezone),
                _cut(r["title"], 70),
            ]
            for r in rows
        ]
        click.echo(table(table_rows, ["id", "source", "kind", "status", "published", "title"]))
        click.echo(f"\n{len(rows)} items")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _parse_day(text: str, config: Config) -> Any:
    from worker.dates import parse_datetime
    from worker.errors import ConfigError

    moment = parse_datetime(text, tz=config.timezone)
    if moment is None:
        raise ConfigError(f"{text!r} is not a date", hint="write YYYY-MM-DD")
    return moment


@items_group.command("show")
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def items_show(ctx: Context, item_id: str, as_json: bool) -> None:
    """Show one item (an id prefix is enough when it is unique)."""
    from worker.views import item_json, local, media_json

    with loa_errors():
        store = ctx.open_store()
        row = store.item(item_id)
        media = [media_json(m) for m in store.item_media(row["id"])] if row else []
        store.close()
        if row is None:
            fail(f"no item {item_id!r}; `loa items list` shows ids")
        if as_json:
            data = item_json(row)
            data["body_html"] = row["body_html"]
            data["media"] = media
            data["player_url"] = row["extra"].get("player_url")
            emit_json(data)
            return
        tz = ctx.config.timezone
        click.echo(f"{row['title']}\n")
        for label, value in (
            ("id", row["id"]),
            ("source", row["source_id"]),
            ("kind", row["kind"]),
            ("status", row["status"] + (f" (copy of {row['duplicate_of']})" if row["duplicate_of"] else "")),
            ("url", row["url"]),
            ("published", local(row["published_at"], tz)),
            ("fetched", local(row["fetched_at"], tz)),
            (
                "revision",
                str(row["revision"]) + (" — changed since approval, needs review" if row["needs_review"] else ""),
            ),
            ("image", row["image"] or "-"),
        ):
            click.echo(f"{label:>10}: {value}")
        if row["extra"].get("player_url"):
            click.echo(f"{'player':>10}: {row['extra']['player_url']}")
        for attachment in row["attachments"]:
            click.echo(f"{'attachment':>10}: {attachment['url']}")
        for url in row.get("off_domain") or []:
            click.echo(f"{'OFF-DOMAIN':>10}: {url} (not in the source's allowed_domains; check before approving)")
        media_root = ctx.config.media_path
        for m in media:
            where = str(media_root / m["path"]) if m["status"] == "ok" else f"{m['status']}: {m['error'] or '-'}"
            click.echo(f"{m['role']:>10}: {m['filename'] or m['url']} -> {where}")
        if row["tags"]:
            click.echo(f"{'tags':>10}: {', '.join(row['tags'])}")
        click.echo(f"\n{row['summary']}\n")
        if row["body_text"]:
            click.echo(row["body_text"])


# -- stories --------------------------------------------------------------------------------------


@main.group("stories")
def stories_group() -> None:
    """One story per warning: near-duplicate items across sources and formats, grouped."""


@stories_group.command("list")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def stories_list(ctx: Context, limit: int, as_json: bool) -> None:
    """List stories, most recently changed first, with how many items each groups."""
    from worker.stories import list_stories
    from worker.views import table

    with loa_errors():
        store = ctx.open_store()
        stories = list_stories(store, limit=limit)
        store.close()
        if as_json:
            emit_json(
                [{k: s[k] for k in ("id", "canonical", "items", "title", "kinds", "late_variants")} for s in stories]
            )
            return
        rows = [[s["id"][:12], str(len(s["items"])), ",".join(s["kinds"]), _cut(s["title"], 70)] for s in stories]
        click.echo(table(rows, ["story", "items", "kinds", "title"]))
        click.echo(f"\n{len(stories)} stories")


@stories_group.command("show")
@click.argument("story_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def stories_show(ctx: Context, story_id: str, as_json: bool) -> None:
    """Show a story (by story id or any of its items' ids) and its items."""
    from worker.stories import show_story
    from worker.views import table

    with loa_errors():
        store = ctx.open_store()
        story = show_story(store, story_id)
        store.close()
        if as_json:
            emit_json(story)
            return
        click.echo(f"{story['title']}\n\nstory: {story['id']}\ncanonical: {story['canonical']}\n")
        rows = []
        for item in story["items"]:
            role = item["story_role"] or "-"
            if item["late_variant"]:
                role += f" (late variant of {item['variant_of']})"
            rows.append(
                [item["id"][:12], item["source_id"], item["kind"], item["status"], role, _cut(item["title"], 60)]
            )
        click.echo(table(rows, ["item", "source", "kind", "status", "role", "title"]))


def _story_command(action: str, *ids: str) -> None:
    """Run one manual story change under the run lock, so it never interleaves with a sync."""
    from worker import stories
    from worker.clock import now

    ctx: Context = click.get_current_context().obj
    with loa_errors(), run_lock(ctx, f"stories {action}") as locked:
        if not locked:
            sys.exit(EXIT_FAILED)
        store = ctx.open_store()
        try:
            story = getattr(stories, action)(store, *ids, now=now())
        finally:
            store.close()
        click.echo(f"{action}: {' '.join(ids)} -> story {story}")


@stories_group.command("merge")
@click.argument("first")
@click.argument("second")
def stories_merge(first: str, second: str) -> None:
    """Merge two stories (story or item ids); remembered across `loa dedupe rebuild`."""
    _story_command("merge", first, second)


@stories_group.command("split")
@click.argument("item_id")
def stories_split(item_id: str) -> None:
    """Move ITEM_ID out of its story into its own; remembered across `loa dedupe rebuild`."""
    _story_command("split", item_id)


@stories_group.command("promote")
@click.argument("item_id")
def stories_promote(item_id: str) -> None:
    """Make ITEM_ID its story's canonical item (a late variant becomes reviewable again)."""
    _story_command("promote", item_id)


@main.group("dedupe")
def dedupe_group() -> None:
    """Near-duplicate detection maintenance."""


@dedupe_group.command("link")
@click.option("--json", "as_json", is_flag=True)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing.")
@click.pass_obj
def dedupe_link(ctx: Context, as_json: bool, quiet: bool) -> None:
    """Link the items sync saved into stories (exact copies, near-duplicates, retellings), in save order.

    The dedupe stage of the pipeline, for cron after `loa sync` (`loa run` and `loa sync --link` do it
    too). Safe to interrupt: each source's batch is linked and taken off the queue in one transaction.
    """
    with loa_errors():
        with run_lock(ctx, "dedupe link") as locked:
            if not locked:
                return
            links = ctx.link_now().as_json()
        if as_json:
            emit_json(links)
        elif not quiet:
            click.echo(_links_line(links))


@dedupe_group.command("rebuild")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def dedupe_rebuild(ctx: Context, as_json: bool) -> None:
    """Recluster every item into stories (after changing dedupe: settings); manual overrides are replayed."""
    from worker.clock import now
    from worker.stories import rebuild

    with loa_errors():
        config = ctx.config
        with run_lock(ctx, "dedupe rebuild") as locked:
            if not locked:
                return
            store = ctx.open_store(link=False)  # the rebuild links every item
            try:
                counts = rebuild(store, config.dedupe, now=now())
            finally:
                store.close()
        if as_json:
            emit_json(counts)
        else:
            click.echo(f"{counts['items']} items in {counts['stories']} stories")


# -- status ---------------------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--check", is_flag=True, help="Exit 1 if any enabled source is failing or broken (for cron mail, Nagios)."
)
@click.pass_obj
def status(ctx: Context, as_json: bool, check: bool) -> None:
    """Health of every source: last success, last error, consecutive errors, next due, items."""
    from worker.clock import now
    from worker.health import current
    from worker.schedule import SourceState
    from worker.views import local, status_json, table

    with loa_errors():
        config = ctx.config
        store = ctx.open_store(link=False)  # a health check stays quick and never writes
        states = store.source_states()
        unlinked = store.pending_links()
        pending = store.count_items("status = 'new'")
        deliveries = store.delivery_counts()
        store.close()
        moment = now()
        report = [
            status_json(
                current(
                    states.get(s.id, SourceState(id=s.id)),
                    alert_after=config.defaults.alert_after,
                    stale_after_seconds=s.stale_after_seconds,
                    now=moment,
                ),
                name=s.name,
                enabled=s.enabled,
                kind=s.kind,
            )
            for s in config.sources
        ]
        problems = [r for r in report if r["enabled"] and r["health"] in ("failing", "broken")]
        stale = [r for r in report if r["enabled"] and r["health"] == "stale"]
        if as_json:
            emit_json({"sources": report, "pending_review": pending, "unlinked": unlinked, "deliveries": deliveries})
        elif check:
            for row in problems + stale:
                click.echo(f"{row['id']}: {row['health'].upper()}: {row['health_reason']}; {row['health_action']}")
            if not problems:
                click.echo(
                    f"OK: no source failing or broken ({len(stale)} stale)"
                    if stale
                    else f"OK: {len(report)} sources healthy"
                )
        else:
            rows = []
            for row in report:
                mark = "!! " if row in problems else ("~ " if row in stale else "")
                rows.append(
                    [
                        mark + row["id"],
                        row["health"].upper() if row in problems else row["health"],
                        local(row["last_success_at"], config.timezone),
                        str(row["consecutive_errors"]),
                        local(row["next_due_at"], config.timezone),
                        str(row["items"]),
                    ]
                )
            click.echo(table(rows, ["source", "health", "last success", "errors", "next due", "items"]))
            for row in report:
                if row["last_error"] and row["consecutive_errors"]:
                    click.echo(
                        f"\n{row['id']} last error ({row['last_error_kind']}, {local(row['last_error_at'], config.timezone)}):\n  {row['last_error']}"
                    )
                if row["health"] != "healthy" and row["health_action"]:
                    click.echo(
                        f"\n{row['id']} is {row['health']}: {row['health_reason']}\n  action: {row['health_action']}"
                    )
            click.echo(f"\n{pending} items pending review")
            if unlinked:
                click.echo(f"{unlinked} items wait to be linked into stories (`loa dedupe link`)")
            if deliveries:
                click.echo(
                    f"deliveries failed: {deliveries.get('failed', 0)} "
                    f"(pending {deliveries.get('pending', 0)}; `loa deliveries list --failed`)"
                )
        if check and problems:
            sys.exit(EXIT_FAILED)


# -- review ---------------------------------------------------------------------------------------

REVIEW_VERBS = {"approve": "approved", "reject": "rejected", "hold": "held", "withdraw": "withdrew", "undo": "undid"}


def _selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by approve, reject, hold and withdraw: bulk filters, confirmation, JSON, reviewer."""
    options = [
        click.option("--source", "source_id", metavar="ID", help="Select stories from this source (bulk)."),
        click.option("--since", metavar="DATE", help="Select stories published on or after DATE (bulk)."),
        click.option(
            "--kind",
            type=click.Choice(["article", "warning", "video", "infographic", "document"]),
            help="Select stories of this kind (bulk).",
        ),
        click.option(
            "--match", metavar="REGEX", help="Select stories whose title or text matches (case- and tone-insensitive)."
        ),
        click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation of a bulk (filter) selection."),
        click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON."),
        click.option(
            "--as", "reviewer", metavar="NAME", help="Reviewer name recorded in the audit (default: your OS user)."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _actor(reviewer: str | None) -> Any:
    import getpass

    from worker.store import Actor

    os_user = getpass.getuser()
    name = (reviewer or os_user).strip()
    if not name:
        fail("--as needs a name")
    return Actor(reviewer=name, os_user=os_user)


def _review_action(ctx: Context, action: str, refs: tuple[str, ...], options: dict[str, Any], **request: Any) -> None:
    """Shared body of approve, reject, hold and withdraw: select, confirm, lock, act, print, exit."""
    from worker.approvals import Filters, act, select
    from worker.clock import now
    from worker.review import Request, compile_match

    as_json, yes = options["as_json"], options["yes"]
    with loa_errors():
        config = ctx.config
        filters = Filters(
            source_id=options["source_id"],
            since=_parse_day(options["since"], config) if options["since"] else None,
            kind=options["kind"],
            match=options["match"],
        )
        if refs and filters.given:
            fail("give IDs or filters (--source, --since, --kind, --match), not both")
        if not refs and not filters.given:
            fail("give at least one ID, or select stories with --source, --since, --kind or --match")
        if filters.source_id:
            config.source(filters.source_id)
        if filters.match is not None:
            import re

            try:
                compile_match(filters.match)
            except re.error as exc:
                fail(f"--match {filters.match!r} is not a valid regular expression: {exc}")
        actor = _actor(options["reviewer"])
        req = Request(action=action, reviewer=actor.reviewer, **request)
        with run_lock(ctx, action) as locked:
            if not locked:
                sys.exit(EXIT_FAILED)
            store = ctx.open_store()
            try:
                ids = list(refs)
                if filters.given:
                    rows = select(store, action, filters)
                    if not rows:
                        if as_json:
                            emit_json({"ok": True, "action": action, "selected": 0, "changed": [], "refused": []})
                        else:
                            click.echo(
                                f"No stories match the filters that can be {REVIEW_VERBS[action]}. Nothing changed."
                            )
                        return
                    if not _confirm_bulk(action, rows, yes=yes, as_json=as_json):
                        sys.exit(EXIT_FAILED)
                    ids = [row["id"] for row in rows]
                outcome = act(store, ids, req, actor=actor, now=now(), known_topics=tuple(t.id for t in config.topics))
            finally:
                store.close()
        _print_outcome(outcome, as_json=as_json)
        if not outcome.ok:
            sys.exit(EXIT_FAILED)


def _confirm_bulk(action: str, rows: list[dict[str, Any]], *, yes: bool, as_json: bool) -> bool:
    if yes:
        return True
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        message = (
            f"{len(rows)} stories selected by filter; nothing changed: pass --yes to {action} them without a terminal"
        )
        if as_json:
            emit_json(
                {"ok": False, "action": action, "selected": len(rows), "changed": [], "refused": [], "error": message}
            )
        click.echo(f"Error: {message}", err=True)
        return False
    for row in rows:
        click.echo(f"  {row['id'][:10]}  {row['source_id']:<24} {row['status']:<8} {_cut(row['title'], 70)}")
    if click.confirm(f"{action.capitalize()} these {len(rows)} stories?", default=False):
        return True
    click.echo("Nothing changed.", err=True)
    return False


def _print_outcome(outcome: Any, *, as_json: bool) -> None:
    from worker.approvals import outcome_json

    if as_json:
        emit_json(outcome_json(outcome))
        return
    for refusal in outcome.refused:
        click.echo(f"Refused {refusal.ref}: {refusal.reason}", err=True)
    if outcome.refused:
        click.echo(f"Nothing changed: {len(outcome.refused)} refused.", err=True)
        return
    for change in outcome.changes:
        moved = (
            f"{change.from_status} → {change.to_status}" if change.from_status != change.to_status else change.to_status
        )
        label = "undid" if change.action == "undo" else REVIEW_VERBS.get(change.action, change.action)
        click.echo(
            f"{label} {change.item_id[:10]} ({moved})"
            + (f": {change.reason}" if change.reason and change.action != "undo" else "")
        )
    click.echo(f"{len(outcome.changes)} items changed by {outcome.actor.reviewer}.")


@main.command()
@click.argument("refs", nargs=-1, metavar="[ID]...")
@click.option("--note", default="", help="A note kept with the decision.")
@click.option("--topic", "topics", multiple=True, metavar="T", help="Add a topic (repeatable; adds to auto-tags).")
@click.option("--priority", metavar="P", help="thuong, uu-tien, khan-cap (or thường, ưu tiên, khẩn cấp).")
@click.option("--expires", metavar="DATE", help="Leave outputs after DATE (YYYY-MM-DD, config time zone).")
@_selection_options
@click.pass_obj
def approve(
    ctx: Context,
    refs: tuple[str, ...],
    note: str,
    topics: tuple[str, ...],
    priority: str | None,
    expires: str | None,
    **options: Any,
) -> None:
    """Approve items or stories for publishing (ID: item id, unique prefix, or story id).

    Approving a story's canonical item approves the story as a whole. Re-approving an item whose
    source changed clears its needs-review flag. Exit 1 (nothing changed) if any ID is refused.
    """
    from worker.review import parse_expiry, parse_priority

    with loa_errors():
        _review_action(
            ctx,
            "approve",
            refs,
            options,
            reason=note,
            topics=topics,
            priority=parse_priority(priority) if priority else None,
            expires_at=parse_expiry(expires, ctx.config.timezone) if expires is not None else None,
        )


@main.command()
@click.argument("refs", nargs=-1, metavar="[ID]...")
@click.option("--reason", required=True, help="Why it is rejected (kept in the audit).")
@_selection_options
@click.pass_obj
def reject(ctx: Context, refs: tuple[str, ...], reason: str, **options: Any) -> None:
    """Reject items or stories: they will never be published."""
    _review_action(ctx, "reject", refs, options, reason=reason)


@main.command()
@click.argument("refs", nargs=-1, metavar="[ID]...")
@click.option("--note", default="", help="A note kept with the decision.")
@_selection_options
@click.pass_obj
def hold(ctx: Context, refs: tuple[str, ...], note: str, **options: Any) -> None:
    """Hold items or stories for a later decision (approve or reject them afterwards)."""
    _review_action(ctx, "hold", refs, options, reason=note)


@main.command()
@click.argument("refs", nargs=-1, metavar="[ID]...")
@click.option("--reason", required=True, help="Why it is withdrawn (kept in the audit).")
@_selection_options
@click.pass_obj
def withdraw(ctx: Context, refs: tuple[str, ...], reason: str, **options: Any) -> None:
    """Withdraw approved items or stories; the next publish removes them everywhere."""
    _review_action(ctx, "withdraw", refs, options, reason=reason)


@main.command()
@click.option("--as", "reviewer", metavar="NAME", help="Reviewer whose last action to undo (default: your OS user).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def undo(ctx: Context, reviewer: str | None, as_json: bool) -> None:
    """Undo your own last review action (every item it changed). The undo is audited too."""
    from worker.approvals import undo_last
    from worker.clock import now

    with loa_errors():
        actor = _actor(reviewer)
        with run_lock(ctx, "undo") as locked:
            if not locked:
                sys.exit(EXIT_FAILED)
            store = ctx.open_store()
            try:
                outcome = undo_last(store, actor=actor, now=now())
            finally:
                store.close()
        _print_outcome(outcome, as_json=as_json)


@main.group("rules")
def rules_group() -> None:
    """Review rules and topics from sources.yaml: list them, or run them again on items awaiting review."""


def _match_text(match: str | list[str]) -> str:
    text = match if isinstance(match, str) else ", ".join(match)
    return text if len(text) <= 60 else text[:59] + "…"


@rules_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rules_list(ctx: Context, as_json: bool) -> None:
    """The rules and topics in effect, in the order they run."""
    from worker.views import table

    with loa_errors():
        config = ctx.config
        rows = [
            {
                "id": r.id,
                "action": r.action.value,
                "value": r.value,
                "source": r.source,
                "match": r.match if isinstance(r.match, str) else list(r.match),
                "reason": r.reason,
            }
            for r in config.rules
        ]
        rows += [
            {
                "id": f"topics.{t.id}",
                "action": "tag",
                "value": t.id,
                "source": None,
                "match": list(t.keywords),
                "reason": t.name,
            }
            for t in config.topics
        ]
        if as_json:
            emit_json(rows)
            return
        if not rows:
            click.echo("no rules or topics in " + str(config.path))
            return
        shown = [
            [
                r["id"],
                r["action"] + (f" {r['value']}" if r["value"] else ""),
                r["source"] or "*",
                _match_text(r["match"]),
            ]
            for r in rows
        ]
        click.echo(table(shown, ["id", "action", "source", "match"]))


@rules_group.command("apply")
@click.option("--source", "source_id", metavar="ID", help="Only items of this source.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--as", "reviewer", metavar="NAME", help="Reviewer recorded in the audit (default: your OS user).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rules_apply(ctx: Context, source_id: str | None, dry_run: bool, reviewer: str | None, as_json: bool) -> None:
    """Run the rules and topics again on items awaiting review (new, held), e.g. after adding a rule.

    Rejects and holds move only items still new; tags and priorities are added. Approved, rejected and
    withdrawn items are never touched. One audited batch: `loa undo` reverts it.
    """
    from worker.approvals import apply_rules
    from worker.clock import now
    from worker.review import evaluate, item_text

    with loa_errors():
        config = ctx.config
        actor = _actor(reviewer)

        def decide(row: dict[str, Any]) -> Any:
            return evaluate(config.rules, config.topics, source_id=str(row["source_id"]), text=item_text(row))

        with run_lock(ctx, "rules apply") as locked:
            if not locked:
                sys.exit(EXIT_FAILED)
            store = ctx.open_store()
            try:
                outcome = apply_rules(store, decide, actor=actor, now=now(), source_id=source_id, dry_run=dry_run)
            finally:
                store.close()
        if as_json:
            from worker.approvals import outcome_json

            emit_json({**outcome_json(outcome), "dry_run": dry_run})
            return
        for change in outcome.changes:
            moved = (
                f"{change.from_status} → {change.to_status}"
                if change.from_status != change.to_status
                else change.to_status
            )
            click.echo(f"{'would change' if dry_run else 'changed'} {change.item_id[:10]} ({moved}): {change.reason}")
        verb = "would change" if dry_run else "changed"
        click.echo(
            f"{len(outcome.changes)} item(s) {verb}"
            + ("" if dry_run or not outcome.changes else f" by {actor.reviewer}; `loa undo` reverts them")
        )


@main.command()
@click.option(
    "--item", "item_ref", metavar="ID", help="Only this item (id, prefix) or story (story id: all its items)."
)
@click.option("--since", metavar="DATE", help="Only entries on or after DATE (YYYY-MM-DD, config time zone).")
@click.option("--limit", type=int, help="Only the last N entries.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def audit(ctx: Context, item_ref: str | None, since: str | None, limit: int | None, as_json: bool) -> None:
    """Show the audit trail: who changed what, when, from which status to which, and why."""
    from worker.views import local, table

    with loa_errors():
        config = ctx.config
        since_dt = _parse_day(since, config) if since else None
        store = ctx.open_store()
        try:
            item_ids: tuple[str, ...] = ()
            if item_ref:
                story = store.story(item_ref)
                item_ids = tuple(r["id"] for r in store.story_items(story["id"])) if story else ()
                item_ids = item_ids or (store.find_item(item_ref)["id"],)
            rows = store.audit(item_ids=item_ids, since=since_dt, limit=limit)
        finally:
            store.close()
        if as_json:
            emit_json(rows)
            return
        table_rows = [
            [
                str(r["id"]),
                local(r["at"], config.timezone),
                r["reviewer"] + (f" ({r['os_user']})" if r["os_user"] and r["os_user"] != r["reviewer"] else ""),
                r["action"] + (" (undone)" if r["undone_by"] else ""),
                r["item_id"][:10],
                f"{r['from_status']} → {r['to_status']}"
                if r["from_status"] != r["to_status"]
                else (r["to_status"] or ""),
                r["rule_id"] or "",
                _cut(r["reason"] or _changed_fields(r), 60),
            ]
            for r in rows
        ]
        click.echo(table(table_rows, ["#", "when", "who", "action", "item", "status", "rule", "reason / change"]))
        click.echo(f"\n{len(rows)} entries")


def _changed_fields(row: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}: {row['after'][k]}" for k in row["after"] if k not in ("status", "reviewed_at", "reviewed_by")
    )


@main.command()
@click.option("--as", "reviewer", metavar="NAME", help="Reviewer name recorded in the audit (default: your OS user).")
@click.option("--restart", is_flag=True, help="Start from the top of the queue instead of resuming.")
@click.pass_obj
def review(ctx: Context, reviewer: str | None, restart: bool) -> None:
    """Review pending stories one at a time with single keys (press ? for help).

    Highest priority first, then oldest. Quitting keeps your place: `loa review` resumes there.
    """
    from worker.clock import now
    from worker.review_loop import ReviewLoop, Terminal

    with loa_errors():
        config = ctx.config
        actor = _actor(reviewer)
        if not sys.stdin.isatty():
            fail("`loa review` needs a terminal; use `loa approve`, `loa reject` or `loa hold` in scripts")
        store = ctx.open_store()
        term = Terminal(
            getchar=click.getchar,
            echo=click.echo,
            prompt=lambda text: str(click.prompt(text, default="", show_default=False)),
            edit=lambda text: click.edit(text, extension=".txt"),
            open_link=_open_link,
            locked=lambda: run_lock(ctx, "review"),
            clock=now,
        )
        try:
            ReviewLoop(store, config, actor, term).run(restart=restart)
        finally:
            store.close()


def _open_link(url: str) -> None:
    click.echo(f"link: {url}")
    # Over SSH or without a display a browser would open on the wrong machine, or not at all.
    desktop = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin"
    if desktop and not (os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY")):
        import webbrowser

        webbrowser.open(url)


# -- wards, packs, publishing -------------------------------------------------------------------------

_WARDS_FILE = click.option(
    "--wards-file",
    type=click.Path(exists=True, dir_okay=False),
    envvar="LOA_WARDS_FILE",
    help="Wards from this .yaml or .csv file instead of the database or sources.yaml (env LOA_WARDS_FILE).",
)


def _wards(ctx: Context, store: Store, wards_file: str | None) -> tuple[Any, str]:
    """The wards in effect and where they come from: --wards-file, else `loa wards import`, else sources.yaml."""
    from worker.wards import WARD_KEYS, load_wards_file, parse_wards

    topics = {t.id for t in ctx.config.topics}
    if wards_file:
        return load_wards_file(Path(wards_file), known_topics=topics), str(Path(wards_file).resolve())
    imported = store.imported_wards()
    if imported:
        rows = [{k: v for k, v in row.items() if k in WARD_KEYS} for row in imported]
        return parse_wards(rows, known_topics=topics), "the database (loa wards import)"
    return ctx.config.wards, str(ctx.config.path)


def _ward(ctx: Context, store: Store, wards_file: str | None, ward_id: str) -> Any:
    """The ward with this id among the wards in effect."""
    return _ward_in(*_wards(ctx, store, wards_file), ward_id)


def _ward_in(wards: Any, origin: str, ward_id: str, code: int = EXIT_FAILED) -> Any:
    """The ward with this id; a clear error naming where the wards come from otherwise."""
    ward = next((w for w in wards if w.id == ward_id), None)
    if ward is None:
        fail(f"no ward {ward_id!r} in {origin}; `loa wards list` shows ids", code)
    return ward


def _ward_json(ward: Any) -> dict[str, Any]:
    return {
        **ward.listing(),
        "quiet_days": list(ward.quiet_days),
        "daily_cap": ward.daily_cap,
    }


@main.group("wards")
def wards_group() -> None:
    """Wards and communes: list, show, import a long list from YAML or CSV."""


@wards_group.command("list")
@_WARDS_FILE
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def wards_list(ctx: Context, wards_file: str | None, as_json: bool) -> None:
    """List the wards in effect (each gets feeds/<id>.xml and feeds/<id>.json)."""
    from worker.views import table

    with loa_errors():
        store = ctx.open_store()
        try:
            wards, origin = _wards(ctx, store, wards_file)
        finally:
            store.close()
        if as_json:
            emit_json({"from": origin, "wards": [_ward_json(w) for w in wards]})
            return
        rows = [
            [w.id, w.kind, w.name, ",".join(w.topics) or "(all)", ",".join(w.kinds) or "(all)", " ".join(w.slots)]
            for w in wards
        ]
        click.echo(table(rows, ["ward", "kind", "name", "topics", "kinds", "slots"]))
        click.echo(f"\n{len(wards)} wards from {origin}")


@wards_group.command("show")
@click.argument("ward_id")
@_WARDS_FILE
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def wards_show(ctx: Context, ward_id: str, wards_file: str | None, as_json: bool) -> None:
    """Show one ward and the feed files it gets."""
    with loa_errors():
        store = ctx.open_store()
        try:
            ward = _ward(ctx, store, wards_file, ward_id)
        finally:
            store.close()
        data = _ward_json(ward)
        outputs = ctx.config.outputs_path
        data["feeds"] = [str(outputs / "feeds" / f"{ward.id}.xml"), str(outputs / "feeds" / f"{ward.id}.json")]
        if as_json:
            emit_json(data)
            return
        for key in ("id", "name", "kind"):
            click.echo(f"{key:>7}: {data[key]}")
        click.echo(f"{'topics':>7}: {', '.join(ward.topics) or '(all topics)'}")
        click.echo(f"{'kinds':>7}: {', '.join(ward.kinds) or '(all kinds)'}")
        click.echo(f"{'slots':>7}: {', '.join(ward.slots) or '-'}")
        click.echo(f"{'feeds':>7}: {data['feeds'][0]}\n         {data['feeds'][1]}")


@wards_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--check", is_flag=True, help="Only validate FILE; store nothing.")
@click.option("--clear", is_flag=True, help="Forget the imported wards (sources.yaml's wards apply again).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def wards_import(ctx: Context, file: str | None, check: bool, clear: bool, as_json: bool) -> None:
    """Validate FILE (.yaml or .csv) and store its wards in the database, replacing earlier imports.

    Imported wards take precedence over `wards:` in sources.yaml; errors name the entry
    (`wards.csv:wards[3].slots[1]`) and nothing is stored. CSV columns: id,name,kind,topics,kinds,slots
    (lists separated by `;`).
    """
    from worker.clock import now
    from worker.wards import load_wards_file

    with loa_errors():
        if clear == bool(file):
            fail("give a FILE to import, or --clear")
        wards = load_wards_file(Path(file), known_topics={t.id for t in ctx.config.topics}) if file else ()
        if check:
            click.echo(f"{file}: OK ({len(wards)} wards)")
            return
        with run_lock(ctx, "wards import") as locked:
            if not locked:
                sys.exit(EXIT_FAILED)
            store = ctx.open_store()
            try:
                store.replace_wards([_ward_json(w) for w in wards], now=now())
            finally:
                store.close()
        if as_json:
            emit_json({"imported": len(wards), "from": file, "wards": [w.id for w in wards]})
        elif clear:
            click.echo(f"Imported wards cleared; wards now come from {ctx.config.path}.")
        else:
            click.echo(f"Imported {len(wards)} wards from {file}; they replace the wards in sources.yaml.")


@main.group("pack")
def pack_group() -> None:
    """Packs: numbered bundles of approved stories, published as a whole."""


def _print_pack(data: dict[str, Any], config: Config) -> None:
    from worker.views import local, table

    state = data["status"] + (f", revision {data['revision']}" if data["revision"] else "")
    click.echo(f"Số {data['number']}: {data['title']}  [{state}]")
    rows = [
        [
            str(n),
            s["story_id"][:10],
            s["item_id"][:10],
            s["priority"] or "-",
            local(s["published_at"], config.timezone),
            ("" if s["shown"] else "(hidden) ") + _cut(s["title"], 60),
        ]
        for n, s in enumerate(data["stories"], 1)
    ]
    click.echo(table(rows, ["#", "story", "item", "priority", "published", "title"]))


def _pack_command(ctx: Context, command: str, func: Callable[..., Any], *args: Any, as_json: bool) -> None:
    """Shared body of pack build/add/remove/reorder: lock, call, print."""
    from worker.clock import now

    with loa_errors():
        config = ctx.config
        with run_lock(ctx, f"pack {command}") as locked:
            if not locked:
                sys.exit(EXIT_FAILED)
            store = ctx.open_store()
            try:
                data = func(store, *args, now=now())
            finally:
                store.close()
        if as_json:
            emit_json(data)
        elif data is None:
            click.echo("No approved stories outside a pack: nothing to build.")
        else:
            _print_pack(data, config)


@pack_group.command("build")
@click.option("--title", help="Title (default: '<series> số N (dates)').")
@click.option("--since", metavar="DATE", help="Only stories published on or after DATE (YYYY-MM-DD).")
@click.option("--topic", metavar="T", help="Only stories tagged with this topic.")
@click.option("--max", "limit", type=click.IntRange(min=1), help="At most N stories (the highest priority first).")
@click.option("--as", "reviewer", metavar="NAME", help="Who builds it (default: your OS user).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def pack_build(
    ctx: Context,
    title: str | None,
    since: str | None,
    topic: str | None,
    limit: int | None,
    reviewer: str | None,
    as_json: bool,
) -> None:
    """Bundle approved stories not yet in a pack into a new draft pack.

    Ordered khẩn cấp, ưu tiên, thường, then newest first; each story once, through its
    highest-ranked approved item. `loa publish` publishes it.
    """
    from worker.pack_actions import build

    with loa_errors():
        config = ctx.config
        since_dt = _parse_day(since, config) if since else None
        if topic and topic not in {t.id for t in config.topics}:
            fail(f"unknown topic {topic!r}; known: {', '.join(t.id for t in config.topics)}")
        actor = _actor(reviewer)

        def run(store: Store, *, now: Any) -> Any:
            return build(
                store, config, now=now, created_by=actor.reviewer, title=title, since=since_dt, topic=topic, limit=limit
            )

        _pack_command(ctx, "build", run, as_json=as_json)


@pack_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def pack_list(ctx: Context, as_json: bool) -> None:
    """List packs, newest first."""
    from worker.views import local, table

    with loa_errors():
        store = ctx.open_store()
        try:
            packs = list(reversed(store.packs()))
            counts = {k: len(v) for k, v in store.pack_members().items()}
        finally:
            store.close()
        if as_json:
            emit_json([{**p, "stories": counts.get(int(p["id"]), 0)} for p in packs])
            return
        rows = [
            [
                str(p["number"]),
                p["status"],
                str(p["revision"]),
                str(counts.get(int(p["id"]), 0)),
                local(p["published_at"], ctx.config.timezone),
                _cut(p["title"], 70),
            ]
            for p in packs
        ]
        click.echo(table(rows, ["#", "status", "rev", "stories", "published", "title"]))


@pack_group.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def pack_show(ctx: Context, number: str, as_json: bool) -> None:
    """Show a pack's stories in order (hidden: withdrawn or expired since)."""
    from worker.clock import now
    from worker.pack_actions import describe, find_pack

    with loa_errors():
        store = ctx.open_store()
        try:
            data = describe(store, int(find_pack(store, number)["id"]), now=now())
        finally:
            store.close()
        if as_json:
            emit_json(data)
        else:
            _print_pack(data, ctx.config)


def _pack_edit(name: str, help_text: str) -> Callable[..., Any]:
    @pack_group.command(name, help=help_text)
    @click.argument("number")
    @click.argument("refs", nargs=-1, required=True, metavar="ID...")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def command(ctx: Context, number: str, refs: tuple[str, ...], as_json: bool) -> None:
        from worker import pack_actions

        func = getattr(pack_actions, name)
        _pack_command(ctx, name, lambda store, now: func(store, number, list(refs), now=now), as_json=as_json)

    return command


pack_add = _pack_edit("add", "Add approved stories (story id, item id or prefix) to pack NUMBER.")
pack_remove = _pack_edit("remove", "Remove stories from pack NUMBER (they can go into another pack).")
pack_reorder = _pack_edit("reorder", "Put these stories first in pack NUMBER, in this order.")


def _run_publish(ctx: Context, *, wards_file: str | None, out: str | None, dry_run: bool) -> Any:
    from worker.clock import now
    from worker.publish import publish as do_publish

    store = ctx.open_store()
    try:
        wards, _origin = _wards(ctx, store, wards_file)
        report = do_publish(ctx.config, store, now=now(), wards=wards, out=Path(out) if out else None, dry_run=dry_run)
        if not dry_run:
            report.deliveries = _deliver_after_publish(ctx, store, report, wards)
        return report
    finally:
        store.close()


def _deliver_after_publish(ctx: Context, store: Store, report: Any, wards: Any) -> dict[str, Any] | None:
    """Deliveries run once the files are in place; whatever happens to them, publish has succeeded."""
    config = ctx.config
    if report.snapshot is None or not (config.destinations or any(w.email or w.webhook for w in wards)):
        return None
    from worker.clock import now
    from worker.delivery.run import after_publish

    try:
        with _fetcher(config) as fetcher:
            return after_publish(config, store, report.snapshot, fetcher, now=now(), wards=wards).as_json()
    except Exception as exc:  # a delivery bug must not turn a completed publish into a failed one
        return {"errors": [f"deliveries did not run: {exc}"]}


def _print_publish(report: Any, *, as_json: bool) -> None:
    if as_json:
        emit_json(report.as_json())
        return
    verb = "would write" if report.dry_run else "wrote"
    click.echo(
        f"{report.out}: {verb} {len(report.written)} files, {report.unchanged} unchanged, "
        f"{'would remove' if report.dry_run else 'removed'} {len(report.removed)}; "
        f"{len(report.packs)} packs, {report.items} items, {report.wards} ward feeds ({report.seconds:.2f}s)"
    )
    for path in report.written[:20]:
        click.echo(f"  + {path}")
    if len(report.written) > 20:
        click.echo(f"  … and {len(report.written) - 20} more")
    for path in report.removed:
        click.echo(f"  - {path}")
    if report.queues.get("wards"):
        counts = report.queues
        moves = ", ".join(
            f"{counts[k]} {k}" for k in ("added", "moved", "updated", "removed", "unplaced") if counts.get(k)
        )
        click.echo(f"queues: {counts['wards']} wards, {counts['entries']} entries ({moves or 'no changes'})")
    for error in report.tts_errors:
        click.echo(f"  TTS: {error}", err=True)
    if report.deliveries:
        _print_deliveries_run(report.deliveries)


@main.command()
@click.option("--dry-run", is_flag=True, help="Render and report what would change; write nothing.")
@click.option("--out", metavar="DIR", help="Write here instead of the config's outputs folder.")
@_WARDS_FILE
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def publish(ctx: Context, dry_run: bool, out: str | None, wards_file: str | None, as_json: bool) -> None:
    """Publish every pack to outputs/site (the city site) and outputs/feeds (one Atom + JSON feed per ward).

    Only approved items (their last approved revision) appear; withdrawn and expired ones disappear.
    Unchanged files are not rewritten; each changed file is replaced atomically.
    """
    with loa_errors():
        with run_lock(ctx, "publish") as locked:
            if not locked:
                sys.exit(EXIT_FAILED)
            report = _run_publish(ctx, wards_file=wards_file, out=out, dry_run=dry_run)
        _print_publish(report, as_json=as_json)


@main.command()
@_WARDS_FILE
@click.option("--json", "as_json", is_flag=True, help="Print sync, pack and publish results as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless a source failed.")
@click.pass_obj
def run(ctx: Context, wards_file: str | None, as_json: bool, quiet: bool) -> None:
    """The cron entry point: sync due sources, link them into stories, build a pack if one is due, publish.

    Holds the same lock as `loa sync`; a second run while one is in progress exits 0 at once.
    """
    from worker.clock import now
    from worker.pack_actions import build_if_due
    from worker.views import report_json

    with loa_errors():
        config = ctx.config
        with run_lock(ctx, "run") as locked:
            if not locked:
                return
            report = _with_links(ctx, _run_sync(ctx, config, source_ids=(), force=False, show_progress=False))
            store = ctx.open_store()
            try:
                built = build_if_due(store, config, now=now())
            finally:
                store.close()
            published = _run_publish(ctx, wards_file=wards_file, out=None, dry_run=False)
        if as_json:
            emit_json({"sync": report_json(report), "pack": built, "publish": published.as_json()})
            return
        _print_sync(report, config, as_json=False, quiet=quiet)
        if quiet:
            return
        if built:
            click.echo(f"\nBuilt pack số {built['number']}: {built['title']} ({len(built['stories'])} stories)")
        click.echo("")
        _print_publish(published, as_json=False)


# -- ward desk: tokens, acks, serve ----------------------------------------------------------------


@wards_group.command("token")
@click.argument("ward_id")
@_WARDS_FILE
@click.option("--as", "reviewer", metavar="NAME", help="Who issues it, kept with the token (default: your OS user).")
@click.pass_obj
def wards_token(ctx: Context, ward_id: str, wards_file: str | None, reviewer: str | None) -> None:
    """Issue (or rotate) WARD_ID's desk and API token and print it on the last line.

    Only its sha256 hash is stored: a lost token cannot be shown again, only replaced. The old
    token stops working at once and every open desk session of the ward ends.
    """
    from worker.clock import now
    from worker.tokens import digest, new_secret

    with loa_errors():
        actor = _actor(reviewer)
        store = ctx.open_store()
        try:
            ward = _ward(ctx, store, wards_file, ward_id)
            rotated = store.ward_token(ward.id) is not None
            token = new_secret()
            store.set_ward_token(ward.id, ward.name, digest(token), now=now(), by=actor.reviewer)
        finally:
            store.close()
        click.echo(f"{'Rotated' if rotated else 'Issued'} the desk token of {ward.name} ({ward.id}).", err=True)
        if rotated:
            click.echo("The previous token no longer works; its desk sessions are closed.", err=True)
        click.echo(
            f"Desk: /ward/{ward.id}/   API: /api/wards/{ward.id}/queue (Authorization: Bearer <token>)", err=True
        )
        click.echo(token)


def _ack_print(outcome: Any, *, as_json: bool, tz: Any) -> None:
    if as_json:
        emit_json(outcome.as_json())
        return
    from worker.desk import state_label

    for entry in outcome.entries:
        mark = "changed" if entry["id"] in outcome.changed else "unchanged"
        forced = " (forced)" if entry["id"] in outcome.forced else ""
        click.echo(
            f"{entry['id']}  {entry['date']} {entry['slot']} #{entry['position']}  {state_label(entry, tz)}  [{mark}{forced}]"
        )
    click.echo(f"{len(outcome.changed)} changed, {len(outcome.unchanged)} already so.")


def _ack_refused(refused: Any, *, as_json: bool) -> None:
    if as_json:
        emit_json({"ok": False, "status": refused.status, "errors": [p.as_json() for p in refused.problems]})
    for problem in refused.problems:
        click.echo(f"Error: {problem.label}: {problem.message}", err=True)
    click.echo("Nothing changed.", err=True)
    sys.exit(EXIT_FAILED)


@main.group("queue")
def queue_group() -> None:
    """Ward loudspeaker queues: `show` and `plan` what each slot airs (`loa publish` fills them),
    and acknowledge what aired (`ack`, `import-acks`, `acks`)."""


@queue_group.command("ack")
@click.argument("ward_id")
@click.argument("entries", nargs=-1, metavar="[ENTRY]...")
@click.option("--slot", metavar="YYYY-MM-DD_HHMM", help="Every entry of this slot (local time).")
@click.option(
    "--aired-at", metavar="TIME", help="When it aired: ISO 8601, 'YYYY-MM-DD HH:MM' or HH:MM (local; default now)."
)
@click.option("--skipped", is_flag=True, help="Mark as not aired (không phát); needs --reason.")
@click.option("--reason", default="", help="Why it did not air.")
@click.option("--force", is_flag=True, help="Overwrite a different earlier ack (aired ↔ skipped, another time).")
@click.option("--as", "reviewer", metavar="NAME", help="Who reports it, kept in the ack log (default: your OS user).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_ack(
    ctx: Context,
    ward_id: str,
    entries: tuple[str, ...],
    slot: str | None,
    aired_at: str | None,
    skipped: bool,
    reason: str,
    force: bool,
    reviewer: str | None,
    as_json: bool,
) -> None:
    """Mark ENTRY ids (or a unique prefix) or a whole --slot of WARD_ID as aired, or --skipped.

    All or nothing: an unknown entry, a time in the future or before the slot, or a conflict with an
    earlier ack (without --force) changes nothing. Replaying the same ack changes nothing and exits 0.
    """
    from datetime import datetime

    from worker.ack_actions import AckRefused, Actor, record, resolve_refs
    from worker.acks import Ack, parse_moment, parse_slot_ref
    from worker.clock import now

    with loa_errors():
        tz = ctx.config.timezone
        if not entries and not slot:
            fail("give ENTRY ids, or --slot YYYY-MM-DD_HHMM")
        if skipped and not reason.strip():
            fail("--skipped needs --reason")
        if skipped and aired_at:
            fail("--aired-at is for aired entries; --skipped takes --reason")
        try:
            slot_ref = parse_slot_ref(slot) if slot else None
            moment = parse_moment(aired_at, tz) if aired_at else None
        except ValueError as exc:
            fail(str(exc))
        actor = _actor(reviewer)
        store = ctx.open_store()
        try:
            try:
                ids = resolve_refs(store, ward_id, list(entries), slot_ref)
                acks = [
                    Ack(
                        ward_id,
                        entry_id,
                        "skipped" if skipped else "aired",
                        moment if isinstance(moment, datetime) else None,
                        None if moment is None or isinstance(moment, datetime) else moment,
                        "now",
                        reason,
                        entry_id,
                    )
                    for entry_id in ids
                ]
                # No run lock: the desk server writes acks too, and SQLite's BEGIN IMMEDIATE orders the writers.
                outcome = record(
                    store, acks, actor=Actor("cli", actor.reviewer, actor.os_user), now=now(), tz=tz, force=force
                )
            except AckRefused as refused:
                _ack_refused(refused, as_json=as_json)
        finally:
            store.close()
        _ack_print(outcome, as_json=as_json, tz=tz)


@queue_group.command("import-acks")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--check", is_flag=True, help="Validate every row against the database; change nothing.")
@click.option("--as", "reviewer", metavar="NAME", help="Who imports it, kept in the ack log (default: your OS user).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_import_acks(ctx: Context, file: str, check: bool, reviewer: str | None, as_json: bool) -> None:
    """Load a ward's sheet of acks (CSV: UTF-8 with or without BOM, or Excel's cp1258; `,` or `;`).

    Columns: ward, then entry — or date, slot and optional order — then status (aired, skipped, đã phát,
    không phát), aired_at (blank: the slot's start) and reason. All or nothing: any bad row is reported
    with its row number and nothing changes.
    """
    from worker.ack_actions import AckRefused, Actor, record, sheet_acks
    from worker.acks import read_sheet
    from worker.clock import now

    with loa_errors():
        tz = ctx.config.timezone
        actor = _actor(reviewer)
        rows, problems = read_sheet(Path(file).read_bytes())
        store = ctx.open_store()
        try:
            try:
                acks, more = sheet_acks(store, rows, tz)
                problems += more
                if problems:
                    # Decide the rows that did parse as well, so one pass reports every bad row.
                    record(
                        store, acks, actor=Actor("csv", actor.reviewer, actor.os_user), now=now(), tz=tz, known=problems
                    )
                if check:
                    with store.transaction():
                        # Decide for real, then roll back: --check reports exactly what an import would refuse.
                        record(store, acks, actor=Actor("csv", actor.reviewer, actor.os_user), now=now(), tz=tz)
                        raise _Rollback
                outcome = record(store, acks, actor=Actor("csv", actor.reviewer, actor.os_user), now=now(), tz=tz)
            except AckRefused as refused:
                _ack_refused(refused, as_json=as_json)
            except _Rollback:
                click.echo(f"{file}: OK ({len(rows)} rows, {len(acks)} entries); nothing changed (--check).")
                return
        finally:
            store.close()
        _ack_print(outcome, as_json=as_json, tz=tz)


class _Rollback(Exception):
    """Raised inside a transaction to undo it on purpose."""


@queue_group.command("acks")
@click.argument("ward_id", required=False)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_acks(ctx: Context, ward_id: str | None, limit: int, as_json: bool) -> None:
    """The ack log, newest last: who marked what, from where (cli, csv, web, api), and what it replaced."""
    from worker.views import local, table

    with loa_errors():
        store = ctx.open_store()
        try:
            rows = store.ack_log(ward=ward_id, limit=limit)
        finally:
            store.close()
        if as_json:
            emit_json(rows)
            return
        tz = ctx.config.timezone
        click.echo(
            table(
                [
                    [
                        local(r["at"], tz),
                        r["ward"],
                        r["entry"][:12],
                        f"{r['from_status']}→{r['to_status']}" + (" (forced)" if r["forced"] else ""),
                        local(r["aired_at"], tz) if r["aired_at"] else (r["reason"] or ""),
                        r["source"],
                        r["actor"] + (f" ({r['os_user']})" if r["os_user"] else ""),
                    ]
                    for r in rows
                ],
                ["at", "ward", "entry", "change", "aired / reason", "source", "by"],
            )
        )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--https", "behind_https", is_flag=True, help="A TLS reverse proxy fronts this server: Secure cookies.")
@click.option(
    "--public-origin", metavar="URL", default="", help="The address users type, when the proxy rewrites Host."
)
@click.option("--quiet", "-q", is_flag=True, help="Do not log requests.")
@click.pass_obj
def serve(ctx: Context, host: str, port: int, behind_https: bool, public_origin: str, quiet: bool) -> None:
    """Serve outputs/ (ETag, 304s), the ward desk at /ward/<id>/ and the API at /api/wards/<id>/."""
    from worker.server import Settings, log_to_stderr, make_server

    with loa_errors():
        config = ctx.config
        settings = Settings(
            db_path=ctx.db_path,
            outputs=config.outputs_path.resolve(),
            tz=config.timezone,
            secure_cookies=behind_https,
            public_origin=public_origin,
        )
        if not quiet:
            log_to_stderr()
        httpd = make_server(settings, host, port)
        bound_host, bound_port = httpd.server_address[:2]
        click.echo(
            f"Serving {settings.outputs} and the ward desk at http://{bound_host!s}:{bound_port}/ (Ctrl-C stops)"
        )
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            httpd.server_close()


# -- deliveries -------------------------------------------------------------------------------------


def _print_deliveries_run(data: dict[str, Any]) -> None:
    counts = {k: len(data.get(k) or []) for k in ("enqueued", "sent", "retrying", "failed", "waiting")}
    click.echo(
        f"deliveries: {counts['enqueued']} new, {counts['sent']} sent, {counts['retrying']} to retry, "
        f"{counts['failed']} failed, {counts['waiting']} waiting"
    )
    for key, mark in (("sent", "+"), ("retrying", "~"), ("failed", "!"), ("waiting", ".")):
        for label in data.get(key) or []:
            click.echo(f"  {mark} {label}")
    for error in data.get("errors") or []:
        click.echo(f"  ! {error}")


def _send_pending(ctx: Context, ids: tuple[int, ...]) -> dict[str, Any]:
    from worker.clock import now
    from worker.delivery.run import send_due

    store = ctx.open_store()
    try:
        wards, _origin = _wards(ctx, store, None)
        with _fetcher(ctx.config) as fetcher:
            return send_due(ctx.config, store, fetcher, now=now(), wards=wards, ids=ids).as_json()
    finally:
        store.close()


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def deliver(ctx: Context, as_json: bool) -> None:
    """Send the deliveries that are due (pack pushes and ward notices recorded by publish), nothing else.

    Exit 0 even when some fail: failures are retried on later runs and listed by `loa deliveries list --failed`.
    """
    with loa_errors():
        with run_lock(ctx, "deliver") as locked:
            if not locked:
                return
            data = _send_pending(ctx, ())
        emit_json(data) if as_json else _print_deliveries_run(data)


@main.group("deliveries")
def deliveries_group() -> None:
    """The delivery log: pack pushes to destinations and notices to wards, with every attempt."""


def _delivery_json(row: dict[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        **{k: v for k, v in row.items() if k != "body"},
        "bytes": len(row["body"] or b""),
        "attempt_log": attempts,
    }


@deliveries_group.command("list")
@click.option("--failed", is_flag=True, help="Only deliveries that gave up (after the retry cap or a 4xx).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def deliveries_list(ctx: Context, failed: bool, limit: int, as_json: bool) -> None:
    """List deliveries, newest first, with status, attempts and the last error."""
    from worker.views import local, table

    with loa_errors():
        store = ctx.open_store()
        try:
            rows = store.deliveries(status="failed" if failed else None, limit=limit)
            data = [_delivery_json(r, store.delivery_attempts(int(r["id"]))) for r in rows]
        finally:
            store.close()
        if as_json:
            emit_json(data)
            return
        tz = ctx.config.timezone
        lines = [
            [
                str(r["id"]),
                r["channel"],
                r["destination"],
                r["summary"],
                r["status"] + (f" (HTTP {r['last_status']})" if r["last_status"] else ""),
                str(r["attempts"]),
                local(r["sent_at"], tz) if r["status"] == "sent" else local(r["next_attempt_at"], tz),
            ]
            for r in data
        ]
        click.echo(table(lines, ["id", "channel", "to", "what", "status", "tries", "sent / next"]))
        for r in data:
            if r["status"] != "sent" and r["last_error"]:
                click.echo(f"\n#{r['id']} {r['destination']}: {r['last_error']}")
        if not data:
            click.echo("no deliveries" + (" failed" if failed else ""))


@deliveries_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Every failed or pending delivery.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def deliveries_retry(ctx: Context, ids: tuple[int, ...], retry_all: bool, as_json: bool) -> None:
    """Send failed (or waiting) deliveries ID... again now, with their recorded body and key."""
    from worker.clock import now

    with loa_errors():
        if bool(ids) == retry_all:
            fail("give delivery ids or --all (not both)", EXIT_CONFIG)
        with run_lock(ctx, "deliveries retry") as locked:
            if not locked:
                sys.exit(EXIT_FAILED)
            store = ctx.open_store()
            try:
                reopened = store.reopen_deliveries(ids, now=now())
            finally:
                store.close()
            missing = sorted(set(ids) - set(reopened))
            if missing:
                click.echo(f"not failed or pending (left alone): {', '.join(map(str, missing))}", err=True)
            data = _send_pending(ctx, tuple(reopened)) if reopened else {}
        emit_json(data) if as_json else _print_deliveries_run(data)


# -- media files and alerts -----------------------------------------------------------------------------


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} B"


@main.group("media")
def media_group() -> None:
    """Images and documents items point at, downloaded into the media folder by sync."""


@media_group.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "ok", "failed", "off-domain"]),
    help="Only files in this state (failed: gave up or will retry at the next sync).",
)
@click.option("--source", "source_id", help="Only files of this source.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def media_list(ctx: Context, status: str | None, source_id: str | None, limit: int, as_json: bool) -> None:
    """List media files, newest first, with their state, size and last error; totals by state first."""
    from worker.views import media_json, table

    with loa_errors():
        store = ctx.open_store()
        try:
            rows = store.media_list(status=status, source_id=source_id, limit=limit)
            summary = store.media_summary()
        finally:
            store.close()
        data = [{"id": r["id"], "item": r["item_id"], "source": r["source_id"], **media_json(r)} for r in rows]
        if as_json:
            emit_json({"summary": summary, "media": data})
            return
        click.echo(
            "  ".join(f"{k}: {v['files']} ({_size(v['bytes'])})" for k, v in sorted(summary.items())) or "no media"
        )
        if data:
            lines = [
                [
                    str(r["id"]),
                    r["source"],
                    r["role"] or "",
                    r["status"],
                    _size(int(r["bytes"] or 0)),
                    str(r["attempts"]),
                    r["url"],
                ]
                for r in data
            ]
            click.echo(table(lines, ["id", "source", "role", "status", "size", "tries", "url"]))
        for r in data:
            if r["status"] in ("failed", "off-domain") and r["error"]:
                click.echo(f"\n#{r['id']} {r['url']}: {r['error']}")


@media_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def media_retry(ctx: Context, ids: tuple[int, ...], as_json: bool) -> None:
    """Give failed downloads (ID..., or all of them) a fresh set of attempts at the next sync."""
    with loa_errors():
        with run_lock(ctx, "media retry") as locked:
            if not locked:
                sys.exit(EXIT_FAILED)
            store = ctx.open_store()
            try:
                reopened = store.media_reopen(list(ids))
            finally:
                store.close()
        missing = sorted(set(ids) - set(reopened))
        if as_json:
            emit_json({"reopened": reopened, "not_failed": missing})
            return
        click.echo(f"{len(reopened)} download(s) will be tried again at the next sync")
        if missing:
            click.echo(f"not failed (left alone): {', '.join(map(str, missing))}", err=True)


@media_group.command("prune")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def media_prune(ctx: Context, dry_run: bool, as_json: bool) -> None:
    """Remove files in the media folder that no item points at, and temp files a killed download left.

    Takes the run lock, so a sync writing new files at the same moment is never pruned. Published pages keep
    their own copies under outputs/, so pruning never breaks the site.
    """
    from worker.files import leftover_files, remove_files

    with loa_errors():
        with run_lock(ctx, "media prune") as locked:
            if not locked:
                sys.exit(EXIT_FAILED)
            store = ctx.open_store()
            try:
                found = leftover_files(ctx.config.media_path, store.media_paths())
            finally:
                store.close()
            if not dry_run:
                remove_files(ctx.config.media_path, [path for path, _size in found])
        total = sum(size for _path, size in found)
        if as_json:
            emit_json({"dry_run": dry_run, "removed": [p for p, _s in found], "bytes": total})
            return
        for path, size in found:
            click.echo(f"{'would remove' if dry_run else 'removed'} {path} ({_size(size)})")
        click.echo(f"{len(found)} file(s), {_size(total)}" + (" (dry run: nothing removed)" if dry_run else " freed"))


@main.command("alerts")
@click.option("--source", "source_id", help="Only alerts about this source.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def alerts_command(ctx: Context, source_id: str | None, limit: int, as_json: bool) -> None:
    """Source health alerts sent (or suppressed by the rate limit), newest first."""
    from worker.views import local, table

    with loa_errors():
        store = ctx.open_store()
        try:
            rows = store.alerts(source_id, limit)
        finally:
            store.close()
        if as_json:
            emit_json(rows)
            return
        if not rows:
            click.echo("no alerts" + (f" for {source_id}" if source_id else ""))
            return
        tz = ctx.config.timezone
        lines = [
            [
                local(r["at"], tz),
                r["source_id"],
                f"{r['from_health']} → {r['to_health']}",
                r["status"],
                r["reason"] or "",
            ]
            for r in rows
        ]
        click.echo(table(lines, ["at", "source", "health", "alert", "reason"]))


# -- ward broadcast queues ------------------------------------------------------------------------------


def _minutes(seconds: int | None) -> str:
    from worker.publish_queue import clock

    return "-" if seconds is None else clock(int(seconds))


@queue_group.command("show")
@click.argument("ward_id")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Only this day.")
@_WARDS_FILE
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_show(ctx: Context, ward_id: str, day: str | None, wards_file: str | None, as_json: bool) -> None:
    """A ward's saved queue: slots with running times, entries with priority and status (aired/skipped by acks)."""
    from datetime import date

    from worker.queues import show

    with loa_errors():
        try:
            on = date.fromisoformat(day) if day else None
        except ValueError:
            fail(f"--date {day!r} is not a date; write YYYY-MM-DD", EXIT_CONFIG)
        store = ctx.open_store()
        try:
            ward = _ward(ctx, store, wards_file, ward_id)
            data = show(ctx.config, store, ward, day=on)
        finally:
            store.close()
        if as_json:
            emit_json(data)
            return
        click.echo(f"{ward.name} ({ward.id}): {len(data['slots'])} slots with entries")
        if not ward.slots:
            click.echo("This ward has no slots: add `slots:` to its entry to give it a loudspeaker queue.")
        for slot in data["slots"]:
            count = len(slot["entries"])
            click.echo(
                f"\n{slot['date']} {slot['slot']}  running {slot['running']} of {_minutes(slot['slot_seconds'])}"
                f"  ({count} {'entry' if count == 1 else 'entries'})"
            )
            for entry in slot["entries"]:
                click.echo(
                    f"  {entry['order']:>2}. [{entry['status']:<7}] {entry['priority']:<8} "
                    f"{_minutes(entry['seconds']):>5}  {_cut(entry['title'], 70)}"
                )


@queue_group.command("plan")
@click.option("--days", type=click.IntRange(min=1), default=2, show_default=True, help="How many days to show.")
@_WARDS_FILE
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def queue_plan(ctx: Context, days: int, wards_file: str | None, as_json: bool) -> None:
    """Dry run: every ward's schedule as the next publish would fill it (date × slot); writes nothing."""
    from worker.clock import now
    from worker.queues import preview
    from worker.views import table

    with loa_errors():
        store = ctx.open_store()
        try:
            wards, _origin = _wards(ctx, store, wards_file)
            data = preview(ctx.config, store, wards, now=now(), days=days)
        finally:
            store.close()
        if as_json:
            emit_json(data)
            return
        rows = [
            [
                r["ward"],
                r["date"],
                r["slot"],
                "quiet" if r["quiet"] else str(r["stories"]),
                f"{_minutes(r['seconds'])} / {_minutes(r['slot_seconds'])}",
                f"{_minutes(r['day_seconds'])} / {_minutes(r['daily_cap_seconds'])}",
            ]
            for r in data["slots"]
        ]
        click.echo(table(rows, ["ward", "date", "slot", "stories", "used / slot", "day / cap"]))
        changes = ", ".join(f"{v} {k}" for k, v in data["changes"].items() if k != "entries" and v)
        click.echo(f"\n{days} days from {data['from']}; the next publish would make: {changes or 'no changes'}")


# -- campaign report (issue 9) ------------------------------------------------------------------------

REPORT_FORMATS = ("docx", "md", "csv", "html")


def _report_period(ctx: Context, since: str | None, until: str | None) -> tuple[Any, Any]:
    """--from/--to (YYYY-MM-DD or DD/MM/YYYY, local), else the campaign's start and end."""
    campaign = ctx.config.campaign
    start = _parse_day(since, ctx.config).date() if since else (campaign.start if campaign else None)
    end = _parse_day(until, ctx.config).date() if until else (campaign.end if campaign else None)
    if start is None or end is None:
        fail("no campaign: in the config; pass --from and --to", EXIT_CONFIG)
    if end < start:
        fail(f"--to {end:%Y-%m-%d} is before --from {start:%Y-%m-%d}", EXIT_CONFIG)
    return start, end


def _build_report(ctx: Context, store: Store, since: Any, until: Any, ward_id: str | None) -> Any:
    """Read everything the report needs (database, outputs/), then compute it in worker.report."""
    from worker.clock import now
    from worker.dates import iso_utc
    from worker.report import ReportInputs, SourceInfo, build_report, letterhead, period_bounds
    from worker.report_site import read_outputs

    config = ctx.config
    wards, origin = _wards(ctx, store, None)
    scope = _ward_in(wards, origin, ward_id, EXIT_CONFIG) if ward_id else None
    campaign = config.campaign
    start, end = period_bounds(since, until, config.timezone)
    entries = store.report_queue_entries(f"{since:%Y-%m-%d}", f"{until:%Y-%m-%d}", ward_id)
    inputs = ReportInputs(
        campaign=campaign.name if campaign else "Chiến dịch tuyên truyền phòng chống lừa đảo trực tuyến",
        since=since,
        until=until,
        due=campaign.report_due if campaign else None,
        now=now(),
        tz=config.timezone,
        letterhead=letterhead(
            config.report, campaign.issuer if campaign else "", campaign.recipient if campaign else "", scope
        ),
        sources=tuple(SourceInfo(s.id, s.name, s.agency) for s in config.sources),
        topics=config.topics,
        wards=tuple(wards),
        ward_scope=scope,
        item_rows=store.report_items(iso_utc(start), iso_utc(end)),
        source_names={**store.source_names(), **{s.id: s.name for s in config.sources}},
        packs=store.report_packs(),
        outputs=read_outputs(config.outputs_path),
        entries=entries,
        story_topics=store.story_topics(sorted({str(e["story"]) for e in entries})),
        figure_rows=store.report_figures(),
    )
    return build_report(inputs)


def _render_report(report: Any, fmt: str) -> bytes:
    from worker.report_chart import chart_png
    from worker.report_docx import docx_bytes
    from worker.report_text import csv_bytes, html_bytes, markdown_bytes

    if fmt == "docx":
        return docx_bytes(report, chart_png(report))
    if fmt == "html":
        return html_bytes(report, chart_png(report))
    return csv_bytes(report) if fmt == "csv" else markdown_bytes(report)


def _print_due_check(check: Any, remind_days: int) -> None:
    if check.due is None:
        click.echo("No campaign.report_due in the config: nothing to check.")
        return
    when = f"due {check.due:%d/%m/%Y}" + (
        f", in {check.days_left} day(s)" if check.days_left > 0 else (" today" if check.days_left == 0 else ", PAST")
    )
    if not check.reminding:
        click.echo(f"Report {when}; reminders start {remind_days} days before. Nothing to do yet.")
        return
    if not check.wards:
        click.echo(f"Report {when}: every ward has reported its past slots.")
        return
    click.echo(f"Report {when}: {len(check.wards)} wards have unreported slots.")
    for row in check.wards:
        click.echo(
            f"{row.id}: {row.name} chưa báo cáo {row.unreported} lượt phát đã qua giờ"
            f" (đã phát {row.aired}, không phát {row.skipped})"
        )


@main.group("report", invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="docx", show_default=True)
@click.option(
    "--out", metavar="PATH", help="File to write (default: reports/bao-cao-<scope>-<date>.<format> next to the config)."
)
@click.option("--from", "since", metavar="DATE", help="First day (default: campaign.start).")
@click.option("--to", "until", metavar="DATE", help="Last day (default: campaign.end).")
@click.option(
    "--ward", "ward_id", metavar="WARD", help="The same report for one ward, issued by its People's Committee."
)
@click.option("--check", is_flag=True, help="List wards with unreported past slots near report_due; exit 1 when any.")
@click.pass_context
def report_group(
    click_ctx: click.Context,
    fmt: str,
    out: str | None,
    since: str | None,
    until: str | None,
    ward_id: str | None,
    check: bool,
) -> None:
    """The campaign results report (docx, md, csv, html) from the database, in Vietnamese.

    Other channels (radio/TV, social media) come from `loa report add-figure`, printed with who reported them.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    from worker.publish import write_atomic
    from worker.report import default_filename, due_check

    ctx: Context = click_ctx.obj
    with loa_errors():
        start, end = _report_period(ctx, since, until)
        store = ctx.open_store()
        try:
            report = _build_report(ctx, store, start, end, ward_id)
        finally:
            store.close()
        if check:
            result = due_check(report, remind_days=ctx.config.report.remind_days)
            _print_due_check(result, ctx.config.report.remind_days)
            sys.exit(EXIT_FAILED if result.failing else EXIT_OK)
        data = _render_report(report, fmt)
        target = Path(out) if out else ctx.config.folder / "reports" / default_filename(report, fmt)
        write_atomic(target.resolve(), data)
        click.echo(
            f"{target}: {len(data)} bytes ({fmt}, {len(report.wards)} wards, {len(report.not_reported)} not reported)"
        )


@report_group.command("add-figure")
@click.argument("channel")
@click.option("--metric", required=True, help="What was counted, e.g. 'Số lượt phát sóng phóng sự'.")
@click.option(
    "--value", "value_text", required=True, metavar="N", help="The number: 1.234 and 12,5 (Vietnamese) or 1234."
)
@click.option("--source", "reported_by", required=True, help="Who reported it (a unit or a person).")
@click.option("--note", default="", help="A note printed with the figure.")
@click.option("--as", "reviewer", metavar="NAME", help="Who types it in (default: your OS user).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def report_add_figure(
    ctx: Context,
    channel: str,
    metric: str,
    value_text: str,
    reported_by: str,
    note: str,
    reviewer: str | None,
    as_json: bool,
) -> None:
    """Record a figure for a channel Loa does not run (city radio/TV, social media), with its provenance."""
    from worker.clock import now
    from worker.dates import iso_utc
    from worker.report import nfc, parse_figure_value

    with loa_errors():
        actor = _actor(reviewer)
        for name, text in (("CHANNEL", channel), ("--metric", metric), ("--source", reported_by)):
            if not text.strip():
                fail(f"{name} must not be empty", EXIT_CONFIG)
        row = {
            "channel": nfc(channel.strip()),
            "metric": nfc(metric.strip()),
            "value": parse_figure_value(value_text),
            "source": nfc(reported_by.strip()),
            "note": nfc(note.strip()),
            "recorded_at": iso_utc(now()),
            "recorded_by": actor.reviewer,
            "os_user": actor.os_user,
        }
        store = ctx.open_store()
        try:
            row["id"] = store.add_report_figure(row)
        finally:
            store.close()
        if as_json:
            emit_json(row)
        else:
            click.echo(
                f"figure {row['id']}: {row['channel']} – {row['metric']} = {value_text} (source: {row['source']})"
            )


@report_group.command("figures")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def report_figures(ctx: Context, as_json: bool) -> None:
    """The other-channel figures, with who reported them and who typed them in."""
    from worker.report import vn_decimal
    from worker.views import local, table

    with loa_errors():
        store = ctx.open_store()
        try:
            rows = store.report_figures()
        finally:
            store.close()
        if as_json:
            emit_json(rows)
            return
        tz = ctx.config.timezone
        click.echo(
            table(
                [
                    [
                        str(r["id"]),
                        r["channel"],
                        r["metric"],
                        vn_decimal(float(r["value"])),
                        r["source"],
                        local(r["recorded_at"], tz),
                        r["recorded_by"]
                        + (f" ({r['os_user']})" if r["os_user"] and r["os_user"] != r["recorded_by"] else ""),
                    ]
                    for r in rows
                ],
                ["id", "channel", "metric", "value", "source", "recorded", "by"],
            )
        )


# -- demo -----------------------------------------------------------------------------------------


@main.command()
@click.option(
    "--dir", "demo_dir", default="data/demo", show_default=True, help="Where the demo database and config go."
)
@click.option("--keep-serving", is_flag=True, help="Keep the sample server running until Ctrl-C.")
def demo(demo_dir: str, keep_serving: bool) -> None:
    """Run the pipeline end to end on bundled sample sources served from 127.0.0.1."""
    from worker.demo.runner import run_demo

    with loa_errors():
        run_demo(Path(demo_dir), echo=click.echo, run=_invoke, keep_serving=keep_serving)


def _invoke(args: list[str], env: dict[str, str]) -> int:
    """Run one `loa` command in-process, as a user would type it, and return its exit code."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        main.main(args=args, prog_name="loa", standalone_mode=False)
        return 0
    except SystemExit as exit_:
        return int(exit_.code or 0)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


Runner = Callable[[list[str], dict[str, str]], int]

if __name__ == "__main__":
    main()
