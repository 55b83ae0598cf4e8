"""A crawlable recipe site on loopback, for the robots.txt, sitemap and refresh tests (issue 17).

`CrawlSite(pages=N)` serves, at http://127.0.0.1:PORT:

    /robots.txt                     `User-agent: *`, `Disallow: /members/`, an optional
                                    Crawl-delay, and `Sitemap: <origin>/sitemap_index.xml`
    /sitemap_index.xml              a sitemap index of the two gzipped sitemaps below
    /sitemaps/recipes-1.xml.gz      the first half of the URLs (application/gzip, no
    /sitemaps/recipes-2.xml.gz      Content-Encoding: gzip bytes, as sites serve .xml.gz)
    /recipes/<NNNN>-<slug>          N small recipe pages, JSON-LD Recipe each
    /members/recipes/<NNNN>-<slug>  `members` recipe pages: listed, but robots.txt disallows them
    /notes/<NNNN>-<slug>            `no_data` pages whose URL looks like a recipe's but that
                                    carry no Recipe data (what `--check` drops)
    /tag/soup/, /category/desserts/, /author/jane/, /page/2/, /   listed non-recipe pages

Every page has an ETag and a Last-Modified and answers 304 to a matching If-None-Match (which
wins, RFC 9110 §13.2.2) or an If-Modified-Since not older than it; `touch(path)` makes a new
version. `files[path] = Response(...)` serves anything else (the bad-input tests' hostile
robots.txt and sitemaps) and overrides the routes above. Every request is logged with its
time, method, path and headers (`log`, `paths()`), so a test can show what was, and was not,
fetched and how far apart.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from ray_import.demo._serving import LoopbackServer

DISHES = ("lemon-tart", "pea-soup", "apple-crumble", "leek-gratin", "plum-cake", "bean-stew",
          "carrot-salad", "fig-jam", "onion-pie", "rice-pudding")
LAST_MODIFIED = 1_700_000_000  # a fixed epoch second: the same dates run after run
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass(frozen=True)
class Response:
    body: bytes = b""
    content_type: str = "text/plain"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Request:
    at: float  # time.monotonic() when the request line was read
    method: str
    path: str  # with its query string
    headers: dict[str, str] = field(default_factory=dict)  # header names lower-cased


def recipe_html(title: str, index: int) -> bytes:
    ingredients = [f"{100 + index % 7 * 25} g flour", "2 eggs", f"{1 + index % 3} lemons", "50 g butter"]
    steps = [f"Mix everything for {title}.", f"Bake {20 + index % 4 * 5} minutes at 180 °C."]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Recipe", '
        f'"name": "{title}", "recipeYield": "4", '
        '"recipeIngredient": [' + ", ".join(f'"{i}"' for i in ingredients) + "], "
        '"recipeInstructions": [' + ", ".join(f'{{"@type": "HowToStep", "text": "{s}"}}' for s in steps)
        + "]}</script></head>"
        f"<body><h1>{title}</h1><ul>{''.join(f'<li>{i}</li>' for i in ingredients)}</ul>"
        f"<ol>{''.join(f'<li>{s}</li>' for s in steps)}</ol></body></html>"
    ).encode()


def plain_html(title: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"</head><body><h1>{title}</h1><p>Nothing to cook here.</p></body></html>").encode()


def urlset(urls: list[str]) -> bytes:
    items = "".join(f"<url><loc>{u}</loc><lastmod>2024-05-01</lastmod></url>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{SITEMAP_NS}">{items}</urlset>'.encode()


def sitemap_index(urls: list[str]) -> bytes:
    items = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="{SITEMAP_NS}">{items}'
            "</sitemapindex>").encode()


class _Handler(BaseHTTPRequestHandler):
    server_version = "CrawlSite/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        site: CrawlSite = self.server.owner  # type: ignore[attr-defined]
        site._record(Request(time.monotonic(), self.command, self.path,
                             {k.lower(): v for k, v in self.headers.items()}))
        path = urlsplit(self.path).path
        response = site.files.get(path) or site._route(path)
        if response is None:
            response = Response(b"not found", status=404)
        headers = dict(response.headers)
        if response.status == 200 and "ETag" in headers and self._not_modified(headers):
            self.send_response(304)
            for name in ("ETag", "Last-Modified"):
                self.send_header(name, headers[name])
            self.end_headers()
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if body:
            try:
                self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # a client that stops at its size limit hangs up mid-body

    def _not_modified(self, headers: dict[str, str]) -> bool:
        if (tags := self.headers.get("If-None-Match")) is not None:
            wanted = {t.strip().removeprefix("W/") for t in tags.split(",")}
            return "*" in wanted or headers["ETag"] in wanted
        since = self.headers.get("If-Modified-Since")
        if since and (modified := headers.get("Last-Modified")):
            try:
                return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(modified)
            except (TypeError, ValueError):
                return False
        return False


class CrawlSite(LoopbackServer):
    """See the module docstring. Use as a context manager; `origin` is its http://127.0.0.1:PORT."""

    _handler = _Handler
    _thread_name = "crawl-site"

    def __init__(self, pages: int = 20, *, members: int = 3, no_data: int = 0,
                 crawl_delay: float | None = None) -> None:
        super().__init__()
        self.pages, self.members, self.no_data, self.crawl_delay = pages, members, no_data, crawl_delay
        self.files: dict[str, Response] = {}
        self.log: list[Request] = []
        self._versions: dict[str, int] = {}
        self._log_lock = threading.Lock()
        self._gz: dict[str, bytes] = {}
        self._recipes: set[str] | None = None
        self._plain: set[str] = set()

    # What tests read.

    @property
    def origin(self) -> str:
        return self._origin()

    def url(self, path: str) -> str:
        return self.origin + path

    def recipe_paths(self) -> list[str]:
        """The allowed recipe pages: what discover must find."""
        return [f"/recipes/{i:04d}-{DISHES[i % len(DISHES)]}" for i in range(self.pages)]

    def member_paths(self) -> list[str]:
        return [f"/members/recipes/{i:04d}-{DISHES[i % len(DISHES)]}" for i in range(self.members)]

    def no_data_paths(self) -> list[str]:
        return [f"/notes/{i:04d}-kitchen-tips" for i in range(self.no_data)]

    def listing_paths(self) -> list[str]:
        return ["/", "/tag/soup/", "/category/desserts/", "/author/jane/", "/page/2/"]

    def paths(self, prefix: str = "/") -> list[str]:
        """Paths requested so far (with their query), in order, that start with `prefix`."""
        with self._log_lock:
            return [r.path for r in self.log if r.path.startswith(prefix)]

    def requests(self, prefix: str = "/") -> list[Request]:
        with self._log_lock:
            return [r for r in self.log if r.path.startswith(prefix)]

    def reset(self) -> None:
        """Back to the routes above, with an empty log (a module-scoped site shared by tests)."""
        self.files.clear()
        self._versions.clear()
        with self._log_lock:
            self.log.clear()

    def touch(self, path: str) -> None:
        """A new version of the page at `path`: new body, ETag and Last-Modified."""
        self._versions[path] = self._versions.get(path, 0) + 1

    # Serving.

    def _record(self, request: Request) -> None:
        with self._log_lock:
            self.log.append(request)

    def robots_txt(self) -> str:
        delay = f"Crawl-delay: {self.crawl_delay:g}\n" if self.crawl_delay is not None else ""
        return (f"User-agent: *\nDisallow: /members/\n{delay}\n"
                f"Sitemap: {self.origin}/sitemap_index.xml\n")

    def _sitemap_halves(self) -> tuple[list[str], list[str]]:
        urls = [self.url(p) for p in
                self.recipe_paths() + self.member_paths() + self.no_data_paths() + self.listing_paths()]
        half = (len(urls) + 1) // 2
        return urls[:half], urls[half:]

    def _route(self, path: str) -> Response | None:
        if path == "/robots.txt":
            return Response(self.robots_txt().encode())
        if path == "/sitemap_index.xml":
            return Response(sitemap_index([self.url("/sitemaps/recipes-1.xml.gz"),
                                           self.url("/sitemaps/recipes-2.xml.gz")]), "application/xml")
        if path in ("/sitemaps/recipes-1.xml.gz", "/sitemaps/recipes-2.xml.gz"):
            if path not in self._gz:
                half = self._sitemap_halves()[0 if path.endswith("1.xml.gz") else 1]
                self._gz[path] = gzip.compress(urlset(half), mtime=0)
            return Response(self._gz[path], "application/gzip")
        return self._page(path)

    def _page(self, path: str) -> Response | None:
        if self._recipes is None:
            self._recipes = set(self.recipe_paths() + self.member_paths())
            self._plain = set(self.no_data_paths() + self.listing_paths())
        if path in self._recipes:
            name = path.rsplit("/", 1)[1]
            index = int(name[:4])
            body = recipe_html(f"{name[5:].replace('-', ' ').capitalize()} no. {index}", index)
        elif path in self._plain:
            body = plain_html(path)
        else:
            return None
        version = self._versions.get(path, 0)
        if version:
            body = body.replace(b"</body>", f"<p>version {version}</p></body>".encode())
        modified = email.utils.formatdate(LAST_MODIFIED + 3600 * version, usegmt=True)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        return Response(body, "text/html; charset=utf-8",
                        headers=(("ETag", etag), ("Last-Modified", modified)))
