"""A small local recipe website for `ray-import demo` and the tests.

`SampleSite` serves the shipped pages in `pages/` (one `<name>.html` per recipe,
JSON-LD, `@graph`, microdata, French and structure-less pages) from a stdlib
`ThreadingHTTPServer` running in a daemon thread, so the whole import pipeline
can be exercised end to end without any network access.

Besides the recipe pages it answers a handful of "behaviour" routes that let the
tests of the fetch step provoke the situations a real crawl meets: error codes
with `Retry-After`, slow answers, flaky endpoints, redirect chains, oversized
bodies, a gzip bomb, non-HTML content types, non-UTF-8 charsets and empty bodies.

Routes (GET; HEAD answers the same headers without a body):

    /                          HTML index linking every page
    /recipes/<name>.html       a shipped page, text/html; charset=utf-8
    /images/<anything>         a 1x1 PNG
    /status/<code>             that status with a small HTML body
                               (429 and 503 add `Retry-After: 1`)
    /slow?s=<float>            sleeps s seconds (at most 30), then a small page
    /flaky/<key>/<n>           503 for the first n requests of <key>, then the
                               first recipe page (no Retry-After, so retries stay fast)
    /redirect/<n>              n chained 302s ending at the first recipe page
    /redirect-to?url=<u>       a single 302 to u
    /bytes/<n>                 exactly n bytes of text/html (whitespace inside an
                               html wrapper), streamed in chunks, with Content-Length
    /gzip-bomb                 Content-Encoding: gzip, inflates to 50 MB of spaces
    /type/pdf|png|json         a small body of that Content-Type
    /charset/latin1            a recipe page in ISO-8859-1, charset only in the header
    /charset/meta              a recipe page in windows-1252, charset only in <meta>
    /empty                     200 with an empty text/html body
    /heavy?n=<count>           a page of n small elements (≤ 260 000): seconds of parsing;
                               with &recipe=1 it also carries the first page's JSON-LD recipe
    /recipes/<name>.html?delay=<s>   the page after s seconds (≤ 30)
    /generated/<n>             a small recipe of its own for every n (memory tests)

Anything else is a 404. Run `python -m ray_import.demo.site --port 8000` to browse it.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import html
import json
import re
import struct
import threading
import time
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Iterable
from urllib.parse import parse_qs, urlsplit

from ._serving import LoopbackServer, QuietServer

PAGES_DIR = Path(__file__).parent / "pages"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CHUNK = 64 * 1024
_GZIP_BOMB_SIZE = 50 * 1024 * 1024
_MAX_SLOW_S = 30.0


def _make_png() -> bytes:
    """Build a valid 1x1 RGBA PNG without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        crc = zlib.crc32(body) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xf0\xc0\x60\xff")  # filter byte + one orange pixel
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG_BYTES = _make_png()

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)

JSON_BYTES = b'{"@context": "https://schema.org", "@type": "Thing", "name": "Not a web page"}\n'

# A recipe whose text fits in ISO-8859-1 (no "oe" ligature there); served with the
# charset only in the Content-Type header.
LATIN1_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<title>Gâteau au yaourt de grand-mère</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Recipe", "name": "Gâteau au yaourt de grand-mère",
 "author": {"@type": "Person", "name": "Irène Lefèbvre"},
 "recipeYield": "8 parts", "prepTime": "PT10M", "cookTime": "PT35M", "totalTime": "PT45M",
 "recipeIngredient": ["1 pot de yaourt nature", "2 pots de sucre", "3 pots de farine", "3 oeufs",
  "1/2 pot d'huile de tournesol", "1 sachet de levure chimique", "1 zeste de citron râpé"],
 "recipeInstructions": [{"@type": "HowToStep", "text": "Préchauffez le four à 180 °C et beurrez un moule."},
  {"@type": "HowToStep", "text": "Mélangez le yaourt, le sucre et les oeufs, puis la farine, la levure, l'huile et le zeste."},
  {"@type": "HowToStep", "text": "Versez dans le moule et faites cuire 35 minutes. Démoulez tiède."}]}
</script>
</head>
<body>
<h1>Gâteau au yaourt de grand-mère</h1>
<p>Le gâteau préféré des enfants : on mesure tout avec le pot de yaourt. Très léger, idéal au goûter.</p>
<h2>Ingrédients</h2>
<ul><li>1 pot de yaourt nature</li><li>2 pots de sucre</li><li>3 pots de farine</li><li>3 oeufs</li>
<li>1/2 pot d'huile de tournesol</li><li>1 sachet de levure chimique</li><li>1 zeste de citron râpé</li></ul>
<h2>Préparation</h2>
<ol><li>Préchauffez le four à 180 °C et beurrez un moule.</li>
<li>Mélangez le yaourt, le sucre et les oeufs, puis la farine, la levure, l'huile et le zeste.</li>
<li>Versez dans le moule et faites cuire 35 minutes. Démoulez tiède.</li></ol>
</body>
</html>
"""

# A recipe using characters that exist in windows-1252 but not in ISO-8859-1
# (Œ, œ, ’, –, €), so decoding it as latin-1 would visibly garble it.
CP1252_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="windows-1252">
<title>Œufs cocotte à la crème – prêts en 15 minutes</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Recipe", "name": "Œufs cocotte à la crème",
 "author": "Chloé Vasseur", "recipeYield": "4 personnes", "prepTime": "PT5M", "cookTime": "PT10M",
 "totalTime": "PT15M",
 "recipeIngredient": ["4 œufs extra-frais", "4 c. à soupe de crème fraîche", "20 g de beurre",
  "1 c. à soupe de ciboulette ciselée", "sel, poivre"],
 "recipeInstructions": "Préchauffez le four à 180 °C et beurrez 4 ramequins.\\nDéposez une cuillerée de crème dans chaque ramequin, cassez un œuf par-dessus, salez et poivrez.\\nFaites cuire 10 minutes au bain-marie : le blanc doit être pris et le jaune coulant.\\nParsemez de ciboulette et servez avec des mouillettes – c’est prêt !"}
</script>
</head>
<body>
<h1>Œufs cocotte à la crème</h1>
<p>Un classique des bistrots, pour environ 2 € par personne. L’entrée la plus simple qui soit.</p>
<h2>Ingrédients</h2>
<ul><li>4 œufs extra-frais</li><li>4 c. à soupe de crème fraîche</li><li>20 g de beurre</li>
<li>1 c. à soupe de ciboulette ciselée</li><li>sel, poivre</li></ul>
<h2>Préparation</h2>
<ol><li>Préchauffez le four à 180 °C et beurrez 4 ramequins.</li>
<li>Déposez une cuillerée de crème dans chaque ramequin, cassez un œuf par-dessus, salez et poivrez.</li>
<li>Faites cuire 10 minutes au bain-marie : le blanc doit être pris et le jaune coulant.</li>
<li>Parsemez de ciboulette et servez avec des mouillettes – c’est prêt !</li></ol>
</body>
</html>
"""

_gzip_bomb_cache: bytes | None = None
_gzip_bomb_lock = threading.Lock()


def _gzip_bomb() -> bytes:
    """Compress 50 MB of spaces once per process (a few tens of KB on the wire)."""
    global _gzip_bomb_cache
    with _gzip_bomb_lock:
        if _gzip_bomb_cache is None:
            buf = gzip.compress(b" " * _GZIP_BOMB_SIZE, compresslevel=9, mtime=0)
            _gzip_bomb_cache = buf
        return _gzip_bomb_cache


def _small_page(title: str, text: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>\n"
    ).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    server: QuietServer
    protocol_version = "HTTP/1.1"
    server_version = "RayImportSampleSite/1.0"
    timeout = 30  # close idle keep-alive connections so threads do not linger
    # Headers and body are separate writes; without TCP_NODELAY keep-alive answers
    # stall ~40 ms on delayed ACKs.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002, ANN002
        pass  # quiet: tests and the demo print their own progress

    # -- plumbing -------------------------------------------------------------

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def _send(
        self,
        status: int,
        body: bytes | Iterable[bytes] = b"",
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        if isinstance(body, bytes):
            length = len(body)
            chunks: Iterable[bytes] = [body] if body else []
        else:
            chunks = body
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(length or 0))
        self.end_headers()
        if self.command == "HEAD":
            return
        for part in chunks:
            self.wfile.write(part)

    def _not_found(self) -> None:
        self._send(404, _small_page("Not Found", f"Nothing lives at {self.path}."))

    def _dispatch(self) -> None:
        site = self.server.owner
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        site._count(path)
        segs = [s for s in path.split("/") if s]
        if not segs:
            return self._route_index([], query)
        route = self._ROUTES.get(segs[0])
        if route is None:
            return self._not_found()
        route(self, segs[1:], query)

    def _first_page(self) -> tuple[str, bytes]:
        site = self.server.owner
        name = site.page_names()[0]
        return name, site.page_bytes(name)

    # -- routes ---------------------------------------------------------------

    def _route_index(self, rest: list[str], query: dict) -> None:
        site = self.server.owner
        items = "\n".join(
            f'<li><a href="/recipes/{n}.html">{html.escape(n.replace("-", " "))}</a></li>'
            for n in site.page_names()
        )
        body = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>ray-import sample recipes</title></head><body>"
            f"<h1>Sample recipes</h1><ul>\n{items}\n</ul></body></html>\n"
        )
        self._send(200, body.encode("utf-8"))

    def _route_recipes(self, rest: list[str], query: dict) -> None:
        if len(rest) != 1 or not rest[0].endswith(".html"):
            return self._not_found()
        name = rest[0][: -len(".html")]
        data = self.server.owner.page_bytes(name)
        if data is None:
            return self._not_found()
        if "delay" in query:  # ?delay=<s>: a slow site, for tests that need a batch to take time
            time.sleep(min(float(query["delay"][0]), 30.0))
        self._send(200, data)

    def _route_images(self, rest: list[str], query: dict) -> None:
        if not rest:
            return self._not_found()
        self._send(200, PNG_BYTES, "image/png", {"Cache-Control": "max-age=3600"})

    def _route_status(self, rest: list[str], query: dict) -> None:
        if len(rest) != 1 or not rest[0].isdigit() or not 200 <= int(rest[0]) <= 599:
            return self._not_found()
        code = int(rest[0])
        headers = {"Retry-After": "1"} if code in (429, 503) else {}
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Status"
        body = _small_page(f"{code} {phrase}", f"This page answers {code}.")
        if code in (204, 304):
            body = b""  # these statuses must not carry a body
        self._send(code, body, headers=headers)

    def _route_slow(self, rest: list[str], query: dict) -> None:
        try:
            seconds = float(query.get("s", ["1"])[0])
        except ValueError:
            seconds = 1.0
        time.sleep(min(max(seconds, 0.0), _MAX_SLOW_S))
        self._send(200, _small_page("Slow page", f"Answered after {seconds:g} s."))

    def _route_flaky(self, rest: list[str], query: dict) -> None:
        if len(rest) != 2 or not rest[1].isdigit():
            return self._not_found()
        count = self.server.owner._bump_flaky(rest[0])
        if count <= int(rest[1]):
            page = _small_page("503 Service Unavailable", f"Attempt {count}, try again.")
            return self._send(503, page)
        self._send(200, self._first_page()[1])

    def _route_redirect(self, rest: list[str], query: dict) -> None:
        if len(rest) != 1 or not rest[0].isdigit():
            return self._not_found()
        n = int(rest[0])
        if n == 0:
            return self._send(200, self._first_page()[1])
        target = f"/redirect/{n - 1}" if n > 1 else f"/recipes/{self._first_page()[0]}.html"
        self._send(302, _small_page("Found", target), headers={"Location": target})

    def _route_redirect_to(self, rest: list[str], query: dict) -> None:
        url = query.get("url", [""])[0]
        if rest or not url:
            return self._not_found()
        self._send(302, _small_page("Found", url), headers={"Location": url})

    def _route_bytes(self, rest: list[str], query: dict) -> None:
        if len(rest) != 1 or not rest[0].isdigit():
            return self._not_found()
        n = int(rest[0])
        prefix, suffix = b"<!DOCTYPE html>\n<html><body>", b"</body></html>\n"
        if n < len(prefix) + len(suffix):
            prefix, suffix = b"", b""
        fill = n - len(prefix) - len(suffix)

        def chunks() -> Iterable[bytes]:
            yield prefix
            block = b" " * _CHUNK
            left = fill
            while left > 0:
                step = min(left, _CHUNK)
                yield block[:step]
                left -= step
            yield suffix

        self._send(200, chunks(), length=n)

    def _route_gzip_bomb(self, rest: list[str], query: dict) -> None:
        if rest:
            return self._not_found()
        self._send(200, _gzip_bomb(), headers={"Content-Encoding": "gzip"})

    def _route_type(self, rest: list[str], query: dict) -> None:
        kinds = {
            "pdf": (PDF_BYTES, "application/pdf"),
            "png": (PNG_BYTES, "image/png"),
            "json": (JSON_BYTES, "application/json"),
        }
        if len(rest) != 1 or rest[0] not in kinds:
            return self._not_found()
        body, ctype = kinds[rest[0]]
        self._send(200, body, ctype)

    def _route_charset(self, rest: list[str], query: dict) -> None:
        if rest == ["latin1"]:
            body = LATIN1_PAGE.encode("iso-8859-1")
            return self._send(200, body, "text/html; charset=iso-8859-1")
        if rest == ["meta"]:
            return self._send(200, CP1252_PAGE.encode("windows-1252"), "text/html")
        self._not_found()

    def _route_empty(self, rest: list[str], query: dict) -> None:
        if rest:
            return self._not_found()
        self._send(200, b"")

    def _route_heavy(self, rest: list[str], query: dict) -> None:
        # Many small elements: cheap to serve, seconds of CPU to parse (for task timeout tests).
        n = min(int(query.get("n", ["100000"])[0]), 260_000)
        head = b"<title>heavy</title>"
        if "recipe" in query:  # ?recipe=1: the same, with the first sample page's JSON-LD recipe
            first = self._first_page()[1]
            start = first.find(b'<script type="application/ld+json">')
            head += first[start : first.find(b"</script>", start) + len(b"</script>")]
        body = b"<html><head>" + head + b"</head><body>" + (
            b'<div><p class="a">word word</p></div>' * n) + b"</body></html>"
        self._send(200, body)

    def _route_generated(self, rest: list[str], query: dict) -> None:
        # /generated/<n>: a small recipe of its own for every n (memory tests need many distinct
        # recipes, each saved under its own slug).
        if len(rest) != 1 or not rest[0].isdigit():
            return self._not_found()
        n = int(rest[0])
        data = {"@context": "https://schema.org", "@type": "Recipe", "name": f"Generated recipe {n}",
                "recipeIngredient": [f"{n % 7 + 1} cups flour", f"{n % 5 + 1} eggs", "1 pinch salt"],
                "recipeInstructions": [{"@type": "HowToStep", "text": f"Mix for {n % 9 + 1} minutes."},
                                       {"@type": "HowToStep", "text": "Bake until golden."}],
                "recipeYield": f"{n % 6 + 2} servings", "totalTime": f"PT{n % 50 + 10}M"}
        body = ('<!DOCTYPE html><html><head><meta charset="utf-8"><script type="application/ld+json">'
                f"{json.dumps(data)}</script></head><body></body></html>")
        self._send(200, body.encode("utf-8"))

    # First path segment -> route; the index ("/") is handled in _dispatch.
    _ROUTES = {
        "generated": _route_generated,
        "recipes": _route_recipes,
        "images": _route_images,
        "status": _route_status,
        "slow": _route_slow,
        "flaky": _route_flaky,
        "redirect": _route_redirect,
        "redirect-to": _route_redirect_to,
        "bytes": _route_bytes,
        "gzip-bomb": _route_gzip_bomb,
        "type": _route_type,
        "charset": _route_charset,
        "empty": _route_empty,
        "heavy": _route_heavy,
    }


class SampleSite(LoopbackServer):
    """The shipped recipe pages plus behaviour routes, served on a local port.

    Use as a context manager, or call `start()` / `stop()`. `hits` counts
    requests per URL path (query strings are not part of the key).
    """

    def __init__(
        self, pages_dir: Path | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(host, port)
        self.pages_dir = Path(pages_dir) if pages_dir is not None else PAGES_DIR
        self.hits: collections.Counter[str] = collections.Counter()
        self._flaky: collections.Counter[str] = collections.Counter()

    # -- addresses and content -------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._origin()

    def page_names(self) -> list[str]:
        return sorted(p.stem for p in self.pages_dir.glob("*.html") if _NAME_RE.match(p.stem))

    def urls(self) -> list[str]:
        # Sorted as strings ("a-b.html" sorts before "a.html"), not in page_names() order.
        base = self.base_url
        return sorted(f"{base}/recipes/{name}.html" for name in self.page_names())

    def page_bytes(self, name: str) -> bytes | None:
        """Raw bytes of one shipped page, or None when there is no such page."""
        if not _NAME_RE.match(name):
            return None
        path = self.pages_dir / f"{name}.html"
        return path.read_bytes() if path.is_file() else None

    # -- counters (called from handler threads) --------------------------------

    def _count(self, path: str) -> None:
        with self._lock:
            self.hits[path] += 1

    def _bump_flaky(self, key: str) -> int:
        with self._lock:
            self._flaky[key] += 1
            return self._flaky[key]


SampleSite._handler = _Handler
SampleSite._thread_name = "sample-site"

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ray_import.demo.site",
        description="Serve the sample recipe site until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--pages-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    site = SampleSite(args.pages_dir, host=args.host, port=args.port).start()
    print(site.base_url, flush=True)
    print(f"{len(site.page_names())} pages; index at {site.base_url}/ (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


if __name__ == "__main__":
    main()
