"""`loa demo`: serve the bundled snapshots, write a demo config, and run the CLI commands a user would."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from worker.demo.server import StaticServer

DEMO_NOW = "2023-07-10T08:00:00+07:00"
Echo = Callable[[str], None]
Runner = Callable[[list[str], dict[str, str]], int]


def site_root() -> Path:
    return Path(str(resources.files("worker.demo") / "site"))


def write_demo_config(folder: Path, base_url: str, outputs: Path) -> Path:
    template = (resources.files("worker.demo") / "sources.yaml").read_text(encoding="utf-8")
    text = template.replace("{base}", base_url)
    text += f"\ndb: loa.db\nmedia: media\noutputs: {outputs}\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def reset(folder: Path) -> None:
    """A fresh demo every time: drop the previous demo database and media (never outputs/)."""
    for name in ("loa.db", "loa.db-wal", "loa.db-shm", "loa.db.lock"):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "media", ignore_errors=True)


def run_demo(folder: Path, *, echo: Echo, run: Runner, keep_serving: bool = False) -> None:
    folder = folder.resolve()
    reset(folder)
    outputs = Path.cwd().resolve() / "outputs"
    with StaticServer(site_root()) as server:
        config = write_demo_config(folder, server.url, outputs)
        env = {"LOA_CONFIG": str(config), "LOA_NOW": DEMO_NOW}
        echo(f"Loa demo: sample sources served at {server.url}, clock set to {DEMO_NOW}")
        echo(f"config: {config}\n")
        steps: list[tuple[str, list[str]]] = [
            ("Sources in the demo config", ["sources", "list"]),
            ("First sync: everything is new", ["sync"]),
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
        ]
        for title, args in steps:
            echo(f"\n=== {title}: loa {' '.join(args)}")
            code = run(args, env)
            if code not in (0,):
                echo(f"(exit code {code})")
        echo(f"\nServer counted {server.requests} requests, {server.not_modified} answered 304.")
        echo(f"Database: {folder / 'loa.db'}  (open it with `sqlite-utils tables` or Datasette)")
        media = sorted(p for p in (folder / "media").rglob("*") if p.is_file())
        echo(f"Media: {len(media)} files under {folder / 'media'} (PDF, DOCX, images, TikTok thumbnails)")
        echo(f"City site: {outputs / 'site' / 'index.html'}  (open it in a browser, or serve {outputs / 'site'})")
        echo(f"Ward feeds: {outputs / 'feeds'}/<ward-id>.xml and .json")
        queue = outputs / "queues" / "phuong-dien-bien"
        echo(f"Loudspeaker queue: {queue / 'index.html'}  (print it on A4; scripts per slot and queue.json beside it)")
        if keep_serving:
            echo(f"Serving {server.url} until Ctrl-C")
            try:
                import time

                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
