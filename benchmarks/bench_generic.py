"""7. The generic extractor (issue 14): how well and how cheaply it reads sites no scraper knows.

The 224 dev-corpus pages are read in one child process, without Ray or HTTP, three ways:

- **generic**: `scraper.extract.extract()` with each page under its unknown host (`s<k>.example`,
  as `../shared/tools/unknown_hosts.py` renames them): our schema reader + repairs + HTML witness;
- **schema reader**: recipe-scrapers' `scrape_html(..., supported_only=False)` on the same
  unknown-host URLs, its fields read as ray-import read them before issue 14 (wild mode);
- **known hosts**: `extract()` under the pages' real hosts (the site's own scraper).

A fourth reading, **html only**, runs `extract()` once on the same pages under unknown hosts with
their structured data removed (JSON-LD scripts; microdata and RDFa attributes): what the HTML
readers alone make of 224 pages, where the corpus has only 19 pages without structured data. Its
expected values are still the site scrapers' (mostly read from JSON-LD), so wording the HTML
gives differently (quotes, fractions) counts as wrong.

Each side is scored with score.py's comparison rules (the core fields and the all-core rate) and
its CPU time per page (`time.process_time`, median of the repeats, order rotated) is reported.
Goal: generic CPU per page ≤ the schema reader's, measured on the same pages in the same run.

Child mode (used by run.py): `python benchmarks/bench_generic.py measure REPEATS`.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

NAME = "generic"
TITLE = "7. Generic extraction on unknown hosts (issue 14)"
HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
CORPUS = SHARED / "corpus"
SCORE = SHARED / "tools" / "score.py"
AVAILABLE = (CORPUS / "manifest.jsonl").is_file() and SCORE.is_file()
REASON = "skipped: ../shared/corpus or ../shared/tools/score.py is absent"
SIDES = ("generic", "schema_reader", "known_hosts")
GOALS = {"unknown_hosts_all_core_pct": 90.0}


# -- child mode ---------------------------------------------------------------------------------

def _score_module() -> Any:
    spec = importlib.util.spec_from_file_location("score", SCORE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _pages() -> list[dict[str, Any]]:
    """The manifest's rows with their html, expected values and unknown-host URL."""
    score = _score_module()
    hosts: dict[str, str] = {}
    rows = []
    for line in (CORPUS / "manifest.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        parts = urlsplit(row["url"])
        host = hosts.setdefault(parts.netloc, f"s{len(hosts)}.example")  # unknown_hosts.py's rule
        row["unknown_url"] = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
        row["html_text"] = (CORPUS / row["html"]).read_text("utf-8")
        row["exp"] = score.expected_view(json.loads((CORPUS / row["expected"]).read_text("utf-8")))
        rows.append(row)
    return rows


def _page(row: dict[str, Any], url: str) -> Any:
    from scraper.models import FetchedPage

    return FetchedPage(url=url, final_url=url, status=200, content_type="text/html", encoding="utf-8",
                       html=row["html_text"], content_sha256="0" * 64, fetched_at=datetime.now(UTC))


def _generic(row: dict[str, Any]) -> dict[str, Any] | None:
    from scraper.errors import NotARecipe
    from scraper.extract import extract

    try:
        return extract(_page(row, row["unknown_url"])).model_dump()
    except NotARecipe:
        return None


def _known(row: dict[str, Any]) -> dict[str, Any] | None:
    from scraper.errors import NotARecipe
    from scraper.extract import extract

    try:
        return extract(_page(row, row["url"])).model_dump()
    except NotARecipe:
        return None


def _schema_reader(row: dict[str, Any]) -> dict[str, Any] | None:
    """recipe-scrapers' generic schema.org reader, its fields read as extract() read them before."""
    from recipe_scrapers import scrape_html

    from scraper._parsing import clean_list, clean_text, to_minutes
    from scraper.extract import _field

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scraper = scrape_html(row["html_text"], org_url=row["unknown_url"], supported_only=False)
    except Exception:  # noqa: BLE001 - no schema found, or markup it chokes on: no recipe
        return None
    out = {"title": clean_text(_field(scraper, "title")), "ingredients": clean_list(_field(scraper, "ingredients")),
           "instructions": clean_list(_field(scraper, "instructions_list")),
           "yields": clean_text(_field(scraper, "yields")), "total_time": to_minutes(_field(scraper, "total_time"))}
    for name in ("image", "author", "canonical_url", "site_name", "language", "description", "nutrients"):
        out[name] = _field(scraper, name)
    return out if out["title"] and (out["ingredients"] or out["instructions"]) else None


READERS = {"generic": _generic, "schema_reader": _schema_reader, "known_hosts": _known}
_RDF_ATTRS = ("itemprop", "itemtype", "itemscope", "property", "typeof")


def _without_structured_data(text: str) -> str:
    """The page less its JSON-LD and its microdata/RDFa attributes (OpenGraph metas are kept)."""
    import lxml.html

    doc = lxml.html.document_fromstring(text)
    for script in doc.xpath("//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]"):
        script.getparent().remove(script)
    for el in doc.xpath("//*[@itemprop or @itemtype or @itemscope or @property or @typeof]"):
        if el.tag == "meta" and str(el.get("property", "")).startswith(("og:", "article:")):
            continue
        for name in _RDF_ATTRS:
            el.attrib.pop(name, None)
    return lxml.html.tostring(doc, encoding="unicode")


def measure(repeats: int) -> dict[str, Any]:
    score = _score_module()
    rows = _pages()
    cpu: dict[str, list[float]] = {side: [] for side in SIDES}
    outputs: dict[str, list[dict[str, Any] | None]] = {}
    for _ in range(2):  # warm-up: imports, lxml/extruct caches
        for side in SIDES:
            READERS[side](rows[0])
    for rep in range(repeats):
        order = SIDES[rep % len(SIDES):] + SIDES[: rep % len(SIDES)]
        for side in order:
            started = time.process_time()
            outputs[side] = [READERS[side](row) for row in rows]
            cpu[side].append(time.process_time() - started)
    stripped = [dict(row, html_text=_without_structured_data(row["html_text"])) for row in rows]
    started = time.process_time()
    outputs["html_only"] = [_generic(row) for row in stripped]
    cpu["html_only"] = [time.process_time() - started]
    result: dict[str, Any] = {"pages": len(rows), "repeats": repeats, "sides": {}}
    no_schema = _no_schema(rows)
    for side in (*SIDES, "html_only"):
        right = {f: 0 for f in score.FIELDS}
        all_core = found = no_schema_right = 0
        extractors: dict[str, int] = {}
        for row, out in zip(rows, outputs[side], strict=True):
            if out is None:
                continue
            found += 1
            kind = str(out.get("extractor", side)).split(":")[0]
            extractors[kind] = extractors.get(kind, 0) + 1
            url = row["url"] if side == "known_hosts" else row["unknown_url"]
            ok = {f: score.field_ok(f, row["exp"].get(f), out.get(f), {"host": urlsplit(url).hostname},
                                    {"source_url": url}) for f in score.FIELDS}
            for f, good in ok.items():
                right[f] += good
            all_core += all(ok[f] for f in score.CORE)
            no_schema_right += row["id"] in no_schema and all(ok[f] for f in score.CORE)
        n = len(rows)
        result["sides"][side] = {
            "cpu_ms_per_page": round(1000 * statistics.median(cpu[side]) / n, 2),
            "cpu_s_runs": [round(x, 3) for x in cpu[side]],
            "recipes_found": found,
            "extractors": extractors,
            "all_core": all_core,
            "all_core_pct": round(100 * all_core / n, 1),
            "field_pct": {f: round(100 * right[f] / n, 1) for f in score.CORE},
            "no_schema_all_core": no_schema_right,
        }
    result["no_schema_pages"] = len(no_schema)
    return result


def _no_schema(rows: list[dict[str, Any]]) -> set[str]:
    """The pages recipe-scrapers' wild mode finds no schema on (`SchemaOrg(html).data` empty)."""
    from recipe_scrapers._schemaorg import SchemaOrg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {row["id"] for row in rows if not SchemaOrg(row["html_text"]).data}


# -- run.py interface ---------------------------------------------------------------------------

def run(ctx: Any) -> dict[str, Any]:
    from common import PY, child_env, log

    repeats = 1 if ctx.quick else ctx.repeats
    log(f"{NAME}: {len(SIDES)} readers over the dev corpus, {repeats} repeat(s), one child process")
    proc = subprocess.run([PY, str(Path(__file__).resolve()), "measure", str(repeats)], capture_output=True,
                          text=True, env=child_env(), timeout=1800, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"bench_generic child failed: {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout)
    s = result["sides"]
    result["cpu_ratio_generic_over_schema"] = round(
        s["generic"]["cpu_ms_per_page"] / s["schema_reader"]["cpu_ms_per_page"], 3)
    return result


def markdown(result: dict[str, Any]) -> list[str]:
    if not result:
        return ["(not run)"]
    s = result["sides"]
    core = list(s["generic"]["field_pct"])
    lines = [
        f"The {result['pages']} dev-corpus pages read in one process (no Ray, no HTTP), {result['repeats']} "
        "repeat(s), CPU = `time.process_time` per page (median). **generic**: `extract()` under unknown hosts "
        "(our reader + repairs + HTML witness); **schema reader**: recipe-scrapers' wild mode on the same "
        "URLs; **known hosts**: `extract()` under the real hosts (site scrapers); **html_only**: `extract()` "
        "under unknown hosts on the pages with their JSON-LD, microdata and RDFa removed (one run; "
        "expected values are still the site scrapers'). Scored with score.py's rules.",
        "",
        "| side | all core fields right | " + " | ".join(core) + " | recipes found | CPU ms/page |",
        "|---|---|" + "---|" * len(core) + "---|---|",
    ]
    for side in (*SIDES, "html_only"):
        if side not in s:
            continue  # a result from before the html-only reading existed
        v = s[side]
        lines.append(f"| {side} | {v['all_core_pct']} % ({v['all_core']}/{result['pages']}) | "
                     + " | ".join(f"{v['field_pct'][f]}" for f in core)
                     + f" | {v['recipes_found']} | {v['cpu_ms_per_page']} |")
    lines += ["", f"generic / schema reader CPU: {result['cpu_ratio_generic_over_schema']}×"]
    if "no_schema_pages" in result:
        lines.append(f"Pages without structured data (wild mode finds no schema): {result['no_schema_pages']}; "
                     f"generic reads {s['generic']['no_schema_all_core']} of them with all core fields right.")
    return lines


def goals(result: dict[str, Any]) -> list[str]:
    from common import fmt, goal

    s = result["sides"]
    ratio = result["cpu_ratio_generic_over_schema"]
    pct = s["generic"]["all_core_pct"]
    return [
        f"| {NAME} | dev corpus under unknown hosts, all core fields right | {fmt(pct)} % "
        f"| ≥ {GOALS['unknown_hosts_all_core_pct']:g} % | {goal(pct, GOALS['unknown_hosts_all_core_pct'], True)} |",
        f"| {NAME} | known hosts, all core fields right | {fmt(s['known_hosts']['all_core_pct'])} % | 100 % "
        f"| {goal(s['known_hosts']['all_core_pct'], 100.0, True)} |",
        f"| {NAME} | generic CPU / schema reader CPU per page | {fmt(ratio, 3)}× | ≤ 1× | {goal(ratio, 1.0, False)} |",
    ] + ([
        f"| {NAME} | pages without structured data, all core fields right | "
        f"{s['generic']['no_schema_all_core']}/{result['no_schema_pages']} | ≥ half "
        f"| {goal(2 * s['generic']['no_schema_all_core'], result['no_schema_pages'], True)} |",
    ] if "no_schema_pages" in result else [])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "measure":
        sys.path.insert(0, str(HERE.parent))
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        print(__doc__)
