"""The LLM answer cache: a page seen again never costs a second call (issue 18, item 3).

An answer is kept under (page content SHA-256, model, prompt version, schema version, input
characters): the same bytes asked the same question of the same model get the same answer, so a
re-run, a reprocess or a second URL of the same page reads it from here. The prompt and schema
versions are `scraper.structure.PROMPT_VERSION` / `SCHEMA_VERSION`; the input size is
`llm.max_input_tokens` x 4, since a larger budget sends more of the page (a cut-off recipe must
be asked again once the budget grows).

What is kept is the model's validated reply (`LLMRecipe`), not the Recipe made from it:
`to_recipe` runs again on each use, so a fix there reaches cached answers, and a reply that holds
no recipe is kept too (asking again would cost the same and answer the same). Failures are not
kept: a timeout or a 429 says nothing about the page, and a refused request is a config matter.
Each answer keeps what it cost (calls, tokens, dollars) so a hit reports the money it saved.

Bounded: at most `max_entries` answers; past that the least recently used go (a hit counts as a
use). A cache must never fail a page: a database that cannot be opened is set aside or bypassed,
and a read or write that fails is a miss or a skipped write, logged once. It lives in
`<out>/.ray-import/llm_cache.sqlite3`, apart from the catalog index, because its owner is the LLM
gateway, not the catalog actor. No Ray here.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
from pydantic import ValidationError

from scraper.errors import InvalidLLMOutput
from scraper.models import Recipe
from scraper.settings import LLMSettings
from scraper.structure import (
    PROMPT_VERSION,
    SCHEMA_VERSION,
    FormatState,
    LLMRecipe,
    LLMUsage,
    ask_model,
    to_recipe,
)

DB_NAME = "llm_cache.sqlite3"
#: ~3 kB an answer: 100 000 answers are ~300 MB, and as many calls not paid twice.
DEFAULT_MAX_ENTRIES = 100_000
#: Eviction removes this share more than needed, so it runs once per many writes, not on each.
_EVICT_SLACK = 0.05
log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    content_sha256 TEXT NOT NULL, model TEXT NOT NULL, prompt_version TEXT NOT NULL,
    schema_version TEXT NOT NULL, input_chars INTEGER NOT NULL, reply TEXT NOT NULL,
    calls INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL, cost_usd REAL NOT NULL, created_at REAL NOT NULL,
    last_used REAL NOT NULL, hits INTEGER NOT NULL DEFAULT 0,
    UNIQUE (content_sha256, model, prompt_version, schema_version, input_chars));
CREATE INDEX IF NOT EXISTS answers_last_used ON answers (last_used);
"""
_KEY = "content_sha256=? AND model=? AND prompt_version=? AND schema_version=? AND input_chars=?"


@dataclass(frozen=True)
class AnswerKey:
    """What an answer depends on."""

    content_sha256: str
    model: str
    prompt_version: str = PROMPT_VERSION
    schema_version: str = SCHEMA_VERSION
    input_chars: int = 0

    @classmethod
    def for_page(cls, content_sha256: str, settings: LLMSettings) -> AnswerKey:
        return cls(content_sha256, settings.model, input_chars=settings.max_input_tokens * 4)

    def params(self) -> tuple[str, str, str, str, int]:
        return (self.content_sha256, self.model, self.prompt_version, self.schema_version, self.input_chars)


@dataclass(frozen=True)
class CachedAnswer:
    """A kept reply and what asking for it cost."""

    reply: LLMRecipe
    calls: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cost_usd: float

    def saved_usd(self, settings: LLMSettings) -> float:
        """What asking again would cost at today's prices (the price at the time when none is set)."""
        if not (settings.price_per_million_input or settings.price_per_million_output):
            return self.cost_usd
        return LLMUsage(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens).cost(settings)


class LLMCache:
    """One output folder's answers. One owner per process (the LLM gateway); other processes may
    share the file (WAL, a busy timeout), which is how a reprocess run next to a run behaves.

    Example:
        >>> cache = LLMCache(Path("recipes/.ray-import/llm_cache.sqlite3"))
        >>> cache.get(AnswerKey.for_page(sha, settings)) is None
        True
    """

    def __init__(self, path: Path | str, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.path = Path(path)
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self.saved_usd = 0.0
        self._warned = False
        self._last_use = 0.0
        self._db = self._open()
        self._count = self._db.execute("SELECT count(*) FROM answers").fetchone()[0] if self._db else 0

    def _open(self) -> sqlite3.Connection | None:
        for attempt in range(2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5)
                try:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")
                    db.executescript(_SCHEMA)
                    db.execute("SELECT count(*) FROM answers").fetchone()
                except BaseException:
                    db.close()
                    raise
                return db
            except (sqlite3.Error, OSError) as exc:
                code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
                if attempt == 0 and code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
                    aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
                    log.warning("LLM answer cache %s is unusable (%s); starting an empty one, the old"
                                " one moved to %s", self.path, exc, aside.name)
                    for suffix in ("", "-wal", "-shm"):
                        if (old := Path(f"{self.path}{suffix}")).exists():
                            old.replace(Path(f"{aside}{suffix}"))
                    continue
                log.warning("LLM answer cache %s cannot be used (%s); answers are not cached",
                            self.path, exc)
                return None
        return None

    def _failed(self, what: str, exc: Exception) -> None:
        if not self._warned:
            log.warning("LLM answer cache %s: cannot %s (%s); going on without it", self.path, what, exc)
            self._warned = True

    def _now(self) -> float:
        """Wall time, strictly increasing within the process: two uses never tie in the LRU order."""
        self._last_use = max(time.time(), self._last_use + 1e-6)
        return self._last_use

    def get(self, key: AnswerKey) -> CachedAnswer | None:
        """The kept answer, or None; a hit counts as a use (it moves to the end of the LRU order)."""
        if self._db is None:
            self.misses += 1
            return None
        try:
            row = self._db.execute("SELECT reply, calls, prompt_tokens, completion_tokens, seconds, cost_usd"
                                   f" FROM answers WHERE {_KEY}", key.params()).fetchone()
            if row is not None:
                self._db.execute(f"UPDATE answers SET last_used=?, hits=hits+1 WHERE {_KEY}",
                                 (self._now(), *key.params()))
        except sqlite3.Error as exc:
            self._failed("read", exc)
            row = None
        if row is None:
            self.misses += 1
            return None
        try:
            reply = LLMRecipe.model_validate_json(row[0])
        except ValidationError:  # kept under an older LLMRecipe with the same schema version
            self._delete(key)
            self.misses += 1
            return None
        self.hits += 1
        return CachedAnswer(reply, *row[1:])

    def put(self, key: AnswerKey, reply: LLMRecipe, usage: LLMUsage, cost_usd: float) -> None:
        """Keep an answer (replacing one under the same key), then evict past `max_entries`."""
        if self._db is None:
            return
        now = self._now()
        try:
            existed = self._db.execute(f"SELECT 1 FROM answers WHERE {_KEY}", key.params()).fetchone()
            self._db.execute(
                "INSERT OR REPLACE INTO answers (content_sha256, model, prompt_version, schema_version,"
                " input_chars, reply, calls, prompt_tokens, completion_tokens, seconds, cost_usd,"
                " created_at, last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*key.params(), reply.model_dump_json(), usage.calls, usage.prompt_tokens,
                 usage.completion_tokens, round(usage.seconds, 3), cost_usd, now, now))
            self._count += 0 if existed else 1
            if self._count > self.max_entries:
                self._evict()
        except sqlite3.Error as exc:
            self._failed("write", exc)

    def _evict(self) -> None:
        assert self._db is not None
        count = self._db.execute("SELECT count(*) FROM answers").fetchone()[0]  # other writers too
        target = max(1, int(self.max_entries * (1 - _EVICT_SLACK)))
        if count > self.max_entries:
            self._db.execute("DELETE FROM answers WHERE rowid IN (SELECT rowid FROM answers"
                             " ORDER BY last_used, rowid LIMIT ?)", (count - target,))
            count = target
        self._count = count

    def _delete(self, key: AnswerKey) -> None:
        try:
            if self._db is not None:
                self._db.execute(f"DELETE FROM answers WHERE {_KEY}", key.params())
                self._count -= 1
        except sqlite3.Error as exc:
            self._failed("write", exc)

    def __len__(self) -> int:
        return self._count

    def stats(self) -> dict[str, Any]:
        """Entries kept, and this process's hits, misses and dollars saved."""
        return {"entries": self._count, "max_entries": self.max_entries, "hits": self.hits,
                "misses": self.misses, "saved_usd": round(self.saved_usd, 6)}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@dataclass
class Structured:
    """What `structure_cached` returns: the recipe, or the InvalidLLMOutput of a reply that holds
    none (`error`, a kept "no recipe" answer too); what this call cost; the hit if it was one."""

    recipe: Recipe | None
    usage: LLMUsage
    hit: CachedAnswer | None = None
    saved_usd: float = 0.0
    error: InvalidLLMOutput | None = None


async def structure_cached(
    text: str,
    content_sha256: str,
    *,
    cache: LLMCache | None,
    client: openai.AsyncOpenAI,
    settings: LLMSettings,
    state: FormatState | None = None,
    limiter: AbstractAsyncContextManager[Any] | None = None,
) -> Structured:
    """`scraper.structure.structure`, through the cache: a hit makes no call and costs nothing.

    A reply without a recipe is returned as `error` (its `usage`: zero calls on a hit), not
    raised, so the gateway reports a kept "no recipe" answer as the free answer it was.

    Raises:
        the errors of `ask_model` (the endpoint failed, or its replies were invalid).
    """
    key = AnswerKey.for_page(content_sha256, settings)
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        reply, usage, saved = hit.reply, LLMUsage(), hit.saved_usd(settings)
        cache.saved_usd += saved  # type: ignore[union-attr]
    else:
        reply, usage = await ask_model(text, client=client, settings=settings, state=state,
                                       limiter=limiter)
        saved = 0.0
        if cache is not None:
            cache.put(key, reply, usage, usage.cost(settings))
    try:
        return Structured(to_recipe(reply, text, settings.model), usage, hit, saved)
    except InvalidLLMOutput as exc:
        exc.usage = usage  # what it cost, as PageError declares (nothing on a hit)
        return Structured(None, usage, hit, saved, error=exc)
