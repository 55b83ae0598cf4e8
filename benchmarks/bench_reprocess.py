"""Fetch once, improve forever (issue 18, item 5): `reprocess` of the dev corpus vs a fresh run.

One child process, one Ray instance, the corpus replay proxy on 127.0.0.1:

1. a fresh `run_import` of the 224 corpus URLs through the proxy (archive on, the default);
2. `reprocess` of the folder it made: the proxy's /__stats request counter must not move;
3. both folders scored by score.py (the same score), the archive's size per page, and how many
   corpus pages ended `duplicate` (recipe-level dedup must find none: they are all different);
4. the LLM answer cache: LLM_PAGES corpus pages structured by the fake endpoint (`llm.mode =
   "always"`), then a second pass over them twice, `run --refresh` (pages fetched again, same
   bytes) and `reprocess`: the fake endpoint's request counter says how many calls each made.

    python benchmarks/bench_reprocess.py          # prints a table and one JSON line
    python benchmarks/run.py --only reprocess      # the same, into benchmarks/results/
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
NAME = "reprocess"
TITLE = "8. Reprocess from the archive, recipe dedup, LLM answer cache (issue 18)"
LLM_PAGES = 40


def _proxy() -> tuple[subprocess.Popen, str]:
    args = [sys.executable, str(SHARED / "tools" / "replay_proxy.py"), "--port", "0",
            "--manifest", str(CORPUS / "manifest.jsonl")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"replay proxy did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def _requests(proxy: str) -> int:
    import httpx

    return httpx.get(f"{proxy}/__stats", trust_env=False, timeout=10).json()["totals"]["requests"]


def _score(folder: Path) -> str:
    out = subprocess.run([sys.executable, str(SHARED / "tools" / "score.py"), str(folder), "--manifest",
                          str(CORPUS / "manifest.jsonl")], capture_output=True, text=True, check=True).stdout
    return re.search(r"score: .*", out).group(0)


def _urls() -> list[str]:
    return [line.strip() for line in (CORPUS / "urls.txt").read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def measure() -> dict[str, Any]:
    os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
    sys.path.insert(0, str(REPO))
    from ray_import.config import ImportConfig
    from ray_import.demo.fake_llm import FakeLLM
    from ray_import.pipeline import run_import
    from ray_import.reprocessing import reprocess
    from ray_import.runtime import ensure_ray
    from ray_import.store import RecipeStore

    result: dict[str, Any] = {"pages": len(_urls())}
    work = Path(tempfile.mkdtemp(prefix="bench-reprocess-"))
    proc, proxy = _proxy()
    try:
        ensure_ray(ImportConfig())
        cfg = ImportConfig(out=work / "corpus", fetch={"proxy": proxy})
        before = _requests(proxy)
        started = time.perf_counter()
        run = run_import(_urls(), cfg)
        result["run"] = {"wall_s": round(time.perf_counter() - started, 2), "counts": run.counts,
                         "requests": _requests(proxy) - before, "score": _score(cfg.out)}
        store = RecipeStore(cfg.out)
        check, sizes = store.check_archive(), store.fetch_stats()
        store.close()
        result["archive"] = {"pages": check.pages, "problems": len(check.problems),
                             "stored_bytes_per_page": round(sizes["stored_bytes"] / sizes["pages"]),
                             "raw_bytes_per_page": round(sizes["bytes"] / sizes["pages"])}
        before = _requests(proxy)
        started = time.perf_counter()
        again = reprocess(cfg)
        result["reprocess"] = {"wall_s": round(time.perf_counter() - started, 2), "counts": again.counts,
                               "changed": again.changed, "requests": _requests(proxy) - before,
                               "score": _score(cfg.out)}

        with FakeLLM() as fake:
            urls = _urls()[:LLM_PAGES]
            llm_cfg = ImportConfig(out=work / "llm", fetch={"proxy": proxy},
                                   llm={"base_url": fake.base_url, "model": fake.options.model, "mode": "always"})
            passes = {}
            refresh = llm_cfg.model_copy(update={"refresh": True})
            for name, call in (("first run", lambda: run_import(urls, llm_cfg)),
                               ("run --refresh", lambda: run_import(urls, refresh)),
                               ("reprocess", lambda: reprocess(llm_cfg))):
                calls = fake.stats["requests"]
                summary = call()
                passes[name] = {"counts": summary.counts, "llm_calls": fake.stats["requests"] - calls,
                                "cache_hits": summary.llm.get("cache_hits", 0)}
            result["llm"] = {"pages": len(urls), "passes": passes}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return result


def report(result: dict[str, Any]) -> None:
    run, again, archive = result["run"], result["reprocess"], result["archive"]
    print(f"dev corpus, {result['pages']} URLs through the replay proxy")
    print("| pass | wall s | requests to the proxy | counts | score |")
    print("|---|---|---|---|---|")
    print(f"| fresh run | {run['wall_s']} | {run['requests']} | {run['counts']} | {run['score']} |")
    print(f"| reprocess | {again['wall_s']} | {again['requests']} | {again['counts']} | {again['score']} |")
    print(f"archive: {archive['pages']} pages, {archive['stored_bytes_per_page']:,} bytes/page stored "
          f"({archive['raw_bytes_per_page']:,} raw), {archive['problems']} problems")
    print(f"duplicates among the corpus pages: {run['counts'].get('duplicate', 0)}")
    llm = result["llm"]
    print(f"LLM answer cache, {llm['pages']} pages with llm.mode = 'always' (fake endpoint):")
    for name, row in llm["passes"].items():
        print(f"  {name:<14} LLM calls {row['llm_calls']:>4}  cache hits {row['cache_hits']:>4}  {row['counts']}")


# -- run.py interface ---------------------------------------------------------------------------

def run(ctx: Any) -> dict[str, Any]:
    from common import PY, child_env, log

    log(f"{NAME}: a fresh run of the dev corpus, its reprocess, and {LLM_PAGES} LLM pages twice")
    proc = subprocess.run([PY, str(Path(__file__).resolve()), "measure"], capture_output=True, text=True,
                          env=child_env(), timeout=1800, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"bench_reprocess child failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def markdown(result: dict[str, Any]) -> list[str]:
    if not result:
        return ["(not run)"]
    run_, again, archive, llm = result["run"], result["reprocess"], result["archive"], result["llm"]
    lines = [
        f"The {result['pages']} dev-corpus URLs through the replay proxy, one Ray instance: a fresh `run_import`, "
        "then `reprocess` of its folder (pages from the archive); requests counted by the proxy's /__stats.",
        "",
        "| pass | wall s | requests | counts | score |",
        "|---|---|---|---|---|",
        f"| fresh run | {run_['wall_s']} | {run_['requests']} | {run_['counts']} | {run_['score']} |",
        f"| reprocess | {again['wall_s']} | {again['requests']} | {again['counts']} | {again['score']} |",
        "",
        f"Archive: {archive['pages']} pages, {archive['stored_bytes_per_page']:,} bytes a page stored "
        f"({archive['raw_bytes_per_page']:,} raw). Corpus pages ended `duplicate`: "
        f"{run_['counts'].get('duplicate', 0)}.",
        "",
        f"LLM answer cache, {llm['pages']} pages with `llm.mode = \"always\"` (fake endpoint):",
        "",
        "| pass | LLM calls | cache hits |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {row['llm_calls']} | {row['cache_hits']} |" for name, row in llm["passes"].items()]
    return lines


def goals(result: dict[str, Any]) -> list[str]:
    from common import fmt, goal

    again, llm = result["reprocess"], result["llm"]["passes"]
    second = sum(row["llm_calls"] for name, row in llm.items() if name != "first run")
    same = result["run"]["score"] == again["score"]
    return [
        f"| {NAME} | requests made by reprocess | {again['requests']} | 0 | {goal(again['requests'], 0, False)} |",
        f"| {NAME} | reprocess score = run score | {'yes' if same else 'no'} | yes | {'met' if same else 'missed'} |",
        f"| {NAME} | LLM calls of the second passes | {second} | 0 | {goal(second, 0, False)} |",
        f"| {NAME} | reprocess / run wall time | {fmt(again['wall_s'] / result['run']['wall_s'], 2)}× | < 1× "
        f"| {goal(again['wall_s'] / result['run']['wall_s'], 1.0, False)} |",
    ]


if __name__ == "__main__":
    if sys.argv[1:] == ["measure"]:
        print(json.dumps(measure()))
    else:
        measured = measure()
        report(measured)
        print(json.dumps(measured))
