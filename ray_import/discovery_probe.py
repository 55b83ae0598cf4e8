"""discovery_probe: `discover --check` — does each page carry schema.org Recipe data? A Ray batch.

Each page is fetched by the fetch gateway (gateway.py), which obeys the site's robots.txt and
Crawl-delay as it does for an import, and read by a task
with the import tasks' resources (`task.num_cpus`, `task.memory_mb`), which Ray starts only once
the page is there: parse the HTML once, look for a Recipe node in JSON-LD, microdata or RDFa,
and stop there — no extraction, no LLM. At most `max_in_flight` probes are out at once; once
`limit` pages are confirmed the rest are cancelled, fetches included.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import ray

from scraper.models import FetchedPage

from .config import ImportConfig
from .gateway import Gateways, cancel_fetch
from .results import StepFailure
from .runtime import ensure_ray
from .tasks import task_options

PROBE_TASK = "probe_page"


@dataclass(frozen=True)
class Probe:
    url: str
    reason: str | None  # None: the page has Recipe data; else why it is dropped


def _probe_page(page: FetchedPage | StepFailure, url: str) -> Probe:
    if isinstance(page, StepFailure):
        return Probe(url, f"probe_{page.kind}")
    # The parsing stack is imported in the worker only, as in tasks.py.
    from scraper.schema_reader import parse_page, read_structured

    doc = parse_page(page.html)
    if doc is None or not read_structured(doc, page.final_url).recipes:
        return Probe(url, "no_recipe_data")
    return Probe(url, None)


probe_page = ray.remote(_probe_page)


def _enough(found: dict[int, str], pending: dict[Any, tuple[int, Any]], limit: int | None) -> bool:
    """`limit` pages confirmed, and none before the last of them still out: the result is then
    the first `limit` recipe pages in sitemap order, whichever probes happened to finish first."""
    if limit is None or len(found) < limit:
        return False
    last = sorted(found)[limit - 1]
    return all(index > last for index, _ in pending.values())


def probe_recipes(urls: list[str], *, cfg: ImportConfig,
                  limit: int | None) -> tuple[list[str], Counter[str], int]:
    """Probe `urls` (one site's) and keep those with Recipe data, in their order.

    Returns:
        (kept URLs, drop reasons with counts, pages probed).
    """
    ensure_ray(cfg)
    gateways = Gateways(cfg.fetch, count=1)
    options = task_options(PROBE_TASK, cfg)
    found: dict[int, str] = {}
    reasons: Counter[str] = Counter()
    pending: dict[Any, tuple[int, Any]] = {}  # probe ref → (index, fetch ref)
    probed = submitted = 0
    try:
        while submitted < len(urls) or pending:
            enough = _enough(found, pending, limit)
            while not enough and submitted < len(urls) and len(pending) < cfg.max_in_flight:
                url = urls[submitted]
                page_ref = gateways.for_url(url).fetch.remote(url)
                pending[probe_page.options(**options).remote(page_ref, url)] = (submitted, page_ref)
                submitted += 1
            if enough or not pending:
                break
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                index, _page = pending.pop(ref)
                probed += 1
                try:
                    probe: Probe = ray.get(ref)
                except ray.exceptions.RayError:
                    reasons["probe_crashed"] += 1
                    continue
                if probe.reason:
                    reasons[probe.reason] += 1
                else:
                    found[index] = probe.url
    finally:
        for ref, (_index, page_ref) in pending.items():
            cancel_fetch(page_ref)
            ray.cancel(ref)
        gateways.close()
    kept = [found[i] for i in sorted(found)]
    if limit is not None and len(kept) > limit:
        reasons["over_limit"] += len(kept) - limit
        kept = kept[:limit]
    reasons["over_limit"] += len(pending) + len(urls) - submitted
    return kept, +reasons, probed  # unary plus: without the zero counts
