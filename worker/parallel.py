"""Parses fetched bodies (adapter + normalise, both pure) in worker processes so a big sync uses every core.

Forked up front when a run surely parses, else spawned on first use (a run of 304s never pays for it);
each worker exits when its parent dies, so a kill -9 leaves nothing.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Executor
from datetime import datetime, tzinfo
from typing import Any

from worker.errors import LoaError
from worker.models import Fetched, Item, Source

# Below this many sources to fetch, worker start-up (~0.3 s) costs more than it saves.
MIN_SOURCES = 8
MAX_WORKERS = 4
ENV_WORKERS = "LOA_PARSE_WORKERS"  # 0 turns the pool off; N forces N workers whatever the run size


def parse_items(source: Source, fetched: Fetched, tz: tzinfo, now: datetime) -> tuple[Item, ...]:
    """Adapter + normalise for one fetched body. Pure; raises the adapter's LoaError."""
    from worker.normalize import normalize_entry
    from worker.sources import adapter_for

    entries = adapter_for(source.kind)(source, fetched, tz)
    return tuple(normalize_entry(source, e, fetched_at=now, base_url=fetched.final_url) for e in entries)


def workers_for(sources: int) -> int:
    """How many parse processes a run over `sources` sources should use (0: parse in the fetch threads)."""
    forced = os.environ.get(ENV_WORKERS, "").strip()
    if forced:
        try:
            return max(0, int(forced))
        except ValueError:
            return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cpus < 2 or sources < MIN_SOURCES:
        return 0
    return min(cpus, MAX_WORKERS)


class ParsePool:
    """Thread-safe: fetch threads call `parse`, which blocks until a worker process returns the items."""

    def __init__(self, workers: int, *, eager: bool = False) -> None:
        """`eager`: start the workers now, by fork, when the run is known to parse something.

        A forked worker starts in milliseconds with every module already imported (a spawned one
        imports them again: ~0.3 s of CPU each). Forking is only safe while this is the process's
        only thread, so it happens here, before any fetch thread starts; later starts spawn.
        """
        self.workers = workers
        self._lock = threading.Lock()
        self._executor: Executor | None = None
        self._method: str | None = None
        self._broken = False
        if eager and workers > 0 and threading.active_count() == 1 and _can_fork():
            self._executor = self._new_executor("fork")
            # Forks every worker now: a ProcessPoolExecutor on fork starts them at its first submit.
            self._executor.submit(os.getpid).result()

    @property
    def start_method(self) -> str | None:
        """'fork' or 'spawn' once the workers are started, else None."""
        return self._method

    def parse(self, source: Source, fetched: Fetched, tz: tzinfo, now: datetime) -> tuple[Item, ...]:
        executor = self._start()
        if executor is None:
            return parse_items(source, fetched, tz, now)
        from concurrent.futures.process import BrokenProcessPool  # only once the pool is running

        try:
            outcome = executor.submit(_parse_portable, source, fetched, tz, now).result()
        except BrokenProcessPool:
            # A worker died (out of memory, killed): finish this run in the fetch threads.
            self._broken = True
            return parse_items(source, fetched, tz, now)
        if isinstance(outcome, _PortableError):
            raise outcome.rebuild()
        return outcome

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None

    def _start(self) -> Executor | None:
        with self._lock:
            if self._broken or self.workers < 1:
                return None
            if self._executor is None:
                self._executor = self._new_executor("spawn")
            return self._executor

    def _new_executor(self, method: str) -> Executor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._method = method
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


class _PortableError:
    """A LoaError as plain data: its subclasses take keyword-only arguments, which pickle cannot rebuild."""

    def __init__(self, error: LoaError) -> None:
        self.cls = type(error)
        self.message = error.message
        self.state = dict(error.__dict__)

    def rebuild(self) -> LoaError:
        error = self.cls.__new__(self.cls)
        Exception.__init__(error, self.message)
        error.__dict__.update(self.state)
        return error


def _parse_portable(source: Source, fetched: Fetched, tz: tzinfo, now: datetime) -> Any:
    try:
        return parse_items(source, fetched, tz, now)
    except LoaError as error:
        return _PortableError(error)


def _start_worker(parent: int) -> None:
    """In each worker: free the parent's run lock and exit as soon as the parent is gone (kill -9 leaves no orphan)."""
    from worker.lock import close_inherited

    close_inherited()  # a forked worker must not keep the parent's run lock alive after a kill -9

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="loa-parent-watch", daemon=True).start()
