"""Custom metrics for the Ray dashboard / Prometheus, recorded on the driver.

They are exported by Ray's metrics agent like Ray's own (names prefixed `ray_`), so the dashboard's
Grafana panels and any Prometheus scraping the cluster see them:

    ray_import_recipes_total{status, error_kind}     results by status and failure kind
    ray_import_step_seconds{step}                    per-step durations (histogram)
    ray_import_llm_tokens_total{kind}                prompt / completion tokens
    ray_import_in_flight                             URLs submitted and not finished
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ray.util import metrics

from .results import ImportResult

if TYPE_CHECKING:
    from .sources import Claimed

_BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]


class Metrics:
    """A driver listener (driver.Listener): counts results, times steps, gauges what runs."""

    def __init__(self) -> None:
        self.recipes = metrics.Counter("import_recipes", description="Recipes by final status.",
                                       tag_keys=("status", "error_kind"))
        self.steps = metrics.Histogram("import_step_seconds", description="Duration of each step.",
                                       boundaries=_BOUNDARIES, tag_keys=("step",))
        self.tokens = metrics.Counter("import_llm_tokens", description="LLM tokens used.",
                                      tag_keys=("kind",))
        self.in_flight = metrics.Gauge("import_in_flight", description="URLs submitted, not finished.")
        self._submitted: set[str] = set()  # URL keys: each submitted URL ends in one result

    def event(self, item: Claimed, name: str, fields: dict[str, Any]) -> None:
        if name == "queued":
            self._submitted.add(item.key)
            self.in_flight.set(len(self._submitted))

    def result(self, item: Claimed | None, result: ImportResult) -> None:
        if item is not None and item.key in self._submitted:
            self._submitted.discard(item.key)
            self.in_flight.set(len(self._submitted))
        self.recipes.inc(1, tags={"status": result.status, "error_kind": result.error_kind or "none"})
        for step, seconds in result.seconds.items():
            self.steps.observe(seconds, tags={"step": step})
        if result.llm_prompt_tokens:
            self.tokens.inc(result.llm_prompt_tokens, tags={"kind": "prompt"})
        if result.llm_completion_tokens:
            self.tokens.inc(result.llm_completion_tokens, tags={"kind": "completion"})
