"""The exception tree shared by the scraper steps and the Ray orchestration.

It lives in `scraper` (not `ray_import`) because the steps raise these errors and must not import
Ray; `ray_import.errors` re-exports it.

    RayImportError                  base: `except RayImportError` catches everything of ours
    ├── ConfigError                 bad flag, file or env → exit 2, nothing runs
    ├── CatalogError                catalog state or persistence → abort the run
    └── PageError(url=, stage=)     one URL failed; the run goes on
        ├── TransientError          retried, with a cap and backoff
        │   ├── FetchTimeout        connect/read/total timeout
        │   ├── ConnectFailed       refused, reset, DNS failure
        │   ├── ServerBusy(status=) HTTP 408, 425, 429, 5xx; honours Retry-After
        │   └── LLMUnavailable      the LLM endpoint timed out, answered 429 or 5xx
        └── PermanentError          never retried
            ├── InvalidURL          not an absolute http(s) URL
            ├── BlockedAddress      a private/loopback/metadata address (block_private_networks)
            ├── HTTPRejected(status=)   any other 4xx, too many redirects
            ├── NotHTML(content_type=)  PDF, image, JSON...
            ├── TooLarge(limit=)    body over the limit, counted after decompression
            ├── NotARecipe          no recipe data on the page
            ├── LLMRejected         the LLM endpoint refused the request (auth, bad request)
            ├── InvalidLLMOutput    the model's reply is not a valid recipe, even after a repair
            └── SaveFailed          the catalog could not write the file
                └── DiskFull        no space left: the batch stops (issue 13, item 9)

`kind` is the stable, machine-readable name of each error: it is what reports and exit summaries
group by, so renaming a class does not change a report.
"""

from __future__ import annotations


class RayImportError(Exception):
    """Base of every error ray-import raises on purpose."""

    kind = "error"


class ConfigError(RayImportError):
    """A flag, config file or environment variable is invalid; nothing runs."""

    kind = "config"


class CatalogError(RayImportError):
    """The catalog's database or folder cannot be used; the run stops."""

    kind = "catalog"


class PageError(RayImportError):
    """One URL failed at one stage; the batch goes on without it."""

    kind = "page"
    transient = False

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
