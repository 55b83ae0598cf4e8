"""Settings of the per-recipe steps.

They live here, beside the steps, so `scraper` stays usable without `ray_import`; the batch
config (`ray_import.config.ImportConfig`) embeds them as its `[fetch]` and `[enrich]` sections.
Every default is mirrored, with a comment, in `configs/default.toml`.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import __version__

# A browser's, so sites answer as they do to people, plus our product token, so a site's operator
# can tell (and find) who is asking. configs/default.toml shows it with the version as <version>.
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    f"Chrome/126.0 Safari/537.36 ray-import/{__version__}"
)


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
SOCKS_SCHEMES = ("socks5", "socks5h")


def mask_url(text: str) -> str:
    """`http://user:pass@host:8080/p` → `http://***@host:8080/p`; anything else unchanged.

    Config values are printed (`--print-config`) and written to reports that other people read:
    a proxy or an endpoint URL with credentials in it must not leak there (issue 13, item 11).
    """
    if "@" not in text or "://" not in text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if "@" not in parts.netloc:
        return text
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def mask_secrets(value: Any) -> Any:
    """`value` (a config dump: dicts, lists, strings) with the userinfo of every URL masked."""
    if isinstance(value, str):
        return mask_url(value)
    if isinstance(value, dict):
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_secrets(item) for item in value)
    return value


def check_url(value: str, schemes: tuple[str, ...], what: str) -> str:
    """`value` if it is an absolute URL with one of `schemes` and a host; ValueError otherwise.

    A bad proxy or endpoint is a config error found before the run, not one `crashed` result
    per URL found during it (issue 13, item 15).
    """
    shown = repr(mask_url(value))
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"{shown} is not a valid {what} URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes or not parts.hostname:
        expected = ", ".join(f"{s}://" for s in schemes[:-1]) + f" or {schemes[-1]}://"
        raise ValueError(f"{shown} is not a valid {what} URL (expected {expected} and a host)")
    if any(ch.isspace() or ord(ch) < 32 for ch in value.strip()):
        raise ValueError(f"{shown} is not a valid {what} URL (it contains whitespace)")
    if scheme in SOCKS_SCHEMES and importlib.util.find_spec("socksio") is None:
        raise ValueError(f"{shown}: a SOCKS proxy needs the socksio package (pip install 'httpx[socks]')")
    return value.strip()


class FetchSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    connect_timeout_s: float = Field(10.0, gt=0)
    read_timeout_s: float = Field(20.0, gt=0)
    total_timeout_s: float = Field(45.0, gt=0)
    max_bytes: int = Field(10_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    max_attempts: int = Field(3, ge=1)
    backoff_base_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(10.0, ge=0)
    max_retry_after_s: float = Field(60.0, ge=0)
    user_agent: str = DEFAULT_USER_AGENT
    # An explicit forward proxy for every request ("http://127.0.0.1:8080"). Unset, the usual
    # HTTP_PROXY / HTTPS_PROXY / NO_PROXY variables apply.
    proxy: str | None = None
    # Politeness, per host and cluster-wide: requests in flight at once, and the least time
    # between two request starts. A host's Retry-After holds all its requests.
    per_host_concurrency: int = Field(2, ge=1)
    per_host_interval_s: float = Field(0.5, ge=0)
    # Requests in flight at once per fetch gateway, all hosts together.
    max_connections: int = Field(128, ge=1)
    # Fetch gateway actors; hosts are sharded over them by a stable hash.
    gateways: int = Field(1, ge=1)
    # Refuse hosts that are or resolve to loopback, private, link-local, multicast, reserved or
    # cloud-metadata addresses, at every redirect hop. Off for the CLI; turn it on wherever the
    # URLs come from other people (a service).
    block_private_networks: bool = False
    # Host names exempt from that rule (an intranet recipe site, a test server).
    allow_private_hosts: tuple[str, ...] = ()
    # robots.txt (RFC 9309): "obey" reads each origin's robots.txt once (through the same
    # politeness) and refuses the URLs it disallows to our product token; "ignore" never reads
    # it. `serve` always obeys (configs/default.toml says why).
    robots: Literal["obey", "ignore"] = "obey"
    # How long a robots.txt read stays valid (RFC 9309 §2.4: at most a day is advised).
    robots_expiry_s: float = Field(86_400.0, gt=0)
    # A site's Crawl-delay raises its per_host_interval_s up to this, never more.
    max_crawl_delay_s: float = Field(30.0, ge=0)

    @field_validator("proxy")
    @classmethod
    def _proxy_is_a_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, PROXY_SCHEMES, "proxy")


class EnrichSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # auto: ingredient-parser-nlp for English when its NLTK data is present, rules otherwise.
    ingredient_parser: Literal["auto", "nlp", "rules", "off"] = "auto"


class LLMSettings(BaseModel):
    """The LLM structuring step: any OpenAI-compatible chat-completions endpoint.

    The API key is never a setting: `api_key_env` names the environment variable that holds it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = None
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    # off: never; fallback: only pages where extraction finds no recipe; always: every page.
    # Unset: fallback when base_url is set, else off.
    mode: Literal["off", "fallback", "always"] | None = None
    # Requests in flight at once across the whole cluster (the endpoint's capacity).
    max_concurrency: int = Field(8, ge=1)
    timeout_s: float = Field(120.0, gt=0)
    max_attempts: int = Field(4, ge=1)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    max_retry_after_s: float = Field(120.0, ge=0)
    # Page text sent to the model, in tokens (~4 characters each).
    max_input_tokens: int = Field(6000, ge=200)
    max_output_tokens: int = Field(2000, ge=100)
    # auto: strict JSON Schema output, falling back to JSON mode + the schema in the prompt when
    # the server refuses it; or force one of the two.
    response_format: Literal["auto", "json_schema", "json_object"] = "auto"
    temperature: float = Field(0.0, ge=0, le=2)
    # For the cost estimate in the report (USD per million tokens).
    price_per_million_input: float = Field(0.0, ge=0)
    price_per_million_output: float = Field(0.0, ge=0)
    # Answers kept in <out>/.ray-import/llm_cache.sqlite3, least recently used dropped first
    # (ray_import/llm_cache.py, issue 18); 0 turns the cache off.
    cache_max_entries: int = Field(100_000, ge=0)

    @field_validator("base_url")
    @classmethod
    def _base_url_is_a_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, ("http", "https"), "endpoint")

    @property
    def effective_mode(self) -> str:
        if self.mode is not None:
            return self.mode
        return "fallback" if self.base_url else "off"
