"""The page errors, and the base class of every error of the project.

They live in `scraper` (not `ray_import`) because the steps raise them and `scraper` must not
import Ray or `ray_import`. The errors of the orchestration (config, catalog, the serve queue)
subclass `RayImportError` in `ray_import.errors`, whose docstring draws the whole tree, this
module's classes included: keep that drawing in step when a class is added here.

`kind` is the stable, machine-readable name of each error: it is what reports and exit summaries
group by, so renaming a class does not change a report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .structure import LLMUsage


class RayImportError(Exception):
    """Base of every error ray-import raises on purpose."""

    kind = "error"


class PageError(RayImportError):
    """One URL failed at one stage; the batch goes on without it."""

    kind = "page"
    transient = False
    # Declared here, set where they become known: how many attempts the step made (the retry
    # loop, retry.py), and for an LLM step what its calls cost, failed ones too (structure.py).
    attempts: int = 1
    usage: LLMUsage | None = None

    def __init__(self, message: str, *, url: str = "", stage: str = "") -> None:
        self.url = url
        self.stage = stage
        self.message = message
        super().__init__(message)


class TransientError(PageError):
    """Worth retrying: the same request may succeed later."""

    kind = "transient"
    transient = True

    def __init__(
        self, message: str, *, url: str = "", stage: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, url=url, stage=stage)
        self.retry_after = retry_after


class FetchTimeout(TransientError):
    kind = "timeout"


class ConnectFailed(TransientError):
    kind = "connect"


class ServerBusy(TransientError):
    kind = "http_busy"

    def __init__(
        self, *, status: int, url: str = "", stage: str = "fetch", retry_after: float | None = None,
        detail: str = "",
    ) -> None:
        self.status = status
        hint = f" (Retry-After {retry_after:g}s)" if retry_after is not None else ""
        super().__init__(
            detail or f"server answered HTTP {status}{hint}", url=url, stage=stage, retry_after=retry_after
        )


class LLMUnavailable(TransientError):
    kind = "llm_unavailable"


class PermanentError(PageError):
    """Retrying cannot help: the page, not the moment, is the problem."""

    kind = "permanent"


class InvalidURL(PermanentError):
    kind = "invalid_url"


class BlockedAddress(PermanentError):
    kind = "blocked"


class RobotsDisallowed(PermanentError):
    """The site's robots.txt forbids the URL to ray-import, or could not be read (RFC 9309 §2.3.1.4:
    an unreachable robots.txt means "disallow everything for now")."""

    kind = "robots_disallowed"

    def __init__(
        self, *, url: str = "", robots_url: str = "", detail: str = "", stage: str = "fetch"
    ) -> None:
        self.robots_url = robots_url
        super().__init__(detail or f"disallowed by {robots_url}", url=url, stage=stage)


class BadSitemap(PermanentError):
    """A sitemap (or robots.txt read for one) that discover cannot use; the message names why."""

    kind = "bad_sitemap"


class HTTPRejected(PermanentError):
    kind = "http_error"

    def __init__(self, *, status: int, url: str = "", stage: str = "fetch", detail: str = "") -> None:
        self.status = status
        super().__init__(detail or f"server answered HTTP {status}", url=url, stage=stage)


class NotHTML(PermanentError):
    kind = "not_html"

    def __init__(self, *, content_type: str, url: str = "", stage: str = "fetch") -> None:
        self.content_type = content_type
        super().__init__(
            f"not an HTML page (Content-Type: {content_type or 'none'})", url=url, stage=stage
        )


class TooLarge(PermanentError):
    kind = "too_large"

    def __init__(self, *, limit: int, url: str = "", stage: str = "fetch") -> None:
        self.limit = limit
        super().__init__(
            f"page body is over the {_size(limit)} limit (counted after decompression)",
            url=url,
            stage=stage,
        )


class NotARecipe(PermanentError):
    kind = "not_a_recipe"


class LLMRejected(PermanentError):
    kind = "llm_rejected"


class InvalidLLMOutput(PermanentError):
    kind = "llm_invalid"


class SaveFailed(PermanentError):
    kind = "save_failed"


class DiskFull(SaveFailed):
    """The output folder's disk is full: every later save would fail too, so the batch stops."""

    kind = "disk_full"


def _size(n: int) -> str:
    if n >= 1_000_000 and n % 100_000 == 0:
        return f"{n / 1_000_000:g} MB"
    if n >= 1000 and n % 100 == 0:
        return f"{n / 1000:g} kB"
    return f"{n} bytes"


def is_retryable(exc: BaseException) -> bool:
    """The single allowlist that decides retries (transient errors only)."""
    return isinstance(exc, TransientError)
