"""Runs the sync stages in order: fetch → parse → normalise → store. One failing source never stops the run.

Fetching and parsing run in worker threads; every database write happens on the calling thread, each source's
save queueing its new items for linking (`stories.link_pending`). Returns results; never prints.
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from worker.announce import announce
from worker.config import Config
from worker.downloads import download_media
from worker.errors import FetchError, LoaError, ParseError, SourceBroken
from worker.media import wanted_media
from worker.models import Entry, Fetched, Health, Item, RunStatus, Source, SourceResult
from worker.normalize import item_id, normalize_entry
from worker.review import RuleOutcome, evaluate
from worker.schedule import SourceState, after_run, is_due
from worker.sources import adapter_for
from worker.store import RuleHook, Store
from worker.urls import canonical_url

ProgressCallback = Callable[[SourceResult], None]
# Adapter + normalise for one body; `worker.parallel.ParsePool.parse` runs it in a worker process.
ParseFn = Callable[[Source, Fetched, tzinfo, datetime], tuple[Item, ...]]


class FetchesUrls:
    """What the pipeline needs from `worker.fetch.Fetcher` (tests may pass anything that fits)."""

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        respect_robots: bool = True,
        max_bytes: int | None = None,
        timeout: float | None = None,
        accept: str | None = None,
        user_agent: str | None = None,
    ) -> Fetched:  # pragma: no cover - protocol
        raise NotImplementedError

    def post_json(self, url: str, payload: dict[str, Any], timeout: float | None = None) -> int:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class Extraction:
    """What one source's fetch and parse produced, before anything is stored."""

    source: Source
    fetched: Fetched | None = None
    items: tuple[Item, ...] = ()
    error: LoaError | None = None
    body_hash: str | None = None
    unchanged_body: bool = False
    partial_errors: tuple[LoaError, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class SyncReport:
    started_at: datetime
    finished_at: datetime
    results: tuple[SourceResult, ...]
    network_down: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, int]:
        totals = {
            "sources": len(self.results),
            "new": 0,
            "updated": 0,
            "duplicates": 0,
        }
        for status in RunStatus:
            totals[status.value] = 0
        for result in self.results:
            totals["new"] += result.new
            totals["updated"] += result.updated
            totals["duplicates"] += result.duplicates
            totals[result.status.value] += 1
        return totals

    @property
    def failed(self) -> bool:
        return any(r.status is RunStatus.ERROR for r in self.results)


ACCEPT = {
    "feed": "application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
    "json": "application/json, */*;q=0.5",
    "html": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
}


def _accept(source: Source) -> str | None:
    if source.kind == "tiktok":
        return ACCEPT["feed"] if source.tiktok and source.tiktok.via == "rsshub" else ACCEPT["html"]
    return ACCEPT.get(source.kind)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def extract(
    source: Source,
    state: SourceState,
    fetcher: FetchesUrls,
    *,
    known_ids: set[str],
    now: datetime,
    tz: tzinfo,
    reparse: bool = False,
    parse: ParseFn | None = None,
) -> Extraction:
    """Fetch and parse one source. Thread-safe: touches no database. Never raises LoaError.

    `parse`, when given, does adapter + normalise for sources that fetch no article pages.
    """
    started = time.monotonic()
    try:
        fetched = fetcher.get(
            source.url,
            etag=state.etag,
            last_modified=state.last_modified,
            respect_robots=source.respect_robots,
            max_bytes=source.max_bytes,
            timeout=source.timeout_seconds,
            accept=_accept(source),
            user_agent=source.user_agent or None,
        )
        if fetched.not_modified:
            return Extraction(source, fetched=fetched, seconds=time.monotonic() - started)
        digest = body_hash(fetched.body or b"")
        if digest == state.body_hash and not reparse:
            return Extraction(
                source, fetched=fetched, body_hash=digest, unchanged_body=True, seconds=time.monotonic() - started
            )
        if source.kind == "tiktok":
            entries, partial = _tiktok(source, fetched, fetcher, known_ids, tz)
            items = tuple(normalize_entry(source, e, fetched_at=now, base_url=fetched.final_url) for e in entries)
        elif parse is not None and not _fetches_articles(source):
            items, partial = parse(source, fetched, tz, now), list[LoaError]()
        else:
            entries = adapter_for(source.kind)(source, fetched, tz)
            entries, partial = _enrich(source, entries, fetcher, known_ids, fetched, tz)
            items = tuple(normalize_entry(source, e, fetched_at=now, base_url=fetched.final_url) for e in entries)
        # Partial article failures keep the old body hash so the next run parses again.
        return Extraction(
            source,
            fetched=fetched,
            items=items,
            body_hash=None if partial else digest,
            partial_errors=tuple(partial),
            seconds=time.monotonic() - started,
        )
    except LoaError as error:
        return Extraction(source, error=error, seconds=time.monotonic() - started)


def _tiktok(
    source: Source, listing: Fetched, fetcher: FetchesUrls, known_ids: set[str], tz: tzinfo
) -> tuple[list[Entry], list[LoaError]]:
    """The TikTok adapter asks for oEmbed and video pages through this source's politeness settings."""
    from worker.sources.tiktok import parse_tiktok

    def follow(url: str) -> Fetched:
        return fetcher.get(
            url, respect_robots=source.respect_robots, max_bytes=source.max_bytes, timeout=source.timeout_seconds
        )

    return parse_tiktok(source, listing, tz, fetch=follow, seen=lambda guid: item_id(source.id, guid) in known_ids)


def _fetches_articles(source: Source) -> bool:
    return source.kind == "html" and source.html is not None and source.html.article is not None


def _enrich(
    source: Source,
    entries: list[Entry],
    fetcher: FetchesUrls,
    known_ids: set[str],
    listing: Fetched,
    tz: tzinfo,
) -> tuple[list[Entry], list[LoaError]]:
    """Fetch the article page of each entry not seen before (html sources with `article:`)."""
    if not _fetches_articles(source):
        return entries, []
    from worker.sources.html import parse_article

    enriched: list[Entry] = []
    errors: list[LoaError] = []
    for entry in entries:
        key = canonical_url(entry.url, listing.final_url)
        if item_id(source.id, entry.guid or key) in known_ids:
            enriched.append(entry)
            continue
        try:
            page = fetcher.get(
                entry.url,
                respect_robots=source.respect_robots,
                max_bytes=source.max_bytes,
                timeout=source.timeout_seconds,
                accept=ACCEPT["html"],
                user_agent=source.user_agent or None,
            )
            enriched.append(parse_article(source, entry, page, tz) if page.body else entry)
        except (FetchError, SourceBroken, ParseError) as error:
            # The item waits for the next run rather than being stored without its body.
            errors.append(error)
    if entries and not enriched and errors:
        raise errors[0]
    return enriched, errors


def sync(
    config: Config,
    store: Store,
    fetcher: FetchesUrls,
    *,
    now: datetime,
    source_ids: tuple[str, ...] = (),
    force: bool = False,
    on_result: ProgressCallback | None = None,
) -> SyncReport:
    """Fetch every due source (or the named ones), store what is new, and report per source."""
    sources = [config.source(sid) for sid in source_ids] if source_ids else [s for s in config.sources if s.enabled]
    store.register_sources(config.sources)
    states = store.source_states()
    results: dict[str, SourceResult] = {}
    due: list[Source] = []
    for source in sources:
        state = states.get(source.id, SourceState(id=source.id))
        if is_due(state, now, force=force or bool(source_ids)):
            due.append(source)
        else:
            result = SourceResult(
                source_id=source.id,
                status=RunStatus.SKIPPED,
                url=source.url,
                health=Health(state.health),
                health_reason=state.health_reason,
                health_action=state.health_action,
                extra={"next_due_at": state.next_due_at.isoformat() if state.next_due_at else None},
            )
            results[source.id] = result
            if on_result:
                on_result(result)

    # Each source is saved as soon as it is parsed and committed within half a second, so a kill -9
    # loses at most the sources in flight or not yet committed (their state too: the next run fetches
    # them again). Network errors wait for the end: only then is it known whether every source failed.
    # Big runs parse in worker processes (worker/parallel.py); every write stays on this thread.
    done = 0
    deferred: list[Extraction] = []
    if due:
        from worker.parallel import ParsePool, workers_for

        # Only sources that fetch follow-up pages (articles, TikTok oEmbed) use the ids they already have.
        known = {s.id: store.known_item_ids(s.id) for s in due if _fetches_articles(s) or s.kind == "tiktok"}
        workers = max(1, min(config.defaults.workers, len(due)))
        # A source with no validators yet (a first fetch) always answers with a body to parse.
        surely_parses = any(not _validators(states.get(s.id, SourceState(id=s.id))) for s in due)
        with (
            ParsePool(workers_for(len(due)), eager=surely_parses) as parse_pool,
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="loa-fetch") as pool,
            store.background_checkpoints(),
            store.grouped_commits() as commits,
            rare_young_collections(),
        ):

            def submit(index: int) -> Future[Extraction]:
                source = due[index]
                return pool.submit(
                    extract,
                    source,
                    states.get(source.id, SourceState(id=source.id)),
                    fetcher,
                    known_ids=known.get(source.id, set()),
                    now=now,
                    tz=config.timezone,
                    parse=parse_pool.parse if parse_pool.workers else None,
                )

            # Saves follow config (trust) order, so which copy founds a story never depends on
            # which server answered first; each is still saved as soon as its turn comes. At most
            # `window` sources are fetched ahead of the writer: when writing is the slow part, parsed
            # sources would otherwise pile up in memory (10,000 items: +100 MB).
            window = 2 * workers
            pending: dict[Future[Extraction], int] = {}
            arrived: dict[int, Extraction] = {}
            submitted = next_to_save = 0
            while next_to_save < len(due):
                while submitted < len(due) and submitted - next_to_save < window:
                    pending[submit(submitted)] = submitted
                    submitted += 1
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in finished:
                    arrived[pending.pop(future)] = future.result()
                while next_to_save in arrived:
                    extraction = arrived.pop(next_to_save)  # a saved source's body and items are freed
                    next_to_save += 1
                    done += 1
                    if _is_network_error(extraction):
                        deferred.append(extraction)
                        continue
                    commits.open()
                    results[extraction.source.id] = _save(config, store, extraction, states, now=now, count_error=True)
                    if on_result:
                        on_result(results[extraction.source.id])
                commits.commit_if_due()

    network_down = done >= 2 and len(deferred) == done
    for extraction in deferred:
        result = _save(config, store, extraction, states, now=now, count_error=not network_down)
        results[extraction.source.id] = result
        if on_result:
            on_result(result)
    if due and not network_down:
        media = download_media(config, store, fetcher, due, now=now)
        for source_id, counts in media.items():
            if source_id in results:
                results[source_id] = replace(results[source_id], extra={**results[source_id].extra, "media": counts})
    for source in due:
        if source.id in results:
            results[source.id] = announce(config, store, fetcher, states.get(source.id), results[source.id], now=now)
    ordered = tuple(results[s.id] for s in sources if s.id in results)
    return SyncReport(
        started_at=now,
        finished_at=now,
        results=ordered,
        network_down=network_down,
    )


# Young objects allowed between two collections while a sync runs (Python's default: 700).
SYNC_GC_THRESHOLD = 10_000


@contextmanager
def rare_young_collections(threshold: int = SYNC_GC_THRESHOLD) -> Iterator[None]:
    """Collect the youngest generation every `threshold` allocations instead of every 700, then restore.

    A big sync makes millions of short-lived objects (the parsed items arriving from the workers), none of them
    cyclic garbage worth finding sooner: at 700, collecting cost the writer thread 60–80 ms of a 10,000-item sync.
    """
    old = gc.get_threshold()
    gc.set_threshold(threshold, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _validators(state: SourceState) -> bool:
    return bool(state.etag or state.last_modified or state.body_hash)


def _is_network_error(extraction: Extraction) -> bool:
    return isinstance(extraction.error, FetchError) and extraction.error.kind == "network"


def _save(
    config: Config,
    store: Store,
    extraction: Extraction,
    states: dict[str, SourceState],
    *,
    now: datetime,
    count_error: bool,
) -> SourceResult:
    source = extraction.source
    state = states.get(source.id, SourceState(id=source.id))
    fetched = extraction.fetched
    error = extraction.error
    if error is None and extraction.partial_errors and not extraction.items:
        error = extraction.partial_errors[0]
    new_state = after_run(
        state,
        now=now,
        every_seconds=source.every_seconds,
        max_backoff_seconds=config.defaults.max_backoff_seconds,
        alert_after=config.defaults.alert_after,
        error=str(error) if error else None,
        error_kind=error.kind if error else None,
        count_error=count_error,
        # After a partial run the validators are not kept: a 304 would hide the items still missing.
        etag=fetched.etag if fetched and not extraction.partial_errors else None,
        last_modified=fetched.last_modified if fetched and not extraction.partial_errors else None,
        body_hash=extraction.body_hash,
        got_new=error is None and bool(extraction.items) and store.has_unknown_items([i.id for i in extraction.items]),
        stale_after_seconds=source.stale_after_seconds,
    )
    if error is not None:
        status = RunStatus.ERROR
    elif fetched is not None and (fetched.not_modified or extraction.unchanged_body):
        status = RunStatus.NOT_MODIFIED
    else:
        status = RunStatus.OK
    url = getattr(error, "url", "") or (fetched.final_url if fetched else source.url)
    result = SourceResult(
        source_id=source.id,
        status=status,
        seconds=extraction.seconds,
        error=error,
        url=url,
        health=Health(new_state.health),
        health_reason=new_state.health_reason,
        health_action=new_state.health_action,
        extra={"warnings": [str(e) for e in extraction.partial_errors]} if extraction.partial_errors else {},
    )

    final, _ = store.save_run(
        source,
        result,
        items=extraction.items,
        state=new_state,
        started_at=now,
        finished_at=now,
        http_status=fetched.status if fetched else getattr(error, "status", None),
        rules=rule_hook(config),
        # Media rows are recorded with the items; the downloads themselves never block saving an item.
        media=[w for item in extraction.items for w in wanted_media(item, source)],
    )
    return final


def rule_hook(config: Config) -> RuleHook | None:
    """Rules and topics from the config, run by the store on each new item inside the save's transaction."""
    if not config.rules and not config.topics:
        return None

    def decide(item: Item) -> RuleOutcome:
        text = "\n".join((item.title, item.summary, item.body_text))
        return evaluate(config.rules, config.topics, source_id=item.source_id, text=text)

    return decide


def dry_run_source(config: Config, source: Source, fetcher: FetchesUrls, *, now: datetime) -> Extraction:
    """Fetch and parse one source without storing anything, ignoring the saved state."""
    return extract(source, SourceState(id=source.id), fetcher, known_ids=set(), now=now, tz=config.timezone)
