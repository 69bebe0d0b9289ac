"""Runs one command and measures it: wall time, CPU time, peak RSS of the process and of its whole tree.

Sampled from /proc every 10 ms: the main process's peak is its VmHWM (the kernel's high-water mark;
wait4's ru_maxrss would include the RSS of this harness at fork time). The tree's peak is the largest
sum of RSS over the process and its descendants (shared pages count in each). Linux only.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
SAMPLE_SECONDS = 0.01


@dataclass(frozen=True)
class Measured:
    argv: tuple[str, ...]
    returncode: int
    wall: float  # seconds, from just before fork to reaping
    cpu: float  # user + system seconds of the process and every descendant it reaped
    main_peak_mb: float  # peak RSS of the process itself (kernel high-water mark)
    tree_peak_mb: float  # peak of the summed RSS of the process tree (sampled)
    tree_max_processes: int  # most processes seen in the tree at once
    stdout: str
    stderr: str


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
        except OSError:
            continue
        found.extend(int(c) for c in text.split())
    return found


def _hwm(pid: int) -> int:
    """VmHWM in bytes: the peak RSS of `pid` since exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(pid: int) -> tuple[int, int]:
    """(summed RSS in bytes, number of processes) of `pid` and all its descendants right now."""
    total, count, todo, seen = 0, 0, [pid], set()
    while todo and count < 10_000:  # bounded even if /proc changes under us
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        rss = _rss(current)
        if rss:
            total += rss
            count += 1
        todo.extend(_children(current))
    return total, count


def run(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 600.0,
) -> Measured:
    """Run `argv` to completion (killed after `timeout` seconds) and measure it."""
    peak = [0, 0, 0]  # tree RSS, processes, main VmHWM
    stop = threading.Event()
    with (
        open(os.devnull, "rb") as stdin,
        _TempText() as out,
        _TempText() as err,
    ):
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=stdin, stdout=out.handle, stderr=err.handle)

        def sample() -> None:
            while not stop.is_set():
                hwm = _hwm(proc.pid)
                rss, count = tree_rss(proc.pid)
                peak[0] = max(peak[0], rss)
                peak[1] = max(peak[1], count)
                peak[2] = max(peak[2], hwm)
                stop.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, name="bench-rss", daemon=True)
        sampler.start()
        killer = threading.Timer(timeout, proc.kill)  # bounded: a hung run is killed, not waited on
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        stop.set()
        sampler.join(timeout=5)
        proc.returncode = os.waitstatus_to_exitcode(status)
        return Measured(
            argv=tuple(argv),
            returncode=proc.returncode,
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            main_peak_mb=peak[2] / 2**20,
            tree_peak_mb=max(peak[0], peak[2]) / 2**20,
            tree_max_processes=max(peak[1], 1),
            stdout=out.read(),
            stderr=err.read(),
        )


class _TempText:
    """A temporary file for a child's output: pipes could fill up and block it while we poll."""

    def __enter__(self) -> _TempText:
        import tempfile

        self.handle = tempfile.TemporaryFile()
        return self

    def read(self) -> str:
        self.handle.seek(0)
        return self.handle.read().decode("utf-8", errors="replace")

    def __exit__(self, *exc: object) -> None:
        self.handle.close()
