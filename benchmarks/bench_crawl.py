"""Issue 17's "Done when", at its full size, through the command line: prints the figures.

    python benchmarks/bench_crawl.py [--pages 1000] [--num-cpus 2]

A loopback site (tests/crawl_site.py) with PAGES recipe pages, a sitemap index of two gzipped
sitemaps and a robots.txt that disallows /members/ (3 recipe pages listed there):

1. `ray-import discover ORIGIN --out urls.txt`: must find exactly the allowed recipe URLs;
2. `ray-import run urls.txt` plus the 3 disallowed URLs: every allowed page imported, the
   disallowed ones `failed` (robots_disallowed), and the server's log has no /members/ request;
3. `ray-import run urls.txt --refresh`: every page `unchanged` (the site answers 304 to the stored
   validators), and the report's step counts have no extract;
4. a second site with `Crawl-delay: 0.3` and 5 pages: the gaps between its requests.

The site is ours and on loopback, so politeness is relaxed for it as the tests do
(`fetch.per_host_interval_s = 0`, 8 requests in flight) except where Crawl-delay is the point.
Each `run` starts its own local Ray instance (its start-up is in the wall time printed).
The test suite runs the same checks on 150 pages (tests/ray_import/test_good_citizen.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.crawl_site import CrawlSite  # noqa: E402

CLI = [sys.executable, "-m", "ray_import"]


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(RAY_USAGE_STATS_ENABLED="0", RAY_IMPORT_FETCH__PER_HOST_CONCURRENCY="8", **settings)
    env.setdefault("NLTK_DATA", str(REPO.parent / "shared" / "nltk_data"))
    return env


def _cli(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    done = subprocess.run([*CLI, *args], env=env, cwd=REPO, capture_output=True, text=True, check=False)
    return time.monotonic() - started, done


def _report(out: Path) -> dict:
    return json.loads(max((out / "reports").glob("run-*.json")).read_text("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--num-cpus", type=int, default=2)
    args = parser.parse_args()
    env = _env(RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S="0", RAY_IMPORT_NUM_CPUS=str(args.num_cpus))
    ok = True

    def check(what: str, passed: bool) -> None:
        nonlocal ok
        ok = ok and passed
        print(f"  [{'ok' if passed else 'FAILED'}] {what}")

    with tempfile.TemporaryDirectory() as tmp, CrawlSite(pages=args.pages, members=3) as site:
        folder = Path(tmp)
        urls, out = folder / "urls.txt", folder / "recipes"
        seconds, done = _cli(["discover", site.origin, "--out", str(urls)], env)
        found = urls.read_text().splitlines() if urls.exists() else []
        print(f"discover: {seconds:.1f} s, exit {done.returncode}; {done.stderr.strip()}")
        check(f"finds exactly the {args.pages} allowed recipe URLs",
              found == [site.url(p) for p in site.recipe_paths()])

        site.reset()
        members = [site.url(p) for p in site.member_paths()]
        given = folder / "given.txt"
        given.write_text("".join(f"{u}\n" for u in found + members))
        seconds, done = _cli(["run", str(given), "--out", str(out), "-q"], env)
        first = _report(out)
        print(f"run: {seconds:.1f} s wall (Ray's start included), exit {done.returncode}; "
              f"counts {first['counts']}, errors {first['errors_by_kind']}; "
              f"{len(site.paths())} requests, robots.txt {site.paths().count('/robots.txt')}x")
        check("every allowed page imported, the disallowed ones robots_disallowed",
              first["counts"] == {"imported": args.pages, "failed": 3}
              and first["errors_by_kind"] == {"robots_disallowed": 3})
        check("the server's log has no request for /members/", site.paths("/members/") == [])

        site.reset()
        seconds, done = _cli(["run", str(urls), "--out", str(out), "--refresh", "-q"], env)
        second = _report(out)
        conditional = sum(1 for r in site.requests("/recipes/") if r.headers.get("if-none-match"))
        print(f"run --refresh: {seconds:.1f} s wall (Ray's start included), exit {done.returncode}; "
              f"counts {second['counts']}; steps {sorted(second['steps'])}; {conditional} conditional requests")
        check("all unchanged, exit 0", second["counts"] == {"unchanged": args.pages} and done.returncode == 0)
        check("zero pages parsed (no extract step in the report)", "extract" not in second["steps"])

    with tempfile.TemporaryDirectory() as tmp, CrawlSite(pages=5, members=0, crawl_delay=0.3) as slow:
        paced = Path(tmp) / "urls.txt"
        paced.write_text("".join(f"{slow.url(p)}\n" for p in slow.recipe_paths()))
        seconds, done = _cli(["run", str(paced), "--out", str(Path(tmp) / "recipes")], env)
        times = [r.at for r in slow.requests()]
        gaps = [round(b - a, 3) for a, b in zip(times, times[1:])]
        print(f"Crawl-delay 0.3 s site: {len(times)} requests, gaps {gaps} s; "
              + next((line for line in done.stdout.splitlines() if "Crawl-delay" in line), "(no summary line)"))
        check("6 requests spanning more than 4 x 0.3 s (a few ms without Crawl-delay)",
              len(times) == 6 and times[-1] - times[0] > 1.2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
