"""ImportResult: what the driver learns about one URL, and what the report lists; and the
values that cross between actors and tasks on the way (the catalog's answers, step failures)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, Field

from scraper.models import Recipe

Status = Literal["imported", "exists", "duplicate", "unchanged", "failed", "timeout", "cancelled", "crashed"]
# Every status a URL can end with (the API's final states), and those that count as success
# (exit code 0, not in the failures file): defined here only. `unchanged`: the saved file was
# already what the page gives (a 304 on `--refresh`, issue 17; `reprocess`, issue 18).
FINAL_STATUSES: frozenset[str] = frozenset(get_args(Status))
OK_STATUSES: frozenset[str] = frozenset({"imported", "exists", "duplicate", "unchanged"})


@dataclass(frozen=True, slots=True)
class ClaimDecision:
    """The catalog's answer for one URL of a claim.

    `claimed`: this caller imports it, with `token`; `exists`: saved before, as `slug`;
    `duplicate`: seen earlier in the batch, or being imported right now (`duplicate_of`);
    `failed`: the URL cannot be keyed (`error_kind`, `error`). A refresh's claim of a URL saved
    before carries the validators its last fetch got (`etag`, `last_modified`), for a
    conditional fetch (issue 17).
    """

    status: Literal["claimed", "exists", "duplicate", "failed"]
    key: str | None = None  # the URL's catalog key; None only when it cannot be keyed
    token: str | None = None  # the claim, for the save or the release (claimed only)
    slug: str | None = None
    error_kind: str | None = None
    error: str | None = None
    duplicate_of: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class SaveAnswer:
    """The catalog's answer to a save: `imported` as `slug`, `duplicate` of `slug`, or `failed`."""

    status: Literal["imported", "duplicate", "unchanged", "failed"]
    slug: str | None = None
    error_kind: str | None = None
    error: str | None = None
    # `reprocess` only: the fields whose values the rewrite changed (empty: `unchanged`).
    changed: tuple[str, ...] | None = None


class StepFailure(BaseModel):
    """A PageError as a value, so it can cross from an actor to a task without pickling tricks."""

    kind: str
    stage: str
    message: str
    attempts: int = 1


class LLMOutcome(BaseModel):
    """The LLM gateway's answer for one page: a recipe or a failure, and what it cost."""

    recipe: Recipe | None = None
    failure: StepFailure | None = None
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cost_usd: float = 0.0
    # The answer came from the LLM answer cache (llm_cache.py): no call, and what it saved.
    cache_hit: bool = False
    saved_usd: float = 0.0


class ImportResult(BaseModel):
    """One URL's outcome. `slug` is set by the catalog, never guessed from the disk."""

    url: str
    status: Status
    slug: str | None = None
    error_kind: str | None = None
    error_stage: str | None = None
    error: str | None = None
    duplicate_of: str | None = None
    line: int | None = None
    attempts: int = 0
    extractor: str | None = None
    seconds: dict[str, float] = Field(default_factory=dict)
    llm_calls: int = 0
    llm_prompt_tokens: int = 0
    llm_completion_tokens: int = 0
    llm_seconds: float = 0.0
    llm_cost_usd: float = 0.0
    llm_cache_hits: int = 0
    llm_saved_usd: float = 0.0
    # `reprocess`: the fields the rewrite changed (issue 18); None for an import.
    changed: list[str] | None = None
    # Where and when the last task for this URL ran (for timelines; Unix seconds).
    node_id: str | None = None
    pid: int | None = None
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    def one_line(self) -> str:
        """`<url>: <kind>: <message>` — the line a user sees for a failure, always one line."""
        where = f" (line {self.line})" if self.line else ""
        text = f"{printable(self.url)}{where}: {self.error_kind or self.status}: {self.error or self.status}"
        return printable(text)


def printable(text: str) -> str:
    """Control characters escaped (`\\n`), so a hostile URL cannot break a line-based output."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
