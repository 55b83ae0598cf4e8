"""The dev pages with their JSON-LD rewritten the ways other sites write the same recipe (issue 14).

The dev corpus is 224 pages; the pages nobody on the team has seen write their structured data
in every shape schema.org allows. This test takes each dev page's Recipe node and rewrites it,
one way at a time, as other sites do — ingredients as one newline-, `<br>`- or comma-joined string,
steps as one `<ol>` string or one numbered text ("1. … 2) …", "Step 1: … Step 2: …"), steps named "Step 1", a section that only says
"Instructions", the recipe inside an `@graph` or a WebPage's `mainEntity`, the site's name after
the title, yields as numbers, markup and no-break spaces in the values, the script wrapped in
CDATA or a comment, ended by ";" or mistyped with trailing commas, the whole recipe as microdata
or RDFa instead — and asserts that the generic extractor reads the rewritten page
exactly as it reads the original one (the five core fields). A kind of failure fixed for one
page is then fixed for the shape, not for the page: a repair that only matches one dev page's
wording fails here on the others.

Under hosts no site scraper knows; no Ray, no HTTP (extract() on each page). Skipped when
../shared/corpus is absent.
"""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import lxml.html
import pytest

from scraper._html import minutes_of
from scraper.errors import NotARecipe
from scraper.extract import extract
from scraper.models import FetchedPage
from scraper.schema_reader import _named_by, _words, page_titles

from ..conftest import CORPUS, needs_corpus
from .jsonld import SCRIPTS, recipe_script

pytestmark = [needs_corpus, pytest.mark.corpus, pytest.mark.slow]
CORE = ("title", "ingredients", "instructions", "yields", "total_time")
SITE = "Kitchen Corner"
Node = dict[str, Any]


# -- the rewrites: a Recipe node -> the page's new JSON-LD value, or None where it does not apply --

def _ingredients(node: Node) -> list[str] | None:
    """A plain list of lines; none holding a line break itself (a join would split it)."""
    value = node.get("recipeIngredient")
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(x, str) for x in value):
        return None
    return None if any(re.search(r"\n|\r|<br", x, re.I) for x in value) else value


def _steps(node: Node) -> list[str] | None:
    """The step texts of a flat list, or None: sections, or a step name that is a title the
    page shows ("Combine ingredients" over its text), which a rewrite would drop."""
    value = node.get("recipeInstructions")
    if not isinstance(value, list) or not value:
        return None
    out = []
    for step in value:
        if isinstance(step, dict) and step.get("@type") == "HowToStep" and isinstance(step.get("text"), str):
            name = str(step.get("name") or "").strip().rstrip(".…")
            if name and not step["text"].strip().startswith(name):
                return None
            step = step["text"]
        if not isinstance(step, str) or re.search(r"\n|\r|<", step):
            return None
        out.append(step)
    return out


def _with(node: Node, key: str, value: Any) -> Node:
    return {**node, key: value}


def _new_lines(node: Node, build: Callable[[list[str]], Any], at_least: int = 2) -> Node | None:
    """The node with its ingredient lines rewritten by `build`, where it has `at_least` of them."""
    lines = _ingredients(node)
    return _with(node, "recipeIngredient", build(lines)) if lines and len(lines) >= at_least else None


def _new_steps(node: Node, build: Callable[[list[str]], Any], at_least: int = 1) -> Node | None:
    """The node with its steps rewritten by `build`, where it has `at_least` of them."""
    steps = _steps(node)
    return _with(node, "recipeInstructions", build(steps)) if steps and len(steps) >= at_least else None


def _numbered(steps: list[str], mark: Callable[[int], str]) -> list[tuple[str, str]]:
    return [(mark(i), x) for i, x in enumerate(steps, 1)]


def _graph(*nodes: Node) -> Node:
    return {"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "name": "page"}, *nodes]}


def _bare(node: Node) -> Node:
    return {k: v for k, v in node.items() if k != "@context"}


def ing_newline(node: Node) -> Node | None:
    return _new_lines(node, lambda lines: ["\n".join(lines)])


def ing_br(node: Node) -> Node | None:
    return _new_lines(node, "<br />".join)


def _headed(first: str, second: str) -> Callable[[list[str]], list[str]]:
    """Lines in two groups, each under its heading."""
    return lambda lines: [first, *lines[: len(lines) // 2], second, *lines[len(lines) // 2:]]


def ing_headings(node: Node) -> Node | None:
    return _new_lines(node, _headed("For the base:", "For the topping:"), at_least=4)


def ing_framed_headings(node: Node) -> Node | None:
    return _new_lines(node, _headed("--- Base ---", "[Topping]"), at_least=4)


def ing_escaped(node: Node) -> Node | None:
    lines = _ingredients(node)
    if not lines or not re.search(r"[&'\"<>]", "".join(lines)):
        return None
    return _with(node, "recipeIngredient", [html.escape(x) for x in lines])


def ins_html(node: Node) -> Node | None:
    return _new_steps(node, lambda steps: "<ol>" + "".join(f"<li>\n  {x}\n</li>" for x in steps) + "</ol>", 2)


def ins_newline(node: Node) -> Node | None:
    return _new_steps(node, "\n".join, 2)


def ins_numbered(node: Node) -> Node | None:
    return _new_steps(node, lambda steps: [{"@type": "HowToStep", "text": f"{n}. {x}"}
                                           for n, x in _numbered(steps, str)], 2)


def ins_step_names(node: Node) -> Node | None:
    return _new_steps(node, lambda steps: [{"@type": "HowToStep", "name": f"Step {n}", "text": x}
                                           for n, x in _numbered(steps, str)])


def ins_name_repeats_text(node: Node) -> Node | None:
    return _new_steps(node, lambda steps: [{"@type": "HowToStep", "name": x[:40], "text": x} for x in steps])


def ins_plain_strings(node: Node) -> Node | None:
    return _new_steps(node, list)


def ins_one_section(node: Node) -> Node | None:
    return _new_steps(node, lambda steps: [{"@type": "HowToSection", "name": "Instructions", "itemListElement": [
        {"@type": "HowToStep", "text": x} for x in steps]}])


def in_graph(node: Node) -> Node | None:
    return _graph(_bare(node))


def main_entity(node: Node) -> Node | None:
    return {"@context": "https://schema.org", "@type": "WebPage", "name": "page", "mainEntity": _bare(node)}


def title_with_site(node: Node) -> Node | None:
    return _with(node, "name", f"{node['name']} | {SITE}") if isinstance(node.get("name"), str) else None


def yield_list(node: Node) -> Node | None:
    value = node.get("recipeYield")
    return _with(node, "recipeYield", [str(value)]) if isinstance(value, (str, int)) else None


def yield_number(node: Node) -> Node | None:
    value = node.get("recipeYield")
    value = value[0] if isinstance(value, list) and len(value) == 1 else value
    return _with(node, "recipeYield", int(value)) if isinstance(value, str) and value.strip().isdigit() else None


def _parts_sum(node: Node) -> bool:
    total, prep, cook = (minutes_of(node.get(k)) if isinstance(node.get(k), str) and "D" not in node[k] else None
                         for k in ("totalTime", "prepTime", "cookTime"))
    return bool(total and prep and cook and total == prep + cook)


def no_total_time(node: Node) -> Node | None:
    return {k: v for k, v in node.items() if k != "totalTime"} if _parts_sum(node) else None


def zero_total_time(node: Node) -> Node | None:
    return _with(node, "totalTime", "PT0S") if _parts_sum(node) else None


def ins_inline_numbered(node: Node) -> Node | None:
    """"1. Mix… 2) Bake…" in one text, some steps without their full stop."""
    return _new_steps(node, lambda steps: " ".join(
        f"{n} {x}" for n, x in _numbered(steps, lambda i: f"{i}{'.' if i % 2 else ')'}")), 3)


def ins_inline_step_words(node: Node) -> Node | None:
    return _new_steps(node, lambda steps: " ".join(f"{n} {x}" for n, x in _numbered(steps, "Step {}:".format)), 3)


def ins_br_numbered(node: Node) -> Node | None:
    return _new_steps(node, lambda steps: "<br><br>".join(f"{n} {x}" for n, x in _numbered(steps, "{}.".format)), 2)


def ing_comma_string(node: Node) -> Node | None:
    """The list as one comma-separated text, where its lines hold no comma of their own and
    most start with an amount (a list of bare names cannot be told from one ingredient)."""
    lines = _ingredients(node)
    if not lines or len(lines) < 3 or any("," in x or ";" in x for x in lines):
        return None
    if 2 * sum(bool(re.match(r"\d", x.strip())) for x in lines) < len(lines):
        return None
    return _with(node, "recipeIngredient", [", ".join(lines)])


def ins_directions(node: Node) -> Node | None:
    """Each HowToStep told as its HowToDirection, with a HowToTip beside it."""
    return _new_steps(node, lambda steps: [{"@type": "HowToStep", "itemListElement": [
        {"@type": "HowToDirection", "text": x}, {"@type": "HowToTip", "text": "Take your time."}]} for x in steps])


def ins_item_list(node: Node) -> Node | None:
    return _new_steps(node, lambda steps: {"@type": "ItemList", "itemListElement": [
        {"@type": "HowToStep", "position": i, "name": str(i), "text": x} for i, x in enumerate(steps, 1)]})


def total_time_in_words(node: Node) -> Node | None:
    value = node.get("totalTime")
    if not isinstance(value, str) or "D" in value or not (minutes := minutes_of(value)):
        return None
    hours, rest = divmod(minutes, 60)
    return _with(node, "totalTime", " ".join(x for x in (f"{hours} hours" if hours else "",
                                                            f"{rest} minutes" if rest else "") if x))


def type_list(node: Node) -> Node | None:
    return _with(node, "@type", ["Recipe", "NewsArticle"])


def legacy_ingredients_key(node: Node) -> Node | None:
    if not node.get("recipeIngredient"):
        return None
    return {**{k: v for k, v in node.items() if k != "recipeIngredient"}, "ingredients": node["recipeIngredient"]}


def tags_and_nbsp(node: Node) -> Node | None:
    """Lines in <span>s with no-break spaces, steps in <p>s: markup a CMS leaves in the values."""
    lines, steps = _ingredients(node), _steps(node)
    if not lines or not steps:
        return None
    node = _with(node, "recipeIngredient", [f"<span>{x.replace(' ', chr(0xA0))}</span>" for x in lines])
    return _with(node, "recipeInstructions", [{"@type": "HowToStep", "text": f"<p>{x}</p>"} for x in steps])


def minutes_only(node: Node) -> Node | None:
    value = node.get("totalTime")
    if not isinstance(value, str) or "H" not in value or "D" in value or not (minutes := minutes_of(value)):
        return None
    return _with(node, "totalTime", f"PT{minutes}M")


# the script's text as templates wrap or mistype it (pauladeen.com ends its JSON-LD with "};")
WRAPPED = {
    "cdata_comment": lambda text: f"/*<![CDATA[*/{text}/*]]>*/",
    "html_comment": lambda text: f"<!--\n{text}\n-->",
    "semicolon": lambda text: f"{text};",
    "byte_order_mark": lambda text: f"\ufeff{text}",
    "trailing_commas": lambda text: re.sub(r"(\]|\})(\s*)(?=[\]}])", r"\1,\2", text),
    "charset_in_type": lambda text: text,  # the script's type="application/ld+json; charset=utf-8"
}


def as_markup(node: Node, syntax: str) -> str | None:
    """The Recipe written as microdata or RDFa Lite markup, as older sites write it."""
    lines, steps = _ingredients(node), _steps(node)
    if not lines or not steps or not isinstance(node.get("name"), str):
        return None
    if syntax == "microdata":
        scope, prop = "itemscope itemtype='http://schema.org/Recipe'", "itemprop"
    else:
        scope, prop = "vocab='http://schema.org/' typeof='Recipe'", "property"
    out = [f"<div {scope}><h2 {prop}='name'>{html.escape(node['name'])}</h2>"]
    out += [f"<meta {prop}='{k}' content='{html.escape(node[k])}'>" for k in ("totalTime", "prepTime", "cookTime")
            if isinstance(node.get(k), str)]
    yields = node.get("recipeYield")
    out += [f"<span {prop}='recipeYield'>{html.escape(str(v))}</span>"
            for v in (yields if isinstance(yields, list) else [] if yields is None else [yields])]
    out.append("<ul>" + "".join(f"<li {prop}='recipeIngredient'>{html.escape(x)}</li>" for x in lines) + "</ul>")
    out.append("<ol>" + "".join(f"<li {prop}='recipeInstructions'>{html.escape(x)}</li>" for x in steps) + "</ol>")
    return "".join(out) + "</div>"


MARKUP = ("microdata", "rdfa")
_STRUCTURED_ATTRS = ("itemprop", "itemtype", "itemscope", "typeof", "vocab")


RELATED = {"@type": "Recipe", "name": "Our other favourite", "recipeIngredient": ["1 lemon", "1 l water"],
           "recipeInstructions": [{"@type": "HowToStep", "text": "Squeeze the lemon into the water."}]}


def related_first(node: Node) -> Node | None:
    """A complete "you may also like" recipe written before the page's own."""
    return _graph(RELATED, _bare(node))


LOSSLESS: list[Callable[[Node], Node | None]] = [
    ing_newline, ing_br, ing_headings, ing_framed_headings, ing_escaped, ins_html, ins_newline, ins_numbered, ins_step_names,
    ins_name_repeats_text, ins_plain_strings, ins_one_section, in_graph, main_entity, title_with_site,
    yield_list, yield_number, no_total_time, zero_total_time, type_list, legacy_ingredients_key, tags_and_nbsp,
    minutes_only, ins_inline_numbered, ins_inline_step_words, ins_br_numbered, ing_comma_string, ins_directions,
    ins_item_list, total_time_in_words]


# -- reading ------------------------------------------------------------------------------------

def rewritten(text: str, rewrite: Callable[[Node], Node | None] | str) -> str | None:
    """The page with its first JSON-LD Recipe rewritten, or None where the rewrite does not apply;
    a WRAPPED name rewrites the script's text instead, a MARKUP one the recipe as markup."""
    doc = lxml.html.document_fromstring(text)
    if (found := recipe_script(doc)) is None:
        return None
    script, data, node = found
    if rewrite in MARKUP:
        if (markup := as_markup(node, rewrite)) is None or doc.find("body") is None:
            return None
        for other in doc.xpath(SCRIPTS):
            other.getparent().remove(other)
        for el in doc.xpath("//*[@itemprop or @itemtype or @itemscope or @typeof or @vocab]"):
            for name in _STRUCTURED_ATTRS:  # the page's own markup: ours is then its only recipe
                el.attrib.pop(name, None)
        doc.find("body").insert(0, lxml.html.fragment_fromstring(markup))
        return lxml.html.tostring(doc, encoding="unicode")
    if isinstance(rewrite, str):
        script.text = WRAPPED[rewrite](json.dumps(data, ensure_ascii=False))
        if rewrite == "charset_in_type":
            script.set("type", "application/ld+json; charset=utf-8")
        return lxml.html.tostring(doc, encoding="unicode")
    whole = rewrite in (in_graph, main_entity, related_first)  # they give the script's whole value
    if whole and isinstance(data, dict) and isinstance(data.get("@graph"), list):
        if rewrite is not related_first:
            return None  # already in a graph: the rewrite would change nothing
        data, whole = {**data, "@graph": [RELATED, *data["@graph"]]}, False  # the related one goes first
    new = rewrite(copy.deepcopy(node))
    if new is None:
        return None
    if rewrite is title_with_site:
        for old in doc.xpath("//meta[@property='og:site_name']"):
            old.getparent().remove(old)  # the page's own site name; ours is the one after the title
        script.addprevious(lxml.html.Element("meta", property="og:site_name", content=SITE))
    script.text = json.dumps(new if whole else _replace(data, node, new), ensure_ascii=False)
    return lxml.html.tostring(doc, encoding="unicode")


def _replace(value: Any, old: Node, new: Node) -> Any:
    if value is old:
        return new
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    return value


def read(row: dict[str, Any], text: str) -> dict[str, Any] | None:
    page = FetchedPage(url=row["unknown_url"], final_url=row["unknown_url"], status=200, content_type="text/html",
                       encoding="utf-8", html=text, content_sha256="0" * 64, fetched_at=datetime(2024, 5, 1, tzinfo=UTC))
    try:
        recipe = extract(page).model_dump()
    except NotARecipe:
        return None
    return {**{f: recipe.get(f) for f in CORE}, "repairs": recipe.get("repairs") or []}


@pytest.fixture(scope="module")
def pages() -> list[dict[str, Any]]:
    hosts: dict[str, str] = {}
    rows = []
    for line in (CORPUS / "manifest.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        parts = urlsplit(row["url"])
        host = hosts.setdefault(parts.netloc, f"s{len(hosts)}.example")  # unknown_hosts.py's rule
        row["unknown_url"] = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
        row["text"] = (CORPUS / row["html"]).read_text("utf-8")
        row["read"] = read(row, row["text"])
        rows.append(row)
    return rows


def _changed(pages: list[dict[str, Any]], rewrite: Callable[[Node], Node | None] | str) -> tuple[int, list[tuple[str, list[str]]]]:
    applied, changed = 0, []
    for row in pages:
        if row["read"] is None or (text := rewritten(row["text"], rewrite)) is None:
            continue
        if rewrite in MARKUP and "lines_from_html" in row["read"]["repairs"]:
            # the page's card corrected its JSON-LD's lists; written as markup, those lists
            # are the card the reader sees, so the correction has nothing left to compare
            continue
        applied += 1
        after = read(row, text) or {}
        fields = [f for f in CORE if after.get(f) != row["read"][f]]
        if fields:
            changed.append((row["id"], fields))
    return applied, changed


@pytest.mark.parametrize("rewrite", LOSSLESS + list(WRAPPED) + list(MARKUP), ids=lambda f: getattr(f, "__name__", f))
def test_a_page_reads_the_same_whatever_shape_its_json_ld_takes(pages, rewrite, capsys):
    applied, changed = _changed(pages, rewrite)
    with capsys.disabled():
        print(f"\n{getattr(rewrite, '__name__', rewrite)}: {applied} pages rewritten, "
              f"{applied - len(changed)} read as before")
    assert applied >= 20, "the rewrite applies to too few dev pages to tell anything"
    assert changed == []


def test_a_complete_related_recipe_written_first_does_not_take_the_page(pages, capsys):
    # The page's own recipe is told from it by its URL, the WebPage's mainEntity or the page's
    # titles naming it; only a page whose titles name neither recipe can still be misread.
    applied, changed = _changed(pages, related_first)
    unnamed = []
    for page_id, _ in changed:
        row = next(r for r in pages if r["id"] == page_id)
        heads = [set(_words(t)) for t in page_titles(lxml.html.document_fromstring(row["text"]))]
        unnamed.append(not _named_by(row["read"]["title"], heads)[0])
    with capsys.disabled():
        print(f"\nrelated_first: {applied} pages rewritten, {applied - len(changed)} read as before")
    assert applied >= 100
    assert all(unnamed), changed
    assert len(changed) <= 0.02 * applied
