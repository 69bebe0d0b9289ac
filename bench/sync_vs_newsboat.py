"""Sync benchmark: `loa sync` against Debian's newsboat (and a naive baseline) on one generated corpus.

Every run is a fresh process (interpreter start-up counts), measured in the same session on the
same server, alternating Loa / newsboat / baseline at each step of each round:

1. full: empty database / cache, every feed fetched and parsed and stored;
2. second fetch (not reported: newsboat 2.21 only keeps ETag/Last-Modified from its second fetch);
3. no-change: `loa sync --force` / `newsboat -x reload`, every request should be a conditional 304.

    python -m bench.sync_vs_newsboat --profile loopback            # or wan, or both
    python -m bench.sync_vs_newsboat --feeds 3 --items 5 --rounds 1 # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import corpus, measure
from bench.server import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("loopback", "wan")
# Targets of issue 11 (ratios are Loa / newsboat, measured in the same run).
TARGET_FULL_RATIO = 0.8
TARGET_NOCHANGE_RATIO = 0.3
TARGET_MAIN_MB = 150
TARGET_TREE_MB = 300


@dataclass
class Run:
    profile: str
    round: int
    step: str  # full | second | nochange
    side: str  # loa | newsboat | baseline
    wall: float
    cpu: float
    main_peak_mb: float
    tree_peak_mb: float
    processes: int
    returncode: int
    server: dict[str, int]
    totals: dict[str, int] = field(default_factory=dict)  # `loa sync --json` totals
    stored: int | None = None  # items in the database / cache after the run
    load: float = 0.0  # 1-minute load average just before the run (other work on the machine)
    error: str = ""


# -- the three contenders --------------------------------------------------------------------------


def loa_command() -> list[str]:
    """The installed `loa` script when there is one (what cron runs), else `python cli.py`."""
    script = Path(sys.executable).parent / "loa"
    return [str(script)] if script.exists() else [sys.executable, str(ROOT / "cli.py")]


class LoaSide:
    name = "loa"

    def __init__(
        self,
        folder: Path,
        url: str,
        manifest: corpus.Manifest,
        *,
        workers: int,
        per_host: int,
        command: list[str] | None = None,
    ) -> None:
        self.folder = folder
        self.command = command or loa_command()
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "sources.yaml"
        lines = [
            "timezone: Asia/Ho_Chi_Minh",
            # One host serves every feed here, so per_host must not be what limits concurrency.
            f'defaults: {{every: 30m, user_agent: "Loa-bench/0.1", timeout: 30s, max_bytes: 10MiB, '
            f"retries: 0, workers: {workers}, per_host: {per_host}}}",
            "db: loa.db",
            "sources:",
        ]
        # The corpus links articles and images on real public hosts: only the bench server's host is
        # allowed, so images are recorded as off-domain and never downloaded (newsboat downloads
        # none either, and a benchmark must not send DNS queries for public names).
        host = urlsplit(url).hostname
        for feed in manifest.feeds:
            lines.append(
                f'  - {{id: {feed.id}, name: "{feed.name}", kind: feed, url: "{url}{feed.path}", '
                f'allowed_domains: ["{host}"]}}'
            )
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def reset(self) -> None:
        for name in ("loa.db", "loa.db-wal", "loa.db-shm", "loa.db.lock"):
            (self.folder / name).unlink(missing_ok=True)

    def argv(self, step: str) -> list[str]:
        if step == "link":  # the dedupe stage that follows a sync; newsboat has none
            return [*self.command, "--config", str(self.config), "dedupe", "link", "--json"]
        force = ["--force"] if step != "full" else []
        return [*self.command, "--config", str(self.config), "sync", "--json", *force]

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def items(self) -> int:
        with sqlite3.connect(self.folder / "loa.db") as conn:
            return int(conn.execute("select count(*) from items").fetchone()[0])


class NewsboatSide:
    name = "newsboat"

    def __init__(self, folder: Path, url: str, manifest: corpus.Manifest, *, threads: int = 8) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.urls = folder / "urls"
        self.urls.write_text("".join(f"{url}{feed.path}\n" for feed in manifest.feeds), encoding="utf-8")
        self.config = folder / "config"
        self.config.write_text(f"reload-threads {threads}\n", encoding="utf-8")
        self.cache = folder / "cache.db"

    def reset(self) -> None:
        for path in self.folder.glob("cache.db*"):
            path.unlink()

    def argv(self, step: str) -> list[str]:
        return ["newsboat", "-x", "reload", "-u", str(self.urls), "-c", str(self.cache), "-C", str(self.config)]

    def env(self) -> dict[str, str]:
        home = str(self.folder)
        return {**os.environ, "HOME": home, "XDG_CONFIG_HOME": home, "XDG_DATA_HOME": home, "TERM": "dumb"}

    def items(self) -> int:
        with sqlite3.connect(self.cache) as conn:
            return int(conn.execute("select count(*) from rss_item").fetchone()[0])


class BaselineSide:
    name = "baseline"

    def __init__(self, folder: Path, url: str, manifest: corpus.Manifest) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.urls = folder / "urls"
        self.urls.write_text("".join(f"{url}{feed.path}\n" for feed in manifest.feeds), encoding="utf-8")

    def reset(self) -> None:
        return

    def argv(self, step: str) -> list[str]:
        return [sys.executable, "-m", "bench.baseline", str(self.urls)]

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(ROOT)}

    def items(self) -> int:
        return 0


Side = LoaSide | NewsboatSide | BaselineSide


def newsboat_version() -> str | None:
    if shutil.which("newsboat") is None:
        return None
    out = subprocess.run(["newsboat", "--version"], capture_output=True, text=True, timeout=30, check=False)
    return out.stdout.splitlines()[0] if out.stdout else "newsboat (unknown version)"


# -- running --------------------------------------------------------------------------------------


def _run(side: Side, server: ServerProcess, profile: str, round_: int, step: str, timeout: float) -> Run:
    if step == "full":
        side.reset()
    server.reset()
    load = os.getloadavg()[0]
    result = measure.run(side.argv(step), env=side.env(), cwd=ROOT, timeout=timeout)
    stats = server.stats()
    run = Run(
        profile=profile,
        round=round_,
        step=step,
        side=side.name,
        wall=result.wall,
        cpu=result.cpu,
        main_peak_mb=result.main_peak_mb,
        tree_peak_mb=result.tree_peak_mb,
        processes=result.tree_max_processes,
        returncode=result.returncode,
        server=stats.as_dict(),
        load=load,
    )
    if result.returncode != 0:
        run.error = (result.stderr or result.stdout)[-2000:]
    if result.returncode == 0 and not isinstance(side, BaselineSide):
        try:
            run.stored = side.items()
        except sqlite3.Error as exc:
            run.error = f"cannot count stored items: {exc}"
    if isinstance(side, LoaSide) and result.returncode == 0:
        try:
            printed = json.loads(result.stdout)
            run.totals = printed if step == "link" else printed["totals"]
        except (ValueError, KeyError) as exc:
            run.error = f"unreadable `loa sync --json` output: {exc}"
    return run


def run_profile(
    root: Path,
    manifest: corpus.Manifest,
    profile: str,
    *,
    rounds: int,
    newsboat: bool,
    baseline: bool,
    workers: int,
    per_host: int,
    timeout: float,
    loa: list[str] | None = None,
    log: Any = print,
) -> list[Run]:
    """Every round: full (A/B/C, then Loa's link stage), second fetch (A/B), no-change (A/B), on one server."""
    runs: list[Run] = []
    with ServerProcess(root / "corpus", profile=profile, seed=manifest.seed) as server:
        base = root / profile
        sides: list[Side] = [
            LoaSide(base / "loa", server.url, manifest, workers=workers, per_host=per_host, command=loa)
        ]
        if newsboat:
            sides.append(NewsboatSide(base / "newsboat", server.url, manifest))
        extra: list[Side] = [BaselineSide(base / "baseline", server.url, manifest)] if baseline else []
        for round_ in range(1, rounds + 1):
            for step in ("full", "second", "nochange"):
                for side in sides + (extra if step == "full" else []):
                    run = _run(side, server, profile, round_, step, timeout)
                    runs.append(run)
                    log(_line(run))
                    if step == "full" and isinstance(side, LoaSide):
                        # Timed apart: sync is what newsboat's reload compares with; linking is Loa's next stage.
                        run = _run(side, server, profile, round_, "link", timeout)
                        runs.append(run)
                        log(_line(run))
    return runs


def _line(run: Run) -> str:
    s = run.server
    flag = f"  ERROR {run.error.strip().splitlines()[-1] if run.error.strip() else run.returncode}" if run.error else ""
    return (
        f"{run.profile:8} r{run.round} {run.step:8} {run.side:8} {run.wall:7.2f} s  cpu {run.cpu:6.2f} s  "
        f"rss {run.main_peak_mb:4.0f}/{run.tree_peak_mb:4.0f} MB  load {run.load:4.1f}  req {s['requests']:4} cond {s['conditional']:4} "
        f"304 {s['not_modified']:4} 200 {s['ok']:4} robots {s['robots']} conn {s['connections']:3} "
        f"{s['bytes'] / 1e6:5.1f} MB{flag}"
    )


# -- summary --------------------------------------------------------------------------------------


def _median(runs: list[Run], side: str, step: str) -> float | None:
    walls = [r.wall for r in runs if r.side == side and r.step == step and not r.error]
    return statistics.median(walls) if walls else None


def summarize(runs: list[Run], feeds: int) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for profile in sorted({r.profile for r in runs}, key=PROFILES.index):
        mine = [r for r in runs if r.profile == profile]
        loa_full = [r for r in mine if r.side == "loa" and r.step == "full"]
        loa_nochange = [r for r in mine if r.side == "loa" and r.step == "nochange"]
        nb_nochange = [r for r in mine if r.side == "newsboat" and r.step == "nochange"]
        figures: dict[str, Any] = {
            "rounds": len(loa_full),
            "errors": sum(1 for r in mine if r.error),
            "median": {
                f"{side}_{step}": _median(mine, side, step)
                for side in ("loa", "newsboat", "baseline")
                for step in ("full", "link", "nochange")
                if _median(mine, side, step) is not None
            },
            "loa_full_main_peak_mb": max((r.main_peak_mb for r in loa_full), default=None),
            "loa_full_tree_peak_mb": max((r.tree_peak_mb for r in loa_full), default=None),
            "loa_full_processes": max((r.processes for r in loa_full), default=None),
            "loa_full_cpu": statistics.median([r.cpu for r in loa_full]) if loa_full else None,
            "newsboat_full_peak_mb": max(
                (r.tree_peak_mb for r in mine if r.side == "newsboat" and r.step == "full"), default=None
            ),
            "loa_full_stored_all": all(r.totals.get("ok") == feeds for r in loa_full),
            "loa_linked_items": sorted(
                {int(r.totals.get("items", 0)) for r in mine if r.side == "loa" and r.step == "link"}
            ),
            "stored": {
                side: sorted({r.stored for r in mine if r.side == side and r.step == "full" and r.stored is not None})
                for side in ("loa", "newsboat")
            },
            "load": {
                "median": statistics.median([r.load for r in mine]) if mine else None,
                "max": max((r.load for r in mine), default=None),
            },
            "loa_nochange": _nochange_check(loa_nochange, feeds),
            "newsboat_nochange": _nochange_check(nb_nochange, feeds) if nb_nochange else None,
        }
        median = figures["median"]
        ratios = {}
        for step in ("full", "nochange"):
            loa, nb = median.get(f"loa_{step}"), median.get(f"newsboat_{step}")
            if loa is not None and nb:
                ratios[f"loa/newsboat {step}"] = loa / nb
        if median.get("loa_link") is not None and median.get("loa_full") and median.get("newsboat_full"):
            ratios["loa+link/newsboat full"] = (median["loa_full"] + median["loa_link"]) / median["newsboat_full"]
        if median.get("baseline_full") is not None and median.get("newsboat_full"):
            ratios["baseline/newsboat full"] = median["baseline_full"] / median["newsboat_full"]
        if median.get("baseline_full") is not None and median.get("loa_full"):
            ratios["loa/baseline full"] = median["loa_full"] / median["baseline_full"]
        figures["ratios"] = ratios
        figures["targets"] = _targets(figures)
        summary[profile] = figures
    return summary


def _nochange_check(runs: list[Run], feeds: int) -> dict[str, Any]:
    """Every request conditional and answered 304, no 200 (so nothing parsed), in every round."""
    return {
        "requests": [r.server["requests"] for r in runs],
        "conditional": [r.server["conditional"] for r in runs],
        "not_modified": [r.server["not_modified"] for r in runs],
        "ok": [r.server["ok"] for r in runs],
        "parsed_sources": [r.totals.get("ok", 0) + r.totals.get("error", 0) for r in runs if r.totals],
        "all_conditional_304": bool(runs)
        and all(r.server["requests"] == r.server["conditional"] == r.server["not_modified"] == feeds for r in runs)
        and all(r.server["ok"] == 0 for r in runs),
    }


def _targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    ratios = figures["ratios"]
    checks: list[dict[str, Any]] = []

    def check(name: str, value: float | bool | None, limit: float | None) -> None:
        ok = bool(value) if limit is None else (value is not None and float(value) <= limit)
        checks.append({"target": name, "value": value, "limit": limit, "ok": ok})

    if "loa/newsboat full" in ratios:
        check("full sync ≤ 0.8 × newsboat", ratios["loa/newsboat full"], TARGET_FULL_RATIO)
    if "loa/newsboat nochange" in ratios:
        check("no-change ≤ 0.3 × newsboat", ratios["loa/newsboat nochange"], TARGET_NOCHANGE_RATIO)
    check(
        "no-change: every request conditional, 304, nothing parsed",
        figures["loa_nochange"]["all_conditional_304"],
        None,
    )
    check("full sync: main process peak RSS ≤ 150 MB", figures["loa_full_main_peak_mb"], TARGET_MAIN_MB)
    check("full sync: all processes peak RSS ≤ 300 MB", figures["loa_full_tree_peak_mb"], TARGET_TREE_MB)
    return checks


# -- reporting ------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "nproc": str(cpus),
        "cpu": model or platform.processor() or "unknown",
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "newsboat": newsboat_version() or "not installed",
        "loa commit": commit,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Run {report['date']}: `{report['command']}`",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in report["machine"].items()],
        "",
        f"Corpus: {report['corpus']['feeds']} feeds × {report['corpus']['items_per_feed']} items "
        f"({report['corpus']['items']} items, {report['corpus']['mb']:.1f} MB of feeds, seed {report['corpus']['seed']}); "
        f"Loa `workers: {report['loa']['workers']}, per_host: {report['loa']['per_host']}`, newsboat `reload-threads 8`; "
        f"{report['rounds']} rounds, medians. Loa ran as `{' '.join(report['loa']['command'])}`; "
        f"1-minute load average before runs: median {report['load']['median']:.1f}, max {report['load']['max']:.1f}.",
        "",
    ]
    for profile, fig in report["summary"].items():
        med = fig["median"]

        def cell(key: str, med: dict[str, float] = med) -> str:
            return f"{med[key]:.2f} s" if med.get(key) is not None else "–"

        ratios = fig["ratios"]
        lines += [
            f"**{profile}**",
            "",
            "| | Loa | newsboat | Loa / newsboat | baseline | baseline / newsboat |",
            "|---|---|---|---|---|---|",
            f"| full sync (empty db) | {cell('loa_full')} | {cell('newsboat_full')} | "
            f"{_ratio(ratios.get('loa/newsboat full'))} | {cell('baseline_full')} | {_ratio(ratios.get('baseline/newsboat full'))} |",
            f"| no-change (3rd fetch) | {cell('loa_nochange')} | {cell('newsboat_nochange')} | "
            f"{_ratio(ratios.get('loa/newsboat nochange'))} | – | – |",
            f"| then `loa dedupe link` (not compared: newsboat links nothing) | {cell('loa_link')} | – | – | – | – |",
            f"| full sync + link | {_sum(med, 'loa_full', 'loa_link')} | – | "
            f"{_ratio(ratios.get('loa+link/newsboat full'))} | – | – |",
            "",
        ]
        nc = fig["loa_nochange"]
        lines.append(
            f"Loa full sync: peak RSS {fig['loa_full_main_peak_mb']:.0f} MB main process, "
            f"{fig['loa_full_tree_peak_mb']:.0f} MB all {fig['loa_full_processes']} processes (max over rounds), "
            f"CPU {fig['loa_full_cpu']:.1f} s (median). "
            + (
                f"newsboat full reload peak RSS {fig['newsboat_full_peak_mb']:.0f} MB. "
                if fig["newsboat_full_peak_mb"]
                else ""
            )
            + f"Loa no-change: requests {nc['requests']}, conditional {nc['conditional']}, 304 {nc['not_modified']}, "
            f"200 {nc['ok']}, sources parsed {nc['parsed_sources']}."
        )
        nb = fig["newsboat_nochange"]
        if nb:
            lines.append(
                f"newsboat no-change: requests {nb['requests']}, conditional {nb['conditional']}, 304 {nb['not_modified']}."
            )
        lines += ["", "| target | value | ok |", "|---|---|---|"]
        for t in fig["targets"]:
            value = t["value"]
            shown = f"{value:.2f}" if isinstance(value, float) else str(value)
            lines.append(f"| {t['target']} | {shown} | {'yes' if t['ok'] else '**no**'} |")
        lines.append("")
    return "\n".join(lines)


def _sum(med: dict[str, float], *keys: str) -> str:
    values = [med.get(k) for k in keys]
    return f"{sum(v for v in values if v is not None):.2f} s" if all(v is not None for v in values) else "–"


def _ratio(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "–"


@contextmanager
def workdir(keep: Path | None, prefix: str = "loa-bench-") -> Iterator[Path]:
    """`keep` (created, left behind), or a temporary folder removed afterwards."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def run_benchmark(
    *,
    profiles: tuple[str, ...] = PROFILES,
    feeds: int = 200,
    items: int = 50,
    rounds: int = 5,
    seed: int = 11,
    newsboat: bool | None = None,
    baseline: bool = True,
    workers: int = 32,
    per_host: int = 32,
    timeout: float = 600.0,
    keep: Path | None = None,
    command: str = "",
    loa: list[str] | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Generate the corpus, run every profile, and return raw runs, summary and machine details."""
    if newsboat is None:
        newsboat = shutil.which("newsboat") is not None
    # Byte-compile Loa as installing a package does (pip writes .pyc files): with PYTHONDONTWRITEBYTECODE
    # set and an editable install, every `loa` run would otherwise compile ~30,000 lines (~0.1 s).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "worker"), str(ROOT / "cli.py")], check=False)
    with workdir(keep) as root:
        started = time.monotonic()
        manifest = corpus.generate(root / "corpus", feeds=feeds, items=items, seed=seed)
        log(
            f"corpus: {len(manifest.feeds)} feeds, {manifest.items} items, {manifest.total_bytes / 1e6:.1f} MB "
            f"({manifest.exact_copies} exact copies, {manifest.near_duplicates} near-duplicates) in {root}"
        )
        runs: list[Run] = []
        for profile in profiles:
            runs += run_profile(
                root,
                manifest,
                profile,
                rounds=rounds,
                newsboat=newsboat,
                baseline=baseline,
                workers=workers,
                per_host=per_host,
                timeout=timeout,
                loa=loa,
                log=log,
            )
        return {
            "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": command,
            "machine": machine(),
            "corpus": {
                "feeds": len(manifest.feeds),
                "items_per_feed": items,
                "items": manifest.items,
                "mb": manifest.total_bytes / 1e6,
                "seed": seed,
                "exact_copies": manifest.exact_copies,
                "near_duplicates": manifest.near_duplicates,
            },
            "loa": {"workers": workers, "per_host": per_host, "command": loa or loa_command()},
            "rounds": rounds,
            "load": {
                "median": statistics.median([r.load for r in runs]) if runs else 0.0,
                "max": max((r.load for r in runs), default=0.0),
            },
            "seconds": time.monotonic() - started,
            "summary": summarize(runs, len(manifest.feeds)),
            "runs": [asdict(r) for r in runs],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Loa sync vs newsboat reload on a generated corpus.")
    parser.add_argument("--profile", choices=[*PROFILES, "both"], default="both")
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=32, help="Loa defaults.workers (fetch threads)")
    parser.add_argument("--per-host", type=int, default=32, help="Loa defaults.per_host (one host serves all)")
    parser.add_argument("--no-newsboat", action="store_true", help="Loa (and baseline) only")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--timeout", type=float, default=600.0, help="per run, seconds")
    parser.add_argument("--json", type=Path, help="write raw runs and summary here")
    parser.add_argument("--markdown", type=Path, help="write the results tables here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp dir)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--loa-command",
        help="run this instead of the installed `loa` (e.g. an older checkout, for before/after figures)",
    )
    args = parser.parse_args(argv)

    newsboat = False if args.no_newsboat else shutil.which("newsboat") is not None
    if not newsboat and not args.no_newsboat:
        print("newsboat is not installed (apt-get install newsboat): measuring Loa only", file=sys.stderr)
    report = run_benchmark(
        profiles=PROFILES if args.profile == "both" else (args.profile,),
        feeds=args.feeds,
        items=args.items,
        rounds=args.rounds,
        seed=args.seed,
        newsboat=newsboat,
        baseline=not args.no_baseline,
        workers=args.workers,
        per_host=args.per_host,
        timeout=args.timeout,
        keep=args.keep,
        loa=shlex.split(args.loa_command) if args.loa_command else None,
        command="python -m bench.sync_vs_newsboat " + " ".join(sys.argv[1:] if argv is None else argv),
    )
    text = markdown(report)
    print("\n" + text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text + "\n", encoding="utf-8")
    failed = any(not t["ok"] for fig in report["summary"].values() for t in fig["targets"])
    errors = sum(fig["errors"] for fig in report["summary"].values())
    return 1 if errors or (args.strict and failed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
