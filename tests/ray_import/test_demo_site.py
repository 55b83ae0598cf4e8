"""Tests of the shipped sample recipe site (`ray_import.demo.site`), without Ray.

They check that the behaviour routes the fetch tests rely on do what they say,
and that every shipped page is (or, for `nodata-` pages, is not) a recipe that
recipe-scrapers can read in generic schema.org mode.
"""

from __future__ import annotations

import gzip
import re

import httpx
import pytest
from recipe_scrapers import NoSchemaFoundInWildMode, scrape_html

from ray_import.demo.site import PAGES_DIR, SampleSite

PAGE_NAMES = sorted(p.stem for p in PAGES_DIR.glob("*.html"))
STRUCTURED = [n for n in PAGE_NAMES if not n.startswith("nodata-")]
NODATA = [n for n in PAGE_NAMES if n.startswith("nodata-")]


@pytest.fixture(scope="module")
def site():
    with SampleSite() as s:
        yield s


@pytest.fixture(scope="module")
def client(site):
    with httpx.Client(base_url=site.base_url, trust_env=False, timeout=10) as c:
        yield c


def test_api_and_index(site, client):
    assert site.start() is site  # idempotent
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", site.base_url)
    assert site.page_names() == PAGE_NAMES and len(PAGE_NAMES) >= 45
    assert site.urls() == sorted(site.urls())
    assert site.urls()[0] == f"{site.base_url}/recipes/{PAGE_NAMES[0]}.html"
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    links = re.findall(r'href="/recipes/([a-z0-9-]+)\.html"', r.text)
    assert sorted(links) == PAGE_NAMES
    before = site.hits["/"]
    client.get("/")
    assert site.hits["/"] == before + 1


def test_page_set_is_varied_and_well_formed():
    texts = {n: (PAGES_DIR / f"{n}.html").read_bytes() for n in PAGE_NAMES}
    for name, raw in texts.items():
        assert len(raw) < 15_000, name
        text = raw.decode("utf-8")
        assert '<meta charset="utf-8">' in text, name
        assert re.search(rf'<link rel="canonical" href="[^"]*/recipes/{name}\.html">', text), name
    kinds = {
        "graph": [n for n, t in texts.items() if b'"@graph"' in t],
        "microdata": [n for n, t in texts.items() if b"itemtype=" in t and b"ld+json" not in t],
        "french": [n for n, t in texts.items() if b'lang="fr-FR"' in t],
        "nodata": [n for n, t in texts.items() if b"ld+json" not in t and b"itemscope" not in t],
    }
    assert len(kinds["graph"]) >= 6 and len(kinds["microdata"]) >= 5 and len(kinds["french"]) >= 8
    assert sorted(kinds["nodata"]) == NODATA and len(NODATA) == 5


def test_pages_and_images(client):
    r = client.get(f"/recipes/{PAGE_NAMES[0]}.html")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.content == (PAGES_DIR / f"{PAGE_NAMES[0]}.html").read_bytes()
    img = client.get("/images/whatever/lemon-tart.jpg")
    assert img.headers["content-type"] == "image/png"
    assert img.content.startswith(b"\x89PNG\r\n\x1a\n")
    for path in ("/nope", "/recipes/nope.html", "/recipes/../site.py", "/type/exe", "/status/abc"):
        assert client.get(path).status_code == 404, path
    assert client.head(f"/recipes/{PAGE_NAMES[0]}.html").content == b""


@pytest.mark.parametrize("code", [200, 404, 410, 429, 500, 503])
def test_status(client, code):
    r = client.get(f"/status/{code}")
    assert r.status_code == code
    assert r.headers.get("retry-after") == ("1" if code in (429, 503) else None)


def test_slow(client):
    r = client.get("/slow?s=0.2")
    assert r.status_code == 200 and r.elapsed.total_seconds() >= 0.2
    with pytest.raises(httpx.ReadTimeout):
        client.get("/slow?s=2", timeout=0.3)


def test_flaky(site, client):
    codes = [client.get("/flaky/abc/2").status_code for _ in range(4)]
    assert codes == [503, 503, 200, 200]
    assert client.get("/flaky/other/1").status_code == 503  # keys are independent
    assert site.hits["/flaky/abc/2"] == 4
    assert client.get("/flaky/abc/2").content == (PAGES_DIR / f"{PAGE_NAMES[0]}.html").read_bytes()


def test_redirects(client):
    r = client.get("/redirect/3", follow_redirects=True)
    assert r.status_code == 200 and len(r.history) == 3
    assert all(h.status_code == 302 for h in r.history)
    assert r.url.path == f"/recipes/{PAGE_NAMES[0]}.html"
    first = client.get("/redirect/2")
    assert first.status_code == 302 and first.headers["location"] == "/redirect/1"
    r = client.get("/redirect-to", params={"url": "/empty"})
    assert r.status_code == 302 and r.headers["location"] == "/empty"


@pytest.mark.parametrize("n", [0, 10, 100, 3_000_000])
def test_bytes(client, n):
    r = client.get(f"/bytes/{n}")
    assert r.status_code == 200 and int(r.headers["content-length"]) == n and len(r.content) == n
    assert r.headers["content-type"].startswith("text/html")
    if n >= 100:
        assert r.content.startswith(b"<!DOCTYPE html>") and r.content.strip().endswith(b"</html>")


def test_gzip_bomb(client):
    with client.stream("GET", "/gzip-bomb") as r:
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["content-type"].startswith("text/html")
        raw = b"".join(r.iter_raw())
    assert len(raw) == int(r.headers["content-length"]) < 1_000_000
    assert len(gzip.decompress(raw)) == 50 * 1024 * 1024


@pytest.mark.parametrize(
    "kind,ctype,magic",
    [
        ("pdf", "application/pdf", b"%PDF-"),
        ("png", "image/png", b"\x89PNG"),
        ("json", "application/json", b"{"),
    ],
)
def test_types(client, kind, ctype, magic):
    r = client.get(f"/type/{kind}")
    assert r.headers["content-type"] == ctype and r.content.startswith(magic)


def test_charsets_and_empty(client):
    r = client.get("/charset/latin1")
    assert r.headers["content-type"] == "text/html; charset=iso-8859-1"
    assert b"<meta" not in r.content and "Gâteau au yaourt" in r.text
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    r = client.get("/charset/meta")
    assert r.headers["content-type"] == "text/html"
    assert b'<meta charset="windows-1252">' in r.content
    assert "Œufs cocotte" in r.content.decode("windows-1252")
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    r = client.get("/empty")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("name", STRUCTURED)
def test_structured_pages_scrape(site, client, name):
    url = f"{site.base_url}/recipes/{name}.html"
    s = scrape_html(client.get(url).text, org_url=url, supported_only=False)
    assert s.title().strip()
    assert len(s.ingredients()) >= 3
    assert len(s.instructions_list()) >= 2
    assert re.match(r"\d+ \w+", s.yields())
    assert s.total_time() > 0
    assert s.canonical_url().endswith(f"/recipes/{name}.html")
    assert s.image().startswith("http")  # relative images come back resolved


@pytest.mark.parametrize("name", NODATA)
def test_nodata_pages_have_no_recipe(site, client, name):
    url = f"{site.base_url}/recipes/{name}.html"
    html = client.get(url).text
    assert len(re.findall(r"<li>|<br>|<p>", html)) >= 5  # still a readable recipe post
    with pytest.raises(NoSchemaFoundInWildMode):
        scrape_html(html, org_url=url, supported_only=False)
