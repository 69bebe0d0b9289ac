"""`loa queue show` and `loa queue plan`; ward quiet days and daily caps from config and imports; TTS at publish."""

from __future__ import annotations

import json
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.queue_support import NOW, ack, invoke, publish, queue_env, rows
from worker.errors import ConfigError
from worker.wards import parse_wards, parse_wards_text

Site = tuple[Path, object]


def test_queue_plan_is_a_dry_run_table_of_every_wards_slots(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    output = invoke(env, "queue", "plan", "--days", "2").output
    lines = output.splitlines()
    assert lines[0].split() == ["ward", "date", "slot", "stories", "used", "/", "slot", "day", "/", "cap"]
    # 3 wards with slots: Điện Biên 2 a day, Hàm Rồng 1, Hoằng Đại 1, over 2 days; Lam Sơn has no slots.
    table = [line.split() for line in lines[2:] if line.startswith(("phuong", "xa"))]
    assert len(table) == 8 and not [r for r in table if r[0] == "phuong-lam-son"]
    today = next(r for r in table if r[:3] == ["phuong-dien-bien", "2023-07-10", "17:00"])
    assert int(today[3]) == 1 and today[4] != "0:00" and today[5:7] == ["/", "15:00"]
    ham_rong = next(r for r in table if r[0] == "phuong-ham-rong" and r[1] == "2023-07-11")
    assert ham_rong[-1] == "20:00"  # the daily cap
    assert "the next publish would make:" in output and "added" in output
    assert rows(env) == [] and not (tmp_path / "out").exists()  # nothing written


def test_queue_plan_json_marks_quiet_days_and_starts_at_the_campaign(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    before = json.loads(invoke(env, "queue", "plan", "--days", "1", "--json", now="2023-06-20T08:00:00+07:00").output)
    assert before["from"] == "2023-07-01"  # now is before the campaign
    data = json.loads(invoke(env, "queue", "plan", "--days", "2", "--json", now="2023-07-15T08:00:00+07:00").output)
    sunday = [s for s in data["slots"] if s["ward"] == "phuong-ham-rong" and s["date"] == "2023-07-16"]
    assert sunday and sunday[0]["quiet"] and sunday[0]["stories"] == 0
    assert {s["daily_cap_seconds"] for s in data["slots"] if s["ward"] == "phuong-ham-rong"} == {1200}


def test_queue_show_lists_slots_entries_running_times_and_acks(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env)
    stored = [r for r in rows(env) if r["ward"] == "phuong-ham-rong"]
    ack(env, stored[0]["id"], "aired")
    output = invoke(env, "queue", "show", "phuong-ham-rong").output
    assert output.startswith("Phường Hàm Rồng (phuong-ham-rong):")
    assert f"{stored[0]['date']} {stored[0]['slot']}  running " in output and "of 15:00" in output
    assert "[aired  ]" in output and "[queued ]" in output
    data = json.loads(invoke(env, "queue", "show", "phuong-ham-rong", "--json").output)
    entries = [e for s in data["slots"] for e in s["entries"]]
    assert len(entries) == len(stored) and entries[0]["status"] == "aired" and entries[0]["aired_at"]
    assert all(s["seconds"] > sum(e["seconds"] for e in s["entries"]) for s in data["slots"])  # intro and outro
    day = stored[-1]["date"]
    only = json.loads(invoke(env, "queue", "show", "phuong-ham-rong", "--date", day, "--json").output)
    assert {s["date"] for s in only["slots"]} == {day}


def test_queue_show_errors_and_a_ward_without_slots(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    runner = CliRunner()
    base = {"LOA_CONFIG": str(env.config), "LOA_NOW": NOW}
    unknown = runner.invoke(main, ["queue", "show", "phuong-khong-co"], env=base)
    assert unknown.exit_code == 1 and "no ward 'phuong-khong-co'" in unknown.output
    bad = runner.invoke(main, ["queue", "show", "phuong-ham-rong", "--date", "10/07/2023"], env=base)
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    plain = invoke(env, "queue", "show", "phuong-lam-son").output
    assert "has no slots" in plain


# -- ward config ---------------------------------------------------------------------------------------


def test_wards_accept_quiet_days_and_daily_cap() -> None:
    (ward,) = parse_wards(
        [
            {
                "id": "xa-a",
                "name": "Xã A",
                "kind": "xa",
                "slots": ["06:00/15m"],
                "quiet_days": ["chủ nhật", date(2023, 9, 2)],
                "daily_cap": "45m",
            }
        ]
    )
    view = ward.broadcast()
    assert view is not None and view.quiet_weekdays == frozenset({6}) and view.daily_cap_seconds == 2700
    assert ward.quiet_days == ("chủ nhật", "2023-09-02")
    assert parse_wards([{"id": "p", "name": "P", "daily_cap": 30}])[0].broadcast() is None  # no slots, no queue


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"quiet_days": ["someday"]}, "wards[0].quiet_days[0]"),
        ({"daily_cap": 0}, "wards[0].daily_cap"),
        ({"daily_cap": "half an hour"}, "wards[0].daily_cap"),
    ],
)
def test_bad_quiet_days_and_caps_name_the_key(entry: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_wards([{"id": "p", "name": "P", "slots": ["06:00/15m"], **entry}])
    assert error.value.path == path


def test_csv_wards_and_imports_keep_quiet_days_and_caps(tmp_path: Path, site: Site) -> None:
    csv_text = "id,name,kind,slots,quiet_days,daily_cap\nxa-b,Xã B,xa,06:00/15m;17:00/15m,sunday;2023-09-02,25\n"
    (ward,) = parse_wards_text(csv_text, "wards.csv")
    assert ward.quiet_days == ("sunday", "2023-09-02") and ward.daily_cap == "25"
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    (tmp_path / "wards.csv").write_text(csv_text, encoding="utf-8")
    invoke(env, "wards", "import", str(tmp_path / "wards.csv"))
    listed = json.loads(invoke(env, "wards", "list", "--json").output)["wards"]
    assert listed[0]["quiet_days"] == ["sunday", "2023-09-02"] and listed[0]["daily_cap"] == "25"
    plan = json.loads(invoke(env, "queue", "plan", "--days", "1", "--json").output)
    assert {s["daily_cap_seconds"] for s in plan["slots"]} == {1500}


# -- TTS -----------------------------------------------------------------------------------------------

FAKE_TTS = """\
import sys, wave
text = open(sys.argv[1], encoding="utf-8").read()
with open(sys.argv[3], "a", encoding="utf-8") as log:
    log.write(sys.argv[1].rsplit("/", 1)[-1] + "\\n")
with wave.open(sys.argv[2], "wb") as out:
    out.setnchannels(1); out.setsampwidth(2); out.setframerate(8000)
    out.writeframes(b"\\0\\0" * 8000 * max(1, len(text.split()) // 4))
"""


def test_tts_renders_changed_slots_only_and_a_playlist(tmp_path: Path, site: Site) -> None:
    (tmp_path / "tts.py").write_text(FAKE_TTS, encoding="utf-8")
    log = tmp_path / "tts.log"
    command = f"{sys.executable} {tmp_path / 'tts.py'} {{in}} {{out}} {log}"
    env = queue_env(tmp_path, site, textwrap.dedent(f"broadcast: {{tts: {{command: '{command}'}}}}\n"))  # type: ignore[arg-type]
    first = publish(env)
    assert first["tts_errors"] == []
    folder = tmp_path / "out" / "queues" / "phuong-ham-rong"
    audio = sorted(p for p in folder.iterdir() if p.suffix in (".mp3", ".wav"))
    assert audio and [p.stem for p in audio] == sorted(p.stem for p in folder.glob("*.txt") if p.stem > "2023-07-10_08")
    playlist = (folder / "playlist.m3u").read_text(encoding="utf-8").splitlines()
    assert playlist[0] == "#EXTM3U" and playlist[2] == audio[0].name and playlist[1].startswith("#EXTINF:")
    rendered = log.read_text(encoding="utf-8").splitlines()
    again = publish(env)
    assert again["written"] == [] and log.read_text(encoding="utf-8").splitlines() == rendered  # nothing re-rendered
    # An edited story changes the scripts it is in: only those slots are spoken again.
    store = env.store()
    try:
        store.db.execute("update approved_revisions set broadcast_text = 'Bà con cảnh giác.'")
    finally:
        store.close()
    publish(env, now="2023-07-10T09:00:00+07:00")
    redone = log.read_text(encoding="utf-8").splitlines()[len(rendered) :]
    assert 0 < len(redone) <= len(rendered)


def test_a_missing_tts_engine_never_fails_publish(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site, "broadcast: {tts: {command: 'no-such-tts-engine -w {out} -f {in}'}}\n")  # type: ignore[arg-type]
    report = publish(env)
    assert report["tts_errors"] and "not installed" in report["tts_errors"][0]
    assert (tmp_path / "out" / "queues" / "phuong-ham-rong" / "queue.json").is_file()
    assert not list((tmp_path / "out" / "queues").rglob("*.m3u"))
