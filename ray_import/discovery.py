"""discovery: a site's recipe URLs from its sitemaps, for `ray-import discover` and the Python API.

The site's robots.txt is read first: its Sitemap lines name the roots (else `/sitemap.xml`), its
rules decide every sitemap and every URL kept, its Crawl-delay sets the pace. Sitemap indexes
and `.xml.gz` files are then followed breadth-first, bounded in depth, files, bytes and URLs,
with repeats and loops skipped and sitemaps on another host refused. A listed URL is kept when it
is on the site, allowed, new, and looks like a recipe page (`scraper.recipe_urls`), or matches
`match` when one is given. With `check=True` each kept page is then probed for schema.org Recipe
data as a Ray batch: fetched by the fetch gateway, read by tasks with the import's resources.

The sitemaps are fetched here, on the driver, with the page fetcher's own machinery
(`scraper.fetch.Fetcher.fetch_file`: politeness, retries, private-network guard, robots.txt
checked at every hop, Crawl-delay pacing the host): a handful of files of one host, one after
another, need no actor. With `fetch.robots = "ignore"` robots.txt is still read for its Sitemap
lines, but its rules and Crawl-delay are not applied.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from scraper.errors import BadSitemap, InvalidURL, PageError, TooLarge
from scraper.fetch import Fetcher
from scraper.url_values import validate_url
from scraper.politeness import host_key
from scraper.recipe_urls import recipe_score
from scraper.robots import Robots, RobotsCache, crawl_interval, product_token, robots_url_for
from scraper.sitemap import (
    MAX_SITEMAP_BYTES,
    MAX_SITEMAP_URLS,
    Sitemap,
    SitemapEntry,
    human_size,
    parse_sitemap,
)

from .atomic import write_atomically
from .config import ImportConfig
from .errors import ConfigError
from .urls import try_normalize

MAX_PROBLEM_LINES = 50
# Origins (scheme, host, port) of one site whose robots.txt is read: http/https, with/without www.
MAX_ORIGINS = 4
_SITEMAP_SUFFIXES = (".xml", ".xml.gz", ".gz", ".txt")


class DiscoverSettings(BaseModel):
    """How far discover goes; the defaults are the sitemaps.org limits and a few levels more."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Index levels followed below a root sitemap (sitemaps.org allows one; sites nest a few).
    max_depth: int = Field(3, ge=0)
    max_sitemaps: int = Field(200, ge=1)
    # Per sitemap file, once inflated (and the most bytes downloaded for it).
    max_sitemap_bytes: int = Field(MAX_SITEMAP_BYTES, ge=1024)
    max_urls_per_sitemap: int = Field(MAX_SITEMAP_URLS, ge=1)
    # URL entries read in all: what the driver holds in memory.
    max_urls: int = Field(1_000_000, ge=1)
    # recipe_urls.recipe_score at least this keeps a URL (when no `match` is given).
    min_score: int = 1


@dataclass
class DiscoverResult:
    """What discover found: the URLs kept, in sitemap order, and why the others were dropped."""

    site: str
    urls: list[str] = field(default_factory=list)
    found: int = 0  # page URLs listed by the sitemaps read
    dropped: Counter[str] = field(default_factory=Counter)  # reason → URLs
    sitemaps: list[str] = field(default_factory=list)  # sitemap files read
    problems: list[str] = field(default_factory=list)  # one line each: refused or failed files
    more_problems: int = 0  # past MAX_PROBLEM_LINES, counted only
    robots: str = ""
    crawl_delay: float | None = None
    interval_s: float = 0.0  # the pace used on the site: per_host_interval_s raised to Crawl-delay
    probed: int = 0

    @property
    def kept(self) -> int:
        return len(self.urls)

    def problem(self, line: str) -> None:
        if len(self.problems) < MAX_PROBLEM_LINES:
            self.problems.append(line)
        else:
            self.more_problems += 1

    def drops(self) -> dict[str, int]:
        return {reason: n for reason, n in sorted(self.dropped.items()) if n}

    def summary(self) -> str:
        """A few lines for a terminal: counts, drops by reason, pace, problems."""
        files = f"{len(self.sitemaps)} sitemap{'s' if len(self.sitemaps) != 1 else ''}"
        lines = [f"found {self.found} URLs in {files} of {self.site}; kept {self.kept}"
                 + (f" ({self.probed} probed)" if self.probed else "")]
        if drops := self.drops():
            lines.append("dropped: " + ", ".join(f"{n} {reason}" for reason, n in drops.items()))
        if self.crawl_delay is not None:
            lines.append(f"Crawl-delay {self.crawl_delay:g}s: requests to the site "
                         f"{self.interval_s:g}s apart")
        lines += [f"problem: {line}" for line in self.problems]
        if self.more_problems:
            lines.append(f"... and {self.more_problems} more problems")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"site": self.site, "found": self.found, "kept": self.kept, "probed": self.probed,
                "dropped": self.drops(), "sitemaps": self.sitemaps, "problems": self.problems,
                "more_problems": self.more_problems, "robots": self.robots,
                "crawl_delay": self.crawl_delay, "interval_s": self.interval_s}

    def write(self, path: Path) -> None:
        """The kept URLs, one a line (a `ray-import run` input), written atomically."""
        write_atomically(path, "".join(f"{url}\n" for url in self.urls).encode("utf-8"))


def _site_key(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    port = parts.port
    return host_key(parts.hostname), None if port in (None, 80, 443) else port


def _sitemap_key(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", (parts.hostname or "").lower(), parts.path, parts.query, ""))


def _roots(site_url: str) -> tuple[str, str | None]:
    """The site's origin, and the sitemap `site_url` names itself, if it does."""
    parts = urlsplit(site_url)
    origin = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "", "", ""))
    path = parts.path.lower()
    explicit = site_url if path.endswith(_SITEMAP_SUFFIXES) and path != "/robots.txt" else None
    return origin, explicit


class _Walk:
    """One discover run's traversal of the sitemaps (async: the fetcher is)."""

    def __init__(self, site_url: str, *, limit: int | None, pattern: re.Pattern[str] | None,
                 check: bool, cfg: ImportConfig, settings: DiscoverSettings) -> None:
        self.origin, self.explicit = _roots(site_url)
        self.limit, self.pattern, self.check = limit, pattern, check
        self.cfg, self.settings = cfg, settings
        self.site = _site_key(site_url)
        self.result = DiscoverResult(site=self.origin)
        self.candidates: list[str] = []
        self._seen_urls: set[str] = set()
        self._origins: set[str] = set()
        self._full = False

    async def run(self) -> DiscoverResult:
        fetcher = Fetcher(self.cfg.fetch, obey_robots=True)
        self.fetcher = fetcher
        # Obeyed, the fetcher's own cache (checked at every hop); ignored, one read for Sitemap lines.
        self.obey = fetcher.robots is not None
        self.robots = fetcher.robots or RobotsCache(fetcher.fetch_robots,
                                                    token=product_token(self.cfg.fetch.user_agent))
        try:
            await self._walk()
        finally:
            await fetcher.aclose()
        return self.result

    async def _walk(self) -> None:
        result = self.result
        site_robots = await self.robots.get(self.origin)
        self._origins.add(site_robots.url)
        result.robots = site_robots.reason if self.obey else f"{site_robots.reason} (rules ignored)"
        if self.obey and site_robots.verdict == "disallow_all":
            result.problem(f"{site_robots.reason}: no sitemap fetched")
            return
        self._pace(site_robots)
        roots = [self.explicit] if self.explicit else []
        for url in () if self.explicit else site_robots.sitemaps:
            if self._same_site(url):
                roots.append(url)
            else:
                result.problem(f"{url}: on another host than {self.origin} (listed in "
                               f"{site_robots.url}): refused")
        if not roots:
            roots = [f"{self.origin}/sitemap.xml"]
        queue: deque[tuple[str, int]] = deque((url, 0) for url in roots)
        seen = {_sitemap_key(url) for url in roots}
        while queue:
            if self._full:
                result.problem(f"--limit {self.limit} reached: {len(queue)} sitemap file(s) not fetched")
                return
            if len(result.sitemaps) >= self.settings.max_sitemaps:
                result.problem(f"more than {self.settings.max_sitemaps} sitemap files: "
                               f"{len(queue)} not fetched")
                return
            url, depth = queue.popleft()
            sitemap = await self._read(url)
            if sitemap is None:
                continue
            if sitemap.kind == "index":
                for entry in sitemap.entries:
                    if (line := self._refusal(entry.url, url, depth + 1, seen)) is not None:
                        result.problem(line)
                    else:
                        seen.add(_sitemap_key(entry.url))
                        queue.append((entry.url, depth + 1))
            else:
                await self._take(sitemap.entries, sitemap.skipped, sitemap.over_limit)

    def _refusal(self, child: str, parent: str, depth: int, seen: set[str]) -> str | None:
        """Why the sitemap `child`, listed by the index `parent`, is not followed; None: follow it."""
        if not self._same_site(child):
            return f"{child}: on another host than {self.origin} (listed in {parent}): refused"
        if _sitemap_key(child) in seen:
            return f"{child}: listed again by {parent} (a loop or a repeat): not fetched again"
        if depth > self.settings.max_depth:
            return f"{child}: more than {self.settings.max_depth} index levels deep: not followed"
        return None

    def _pace(self, robots: Robots) -> None:
        """The site's pace, as the fetcher applies it from the site's Crawl-delay (raised, never
        lowered, capped by fetch.max_crawl_delay_s) from the next request on."""
        fetch = self.cfg.fetch
        interval = fetch.per_host_interval_s
        if self.obey:
            interval = crawl_interval(interval, robots.crawl_delay, fetch.max_crawl_delay_s)
            if robots.crawl_delay is not None:
                self.fetcher.limiter.slow(urlsplit(self.origin).hostname or "", robots.crawl_delay, interval)
        self.result.crawl_delay, self.result.interval_s = robots.crawl_delay, interval

    async def _read(self, url: str) -> Sitemap | None:
        result = self.result
        robots = await self.robots.get(url)
        if self.obey and not robots.allowed(url):
            result.problem(f"{url}: disallowed by {robots.url}: not fetched")
            return None
        try:
            file = await self.fetcher.fetch_file(url, max_bytes=self.settings.max_sitemap_bytes,
                                                 follow=self._same_site)
            sitemap = parse_sitemap(file.body, url=url, max_bytes=self.settings.max_sitemap_bytes,
                                    max_urls=self.settings.max_urls_per_sitemap)
        except BadSitemap as exc:
            result.problem(exc.message)
            return None
        except TooLarge:
            result.problem(f"{url}: more than {human_size(self.settings.max_sitemap_bytes)} (the limit): "
                           "not read")
            return None
        except PageError as exc:
            result.problem(f"{url}: {exc.message}")
            return None
        result.sitemaps.append(url)
        if sitemap.over_limit:
            result.problem(f"{url}: lists more than {self.settings.max_urls_per_sitemap} URLs: "
                           f"{sitemap.over_limit} ignored")
        return sitemap

    def _same_site(self, url: str) -> bool:
        try:
            return _site_key(url) == self.site
        except ValueError:
            return False

    async def _take(self, entries: tuple[SitemapEntry, ...], skipped: int, over: int) -> None:
        result, dropped = self.result, self.result.dropped
        before = result.found
        result.found += len(entries) + skipped + over
        if skipped:
            dropped["invalid_url"] += skipped
        if over:
            dropped["over_limit"] += over
        for n, entry in enumerate(entries):
            if self._full or before + n >= self.settings.max_urls:
                dropped["over_limit"] += len(entries) - n
                return
            reason = await self._reason(entry.url)
            if reason:
                dropped[reason] += 1
                continue
            self.candidates.append(entry.url)
            self._full = not self.check and self.limit is not None and len(self.candidates) >= self.limit

    async def _reason(self, url: str) -> str | None:
        """Why `url` is dropped, or None to keep it."""
        if not self._same_site(url):
            return "other_host"
        key = try_normalize(url)
        if key is None:
            return "invalid_url"
        if key in self._seen_urls:
            return "duplicate"
        self._seen_urls.add(key)
        origin = robots_url_for(url)
        if origin not in self._origins:
            if len(self._origins) >= MAX_ORIGINS:
                return "other_host"
            self._origins.add(origin)
        if self.obey and not (await self.robots.get(url)).allowed(url):
            return "robots_disallowed"
        if self.pattern is not None:
            return None if self.pattern.search(url) else "no_match"
        return None if recipe_score(url) >= self.settings.min_score else "not_recipe_like"


def _arguments(site_url: str, limit: int | None, match: str | None) -> re.Pattern[str] | None:
    """Raises ConfigError, naming the input, for a bad SITE_URL, --limit or --match."""
    try:
        validate_url(site_url)
    except InvalidURL as exc:
        raise ConfigError(f"SITE_URL {site_url[:200]!r}: {exc.message}") from exc
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit {limit}: must be at least 1")
    if match is None:
        return None
    try:
        return re.compile(match)
    except re.error as exc:
        raise ConfigError(f"--match {match!r}: not a regular expression ({exc})") from exc


def discover(site_url: str, *, limit: int | None = None, match: str | None = None, check: bool = False,
             cfg: ImportConfig | None = None, settings: DiscoverSettings | None = None) -> DiscoverResult:
    """The recipe page URLs a site's sitemaps list (see the module docstring for how).

    Args:
        site_url: the site (`https://example.org`), or one sitemap of it (`.../sitemap.xml`).
        limit: keep at most this many URLs; without `check`, fetching stops once it is reached.
        match: a regular expression a URL must contain (`re.search`); it replaces the URL score.
        check: probe each kept page for schema.org Recipe data (a Ray batch; starts Ray).
        cfg: fetch settings (politeness, timeouts, User-Agent) and the tasks' resources.
        settings: the traversal's bounds.

    Returns:
        The kept URLs in sitemap order, with counts of what was found and dropped, and why.

    Raises:
        ConfigError: `site_url`, `limit` or `match` is not valid. A sitemap that fails is not
            an error: it is a line in `problems`.

    Example:
        >>> found = discover("https://example.org", limit=100)
        >>> found.write(Path("urls.txt")); print(found.summary())
    """
    pattern = _arguments(site_url, limit, match)
    cfg = cfg or ImportConfig()
    walk = _Walk(site_url.strip(), limit=limit, pattern=pattern, check=check, cfg=cfg,
                 settings=settings or DiscoverSettings())
    result = asyncio.run(walk.run())
    if not check:
        result.urls = walk.candidates[:limit] if limit else walk.candidates
        return result
    from .discovery_probe import probe_recipes  # imports Ray's side only when asked to

    result.urls, reasons, result.probed = probe_recipes(walk.candidates, cfg=cfg, limit=limit)
    result.dropped.update(reasons)
    return result
