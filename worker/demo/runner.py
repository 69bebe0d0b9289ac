"""`loa demo`: serve the bundled snapshots, write a demo config, and run the CLI commands a user would."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from worker.demo.receiver import DemoReceiver
from worker.demo.server import StaticServer

DEMO_NOW = "2023-07-10T08:00:00+07:00"
DESK_NOW = "2023-07-10T18:30:00+07:00"  # after the demo wards' evening slots
DEMO_SECRET = "demo-secret-not-for-production"  # the demo CMS's HMAC secret, passed as LOA_DEMO_CMS_SECRET
Echo = Callable[[str], None]
Runner = Callable[[list[str], dict[str, str]], int]


def site_root() -> Path:
    return Path(str(resources.files("worker.demo") / "site"))


def write_demo_config(folder: Path, base_url: str, outputs: Path, cms_url: str | None = None) -> Path:
    template = (resources.files("worker.demo") / "sources.yaml").read_text(encoding="utf-8")
    text = template.replace("{base}", base_url)
    text += f"\ndb: loa.db\nmedia: media\noutputs: {outputs}\n"
    if cms_url:
        text += (
            "destinations:\n"
            f"  - {{id: cong-thong-tin-thanh-pho, kind: http, url: '{cms_url}', secret_env: LOA_DEMO_CMS_SECRET}}\n"
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def reset(folder: Path) -> None:
    """A fresh demo every time: drop the previous demo database and media (never outputs/)."""
    for name in ("loa.db", "loa.db-wal", "loa.db-shm", "loa.db.lock"):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "media", ignore_errors=True)


DESK_WARD = "phuong-dien-bien"


def desk_acks(db: Path, env: dict[str, str], *, echo: Echo, run: Runner) -> None:
    """Ward desk: issue the demo ward's token, then ack the slots that have started (one skipped with a reason)."""
    from datetime import datetime

    from worker.store import Store

    echo(f"\n=== Issue the desk token of {DESK_WARD}: loa wards token {DESK_WARD}")
    run(["wards", "token", DESK_WARD, "--as", "demo"], env)
    store = Store.open(db)
    try:
        entries = store.ward_queue(DESK_WARD)
    finally:
        store.close()
    # The operator reports after the evening session, so the ack commands run at that time.
    evening = {**env, "LOA_NOW": DESK_NOW}
    now = datetime.fromisoformat(DESK_NOW)
    started = [e for e in entries if datetime.fromisoformat(f"{e['date']}T{e['slot']}:00{DESK_NOW[-6:]}") <= now]
    if not started:
        echo(f"(No queue entries for {DESK_WARD} whose slot had started by {DESK_NOW}: nothing to ack.)")
        return
    aired, skipped = [e["id"] for e in started[:-1]], started[-1]["id"]
    if aired:
        echo(
            f"\n=== At {DESK_NOW[11:16]} the ward reports what aired: loa queue ack {DESK_WARD} {' '.join(a[:12] for a in aired)}"
        )
        run(["queue", "ack", DESK_WARD, *aired, "--aired-at", started[0]["slot"], "--as", "demo"], evening)
    echo(f"\n=== And one item that did not air: loa queue ack {DESK_WARD} {skipped[:12]} --skipped --reason …")
    run(["queue", "ack", DESK_WARD, skipped, "--skipped", "--reason", "Mất điện cả khu phố", "--as", "demo"], evening)
    echo(f"\n=== The ack log: loa queue acks {DESK_WARD}")
    run(["queue", "acks", DESK_WARD], env)
    echo("Serve the desk with `loa serve` and open /ward/<id>/ with the token printed above.")


def report_files(folder: Path, env: dict[str, str], *, echo: Echo, run: Runner) -> list[Path]:
    """The campaign report in every format (issue 9); with no queue entries yet every ward reads "chưa báo cáo"."""
    paths: list[Path] = []
    for fmt in ("docx", "md", "csv", "html"):
        target = folder / "reports" / f"bao-cao-thanh-pho.{fmt}"
        echo(f"\n=== Campaign report ({fmt}): loa report --format {fmt} --out {target}")
        if run(["report", "--format", fmt, "--out", str(target)], env) == 0:
            paths.append(target)
    echo(f"\n=== Ward report: loa report --ward {DESK_WARD}")
    ward = folder / "reports" / f"bao-cao-{DESK_WARD}.docx"
    if run(["report", "--ward", DESK_WARD, "--out", str(ward)], env) == 0:
        paths.append(ward)
    echo("\n=== Unreported slots before report_due: loa report --check")
    run(["report", "--check"], env)
    return paths


def run_demo(folder: Path, *, echo: Echo, run: Runner, keep_serving: bool = False) -> None:
    folder = folder.resolve()
    reset(folder)
    outputs = Path.cwd().resolve() / "outputs"
    with StaticServer(site_root()) as server, DemoReceiver(DEMO_SECRET, echo) as cms:
        config = write_demo_config(folder, server.url, outputs, cms.url)
        env = {"LOA_CONFIG": str(config), "LOA_NOW": DEMO_NOW, "LOA_DEMO_CMS_SECRET": DEMO_SECRET}
        echo(f"Loa demo: sample sources served at {server.url}, clock set to {DEMO_NOW}")
        echo(f"config: {config}\n")
        steps: list[tuple[str, list[str]]] = [
            ("Sources in the demo config", ["sources", "list"]),
            ("First sync: everything is new", ["sync"]),
            ("Link the new items into stories (the dedupe stage after sync)", ["dedupe", "link"]),
            ("Items in the database (exact duplicates merged)", ["items", "list", "--limit", "40"]),
            (
                "TikTok videos (captions from oEmbed, thumbnails downloaded)",
                ["items", "list", "--source", "tiktok-congkgmqg"],
            ),
            ("Second sync, forced: conditional GETs answered 304", ["sync", "--force"]),
            ("Source health", ["status"]),
            ("Health check for cron (exit 1 if a source is failing or broken)", ["status", "--check"]),
            (
                "Approve the demo stories (an officer would review each one)",
                ["approve", "--since", "2023-06-01", "--yes", "--as", "demo"],
            ),
            ("Bundle the approved stories into a pack", ["pack", "build", "--as", "demo"]),
            ("Publish the city site and the ward feeds", ["publish"]),
            ("Publish again: nothing changes", ["publish"]),
            (
                "Two days of loudspeaker slots for every ward (dry run, writes nothing)",
                ["queue", "plan", "--days", "2"],
            ),
            ("What Phường Điện Biên's loudspeaker reads, slot by slot", ["queue", "show", "phuong-dien-bien"]),
            ("Deliveries: the pack pushed, signed, to the city CMS (a receiver on 127.0.0.1)", ["deliveries", "list"]),
        ]
        for title, args in steps:
            echo(f"\n=== {title}: loa {' '.join(args)}")
            code = run(args, env)
            if code not in (0,):
                echo(f"(exit code {code})")
        desk_acks(folder / "loa.db", env, echo=echo, run=run)
        reports = report_files(folder, env, echo=echo, run=run)
        echo(f"\nThe demo CMS received {cms.received} signed deliveries at {cms.url}.")
        echo(f"\nServer counted {server.requests} requests, {server.not_modified} answered 304.")
        echo(f"Database: {folder / 'loa.db'}  (open it with `sqlite-utils tables` or Datasette)")
        media = sorted(p for p in (folder / "media").rglob("*") if p.is_file())
        echo(f"Media: {len(media)} files under {folder / 'media'} (PDF, DOCX, images, TikTok thumbnails)")
        echo(f"City site: {outputs / 'site' / 'index.html'}  (open it in a browser, or serve {outputs / 'site'})")
        echo(f"Ward feeds: {outputs / 'feeds'}/<ward-id>.xml and .json")
        queue = outputs / "queues" / "phuong-dien-bien"
        beside = "scripts per slot, queue.json and a JSON file per day beside it"
        echo(f"Loudspeaker queue: {queue / 'index.html'}  (print it on A4; {beside})")
        for path in reports:
            echo(f"Report: {path}")
        if keep_serving:
            echo(f"Serving {server.url} until Ctrl-C")
            try:
                import time

                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
