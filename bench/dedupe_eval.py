"""Near-duplicate evaluation: quality on the labelled set, and speed on synthetic 20k/100k histories.

    python bench/dedupe_eval.py                # quality (labelled set) + parameter sweep
    python bench/dedupe_eval.py --speed        # + incremental, rebuild and all-pairs timings (takes minutes)

Synthetic corpora are generated at run time from a bigram walk over the seed texts, never committed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from worker.dedupe import (  # noqa: E402
    BandIndex,
    Clusterer,
    DedupeConfig,
    band_keys,
    best_match,
    best_retelling,
    idf,
    signature,
)

LABELLED = ROOT / "tests" / "fixtures" / "dedupe" / "labelled.jsonl"


def load_labelled(path: Path = LABELLED) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted(rows, key=lambda r: (r["published_at"], r["rank"], r["id"]))


def cluster(rows: list[dict[str, Any]], config: DedupeConfig, *, all_pairs: bool = False) -> dict[str, str]:
    """Sequential clustering as sync does it: each item joins the story of its best earlier match.

    Document frequencies grow as items arrive, as they do in the database during syncs.
    `all_pairs` checks every earlier item instead of the LSH / rare-term candidates.
    """
    clusterer = Clusterer(config)
    for row in rows:
        sig = signature(row["title"], row.get("summary", ""), row.get("body", ""), config)
        keys = band_keys(sig.hashvalues, config)
        if all_pairs:
            clusterer.df.update(sig.terms)
            clusterer.total += 1
            earlier = list(clusterer.signatures)
            match = best_match(sig.shingles, ((c, clusterer.signatures[c].shingles) for c in earlier), config)
            if match is None:
                weights = {t: idf(n, clusterer.total) for t, n in clusterer.df.items()}
                match = best_retelling(
                    sig.terms,
                    ((c, clusterer.cluster[c], clusterer.signatures[c].terms) for c in earlier),
                    weights,
                    config,
                )
            clusterer.cluster[row["id"]] = clusterer.cluster[match.item_id] if match else row["id"]
            clusterer.signatures[row["id"]] = sig
        else:
            clusterer.add(row["id"], sig, keys)
    return dict(clusterer.cluster)


def pairwise(rows: list[dict[str, Any]], predicted: dict[str, str]) -> dict[str, float]:
    truth = {r["id"]: r["story"] for r in rows}
    tp = fp = fn = 0
    for a, b in combinations(truth, 2):
        same_truth = truth[a] == truth[b]
        same_pred = predicted[a] == predicted[b]
        tp += same_truth and same_pred
        fp += same_pred and not same_truth
        fn += same_truth and not same_pred
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    clusters: dict[str, list[str]] = {}
    for item, cid in predicted.items():
        clusters.setdefault(cid, []).append(truth[item])
    purity = sum(Counter(labels).most_common(1)[0][1] for labels in clusters.values()) / len(truth)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "purity": round(purity, 4),
        "clusters": len(clusters),
        "stories": len(set(truth.values())),
    }


def false_merges(rows: list[dict[str, Any]], predicted: dict[str, str]) -> list[tuple[str, str]]:
    truth = {r["id"]: r["story"] for r in rows}
    out = []
    for a, b in combinations(truth, 2):
        if predicted[a] == predicted[b] and truth[a] != truth[b]:
            out.append((a, b))
    return out


def sweep(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results = []
    for shingle in (1, 2, 3):
        for threshold in (0.3, 0.4, 0.5):
            for containment in (0.5, 0.6, 0.7):
                config = DedupeConfig(shingle=shingle, threshold=threshold, containment=containment)
                results.append(
                    {
                        "shingle": shingle,
                        "threshold": threshold,
                        "containment": containment,
                        **pairwise(rows, cluster(rows, config)),
                    }
                )
    return results


# -- synthetic corpora -----------------------------------------------------------------------------


def bigram_model(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    from worker.vietnamese import syllables

    model: dict[str, list[str]] = {}
    for row in rows:
        tokens = syllables(f"{row['title']} {row.get('summary', '')}")
        for a, b in itertools.pairwise(tokens):
            model.setdefault(a, []).append(b)
    return model


def walk(model: dict[str, list[str]], rng: random.Random, length: int) -> str:
    words = list(model)
    token = rng.choice(words)
    out = [token]
    for _ in range(length - 1):
        followers = model.get(token)
        token = rng.choice(followers) if followers and rng.random() < 0.85 else rng.choice(words)
        out.append(token)
    return " ".join(out)


def synthetic(n: int, model: dict[str, list[str]], seed: int = 7) -> list[dict[str, Any]]:
    """n items: fresh stories from a bigram walk, about a third of them followed by a variant."""
    rng = random.Random(seed)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    while len(rows) < n:
        title = walk(model, rng, rng.randint(10, 18))
        lead = walk(model, rng, rng.randint(40, 70))
        sid = f"x{len(rows)}"
        rows.append({"id": sid, "story": sid, "title": title, "summary": lead, "body": "", "rank": 0})
        if rng.random() < 0.35 and len(rows) < n:
            words = lead.split()
            rows.append(
                {
                    "id": f"{sid}v",
                    "story": sid,
                    "title": "[Cảnh báo] " + title,
                    "summary": " ".join(words[: len(words) * 2 // 3]),
                    "body": "",
                    "rank": 1,
                }
            )
    for i, row in enumerate(rows):
        row["published_at"] = (start + timedelta(minutes=10 * i)).isoformat()
    return rows


def speed(
    rows: list[dict[str, Any]], config: DedupeConfig, history: int, probes: int, all_pairs_at: int
) -> dict[str, Any]:
    from worker import stories
    from worker.models import Attachment, Item, ItemKind, Source  # noqa: F401
    from worker.store import Store

    model = bigram_model(rows)
    corpus = synthetic(history + probes, model)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        now = datetime(2024, 1, 1, tzinfo=UTC)
        store.db.table("sources").insert(
            {"id": "bench", "name": "bench", "kind": "feed", "url": "http://127.0.0.1/", "rank": 0, "enabled": 1}
        )
        store.db.table("items").insert_all(
            (
                {
                    "id": r["id"],
                    "source_id": "bench",
                    "guid": r["id"],
                    "url": f"http://127.0.0.1/{r['id']}",
                    "title": r["title"],
                    "summary": r["summary"],
                    "body_html": "",
                    "body_text": r["body"],
                    "published_at": r["published_at"],
                    "fetched_at": r["published_at"],
                    "updated_at": r["published_at"],
                    "content_hash": r["id"],
                    "kind": "warning",
                    "source_rank": r["rank"],
                    "status": "new",
                    "story_id": r["id"],
                }
                for r in corpus[:history]
            ),
            batch_size=2000,
        )
        started = time.perf_counter()
        stories.rebuild(store, config, now=now)
        results["rebuild_seconds"] = round(time.perf_counter() - started, 2)
        results["rebuild_items"] = history
        timings = []
        for r in corpus[history:]:
            store.db.table("items").insert(
                {
                    "id": r["id"],
                    "source_id": "bench",
                    "guid": r["id"],
                    "url": f"http://127.0.0.1/{r['id']}",
                    "title": r["title"],
                    "summary": r["summary"],
                    "body_html": "",
                    "body_text": r["body"],
                    "published_at": r["published_at"],
                    "fetched_at": r["published_at"],
                    "updated_at": r["published_at"],
                    "content_hash": r["id"],
                    "kind": "warning",
                    "source_rank": r["rank"],
                    "status": "new",
                    "story_id": r["id"],
                }
            )
            store.db.table("stories").insert(
                {
                    "id": r["id"],
                    "canonical_item_id": r["id"],
                    "title": r["title"],
                    "created_at": r["published_at"],
                    "updated_at": r["published_at"],
                }
            )
            started = time.perf_counter()
            with store.transaction():
                stories.link_items(store, (r["id"],), config, now=now)
            timings.append((time.perf_counter() - started) * 1000)
        results["incremental_ms_median"] = round(statistics.median(timings), 3)
        results["incremental_ms_p95"] = round(sorted(timings)[int(len(timings) * 0.95)], 3)
        results["incremental_probes"] = len(timings)
        store.close()

    # All-pairs baseline vs LSH on the first `all_pairs_at` items, probing with the next ones.
    small = corpus[:all_pairs_at]
    sigs = {r["id"]: signature(r["title"], r["summary"], r["body"], config) for r in small}
    index = BandIndex()
    for r in small:
        index.add(r["id"], band_keys(sigs[r["id"]].hashvalues, config))
    probe_rows = corpus[history : history + min(probes, 100)]
    lsh_ms, pairs_ms, agree = [], [], 0
    for r in probe_rows:
        sig = signature(r["title"], r["summary"], r["body"], config)
        started = time.perf_counter()
        cands = index.query(band_keys(sig.hashvalues, config))
        got_lsh = best_match(sig.shingles, ((c, sigs[c].shingles) for c in cands), config)
        lsh_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        got_all = best_match(sig.shingles, ((c, s.shingles) for c, s in sigs.items()), config)
        pairs_ms.append((time.perf_counter() - started) * 1000)
        agree += (got_lsh is None) == (got_all is None) and (got_lsh is None or got_lsh.item_id == got_all.item_id)  # type: ignore[union-attr]
    results["all_pairs_items"] = all_pairs_at
    results["all_pairs_ms_median"] = round(statistics.median(pairs_ms), 3)
    results["lsh_in_memory_ms_median"] = round(statistics.median(lsh_ms), 3)
    results["speedup"] = round(statistics.median(pairs_ms) / max(statistics.median(lsh_ms), 1e-6), 1)
    results["lsh_agrees_with_all_pairs"] = f"{agree}/{len(probe_rows)}"
    # Labelled set: LSH candidates vs exact all-pairs, same clustering rule.
    results["labelled_all_pairs"] = pairwise(rows, cluster(rows, config, all_pairs=True))
    return results


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "nproc": nproc,
        "cpu": cpu,
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--all-pairs-at", type=int, default=20_000)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    rows = load_labelled()
    config = DedupeConfig()
    report: dict[str, Any] = {
        "machine": machine(),
        "items": len(rows),
        "config": {k: v for k, v in vars(config).items() if k != "boilerplate"},
    }
    predicted = cluster(rows, config)
    report["labelled"] = pairwise(rows, predicted)
    # Stress test for the retelling rule: a third of the stories lose every item but their captions,
    # so those captions have no article to match and must not join a similar story instead.
    orphaned = [r for r in rows if not (int(r["story"][1:]) % 3 == 0 and r["kind"] != "video")]
    report["captions_without_article"] = pairwise(orphaned, cluster(orphaned, config))
    if args.show_errors:
        truth = {r["id"]: r["story"] for r in rows}
        report["false_merges"] = false_merges(rows, predicted)[:30]
        missed: dict[str, set[str]] = {}
        for item, cid in predicted.items():
            missed.setdefault(truth[item], set()).add(cid)
        report["split_stories"] = {s: sorted(c) for s, c in missed.items() if len(c) > 1}
    if args.sweep:
        report["sweep"] = sweep(rows)
    if args.speed:
        report["speed"] = speed(rows, replace(config), args.history, args.probes, args.all_pairs_at)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
