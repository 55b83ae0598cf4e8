"""Read every schema.org Recipe a page declares — JSON-LD, microdata, RDFa — from one lxml tree.

The generic extractor (generic.py) parses a page once and hands the tree here, so the page is
not parsed again per syntax, as recipe-scrapers' schema reader does (BeautifulSoup + extruct).
JSON-LD comes in many shapes (a bare object, an array, `@graph`, a WebPage whose `mainEntity` is
the Recipe, `@id` references, several Recipes on one page): every Recipe node is collected and
`main_recipe` picks the page's own. Pure: no network, no Ray.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import json_repair
from lxml import etree, html as lxml_html

MAX_DEPTH = 12  # how deep a JSON-LD value is walked looking for Recipe nodes
MAX_JSONLD_CHARS = 2_000_000  # one script bigger than this is not read (hostile pages)
_BAD_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')
_SCHEMA_PREFIX = re.compile(r"^(?:https?://schema\.org/|schema:)", re.I)


@dataclass
class PageData:
    """The structured data of one page: Recipe candidates and what helps read them."""

    recipes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (syntax, node)
    main_entities: set[int] = field(default_factory=set)  # id() of the Recipes a WebPage names as its mainEntity
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    website_name: str | None = None


def parse_page(text: str) -> Any | None:
    """The page as an lxml tree, or None when it has no markup lxml can read."""
    if not text or not text.strip():
        return None
    try:
        return lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        # lxml refuses str input with an encoding declaration; bytes take the declared one.
        try:
            return lxml_html.document_fromstring(text.encode("utf-8", "replace"))
        except (etree.ParserError, ValueError):
            return None


def types_of(node: Any) -> set[str]:
    """A node's @type values, lower-cased, without a schema.org prefix."""
    if not isinstance(node, dict):
        return set()
    raw = node.get("@type") or node.get("type") or ()
    values = raw if isinstance(raw, list) else [raw]
    return {_SCHEMA_PREFIX.sub("", str(v)).strip().lower() for v in values if isinstance(v, str)}


# A script's JSON wrapped the ways templates wrap it: "<!-- … -->", "/*<![CDATA[*/ … /*]]>*/",
# "//<![CDATA[ … //]]>", a trailing ";" (pauladeen.com), a BOM before it.
_WRAP_OPEN = ("\ufeff", "<!--", "/*<![CDATA[*/", "//<![CDATA[", "<![CDATA[")
_WRAP_CLOSE = ("-->", "/*]]>*/", "//]]>", "]]>", ";")
# json_repair is pure Python and slow on what no person types: 100 kB of "{" took 6.7 s. A broken
# script is repaired only within these bounds (the dev corpus's 310 scripts: ≤ 287 brackets,
# ≤ 2.6 % of their characters), and only the first few of a page.
MAX_REPAIRED_CHARS = 100_000
MAX_REPAIRED_BRACKETS = 1_000
MAX_REPAIRS_PER_PAGE = 3


def _unwrapped(text: str) -> str:
    text = text.strip()
    for _ in range(4):  # "<!-- /*<![CDATA[*/ … /*]]>*/ -->": a few layers at most
        before = text
        for opener in _WRAP_OPEN:
            if text.startswith(opener):
                text = text[len(opener):].lstrip()
        for closer in _WRAP_CLOSE:
            if text.endswith(closer):
                text = text[: -len(closer)].rstrip()
        if text == before:
            break
    return text


def _repairable(text: str) -> bool:
    """Small, shaped like JSON a person wrote, and whole: a script cut short is not repaired
    (its lists may be cut too, and a recipe cut short would be saved)."""
    if len(text) > MAX_REPAIRED_CHARS or not (text.startswith("{") and text.endswith("}")
                                              or text.startswith("[") and text.endswith("]")):
        return False
    brackets = text.count("{") + text.count("[")
    return brackets <= MAX_REPAIRED_BRACKETS and brackets <= max(20, 0.05 * len(text))


def _load_json(text: str) -> Any:
    """A JSON-LD script's value (unwrapped already), read as leniently as browsers read it.

    Hand-written JSON-LD escapes characters JSON does not ("\\'", "\\ "): the backslash is
    kept. A syntax error a person makes (a trailing comma, a missing one) is left to
    `_repaired`, which the page's budget allows a few times.
    """
    try:
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):
        pass
    try:
        return json.loads(_BAD_ESCAPE.sub(r"\\\\", text), strict=False)
    except (ValueError, RecursionError):
        return None


def _repaired(text: str) -> Any:
    if not _repairable(text):
        return None
    try:
        value = json_repair.loads(text)
    except Exception:  # noqa: BLE001 - a third-party parser on hostile input: no data, not a crash
        return None
    return value if isinstance(value, (dict, list)) and value else None


def _jsonld_values(doc: Any) -> list[Any]:
    values = []
    repairs = 0
    for script in doc.iter("script"):
        # "application/ld+json; charset=utf-8": the media type is what counts, not its parameters
        kind = (script.get("type") or "").split(";", 1)[0].strip().lower()
        if kind != "application/ld+json" or not script.text or len(script.text) > MAX_JSONLD_CHARS:
            continue
        text = _unwrapped(script.text)
        value = _load_json(text)
        if value is None and repairs < MAX_REPAIRS_PER_PAGE:
            repairs += 1  # each repair tried spends the page's budget, taken or not
            value = _repaired(text)
        if value is not None:
            values.append(value)
    return values


def _index(value: Any, by_id: dict[str, dict[str, Any]], depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            _index(item, by_id, depth + 1)
    elif isinstance(value, dict):
        node_id = value.get("@id")
        if isinstance(node_id, str) and len(value) > 1:
            by_id.setdefault(node_id, value)
        for item in value.values():
            if isinstance(item, (list, dict)):
                _index(item, by_id, depth + 1)


def resolve(value: Any, by_id: dict[str, dict[str, Any]]) -> Any:
    """A bare `{"@id": ...}` reference replaced by the node it names, when the page has it."""
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and isinstance(value.get("@id"), str):
        return by_id.get(value["@id"], value)
    return value


def _recipes_in(value: Any, by_id: dict[str, dict[str, Any]], out: list[dict[str, Any]],
                seen: set[int], depth: int = 0, main: set[int] | None = None) -> None:
    value = resolve(value, by_id)
    if depth > MAX_DEPTH or id(value) in seen:
        return
    if isinstance(value, list):
        for item in value:
            _recipes_in(item, by_id, out, seen, depth + 1, main)
        return
    if not isinstance(value, dict):
        return
    seen.add(id(value))
    if "recipe" in types_of(value):
        out.append(value)
        return
    for key, item in value.items():
        if main is not None and key == "mainEntity":
            target = resolve(item, by_id)
            if isinstance(target, dict) and "recipe" in types_of(target):
                main.add(id(target))
        if isinstance(item, (list, dict)) and key not in ("review", "comment", "author", "publisher"):
            _recipes_in(item, by_id, out, seen, depth + 1, main)


def _website_name(values: list[Any]) -> str | None:
    stack = list(values)
    while stack:
        value = stack.pop(0)
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            if "website" in types_of(value) and isinstance(value.get("name"), str):
                return value["name"]
            graph = value.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
    return None


def _microdata(doc: Any, url: str) -> list[dict[str, Any]]:
    nodes = doc.xpath("//*[@itemscope][contains(translate(@itemtype, 'RECIP', 'recip'), 'recipe')]")
    if not nodes:
        return []
    from extruct.uniform import _umicrodata_microformat
    from extruct.w3cmicrodata import LxmlMicrodataExtractor

    extractor = LxmlMicrodataExtractor()
    out = []
    for node in nodes[:5]:
        try:
            items = _umicrodata_microformat(extractor.extract_items(node, url), "http://schema.org")
        except Exception:  # extruct on odd markup: the page still has its other sources
            continue
        out.extend(item for item in items if "recipe" in types_of(item))
    return out


def _rdfa(doc: Any) -> list[dict[str, Any]]:
    """Recipe nodes written with RDFa Lite (`typeof="Recipe"`, `property="name"`)."""
    out = []
    for node in doc.xpath("//*[@typeof][contains(translate(@typeof, 'RECIP', 'recip'), 'recipe')]")[:5]:
        if "recipe" not in {_SCHEMA_PREFIX.sub("", t).lower() for t in node.get("typeof", "").split()}:
            continue
        item: dict[str, Any] = {"@type": "Recipe"}
        for prop in node.xpath(".//*[@property]"):
            name = _SCHEMA_PREFIX.sub("", prop.get("property", "").split()[0] if prop.get("property") else "")
            if not name or ":" in name:
                continue
            value = prop.get("content") or prop.get("datetime") or prop.get("src") or prop.get("href")
            value = value if value is not None else prop.text_content()
            if name in ("recipeIngredient", "ingredients", "recipeInstructions", "step", "recipeYield"):
                # every value, as JSON-LD lists them: "2" then "2 cakes" is read as "2 cakes"
                item.setdefault(name, []).append(value)
            else:
                item.setdefault(name, value)
        out.append(item)
    return out


def read_structured(doc: Any, url: str) -> PageData:
    """All Recipe candidates of the page, JSON-LD first (it is the richest when present)."""
    data = PageData()
    values = _jsonld_values(doc)
    _index(values, data.by_id)
    found: list[dict[str, Any]] = []
    _recipes_in(values, data.by_id, found, set(), main=data.main_entities)
    data.recipes = [("json-ld", node) for node in found]
    data.recipes += [("microdata", node) for node in _microdata(doc, url)]
    if not data.recipes:
        data.recipes = [("rdfa", node) for node in _rdfa(doc)]
    data.website_name = _website_name(values)
    return data


def _count(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    return 1 if value else 0


def _path(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    return urlsplit(url).path.rstrip("/") or None


def main_recipe(data: PageData, page_url: str, canonical: str | None,
                titles: Sequence[str] = ()) -> dict[str, Any] | None:
    """The page's own Recipe among several, by the strongest sign it has: the page's own (its
    URL, or the WebPage's mainEntity); named in full by the page's titles; a real recipe (a name,
    and ingredients or steps); named in part by the titles; the most complete; the first.

    A page can carry related recipes (a "you may also like" list, complete ones among them) or
    the same recipe in two syntaxes. A title naming the recipe beats completeness: a page's own
    recipe whose lists only its HTML holds is still its own. Fields the chosen node lacks are
    filled from another node of the same name (the JSON-LD + microdata duplicate). `titles`:
    the page's og:title, <title> and <h1>s.
    """
    if not data.recipes:
        return None
    paths = {p for p in (_path(page_url), _path(canonical)) if p}
    heads = [set(_words(t)) for t in titles if t]

    def rank(item: tuple[int, tuple[str, dict[str, Any]]]) -> tuple[int, ...]:
        index, (_, node) = item
        name, ingredients, steps = bool(node.get("name")), bool(_ingredients_of(node)), bool(_instructions_of(node))
        own = int(id(node) in data.main_entities or bool(paths) and (
            _path(node.get("url")) in paths or _path(node.get("@id")) in paths))
        named, of = _named_by(node.get("name"), heads)
        return (own, int(bool(of) and named == of), int(name and (ingredients or steps)), named,
                name + ingredients + steps, -index)

    _, (_, best) = max(enumerate(data.recipes), key=rank)
    merged = dict(best)
    name = str(best.get("name") or "").strip().lower()
    for _, other in data.recipes:
        if other is not best and name and str(other.get("name") or "").strip().lower() == name:
            for key, value in other.items():
                if not merged.get(key) and value:
                    merged[key] = value
    return merged


def _words(value: Any) -> list[str]:
    return re.findall(r"\w+", value.casefold()) if isinstance(value, str) else []


def _named_by(name: Any, heads: list[set[str]]) -> tuple[int, int]:
    """(words of a recipe's name the page's best title holds, words in the name); 0 held under
    half of them ("Kubaneh (Yemenite Jewish Bread)": 3 of 4 in "Kubaneh (Jewish Yemeni Bread)")."""
    words = set(_words(name))
    best = max((len(words & head) for head in heads), default=0)
    return (best if 2 * best >= len(words) else 0), len(words)


def page_titles(doc: Any) -> list[str]:
    """What the page calls itself: og:title, <title> and its first <h1>s (the main recipe's name)."""
    out = [m.get("content") or "" for m in doc.xpath("//meta[@property='og:title' or @name='og:title']")[:1]]
    out += [t.text_content() for t in doc.xpath("//title")[:1]]
    out += [h.text_content() for h in doc.xpath("//h1")[:3]]
    return [t for t in out if t.strip()]


def _ingredients_of(node: dict[str, Any]) -> Any:
    return node.get("recipeIngredient") or node.get("ingredients")


def _instructions_of(node: dict[str, Any]) -> Any:
    return node.get("recipeInstructions") or node.get("RecipeInstructions") or node.get("step")


def page_meta(doc: Any, url: str) -> dict[str, str | None]:
    """canonical URL, language, og:site_name and og:image, read as recipe-scrapers reads them."""
    canonical = og_site = og_image = content_language = None
    for link in doc.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            canonical = urljoin(url, link.get("href").strip())
            break
    for meta in doc.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key == "og:site_name" and og_site is None:
            og_site = meta.get("content")
        elif key == "og:image" and og_image is None and meta.get("content"):
            og_image = meta.get("content")
        elif (meta.get("http-equiv") or "").lower() == "content-language" and content_language is None:
            content_language = (meta.get("content") or "").split(",", 1)[0] or None
    lang = doc.get("lang") if doc.tag == "html" else None
    languages = [x for x in (lang, content_language) if x]
    if len(set(languages)) > 1 and "en" in languages:
        languages.remove("en")  # "en" is what HTML editors write by default
    return {"canonical_url": canonical or url, "language": languages[0] if languages else None,
            "og_site_name": og_site, "og_image": og_image}
