"""The sync benchmark harness runs end to end on a tiny corpus, so it never rots. No timed assertions."""

from __future__ import annotations

import shutil

from bench.sync_vs_newsboat import run_benchmark

FEEDS, ITEMS = 3, 5


def test_harness_runs_loa_and_counts_conditional_requests() -> None:
    newsboat = shutil.which("newsboat") is not None
    report = run_benchmark(
        profiles=("loopback",), feeds=FEEDS, items=ITEMS, rounds=1, newsboat=newsboat, baseline=True, log=lambda _: None
    )
    runs = report["runs"]
    assert not [r for r in runs if r["error"]], [r["error"] for r in runs if r["error"]]

    def run(side: str, step: str) -> dict:  # type: ignore[type-arg]
        [found] = [r for r in runs if r["side"] == side and r["step"] == step]
        return found

    full = run("loa", "full")
    assert full["totals"]["ok"] == FEEDS and full["stored"] == FEEDS * ITEMS
    assert full["server"]["requests"] == FEEDS and full["server"]["ok"] == FEEDS
    assert full["server"]["conditional"] == 0 and full["server"]["robots"] == 1
    link = run("loa", "link")  # the dedupe stage, timed apart from the sync
    assert link["totals"]["items"] == FEEDS * ITEMS and link["server"]["requests"] == 0
    nochange = run("loa", "nochange")
    assert nochange["totals"]["not_modified"] == FEEDS and nochange["totals"]["new"] == 0
    assert nochange["server"]["requests"] == nochange["server"]["conditional"] == FEEDS
    assert nochange["server"]["not_modified"] == FEEDS and nochange["server"]["ok"] == 0
    assert full["main_peak_mb"] > 0 and full["tree_peak_mb"] >= full["main_peak_mb"]

    baseline = run("baseline", "full")
    assert baseline["server"]["requests"] == FEEDS and baseline["server"]["conditional"] == 0

    summary = report["summary"]["loopback"]
    assert summary["loa_nochange"]["all_conditional_304"]
    if newsboat:
        # newsboat keeps one row per guid, so a story that several feeds carry is stored once.
        assert 0 < run("newsboat", "full")["stored"] <= FEEDS * ITEMS
        # newsboat 2.21 keeps no validators from its first fetch: its third fetch is the conditional one.
        assert run("newsboat", "nochange")["server"]["not_modified"] == FEEDS
        assert "loa/newsboat nochange" in summary["ratios"]


def test_publish_fanout_harness_counts_files_and_rewrites_nothing_the_second_time() -> None:
    from bench.publish_fanout import run_benchmark as run_fanout

    wards = 20
    report = run_fanout(wards=wards, feeds=5, items=10, history=2, runs=1, log=lambda _: None)
    assert report["first_publish"]["wards"] == wards and report["first_publish"]["written"] > 0
    assert report["outputs"] == {"feeds": wards, "queues": wards}
    assert report["setup"]["stored_items"] > 0 and all(n > 0 for n in report["setup"]["history_pack_stories"])
    [new_pack] = report["one_new_pack"]
    assert new_pack["new_stories"] > 0 and new_pack["written"] > 0 and new_pack["packs"] == 3
    assert new_pack["queues"]["wards"] == wards and new_pack["queues"]["entries"] > 0
    [again] = report["nothing_new"]
    assert again["written"] == 0 and again["removed"] == 0 and again["mtime_changed"] == []
    assert again["unchanged"] > 0 and again["files"] > wards
    assert report["summary"]["nothing_new_written"] == 0
    assert again["main_peak_mb"] > 0
