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
