"""The dev recipes written as plain blog pages with no structured data, in six languages (issue 14).

About one page in eight nobody on the team has seen has no usable JSON-LD or microdata: a blog
post with its ingredients and steps under headings. The dev corpus has 19 such pages, too few
to tell a reading rule from a page. This test takes each dev recipe's own lines (its JSON-LD)
and writes them as such a post — a menu, a story, the two sections under the headings a blog
in English, French, German, Spanish, Italian or Dutch uses, comments after — in the layouts
blogs use (lists, paragraphs, a bold line over numbered paragraphs, one <p> per line, <div>
steps, notes and comments after the steps, hRecipe classes and no headings at all), with the recipe's facts ("Für 4 Personen |
Gesamtzeit: 1 Std. 5 min") on a line or listed, and asserts that the HTML reader reads back the
title, the ingredient lines, the steps, the yields and the total time exactly.

A recipe whose lines mostly carry no amount ("ziemniaki", "cebula") is left out: a list of bare
words under a heading is not read with confidence, by design (a shop or a glossary looks so).
extract() on each page under an unknown host; no Ray, no HTTP. Skipped when ../shared is absent.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from typing import Any

import lxml.html
import pytest

from scraper._parsing import clean_text
from scraper.errors import NotARecipe
from scraper.extract import extract
from scraper.models import FetchedPage
from scraper.repairs import headings_to_groups

from ..conftest import CORPUS, needs_corpus
from .jsonld import recipe_script

pytestmark = [needs_corpus, pytest.mark.corpus, pytest.mark.slow]
URL = "https://s0.example/recipes/{}"

# (ingredients title, steps title) as blogs in each language write them, the first the plainest
TITLES = {
    "en": [("Ingredients", "Instructions"), ("What you'll need", "Method"),
           ("Ingredients for 4 people", "Directions"), ("You will need", "How to make it")],
    "fr": [("Ingrédients", "Préparation"), ("Les ingrédients", "Étapes"),
           ("Ingrédients pour 4 personnes", "Réalisation"), ("Ce qu'il vous faut", "Préparation de la recette")],
    "de": [("Zutaten", "Zubereitung"), ("Zutaten für 4 Personen", "So geht's"), ("Die Zutaten", "Anleitung"),
           ("Das brauchst du", "So wird's gemacht")],
    "es": [("Ingredientes", "Elaboración"), ("Ingredientes para 4 personas", "Preparación"),
           ("Los ingredientes", "Pasos"), ("Lo que necesitas", "Cómo hacerlo")],
    "it": [("Ingredienti", "Procedimento"), ("Ingredienti per 4 persone", "Preparazione"),
           ("Gli ingredienti", "Come preparare"), ("Occorrente", "Preparazione della ricetta")],
    "nl": [("Ingrediënten", "Bereiding"), ("Ingrediënten voor 4 personen", "Bereidingswijze"),
           ("Wat heb je nodig", "Zo maak je het"), ("Boodschappen", "Werkwijze")],
}
# the recipe's facts as each language labels them: (yields, total time, hour word, hours word)
FACTS = {
    "en": ("Serves {y}", "Total time: {t}", "hour", "hours"), "fr": ("Pour {y} personnes", "Temps total : {t}", "h", "h"),
    "de": ("Für {y} Personen", "Gesamtzeit: {t}", "Std.", "Std."), "es": ("Para {y} personas", "Tiempo total: {t}", "hora", "horas"),
    "it": ("Porzioni: {y}", "Tempo totale: {t}", "ora", "ore"), "nl": ("Voor {y} personen", "Totale tijd: {t}", "uur", "uur"),
}
SIGN_OFF = {"en": "Enjoy!", "fr": "Bon appétit !", "de": "Guten Appetit!", "es": "¡Buen provecho!",
            "it": "Buon appetito!", "nl": "Eet smakelijk!"}


def _body(layout: str, titles: tuple[str, str], lines: list[str], steps: list[str], lang: str) -> str:
    ing, method = (html.escape(t) for t in titles)
    li = "".join(f"<li>{html.escape(x)}</li>" for x in lines)
    if layout == "lists":
        return f"<h2>{ing}</h2><ul>{li}</ul><h2>{method}</h2><ol>" + "".join(
            f"<li>{html.escape(x)}</li>" for x in steps) + "</ol>"
    if layout == "paragraphs":
        return f"<h3>{ing}</h3><p>" + "<br>".join(html.escape(x) for x in lines) + f"</p><h3>{method}</h3>" + "".join(
            f"<p>{html.escape(x)}</p>" for x in steps) + f"<p>{SIGN_OFF[lang]}</p>"
    if layout == "bold_numbered":
        return f"<p><strong>{ing}:</strong></p><ul>{li}</ul><p><strong>{method}:</strong></p>" + "".join(
            f"<p>{n}. {html.escape(x)}</p>" for n, x in enumerate(steps, 1)) + f"<p>{SIGN_OFF[lang]}</p>"
    if layout == "one_p_per_line":
        return f"<h2>{ing}</h2>" + "".join(f"<p>{html.escape(x)}</p>" for x in lines) + f"<h2>{method}</h2>" + "".join(
            f"<p>{html.escape(x)}</p>" for x in steps)
    if layout == "div_steps":
        return (f"<div class='recipe'><div class='ingredients'><h3>{ing}</h3><ul>{li}</ul></div>"
                f"<div class='method'><h3>{method}</h3>" + "".join(
                    f"<div class='step'><p>{html.escape(x)}</p></div>" for x in steps) + "</div></div>")
    if layout == "hrecipe_no_titles":  # the microformat's classes say what the headings would
        return ("<div class='hrecipe'><ul>" + "".join(f"<li class='ingredient'>{html.escape(x)}</li>" for x in lines)
                + "</ul><div class='instructions'><ol>" + "".join(f"<li>{html.escape(x)}</li>" for x in steps)
                + "</ol></div></div>")
    assert layout == "notes_after"
    return (f"<h2>{ing}</h2><ul>{li}</ul><h2>{method}</h2><ol>" + "".join(f"<li>{html.escape(x)}</li>" for x in steps)
            + "</ol><h3>Notes</h3><p>Keeps three days in the fridge.</p><h2>Comments</h2>"
              "<p>Lovely recipe, thanks!</p><p>Made it twice already.</p>")


LAYOUTS = ("lists", "paragraphs", "bold_numbered", "one_p_per_line", "div_steps", "notes_after", "hrecipe_no_titles")


def _facts(lang: str, servings: int, minutes: int, listed: bool) -> str:
    """"Serves 4 | Total time: 1 hour 5 min", on one line or one fact per list item."""
    yields, total, hour, hours = FACTS[lang]
    h, m = divmod(minutes, 60)
    when = " ".join(x for x in (f"{h} {hour if h == 1 else hours}" if h else "", f"{m} min" if m else "") if x)
    facts = [yields.format(y=servings), total.format(t=when)]
    return ("<ul class='recipe-meta'>" + "".join(f"<li>{x}</li>" for x in facts) + "</ul>" if listed
            else "<p>" + " | ".join(facts) + "</p>")


def blog_page(recipe: dict[str, Any], lang: str, layout: str, titles: tuple[str, str]) -> str:
    # "Zutaten für 4 Personen" says the same count as the facts, as a page does
    titles = tuple(t.replace("4", str(recipe["servings"])) for t in titles)
    body = _body(layout, titles, recipe["lines"], recipe["steps"], lang)
    facts = _facts(lang, recipe["servings"], recipe["minutes"], listed=LAYOUTS.index(layout) % 2 == 1)
    name = html.escape(recipe["name"])
    return (f"<html lang='{lang}'><head><title>{name} - My Kitchen</title></head><body>"
            "<header><nav><ul><li><a href='/'>Home</a></li><li><a href='/recipes'>Recipes</a></li></ul></nav></header>"
            f"<article><h1>{name}</h1><p>We make this every week; it is quick and the children love it.</p>"
            f"<p>It keeps well, and it is even better the next day.</p>{facts}{body}</article>"
            "<footer><p>© My Kitchen</p></footer></body></html>")


def _plain(values: Any, min_items: int) -> list[str] | None:
    """Text items with no markup or line break of their own, or None."""
    if isinstance(values, list) and values and all(isinstance(x, dict) and x.get("@type") == "HowToStep"
                                                   and isinstance(x.get("text"), str) for x in values):
        if any(x.get("name") and not x["text"].startswith(str(x["name"]).rstrip(".…")) for x in values):
            return None  # a step's own title, which a blog post would set as a heading
        values = [x["text"] for x in values]
    if not isinstance(values, list) or len(values) < min_items or not all(isinstance(x, str) for x in values):
        return None
    if any(re.search(r"[\n\r<]", x) for x in values):
        return None
    return [x for x in (clean_text(x) for x in values) if x] or None


@pytest.fixture(scope="module")
def recipes() -> list[dict[str, Any]]:
    out = []
    for line in (CORPUS / "manifest.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        found = recipe_script(lxml.html.document_fromstring((CORPUS / row["html"]).read_text("utf-8")))
        if found is None:
            continue
        node = found[2]
        lines, steps = _plain(node.get("recipeIngredient"), 2), _plain(node.get("recipeInstructions"), 2)
        name = clean_text(node.get("name")) if isinstance(node.get("name"), str) else None
        if lines and steps and name and 2 * sum(bool(re.search(r"\d", x)) for x in lines) >= len(lines):
            # the lines as the JSON-LD's are read: a group heading names a group, not a line
            n = len(out)  # the facts vary from recipe to recipe: 2 to 9 servings, 20 min to 2 h 49
            out.append({"id": row["id"], "name": name, "lines": lines, "steps": steps,
                        "want": headings_to_groups(lines)[0], "servings": 2 + n % 8, "minutes": 20 + 7 * n % 150})
    return out


def read(text: str, n: int) -> Any:
    url = URL.format(n)
    page = FetchedPage(url=url, final_url=url, status=200, content_type="text/html", encoding="utf-8",
                       html=text, content_sha256="0" * 64, fetched_at=datetime(2024, 5, 1, tzinfo=UTC))
    try:
        return extract(page)
    except NotARecipe:
        return None


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_blog_post_with_no_structured_data_is_read_back_exactly(recipes, layout, capsys):
    wrong: dict[str, list[str]] = {}
    pages, misread = 0, set()
    for lang, variants in TITLES.items():
        for titles in variants if layout == "lists" else variants[:1]:
            for n, recipe in enumerate(recipes):
                pages += 1
                found = read(blog_page(recipe, lang, layout, titles), n)
                if found is None:
                    wrong.setdefault(f"{lang} {titles}: not read", []).append(recipe["id"])
                    misread.add((lang, titles, recipe["id"]))
                    continue
                got = (found.title, found.ingredients, found.instructions, found.yields, found.total_time)
                wanted = (recipe["name"], recipe["want"], recipe["steps"], f"{recipe['servings']} servings",
                          recipe["minutes"])
                for field, want, have in zip(("title", "ingredients", "instructions", "yields", "total_time"),
                                             wanted, got, strict=True):
                    if want != have:
                        wrong.setdefault(f"{lang} {titles}: {field}", []).append(recipe["id"])
                        misread.add((lang, titles, recipe["id"]))
                if not found.extractor.startswith("html:"):
                    wrong.setdefault(f"{lang}: extractor {found.extractor}", []).append(recipe["id"])
                    misread.add((lang, titles, recipe["id"]))
    with capsys.disabled():
        print(f"\n{layout}: {pages} pages ({len(recipes)} recipes), "
              f"{pages - len(misread)} read back exactly")
    assert len(recipes) >= 90
    assert wrong == {}
