"""Publish fan-out benchmark: `loa publish` for every commune of Vietnam (3,321 after 2025), each with a feed and a queue.

The database is built through the real CLI, as an officer would: a generated corpus (bench/corpus.py) is
served on 127.0.0.1 and pulled with `loa sync`; stories are approved source by source with
`loa approve --source ID --yes` and bundled with `loa pack build` (a history of several packs); wards come
from a `wards: wards.csv` file (two slots each, a mix of topic and kind filters). After a first publish:

a. one new pack: approve one more source, `loa pack build`, then time `loa publish` (target ≤ 10 s);
b. nothing new: time `loa publish` again (target ≤ 1 s) and check that it wrote ZERO files
   (the report's `written` list is empty and no file under outputs/ has a new mtime).

Each timed run is a fresh `loa publish --json` process (interpreter start-up counts); medians of `--runs`.

    python -m bench.publish_fanout                      # 3,321 wards
    python -m bench.publish_fanout --wards 20 --runs 1  # a smoke run
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import corpus, measure
from bench.server import ServerProcess
from bench.sync_vs_newsboat import loa_command, machine, workdir

ROOT = Path(__file__).resolve().parent.parent
COMMUNES = 3321  # phường, xã and đặc khu after the 1 July 2025 reorganisation
TARGETS = {"one_new_pack": 10.0, "nothing_new": 1.0}  # seconds, median wall time
TOPICS = {
    "gia-danh-cong-an": ("Giả danh cơ quan công an", ["giả danh công an", "mạo danh công an", "lệnh bắt"]),
    "dau-tu-tai-chinh": ("Đầu tư tài chính", ["đầu tư tiền ảo", "tiền ảo", "sàn giao dịch", "lợi nhuận cao"]),
    "viec-lam-online": ("Việc làm online", ["việc nhẹ lương cao", "cộng tác viên", "làm nhiệm vụ"]),
    "chiem-doat-tai-khoan": ("Chiếm đoạt tài khoản", ["mã OTP", "OTP", "VNeID", "giả mạo ngân hàng", "đường link lạ"]),
    "vay-tien-online": ("Vay tiền online", ["vay tiền online", "app vay", "ứng dụng vay", "khoản vay"]),
}
# Ward filters, cycled: most wards take everything, others a topic or two and/or some kinds.
_FILTERS: tuple[tuple[str, str], ...] = (
    ("", ""),
    ("", "article;warning;infographic"),
    ("gia-danh-cong-an;dau-tu-tai-chinh", "article;warning;infographic"),
    ("", ""),
    ("chiem-doat-tai-khoan", ""),
    ("viec-lam-online;vay-tien-online", "warning"),
    ("", "article;warning;infographic"),
)
_KINDS = ("xa", "phuong", "xa", "xa", "thi-tran")


def write_wards(path: Path, count: int) -> None:
    """`count` wards: ids `xa-0001`…, two 15-minute slots each, filters cycled from _FILTERS."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "kind", "topics", "kinds", "slots"])
        for n in range(1, count + 1):
            kind = _KINDS[n % len(_KINDS)]
            topics, kinds = _FILTERS[n % len(_FILTERS)]
            label = {"xa": "Xã", "phuong": "Phường", "thi-tran": "Thị trấn"}[kind]
            writer.writerow([f"{kind}-{n:04d}", f"{label} Số {n}", kind, topics, kinds, "06:00/15m;17:00/15m"])


def write_config(folder: Path, url: str, feeds: list[corpus.FeedInfo], horizon_days: int | None = None) -> Path:
    lines = [
        "timezone: Asia/Ho_Chi_Minh",
        'defaults: {every: 30m, user_agent: "Loa-bench/0.1", timeout: 30s, max_bytes: 10MiB, retries: 0}',
        "db: loa.db",
        "outputs: outputs",
        "wards: wards.csv",
        # The corpus writes every warning from a few dozen templates, so the default near-duplicate bars would
        # fold it into ~20 stories; only exact copies (same link) stay merged here, as stories from many sources.
        "dedupe: {threshold: 1.0, containment: 1.0}",
        *([f"broadcast: {{horizon_days: {horizon_days}}}"] if horizon_days else []),
        "topics:",
    ]
    for topic_id, (name, keywords) in TOPICS.items():
        lines.append(f'  - {{id: {topic_id}, name: "{name}", keywords: {json.dumps(keywords, ensure_ascii=False)}}}')
    lines.append("sources:")
    for feed in feeds:
        lines.append(f'  - {{id: {feed.id}, name: "{feed.name}", kind: feed, url: "{url}{feed.path}"}}')
    config = folder / "sources.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _mtimes(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


class Loa:
    def __init__(self, config: Path, command: list[str], log: Callable[[str], None]) -> None:
        self.config = config
        self.command = command
        self.log = log

    def argv(self, *args: str) -> list[str]:
        return [*self.command, "--config", str(self.config), *args]

    def call(self, *args: str) -> str:
        """An untimed step (setup): fails loudly."""
        # The corpus's images live on made-up https hosts: with no network, each media download would wait on
        # DNS. A dead proxy makes them fail at once (recorded as failed media); the corpus server stays direct.
        env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost"}
        env.pop("https_proxy", None)
        env.pop("no_proxy", None)
        done = subprocess.run(
            self.argv(*args), cwd=self.config.parent, env=env, capture_output=True, text=True, timeout=900, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def approve_history(self, packs: int) -> list[int]:
        """Approve every story, then bundle them into `packs` packs of about equal size; their story counts."""
        self.call("approve", "--since", "2000-01-01", "--yes", "--as", "bench")
        with sqlite3.connect(self.config.parent / "loa.db") as conn:
            stories = int(
                conn.execute("select count(distinct story_id) from items where status = 'approved'").fetchone()[0]
            )
        per_pack = max(1, -(-stories // packs))
        counts = []
        for n in range(1, packs + 1):
            args = ["--title", f"Bản tin lịch sử {n}", "--as", "bench", "--json"]
            data = json.loads(self.call("pack", "build", *(["--max", str(per_pack)] if n < packs else []), *args))
            counts.append(len(data["stories"]) if data else 0)
        return counts

    def new_pack(self, source: str, title: str) -> int:
        """Sync a newly configured source, approve its stories, bundle them: the new pack's story count."""
        self.call("sync", "--json")
        self.call("approve", "--source", source, "--yes", "--as", "bench")
        data = json.loads(self.call("pack", "build", "--title", title, "--as", "bench", "--json") or "null")
        return len(data["stories"]) if data else 0

    def publish(self, timeout: float) -> dict[str, Any]:
        """One timed `loa publish --json` (a fresh process); its report and measurements."""
        load = os.getloadavg()[0]
        measured = measure.run(self.argv("publish", "--json"), cwd=self.config.parent, timeout=timeout)
        if measured.returncode != 0:
            raise RuntimeError(f"publish exited {measured.returncode}: {measured.stderr.strip()[-2000:]}")
        report = json.loads(measured.stdout)
        return {
            "wall": round(measured.wall, 3),
            "cpu": round(measured.cpu, 3),
            "main_peak_mb": round(measured.main_peak_mb, 1),
            "load": round(load, 2),
            "written": len(report["written"]),
            "unchanged": report["unchanged"],
            "removed": len(report["removed"]),
            "items": report["items"],
            "wards": report["wards"],
            "packs": len(report["packs"]),
            "queues": report.get("queues", {}),
            "publish_seconds": report["seconds"],
        }


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def run_benchmark(
    *,
    wards: int = COMMUNES,
    feeds: int = 24,
    items: int = 25,
    history: int = 8,
    runs: int = 3,
    seed: int = 11,
    keep: Path | None = None,
    loa: list[str] | None = None,
    timeout: float = 600.0,
    log: Callable[[str], None] = print,
    horizon_days: int | None = None,
) -> dict[str, Any]:
    """Build the database, publish once, then time `runs` × (one new pack) and `runs` × (nothing new)."""
    if feeds <= runs:
        raise ValueError(f"need more feeds than runs ({runs}), got {feeds}")
    command = loa or loa_command()
    with workdir(keep, "loa-bench-publish-") as work:
        site = work / "corpus"
        manifest = corpus.generate(site, feeds=feeds, items=items, seed=seed)
        write_wards(work / "wards.csv", wards)
        # The last `runs` feeds are added to the config one by one: each timed "one new pack" run syncs one.
        initial, held = manifest.feeds[: feeds - runs], manifest.feeds[feeds - runs :]
        with ServerProcess(site, profile="loopback", seconds=3 * timeout) as server:
            config = write_config(work, server.url, initial, horizon_days)
            side = Loa(config, command, log)
            started = time.perf_counter()
            sync = json.loads(side.call("sync", "--json"))
            history_stories = side.approve_history(history)
            first = side.publish(timeout)
            setup_seconds = round(time.perf_counter() - started, 1)
            log(f"setup: {setup_seconds} s, packs {history_stories}, first publish {first['written']} files")
            out = work / "outputs"
            new_pack: list[dict[str, Any]] = []
            nothing_new: list[dict[str, Any]] = []
            for n, feed in enumerate(held, 1):
                write_config(work, server.url, [*initial, *held[:n]], horizon_days)
                added = side.new_pack(feed.id, f"Bản tin mới {n}")
                result = side.publish(timeout)
                result["new_stories"] = added
                new_pack.append(result)
                log(f"one new pack #{n} ({added} stories): {result['wall']:.2f} s, {result['written']} files written")
        for n in range(1, runs + 1):
            before = _mtimes(out)
            result = side.publish(timeout)
            after = _mtimes(out)
            result["mtime_changed"] = sorted(p for p in after if before.get(p) != after[p])
            result["files"] = len(after)
            nothing_new.append(result)
            log(f"nothing new #{n}: {result['wall']:.2f} s, {result['written']} written")
        feeds_written = len(list((out / "feeds").glob("*.xml")))
        queue_dirs = [p for p in (out / "queues").iterdir() if p.is_dir()] if (out / "queues").is_dir() else []
        with sqlite3.connect(work / "loa.db") as conn:
            stored = int(conn.execute("select count(*) from items").fetchone()[0])
    summary = {
        "one_new_pack_median": _median(new_pack, "wall"),
        "nothing_new_median": _median(nothing_new, "wall"),
        "one_new_pack_peak_mb": max(r["main_peak_mb"] for r in new_pack),
        "nothing_new_peak_mb": max(r["main_peak_mb"] for r in nothing_new),
        "nothing_new_written": sum(r["written"] for r in nothing_new),
        "nothing_new_mtime_changed": sum(len(r["mtime_changed"]) for r in nothing_new),
        "load": [r["load"] for r in (*new_pack, *nothing_new)],
    }
    summary["targets"] = [
        {
            "name": name,
            "value": summary[f"{name}_median"],
            "target": limit,
            "ratio": round(summary[f"{name}_median"] / limit, 2),
            "met": summary[f"{name}_median"] <= limit
            and (name != "nothing_new" or summary["nothing_new_written"] == 0),
        }
        for name, limit in TARGETS.items()
    ]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(shlex.quote(a) for a in [*command, "--config", "sources.yaml", "publish", "--json"]),
        "params": {"wards": wards, "feeds": feeds, "items": items, "history": history, "runs": runs, "seed": seed},
        "setup": {
            "seconds": setup_seconds,
            "stored_items": stored,
            "sync": sync.get("totals", {}),
            "history_pack_stories": history_stories,
        },
        "first_publish": first,
        "outputs": {"feeds": feeds_written, "queues": len(queue_dirs)},
        "one_new_pack": new_pack,
        "nothing_new": nothing_new,
        "summary": summary,
    }


def markdown(report: dict[str, Any]) -> str:
    s, m, p = report["summary"], report["machine"], report["params"]
    lines = [
        f"Date {report['date']}; {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, Python {m['python']}, "
        f"SQLite {m['sqlite']}, commit {m['loa commit']}.",
        f"{p['wards']} wards, {p['feeds']} feeds × {p['items']} items, {p['history']} history packs, "
        f"{p['runs']} runs each; timed command: `{report['command']}`.",
        f"Setup {report['setup']['seconds']} s ({report['setup']['stored_items']} items stored); first publish "
        f"{report['first_publish']['wall']} s, {report['first_publish']['written']} files, "
        f"{report['outputs']['feeds']} ward feeds, {report['outputs']['queues']} queue folders.",
        "",
        "| step | median wall s | runs (s) | files written | peak RSS MB | load (1 min) | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, label in (("one_new_pack", "publish after one new pack"), ("nothing_new", "re-publish, nothing new")):
        runs = report[name]
        target = next(t for t in s["targets"] if t["name"] == name)
        walls = ", ".join(f"{r['wall']:.2f}" for r in runs)
        written = ", ".join(str(r["written"]) for r in runs)
        loads = ", ".join(f"{r['load']:.2f}" for r in runs)
        peak = max(r["main_peak_mb"] for r in runs)
        lines.append(
            f"| {label} | {s[name + '_median']:.2f} | {walls} | {written} | {peak:.0f} | {loads} | "
            f"≤ {target['target']:.0f} s (ratio {target['ratio']:.2f}) | {'yes' if target['met'] else 'NO'} |"
        )
    lines.append("")
    lines.append(
        f"Nothing new: {s['nothing_new_written']} files written, {s['nothing_new_mtime_changed']} mtimes changed "
        f"(of {report['nothing_new'][-1]['files']} files under outputs/)."
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wards", type=int, default=COMMUNES)
    parser.add_argument("--feeds", type=int, default=24)
    parser.add_argument("--items", type=int, default=25)
    parser.add_argument("--history", type=int, default=8, help="packs published before the timed runs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="keep the corpus, database and outputs here")
    parser.add_argument("--loa-command", help="measure another checkout, e.g. '/other/.venv/bin/loa'")
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--markdown", type=Path, help="write the summary table here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--horizon-days", type=int, help="broadcast.horizon_days for every ward (default: Loa's, 14)")
    args = parser.parse_args(argv)
    report = run_benchmark(
        wards=args.wards,
        feeds=args.feeds,
        items=args.items,
        history=args.history,
        runs=args.runs,
        seed=args.seed,
        keep=args.keep,
        loa=shlex.split(args.loa_command) if args.loa_command else None,
        log=lambda line: print(line, file=sys.stderr),
        horizon_days=args.horizon_days,
    )
    text = markdown(report)
    for path, data in ((args.json, json.dumps(report, ensure_ascii=False, indent=1)), (args.markdown, text)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data + ("\n" if not data.endswith("\n") else ""), encoding="utf-8")
    print(text, end="")
    met = all(t["met"] for t in report["summary"]["targets"])
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
