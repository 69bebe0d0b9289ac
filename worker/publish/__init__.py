"""The one writer of outputs/: gather approved packs, render site and feeds, replace changed files atomically.

New pages are written before the pages that link to them; files left from withdrawn items are removed last.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import itertools
import json
import os
import pickle
import secrets
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from worker.dates import from_iso, iso_utc
from worker.faults import crash_point
from worker.lock import close_inherited
from worker.publish.feeds import FeedsOutput, FeedState, render_site_feeds, ward_feed_files
from worker.publish.model import PublishedPack, Snapshot, pack_hash, pack_items, story_leads
from worker.publish.site import render_site
from worker.queues import WardQueueState, chunk_result, queue_audio, queue_files, refresh
from worker.wards import Ward

if TYPE_CHECKING:
    from worker.config import Config
    from worker.store import Store

MANIFEST = ".loa-publish.json"
STAGING = ".loa-publish.staging"  # present while changed files are staged: a kill leaves temp files to sweep
# Write order: things pages link to first, entry points (index, feeds) last.
_ORDER = (
    "site/assets/",
    "site/media/",
    "site/items/",
    "site/watch/",
    "site/topics/",
    "site/packs/",
    "site/archive",
    "site/index",
    "site/",
    "feeds/",
    "queues/",  # per ward: day files, slot scripts and audio (digits sort first), then index.html, playlist, queue.json
)


@dataclass
class PublishReport:
    out: Path
    dry_run: bool
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    packs: list[dict[str, Any]] = field(default_factory=list)
    items: int = 0
    wards: int = 0
    seconds: float = 0.0
    snapshot: Snapshot | None = None  # what was rendered: deliveries push exactly this
    deliveries: dict[str, Any] | None = None  # set by the delivery hook after the files are in place
    queues: dict[str, Any] = field(default_factory=dict)
    tts_errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        extra = {"deliveries": self.deliveries} if self.deliveries is not None else {}
        return {
            "out": str(self.out),
            "dry_run": self.dry_run,
            "written": self.written,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "packs": self.packs,
            "items": self.items,
            "wards": self.wards,
            "seconds": round(self.seconds, 3),
            "queues": self.queues,
            "tts_errors": self.tts_errors,
            **extra,
        }


def _order(path: str) -> tuple[int, str]:
    for rank, prefix in enumerate(_ORDER):
        if path.startswith(prefix):
            return rank, path
    return len(_ORDER), path


def media_lookup(rows: list[dict[str, Any]] | None, media_path: Path) -> dict[str, tuple[str, Path]]:
    """Remote URL → (site path, stored file) for media the store holds on disk; empty without a media table."""
    found: dict[str, tuple[str, Path]] = {}
    for row in rows or []:
        sha = str(row.get("sha256") or "")
        url = str(row.get("url") or "")
        if not sha or not url:
            continue
        stored = row.get("path")
        ext = str(row.get("ext") or row.get("extension") or "").lstrip(".")
        if not ext:
            ext = Path(str(stored or url).split("?")[0]).suffix.lstrip(".").lower() or "bin"
        source = media_path / str(stored) if stored else media_path / sha[:2] / f"{sha}.{ext}"
        if source.is_file():
            found[url] = (f"media/{sha}.{ext}", source)
    return found


def gather(
    config: Config, store: Store, *, now: datetime, wards: tuple[Ward, ...]
) -> tuple[Snapshot, list[dict[str, Any]], dict[str, Path]]:
    """The snapshot to render, the pack updates to record, and the media files to copy."""
    rows = store.approved_rows()
    leads = story_leads(rows, now)
    sources = {s.id: s for s in config.sources}
    members = store.pack_members()
    media_rows = store.media_rows()
    media = media_lookup(media_rows, config.media_path)
    packs: list[PublishedPack] = []
    updates: list[dict[str, Any]] = []
    for pack in store.packs():
        items, hidden = pack_items(
            members.get(int(pack["id"]), []), leads, sources, number=int(pack["number"]), title=pack["title"]
        )
        digest = pack_hash(items, pack["title"])
        if pack["status"] != "published":
            revision, published_at, updated_at = 1, now, now
        elif digest != pack["content_hash"]:
            revision, published_at, updated_at = int(pack["revision"]) + 1, from_iso(pack["published_at"]), now
        else:
            revision, published_at, updated_at = (
                int(pack["revision"]),
                from_iso(pack["published_at"]),
                from_iso(pack["updated_at"]),
            )
        if pack["status"] != "published" or digest != pack["content_hash"]:
            updates.append(
                {
                    "id": int(pack["id"]),
                    "status": "published",
                    "revision": revision,
                    "published_at": iso_utc(published_at),
                    "updated_at": iso_utc(updated_at),
                    "content_hash": digest,
                }
            )
        packs.append(
            PublishedPack(
                int(pack["id"]), int(pack["number"]), pack["title"], revision, published_at, updated_at, items, hidden
            )
        )
    packs.sort(key=lambda p: (p.published_at, p.number), reverse=True)
    shown_urls = {url for p in packs for i in p.items for url in (i.image, *(a.url for a in i.attachments)) if url}
    shown_urls |= {url for url in media if any(url in i.body_html for p in packs for i in p.items)}
    used = {url: media[url] for url in shown_urls if url in media}
    snapshot = Snapshot(
        site=config.site,
        packs=tuple(packs),
        topics=config.topics,
        wards=wards,
        media={url: site_path for url, (site_path, _src) in used.items()},
        has_media_store=media_rows is not None,
    )
    copies = {f"site/{site_path}": src for site_path, src in used.values()}
    return snapshot, updates, copies


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


_TEMP_TAG = f"{secrets.token_hex(4)}-"  # this process's temp names: `.{name}.{tag}{n}.tmp`, created exclusively
_TEMP_NUMBERS = itertools.count()


def stage(path: str, data: bytes) -> str:
    """Write data to a temp file in the destination's folder, to be moved into place by os.replace."""
    folder, _slash, name = path.rpartition("/")
    # As mkstemp does (O_EXCL, a name no one else uses), without its per-file name generation and file object.
    temp = f"{folder}/.{name}.{_TEMP_TAG}{next(_TEMP_NUMBERS)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        fd = os.open(temp, flags, 0o600)
    except FileNotFoundError:  # a new folder: made only then, not checked for each of ~19,000 files
        os.makedirs(folder, exist_ok=True)
        fd = os.open(temp, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, 0o644)
    except BaseException:
        os.close(fd)
        _unlink(temp)
        raise
    os.close(fd)
    return temp


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def write_all(target: Path, files: list[tuple[str, bytes]]) -> None:
    """Stage every file, flush them to disk once, then replace in order: each file is old or new, never half.

    One sync for the batch instead of an fsync per file keeps a national publish (thousands of feeds) fast.
    """
    staged: list[tuple[str, str]] = []
    try:
        for path, data in files:
            staged.append((stage(f"{target}/{path}", data), f"{target}/{path}"))
        replace_staged(staged)
    finally:
        for temp, _destination in staged:
            _unlink(temp)


def replace_staged(staged: list[tuple[str, str]], *, synced: bool = False) -> None:
    """One sync (unless the caller `synced` already), then each staged file moved into place in list order
    (popped, so a failure leaves the rest)."""
    if staged and not synced:
        os.sync()
    staged.reverse()
    while staged:
        temp, destination = staged.pop()
        os.replace(temp, destination)
        crash_point("replacing")


class _Writer:
    """Compares each rendered file with the one on disk and stages changed ones at once, so no publish holds
    every ward's files in memory; `commit` then syncs once and replaces them in `_ORDER` (as write_all does).
    """

    def __init__(self, target: Path, report: PublishReport, previous: dict[str, str]) -> None:
        self.target = target
        self.report = report
        self.previous = previous  # path → sha256 as the last completed publish wrote it
        self.hashes: dict[str, str] = {}
        self.staged: dict[str, str] = {}  # path → its temp file
        self.marker = target / STAGING
        self.marked = False
        self.helpers: list[_Helper] = []  # forked children not joined yet: stopped by `discard`

    def offer(self, path: str, data: bytes) -> None:
        digest = self.hashes[path] = hashlib.sha256(data).hexdigest()
        full = f"{self.target}/{path}"
        # The manifest says what the last publish wrote there: same digest and size, no need to read it back.
        if (digest == self.previous.get(path) and _size(full) == len(data)) or _same(full, data):
            self.report.unchanged += 1
            return
        self.report.written.append(path)
        if self.report.dry_run:
            return
        self.begin_staging()
        old = self.staged.pop(path, None)
        if old is not None:
            _unlink(old)
        self.staged[path] = stage(full, data)

    def staged_pairs(self) -> list[tuple[str, str]]:
        """(temp file, destination) of every file staged here, in the order they are replaced (`_ORDER`)."""
        return [(self.staged[path], f"{self.target}/{path}") for path in sorted(self.staged, key=_order)]

    def begin_staging(self) -> None:
        if not self.marked:
            # A publish killed while staging leaves this behind: the next one sweeps its temp files first.
            self.target.mkdir(parents=True, exist_ok=True)
            self.marker.touch()
            self.marked = True

    def commit(self) -> None:
        """One sync for every file staged here and by the helpers, then each process replaces its own files.

        A ward's files are all staged by one process, which replaces them in `_ORDER`: day files and scripts
        before the index that lists them. The helpers rename alongside this process (each rename waits on
        the disk: freeing the old file's blocks; the feeds helper, released once the rows were saved, may be
        done already), and the marker goes only when all of them are done.
        """
        self.report.written.sort(key=_order)
        pairs = self.staged_pairs()
        self.staged = {}
        helpers = list(self.helpers)
        waiting = [helper for helper in helpers if not helper.released]
        try:
            if pairs or waiting:
                os.sync()
            for helper in waiting:
                helper.release()
            replace_staged(pairs, synced=True)
        finally:
            for temp, _destination in pairs:
                _unlink(temp)
        for helper in helpers:
            helper.finish(self)
        self.marker.unlink(missing_ok=True)
        self.marked = False

    def discard(self) -> None:
        while self.helpers:
            self.helpers.pop().stop()
        for temp in self.staged.values():
            _unlink(temp)
        self.staged = {}


def _offer_queues(
    writer: _Writer,
    files: Iterable[tuple[str, dict[str, bytes], tuple[str, ...]]],
    before: dict[str, dict[str, str]],
    rendered: dict[str, bytes] | None,
) -> None:
    """Offer each planned ward's queue files; those kept as they are (`queue_files`) keep their manifest digests."""
    for ward_id, ward_files, kept in files:
        for path, data in ward_files.items():
            writer.offer(path, data)
            if rendered is not None:
                rendered[path] = data
        # Day files, slot scripts and print pages that read as they did: on disk as the manifest says, not rendered.
        for name in kept:
            writer.hashes[f"queues/{ward_id}/{name}"] = before[ward_id][name]
        writer.report.unchanged += len(kept)


_FORK_FROM = 400  # planned wards: below this, forking a helper costs more than it saves
# The planned wards are rendered in this many chunks, taken by the parent and the queue helper as each finishes
# one. A fixed share left one process waiting 1–1.7 s for the other at 3,321 wards: how long a file takes to
# create on this file system depends on what was deleted near it in the last minutes, not on the ward.
_CHUNKS = 32


class _Claims:
    """Chunk numbers handed out once each, to whichever process asks first: the parent starts on the first chunk,
    the queue helper on the last, and each then takes the lowest one left from a pipe they share (forked with it).
    """

    def __init__(self, count: int) -> None:
        middle = b"".join(n.to_bytes(2, "big") for n in range(1, count - 1))
        if len(middle) > 65_536:  # a pipe holds 64 KiB before a write blocks
            raise ValueError(f"too many chunks to hand out: {count}")
        self.fd, write = os.pipe()
        try:
            os.write(write, middle)
        finally:
            os.close(write)  # no writer left: a read of the empty pipe is the end

    def taken(self, first: int | None) -> Iterator[int]:
        if first is not None:
            yield first
        # Two bytes a number, all written before any read: a read of two bytes never gets part of one.
        while number := os.read(self.fd, 2):
            yield int.from_bytes(number, "big")

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


@dataclass
class _Helper:
    """A forked child rendering and staging files (the site and feeds, part of the queue files) while the
    parent works on. After the parent's one sync it replaces the files it staged (`commit`), so the renames
    run in parallel too. It never touches SQLite and leaves with os._exit; its temp files sit under the
    staging marker, so a kill leaves them to the sweep. What it did comes back through a pipe (never a file
    in outputs/, which a web server may serve).
    """

    pid: int
    results: int  # the read end of the child's pipe: two frames, staged (`ready`) and replaced (`finish`)
    go: int  # the write end of the parent's pipe: one byte once every staged file is synced
    staged: bool = False

    @classmethod
    def start(cls, writer: _Writer, work: Callable[[_Writer], Any], *, syncs: bool = False) -> _Helper:
        """Fork a child that runs `work` with a writer of its own; what `work` returns comes back from `ready`.

        With `syncs`, the child syncs its files itself before it is ready, so it may be released (`release`)
        before the parent's own sync: the site and feeds go into place while the queue files are rendered.
        """
        read, write = os.pipe()
        go_read, go_write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            os.close(go_write)
            for other in writer.helpers:
                other.forget()  # the parent's: a child holding them open would hide the parent's end from them
            _helper_main(writer, work, write, go_read, parent, syncs)
        os.close(write)
        os.close(go_read)
        helper = cls(pid, read, go_write)
        writer.helpers.append(helper)
        return helper

    def ready(self, writer: _Writer) -> Any:
        """Wait until the child has staged its files and take its digests and counts; its error fails the publish."""
        data = self._frame()
        writer.hashes.update(data["hashes"])
        writer.report.written += data["written"]
        writer.report.unchanged += data["unchanged"]
        self.staged = True
        return data["extra"]

    @property
    def released(self) -> bool:
        return self.go < 0

    def release(self) -> None:
        """Its staged files are on disk (synced by the parent, or by itself) and the queue rows saved: the child
        may replace its files now."""
        if not self.staged:
            raise RuntimeError("publish helper released before it staged its files")
        os.write(self.go, b"1")
        os.close(self.go)
        self.go = -1

    def finish(self, writer: _Writer) -> None:
        """Wait for the child to replace its files and exit."""
        self._frame()
        os.close(self.results)
        self.results = -1
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        writer.helpers.remove(self)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise RuntimeError(f"publish helper process failed: exit status {code}")

    def _frame(self) -> dict[str, Any]:
        try:
            data = pickle.loads(_read_frame(self.results))
        except (pickle.UnpicklingError, EOFError, ValueError, OSError):
            data = {}
        if "error" in data or "done" not in data:
            # The child died (or failed) on the way: reap it for its exit status.
            detail = data.get("error")
            if detail is None and self.pid:
                _pid, status = os.waitpid(self.pid, 0)
                self.pid = 0
                detail = f"exit status {os.waitstatus_to_exitcode(status)}"
            raise RuntimeError(f"publish helper process failed: {detail}")
        return data

    def forget(self) -> None:
        """In a later child: close this helper's pipes without touching the process."""
        for fd in (self.results, self.go):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.results = self.go = -1

    def stop(self) -> None:
        """After an error in the parent: the child is stopped and reaped. One that has staged its files and waits
        is told to go without replacing them (it removes its temp files); one still working is killed, and its
        temp files go to the next sweep."""
        if self.pid:
            if self.staged and self.go >= 0:
                os.close(self.go)
                self.go = -1
            else:
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        self.forget()


def _write_frame(fd: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_frame(fd: int) -> bytes:
    def exactly(size: int) -> bytes:
        chunks: list[bytes] = []
        while size:
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                raise EOFError("publish helper pipe closed")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    return exactly(int.from_bytes(exactly(8), "big"))


def _helper_main(
    writer: _Writer, work: Callable[[_Writer], Any], results: int, go: int, parent: int, syncs: bool
) -> NoReturn:
    code = 1
    mine: _Writer | None = None
    try:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the parent
        if os.getppid() != parent:
            os._exit(1)
        close_inherited()  # the run lock stays the parent's: free as soon as the parent dies
        global _TEMP_TAG
        _TEMP_TAG = f"{secrets.token_hex(4)}-"  # the parent's tag and counter came along with the fork
        mine = _Writer(writer.target, PublishReport(out=writer.target, dry_run=False), writer.previous)
        extra = work(mine)
        if syncs and mine.staged:
            os.sync()  # its files on disk before the parent (saving the queue rows meanwhile) lets it replace them
        payload: dict[str, Any] = {
            "done": "staged",
            "extra": extra,
            "hashes": mine.hashes,
            "written": mine.report.written,
            "unchanged": mine.report.unchanged,
        }
        _write_frame(results, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
        # Nothing is replaced before the go: a parent that stops instead closes the pipe and these temp files are
        # removed; one that dies takes this process along (PR_SET_PDEATHSIG), leaving them to the next sweep.
        if os.read(go, 1) != b"1":
            mine.discard()
            os._exit(1)
        pairs = mine.staged_pairs()
        replace_staged(pairs, synced=True)
        payload = {"done": "replaced"}
        code = 0
    except BaseException as error:  # whatever it is, the parent reports it and fails the publish
        payload = {"error": f"{type(error).__name__}: {error}"}
        if mine is not None:
            mine.discard()  # temp files not replaced: the parent fails the publish, nothing of them is used
    try:
        _write_frame(results, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(code)  # no atexit, no finalisers: the SQLite connection and locks are the parent's


def write_atomic(path: Path, data: bytes) -> None:
    write_all(path.parent, [(path.name, data)])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _remove_leftovers(target: Path) -> None:
    """Temp files a killed publish staged but never moved into place (names from `stage`)."""
    if (target / STAGING).exists():
        for temp in target.rglob(".*.tmp"):
            temp.unlink(missing_ok=True)
        (target / STAGING).unlink(missing_ok=True)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def _same(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as old:
            return old.read() == data
    except OSError:
        return False


_RENDERERS = ("publish", "sanitize.py", "publish_config.py", "dates.py")


def _code_print() -> str:
    """The rendering code itself (this package, its templates, the sanitiser): a new release re-renders the site."""
    worker = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for name in _RENDERERS:
        found = sorted(p for p in (worker / name).rglob("*") if p.is_file()) if name == "publish" else [worker / name]
        for path in found:
            if path.suffix in (".py", ".html", ".css", ".svg", ".js"):
                digest.update(f"{path.relative_to(worker)}\n".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def site_fingerprint(snapshot: Snapshot, tz: Any, copies: dict[str, Path]) -> str:
    """Everything site/ is rendered from (not the wards): equal fingerprints, equal pages and site feeds."""
    parts = [
        _code_print(),
        str(tz),
        repr(snapshot.site),
        # A pack published this time carries `now`; read back next time it has the stored second precision.
        repr(
            [
                (p.id, p.number, p.title, p.revision, iso_utc(p.published_at), iso_utc(p.updated_at))
                for p in snapshot.packs
            ]
        ),
        repr([(p.items, p.withdrawn) for p in snapshot.packs]),
        repr(snapshot.topics),
        repr(sorted(snapshot.media.items())),
        repr(snapshot.has_media_store),
        repr(sorted((path, str(source)) for path, source in copies.items())),
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def _all_present(target: Path, paths: list[str]) -> bool:
    by_folder: dict[str, set[str]] = {}
    for path in paths:
        folder, _slash, name = path.rpartition("/")
        by_folder.setdefault(folder, set()).add(name)
    return bool(paths) and all(_listing(target / folder) >= names for folder, names in by_folder.items())


def _listing(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()


def publish(
    config: Config,
    store: Store,
    *,
    now: datetime,
    wards: tuple[Ward, ...],
    out: Path | None = None,
    dry_run: bool = False,
) -> PublishReport:
    """Render everything and bring `out` up to date; with dry_run, only report what would change."""
    started = time.perf_counter()
    target = (out or config.outputs_path).resolve()
    report = PublishReport(out=target, dry_run=dry_run, wards=len(wards))
    manifest = _read_manifest(target)
    previous_files: dict[str, str] = dict(manifest.get("files") or {})
    inputs = manifest.get("feed_inputs") or {}
    previous_feeds = {
        k: FeedState(v["fingerprint"], v["updated"], str(inputs.get(k) or ""))
        for k, v in (manifest.get("feeds") or {}).items()
    }
    tts = config.broadcast.tts is not None
    previous_queues: dict[str, WardQueueState] = {}
    if not tts:  # audio is rendered from every ward's scripts: with TTS every ward is planned
        for ward_id, value in (manifest.get("queues") or {}).items():
            state = WardQueueState.from_json(value)
            if state is not None:
                previous_queues[ward_id] = state
    queue_files_before: dict[str, dict[str, str]] = {}
    for path, digest in previous_files.items():
        if path.startswith("queues/"):
            ward_id, _slash, name = path[len("queues/") :].partition("/")
            queue_files_before.setdefault(ward_id, {})[name] = digest
    if not dry_run:
        _remove_leftovers(target)
    writer = _Writer(target, report, previous_files)
    try:
        snapshot, updates, copies = gather(config, store, now=now, wards=wards)
        report.items = len(snapshot.items)
        site_print = site_fingerprint(snapshot, config.timezone, copies)
        site_before = [path for path in previous_files if path.startswith("site/")]
        site_kept = (
            manifest.get("site") == site_print and "site" in previous_feeds and _all_present(target, site_before)
        )
        if site_kept:
            # Nothing the site renders from changed: its pages, feeds and media copies stay as they are.
            writer.hashes.update({path: previous_files[path] for path in site_before})
            report.unchanged += len(site_before)
        feed_names = _listing(target / "feeds")
        existing = {p for p in previous_files if p.startswith("feeds/") and p[len("feeds/") :] in feed_names}

        def feeds_of(into: _Writer) -> tuple[FeedsOutput, FeedsOutput]:
            """The site (unless kept), its feeds and the ward feeds, offered to `into`: (site feeds, ward feeds)."""
            if site_kept:
                site = FeedsOutput(states={"site": previous_feeds["site"]})
            else:
                for path, data in render_site(snapshot, config.timezone).items():
                    into.offer(f"site/{path}", data)
                site = render_site_feeds(snapshot, now=now, previous=previous_feeds)
                for path, source in copies.items():
                    into.offer(path, source.read_bytes())
            for path, data in site.files.items():
                into.offer(path, data)
            wards_out = FeedsOutput()
            for path, data in ward_feed_files(
                snapshot, now=now, previous=previous_feeds, existing=existing, out=wards_out
            ):
                into.offer(path, data)
            return FeedsOutput(kept=site.kept, states=site.states), wards_out

        # A national publish renders and stages the site and feeds in a forked helper while it plans the queues.
        helpers = len(wards) >= _FORK_FROM and not dry_run
        feeds_helper = _Helper.start(writer, feeds_of, syncs=True) if helpers else None
        site_feeds, ward_feeds = (FeedsOutput(), FeedsOutput()) if feeds_helper is not None else feeds_of(writer)

        queues_folder = str(target / "queues")

        def present(ward_id: str) -> bool:
            names = queue_files_before.get(ward_id)
            try:
                return bool(names) and set(os.listdir(f"{queues_folder}/{ward_id}")).issuperset(names or ())
            except OSError:
                return False

        # Ward queues: planned and saved (one transaction) before any file is replaced, so a crash leaves the
        # database ahead of outputs/ and the next publish, planning the same entries again, catches the files up.
        queues = refresh(
            config,
            store,
            snapshot,
            wards,
            now=now,
            save=not dry_run,
            previous=previous_queues,
            present=present,
            listed=queue_files_before,
        )
        report.queues = queues.as_json()
        if feeds_helper is not None:
            site_feeds, ward_feeds = feeds_helper.ready(writer)
            if not dry_run:
                # The queue rows are saved and the site and feeds synced by the helper: it replaces them (in
                # `_ORDER`, before any queue file) while the queue files are rendered, not after.
                feeds_helper.release()
        writer.hashes.update({path: previous_files[path] for path in ward_feeds.kept})
        for ward_id in queues.kept:
            for name, digest in queue_files_before[ward_id].items():
                writer.hashes[f"queues/{ward_id}/{name}"] = digest
            report.unchanged += len(queue_files_before[ward_id])
        rendered: dict[str, bytes] | None = {} if tts else None
        # A national publish renders and stages most of the wards' queue files in a forked process (the other core).
        planned = sum(len(each.members) for each in queues.classes)
        if planned >= _FORK_FROM and helpers and not tts:
            chunks = chunk_result(queues, _CHUNKS)
            claims = _Claims(len(chunks))

            def render_claimed(into: _Writer, first: int | None) -> None:
                for index in claims.taken(first):
                    _offer_queues(into, queue_files(config, chunks[index], now=now), queue_files_before, None)

            try:
                last = len(chunks) - 1
                helper = _Helper.start(writer, lambda into: render_claimed(into, last or None))
                render_claimed(writer, 0)
            finally:
                claims.close()
            helper.ready(writer)
        else:
            _offer_queues(writer, queue_files(config, queues, now=now), queue_files_before, rendered)
        crash_point("queues-saved")
        if tts and not dry_run:
            audio = queue_audio(config, queues, rendered or {}, target, now=now)
            for path, data in audio.files.items():
                writer.offer(path, data)
            writer.hashes.update({path: previous_files.get(path) or _digest(target / path) for path in audio.kept})
            report.unchanged += len(audio.kept)
            report.tts_errors = audio.errors
        if not dry_run:
            writer.commit()
    finally:
        writer.discard()
    hashes = writer.hashes
    report.unchanged += len(ward_feeds.kept)
    stale = sorted(set(previous_files) - set(hashes), key=_order, reverse=True)
    for path in stale:
        report.removed.append(path)
        if not dry_run:
            (target / path).unlink(missing_ok=True)
    report.packs = [
        {"number": p.number, "title": p.title, "revision": p.revision, "items": len(p.items), "hidden": p.withdrawn}
        for p in snapshot.packs
    ]
    if not dry_run:
        states = {**site_feeds.states, **ward_feeds.states}
        new_manifest = {
            "version": 1,
            "files": dict(sorted(hashes.items())),
            "feeds": {k: {"fingerprint": v.fingerprint, "updated": v.updated} for k, v in sorted(states.items())},
            # Kept apart from "feeds", whose entries an older Loa reads as they are.
            "feed_inputs": {k: v.inputs for k, v in sorted(states.items()) if v.inputs},
            "site": site_print,
            "queues": {k: v.as_json() for k, v in sorted(queues.states.items())},
        }
        # Written last: a publish killed before this point leaves the old fingerprints, so nothing is skipped
        # next time that this one did not finish.
        if new_manifest != manifest:
            data = (json.dumps(new_manifest, ensure_ascii=False, indent=1) + "\n").encode()
            write_atomic(target / MANIFEST, data)
        if updates:
            store.record_published(updates)
    report.snapshot = snapshot
    report.seconds = time.perf_counter() - started
    return report
