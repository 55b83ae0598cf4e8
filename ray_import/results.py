"""ImportResult: what the driver learns about one URL, and what the report lists."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from scraper.models import Recipe

Status = Literal["imported", "exists", "duplicate", "failed", "timeout", "cancelled", "crashed"]
OK_STATUSES = {"imported", "exists", "duplicate"}


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
