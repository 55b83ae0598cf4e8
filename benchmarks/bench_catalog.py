"""4. Catalog: opening a 100 000-recipe folder, and claim/lookup latency through the catalog actor.

An output folder of small valid `<slug>.recipe.json` files is generated once under
benchmarks/work/catalog/ and reused. Measured, each in its own subprocess (so memory is per
operation, and timings exclude interpreter start-up):
  (a) `RecipeStore(folder)` when the index is current (goal ≤ 1 s);
  (b) the first `RecipeStore(folder)`, which builds the index from the files (index deleted first);
  (c) the old behaviour, `benchmarks/baselines/rebuild_index.py`: read and parse every file to
      build a URL → slug dict, as the old importer did on every request;
  (d) `Catalog.open(folder)` in a fresh local Ray, then `claim()` batches of 256 URLs (already
      imported, and new ones) and single `lookup()` / `claim()` calls: per-URL p50/p99 (one run:
      its quantiles come from 100 + 100 batches and 1 000 + 1 000 single calls).

Child modes (used by run.py): `python benchmarks/bench_catalog.py open|actor FOLDER`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

NAME = "catalog"
TITLE = "4. Catalog: opening 100 000 recipes; claim/lookup latency"
FILES = 100_000
QUICK_FILES = 10_000
HOSTS = 500
OPEN_GOAL_S = 1.0
BATCH = 256
FORMAT = 1  # bump to regenerate the folders


def source_url(i: int) -> str:
    return f"https://site{i % HOSTS}.example.com/recipes/{i}-bench-recipe/"


def _document(i: int) -> dict[str, Any]:
    slug = f"bench-recipe-{i:06d}"
    url = source_url(i)
    return {
        "format_version": 1, "slug": slug, "source_url": url, "canonical_url": url,
        "host": f"site{i % HOSTS}.example.com", "site_name": None, "language": "en",
        "title": f"Bench recipe {i}", "author": None, "description": None, "image": None,
        "ingredients": ["2 eggs", "100 g flour", "1 pinch of salt"],
        "ingredient_groups": [{"purpose": None, "ingredients": ["2 eggs", "100 g flour", "1 pinch of salt"]}],
        "parsed_ingredients": [], "instructions": ["Mix.", "Bake 20 minutes."], "yields": "2 servings",
        "servings": 2, "total_time": 25, "prep_time": 5, "cook_time": 20, "category": [], "cuisine": [],
        "keywords": [], "nutrients": {}, "ratings": None, "ratings_count": None,
        "provenance": {"extractor": "schema.org", "fetched_at": "2026-01-01T00:00:00+00:00",
                       "imported_at": "2026-01-01T00:00:00+00:00", "final_url": url,
                       "content_sha256": f"{i:064x}", "importer_version": "bench"},
    }


def generate(folder: Path, n: int) -> float:
    """Write n recipe files once; a marker says the folder is complete (and for which n)."""
    marker = folder / ".bench-complete"
    if marker.is_file() and marker.read_text() == f"{n} {FORMAT}":
        return 0.0
    started = time.perf_counter()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for i in range(n):
        doc = _document(i)
        (folder / f"{doc['slug']}.recipe.json").write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    marker.write_text(f"{n} {FORMAT}")
    return time.perf_counter() - started


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(1000 * statistics.median(ordered), 3),
            "p99_ms": round(1000 * at(0.99), 3), "max_ms": round(1000 * ordered[-1], 3)}


# -- child modes ------------------------------------------------------------------------------

def child_open(folder: Path) -> dict[str, Any]:
    from ray_import.store import RecipeStore

    started = time.perf_counter()
    store = RecipeStore(folder)
    seconds = time.perf_counter() - started
    sync = store.last_sync
    result = {"seconds": round(seconds, 3), "recipes": store.count(), "parsed": sync.parsed,
              "removed": sync.removed, "rebuilt": sync.rebuilt, "sync_seconds": round(sync.seconds, 3),
              "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    store.close()
    return result


def child_actor(folder: Path, n_files: int, batches: int, singles: int) -> dict[str, Any]:
    import ray

    from ray_import.catalog import Catalog

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    started = time.perf_counter()
    catalog = Catalog.open(folder)
    open_s = time.perf_counter() - started
    step = max(1, n_files // (batches * BATCH))

    def timed(fn, *args) -> tuple[float, Any]:
        t = time.perf_counter()
        out = fn(*args)
        return time.perf_counter() - t, out

    existing, new, statuses = [], [], {}
    for b in range(batches):
        urls = [source_url((b * BATCH + j) * step % n_files) for j in range(BATCH)]
        seconds, decisions = timed(catalog.claim, urls)
        existing.append(seconds)
        for d in decisions:
            statuses[d.status] = statuses.get(d.status, 0) + 1
        urls = [f"https://new{j % 50}.example.org/r/{b}-{j}" for j in range(BATCH)]
        seconds, decisions = timed(catalog.claim, urls)
        new.append(seconds)
        catalog.release([(d.key, d.token) for d in decisions if d.status == "claimed"])
    lookups, single_claims, claims = [], [], []
    for i in range(singles):
        seconds, _ = timed(catalog.lookup, source_url(i * 7 % n_files))
        lookups.append(seconds)
        seconds, decisions = timed(catalog.claim, [f"https://single.example.org/r/{i}"])
        single_claims.append(seconds)
        claims += [(d.key, d.token) for d in decisions if d.status == "claimed"]
    catalog.release(claims)
    ray.shutdown()
    per_url = lambda xs: quantiles([x / BATCH for x in xs])  # noqa: E731
    return {
        "open_s": round(open_s, 3), "statuses_existing": statuses,
        "batch_existing": {"round_trip": quantiles(existing), "per_url": per_url(existing)},
        "batch_new": {"round_trip": quantiles(new), "per_url": per_url(new)},
        "single_lookup": quantiles(lookups),
        "single_claim": quantiles(single_claims),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="catalog benchmark child process")
    parser.add_argument("mode", choices=["open", "actor"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--files", type=int, default=FILES)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--singles", type=int, default=1000)
    args = parser.parse_args()
    if args.mode == "open":
        print(json.dumps(child_open(args.folder)))
    else:
        print(json.dumps(child_actor(args.folder, args.files, args.batches, args.singles)))


# -- orchestration (run.py) -----------------------------------------------------------------

def run(ctx: Any) -> dict[str, Any]:
    from common import BENCH, PY, child_env, log, run_measured, stats_of

    n = QUICK_FILES if ctx.quick else FILES
    folder = ctx.dir(NAME) / f"recipes-{n}"
    generated_s = generate(folder, n)
    log(f"{NAME}: {n} files {'generated in %.1fs' % generated_s if generated_s else 'reused'} in {folder}")
    env = child_env()
    me = str(Path(__file__).resolve())
    runs: dict[str, list[dict[str, Any]]] = {}
    drop_index = lambda: shutil.rmtree(folder / ".ray-import", ignore_errors=True)  # noqa: E731
    for rep in range(ctx.repeats):
        for label, cmd, prepare in (
            ("build", [PY, me, "open", str(folder)], drop_index),          # (b) no index yet
            ("current", [PY, me, "open", str(folder)], None),              # (a) index current
            ("rebuild_baseline", [PY, str(BENCH / "baselines" / "rebuild_index.py"), str(folder)], None),  # (c)
            ("actor", [PY, me, "actor", str(folder), "--files", str(n)], None),  # (d)
        ):
            if label == "actor" and rep:
                continue  # once: its p50/p99 come from thousands of calls; a Ray start costs ~15 s
            result = run_measured(cmd, env, f"{NAME}-{label}-r{rep}", ctx, prepare=prepare)
            runs.setdefault(label, []).append(result)
            log(f"{NAME} {label} r{rep}: {json.dumps(result.get('output'))[:200]}, peak RSS {result['peak_rss_mb']} MB")
    summary: dict[str, Any] = {"process": {label: stats_of(rs) for label, rs in runs.items()}}
    for label, rs in runs.items():
        # A short single process can end between two samples: its own ru_maxrss is exact.
        own = _median([_get(r.get("output"), "maxrss_mb") for r in rs])
        if own is not None:
            summary["process"][label]["peak_rss_mb"] = max(own, summary["process"][label]["peak_rss_mb"] or 0)
    med = lambda label, *path: _median([_get(r["output"], *path) for r in runs[label]])  # noqa: E731
    summary["open_current_s"] = med("current", "seconds")
    summary["open_build_s"] = med("build", "seconds")
    summary["rebuild_baseline_s"] = med("rebuild_baseline", "seconds")
    summary["actor"] = {key: {q: med("actor", key, *sub, q) for q in ("p50_ms", "p99_ms")}
                        for key, sub in (("batch_existing", ("per_url",)), ("batch_new", ("per_url",)),
                                         ("single_lookup", ()), ("single_claim", ()))}
    summary["actor_round_trip"] = {key: {q: med("actor", key, "round_trip", q) for q in ("p50_ms", "p99_ms")}
                                   for key in ("batch_existing", "batch_new")}
    summary["actor_open_s"] = med("actor", "open_s")
    summary["current_checks"] = [r["output"] for r in runs["current"]][-1]
    summary["build_checks"] = [r["output"] for r in runs["build"]][-1]
    summary["open_goal_status"] = "met" if summary["open_current_s"] <= OPEN_GOAL_S else "missed"
    return {"files": n, "generated_s": round(generated_s, 1), "summary": summary, "runs": runs}


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _median(values: list[Any]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 4) if values else None


def markdown(result: dict[str, Any]) -> list[str]:
    from common import fmt

    s = result["summary"]
    n = result["files"]
    a = s["actor"]
    rt = s["actor_round_trip"]
    proc = s["process"]
    lines = [
        f"{n:,} small valid `*.recipe.json` files (~1 KB, {HOSTS} hosts) in `benchmarks/work/catalog/`, generated once "
        "and reused (page cache warm). Times are measured inside each child process around the operation alone; "
        "memory is that process's (for (d): the driver + all of Ray's).",
        "",
        "| operation | time s (median) | vs (c), the old behaviour | peak RSS MB | peak PSS MB | check |",
        "|---|---|---|---|---|---|",
        f"| (a) `RecipeStore(folder)`, index current | **{fmt(s['open_current_s'], 3)}** "
        f"| {_faster(s['rebuild_baseline_s'], s['open_current_s'])} | {fmt(proc['current']['peak_rss_mb'])} "
        f"| {fmt(proc['current']['peak_pss_mb'])} | parsed {s['current_checks']['parsed']} files, {s['current_checks']['recipes']:,} indexed |",
        f"| (b) first `RecipeStore(folder)`, builds the index | {fmt(s['open_build_s'], 3)} "
        f"| {_faster(s['rebuild_baseline_s'], s['open_build_s'])} (once per folder) | {fmt(proc['build']['peak_rss_mb'])} "
        f"| {fmt(proc['build']['peak_pss_mb'])} | parsed {s['build_checks']['parsed']:,} files |",
        f"| (c) old behaviour: parse every file into a URL→slug dict | {fmt(s['rebuild_baseline_s'], 3)} | 1 "
        f"| {fmt(proc['rebuild_baseline']['peak_rss_mb'])} | {fmt(proc['rebuild_baseline']['peak_pss_mb'])} | (every request, in the old importer) |",
        "",
        f"Goal (a) ≤ {OPEN_GOAL_S:g} s: **{s['open_goal_status']}**.",
        "",
        f"(d) Through the real catalog actor: `Catalog.open(folder)` in a fresh local Ray took "
        f"{fmt(s['actor_open_s'], 2)} s (actor start + index check); peak RSS of the driver + all Ray processes "
        f"{fmt(proc['actor']['peak_rss_mb'])} MB. "
        f"Batches of {BATCH} URLs (`claim([...])`), per URL = round trip / {BATCH}; singles are one call per URL.",
        "",
        "| call | per-URL p50 ms | per-URL p99 ms | round trip p50 ms | round trip p99 ms |",
        "|---|---|---|---|---|",
        f"| `claim()` batch of {BATCH}, URLs already imported (→ exists) | {fmt(a['batch_existing']['p50_ms'], 3)} "
        f"| {fmt(a['batch_existing']['p99_ms'], 3)} | {fmt(rt['batch_existing']['p50_ms'], 1)} | {fmt(rt['batch_existing']['p99_ms'], 1)} |",
        f"| `claim()` batch of {BATCH}, new URLs (→ claimed) | {fmt(a['batch_new']['p50_ms'], 3)} "
        f"| {fmt(a['batch_new']['p99_ms'], 3)} | {fmt(rt['batch_new']['p50_ms'], 1)} | {fmt(rt['batch_new']['p99_ms'], 1)} |",
        f"| `lookup(url)`, one URL | {fmt(a['single_lookup']['p50_ms'], 3)} | {fmt(a['single_lookup']['p99_ms'], 3)} | = | = |",
        f"| `claim([url])`, one new URL | {fmt(a['single_claim']['p50_ms'], 3)} | {fmt(a['single_claim']['p99_ms'], 3)} | = | = |",
    ]
    return lines


def _faster(old: float | None, new: float | None) -> str:
    if not old or not new:
        return "–"
    return f"{old / new:.1f}× faster" if new <= old else f"{new / old:.1f}× slower"


def goals(result: dict[str, Any]) -> list[str]:
    from common import fmt

    s = result["summary"]
    n = result["files"]
    a = s["actor"]
    return [
        f"| {NAME} | open {n:,} recipes, index current | {fmt(s['open_current_s'], 3)} s | ≤ {OPEN_GOAL_S:g} s "
        f"| {s['open_goal_status']}{'' if n == FILES else ' (at ' + format(n, ',') + ' files)'} |",
        f"| {NAME} | first open, builds the index / old full re-parse | {fmt(s['open_build_s'], 2)} s / "
        f"{fmt(s['rebuild_baseline_s'], 2)} s | (reported) | – |",
        f"| {NAME} | claim batch of {BATCH}: per-URL p50 / p99 (existing URLs) | {fmt(a['batch_existing']['p50_ms'], 3)} / "
        f"{fmt(a['batch_existing']['p99_ms'], 3)} ms | (reported) | – |",
        f"| {NAME} | single lookup p50 / p99 | {fmt(a['single_lookup']['p50_ms'], 2)} / {fmt(a['single_lookup']['p99_ms'], 2)} ms "
        "| (reported) | – |",
    ]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
