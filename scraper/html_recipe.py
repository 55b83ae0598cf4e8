"""The page's HTML as a second witness: the recipe a card plugin or titled lists show.

`find_html_recipe` reads, in order: a recipe-card plugin's markup (html_cards.py), microdata
`itemprop` leftovers outside any Recipe item, then section titles and class names
(html_headings.py). The generic extractor uses it to fill or correct what structured data lacks
and, on pages without any, as the reading that runs before the LLM (issue 14, part 2). Only a
`confident` reading may become a recipe on its own. Pure, no Ray, no network; work is bounded
per page (see _html.py), and lxml XPath keeps it cheap (no BeautifulSoup).
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from ._html import DURATION, HtmlRecipe, lines_of, minutes_of, norm, text_of, yields_of
from .facts_vocab import HOUR_UNITS, MINUTE_UNITS, YIELD_FOR, YIELD_LABELS, YIELD_NOUNS, time_searches
from .html_cards import find_card
from .html_blocks import Block, looks_like_ingredients, looks_like_steps
from .html_headings import find_sections
from .html_microformats import find_microformat_recipe
from .html_vocab import is_bare_title, is_closing_line, section_kind
from .repairs import drop_text_numbers, headings_to_groups

__all__ = ["HtmlRecipe", "find_html_recipe"]

_NUTRITION = r"k?cal|kj|mg|g"
_YIELD = re.compile(
    # "Pro Portion: 505 kcal" is the nutrition, not a count
    rf"(?<!\w)(?:{YIELD_LABELS})\b[^\d]{{0,12}}\d(?![\d.,]*\s*(?:{_NUTRITION})\b)"
    # nor, after a bare "for", a price ("voor 1 euro") or a time ("for 5 minutes"); the count
    # right after it ("für ca. 4"), not a number further on ("for coating (1/3 cup)", "pepper (or 2")
    rf"|(?<!\w)(?:{YIELD_FOR})\s*:?\s+(?:(?:about|approx\.?|ca\.?|env\.?|environ|etwa|circa|unos|ongeveer)\s+)?"
    rf"\d(?![\d.,]*\s*(?:(?:{_NUTRITION}|euros?|dollars?|eur|usd|chf|"
    rf"{HOUR_UNITS}|{MINUTE_UNITS})(?!\w)|[€$£]))"
    rf"|\d+\s*(?:{YIELD_NOUNS})\b", re.I)
_YIELD_LABEL = re.compile(rf"\s*(?:{YIELD_LABELS})\s*:?\s*", re.I)
_SR_ONLY = re.compile(r"sr-only|screen-reader|visually-?hidden", re.I)
# ("Tempo" / "35 minuti", "Time 30 min": a bare "time" label over a recipe is its whole time)
_TIMES = time_searches()


def find_html_recipe(doc: Any, url: str) -> HtmlRecipe | None:
    """Read the recipe the page's HTML shows, without any structured data.

    Args:
        doc: the page, parsed once by the caller with `lxml.html.document_fromstring`.
        url: the page's URL (kept for readers that need the host; none does yet).

    Returns:
        An HtmlRecipe (`confident` only when both ingredients and steps were read with
        confidence), or None when the page shows neither.

    Example:
        >>> doc = lxml.html.document_fromstring(html)
        >>> found = find_html_recipe(doc, "https://example.org/soup")
        >>> found.confident, found.reader
        (True, 'heading')
    """
    del url  # part of the interface; no reader depends on the host
    card = find_card(doc)
    if card is not None and card.confident:
        card.title = card.title or _title(doc)
        return card
    found = _itemprop(doc)
    if found is None:
        marked = None
        if (read := find_microformat_recipe(doc)) is not None:
            marked, root = read
            _marked_details(marked, root, doc)
        found = marked if marked is not None and marked.confident else (_headings(doc) or marked)
    if found is not None and (found.confident or card is None):
        return found
    if card is not None:
        card.title = card.title or _title(doc)
    return card


def _marked_details(recipe: HtmlRecipe, root: Any, doc: Any) -> None:
    """A microformat recipe's title, yields and times where its classes leave them out: the
    page's title, and the short lines around the recipe ("Serves 4 | Total time: 1 h")."""
    recipe.title = recipe.title or _title(doc)
    around = root.getparent()
    if (recipe.yields is not None and recipe.total_time is not None) or around is None:
        return
    own = set(recipe.ingredients) | set(recipe.instructions)
    _details(recipe, [t for t in lines_of(around)[:400] if len(t) <= 80 and t not in own])


# "Recette de crêpes", "Receita de bolo": the word "recipe" a page puts before the dish in its <h1>
_RECIPE_OF = re.compile(r"^(?:recette (?:de |d'|d’|du |des )|receita (?:de |da |do |das |dos )|"
                        r"receta (?:de |del )|ricetta (?:di |del |della )?)(?=\w)", re.I)


def _title(doc: Any) -> str | None:
    """The page's own title (its first <h1>, else og:title, else <title>), less "Recette de"."""
    title = _page_title(doc)
    return _RECIPE_OF.sub("", title, count=1) if title else title


def _page_title(doc: Any) -> str | None:
    og_title = doc.xpath("//meta[@property='og:title']/@content")[:1]
    site = doc.xpath("//meta[@property='og:site_name']/@content")[:1]
    for h1 in doc.iter("h1"):
        if _SR_ONLY.search(h1.get("class") or ""):
            continue  # "<h1 class='heading__sr-only'>Navigation</h1>": for screen readers only
        text = text_of(h1, 300)
        if text and section_kind(text) is None and not _site_heading(text, site[0] if site else None):
            if not _in_pieces(h1) or not og_title:
                return _cased(text, doc)
            break  # "<h1>baba ghanoush</h1><h1>with hand-cut potato chips</h1>": og:title is whole
    for meta in og_title:
        if norm(meta):
            return _unsuffixed(norm(meta)[:300])
    for title in doc.iter("title"):
        return _unsuffixed(text_of(title, 300)) or None
    return None


# "RECEITAS", "Recipes": a site's section set as its <h1> over every recipe page
_SECTION_WORD = re.compile(r"(?:recipes?|receitas?|recettes?|rezepte?|ricette|recetas?|recepten|recept|"
                           r"opskrifter|oppskrifter|recepty?|przepisy|tarifler|home|blog)", re.I)


def _site_heading(text: str, site: str | None) -> bool:
    """Whether an <h1> names the site (its og:site_name) or its recipe section rather than the recipe."""
    if _SECTION_WORD.fullmatch(text.strip(" :")):
        return True
    return site is not None and norm(site).casefold() == text.casefold()


def _in_pieces(h1: Any) -> bool:
    """Whether the next element is an <h1> too, and no section's title: one title in pieces."""
    following = h1.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()
    return following is not None and following.tag == "h1" and section_kind(text_of(following, 120)) is None


# "Smoky Eggplant Dip | Donna Hay": a page title's last part after a bar or a dash, the site's
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—]{2,40}$")


def _unsuffixed(title: str) -> str:
    """A page title without its site's name at the end, when what is left is a title still."""
    cut = _SITE_SUFFIX.sub("", title)
    return cut if cut != title and len(cut.split()) >= 2 and len(title[len(cut):].split()) <= 5 else title


def _cased(h1: str, doc: Any) -> str:
    """An all-lowercase <h1> in the casing the page's own title gives it.

    Sites lowercase the markup and capitalise it with CSS `text-transform`; a reader sees
    "Green Minestrone Soup", which og:title or <title> still spell ("green minestrone soup").
    """
    if h1 != h1.lower():
        return h1
    titles = doc.xpath("//meta[@property='og:title']/@content")[:1] + [
        text_of(el, 300) for el in doc.xpath("//head/title")[:1]]
    for title in (norm(x) for x in titles):
        if title and title[: len(h1)].lower() == h1 and title[len(h1):len(h1) + 1] in ("", " "):
            return title[: len(h1)]
    return h1


def _itemprop(doc: Any) -> HtmlRecipe | None:
    """schema.org properties left in the markup without a Recipe item around them."""
    ingredients = [text_of(el) for el in doc.xpath(
        "//*[@itemprop='recipeIngredient' or @itemprop='ingredients']")[:150]]
    ingredients = [x for x in ingredients if x]
    steps_el = doc.xpath("//*[@itemprop='recipeInstructions']")[:100]
    steps: list[str] = []
    for el in steps_el:
        if el.tag in ("li", "p"):
            steps.append(text_of(el))
            continue
        parts = el.xpath("./li|./ol/li|./ul/li|./p|./div")
        lines = [text_of(p) for p in parts] if parts else lines_of(el)
        steps.extend(x for x in lines if x)
    steps = [x for x in steps if x and section_kind(x) is None]
    if not ingredients or not steps:
        return None
    yields = None
    for el in doc.xpath("//*[@itemprop='recipeYield']")[:1]:
        yields = yields_of(el.get("content") or text_of(el, 120))
    times = {}
    for key, prop in (("total_time", "totalTime"), ("prep_time", "prepTime"),
                      ("cook_time", "cookTime")):
        for el in doc.xpath(f"//*[@itemprop='{prop}']")[:1]:
            times[key] = minutes_of(el.get("content") or el.get("datetime") or text_of(el, 80))
    return HtmlRecipe(
        reader="itemprop", title=_title(doc), ingredients=ingredients, ingredient_groups=[],
        instructions=steps, yields=yields,
        confident=looks_like_ingredients(ingredients) and looks_like_steps(steps), **times)


def _groups(block: Block) -> list[tuple[str | None, list[str]]]:
    groups = [(None if is_bare_title(name) else name, items) for name, items in block.groups]
    return groups if len(groups) > 1 else []


def _headings(doc: Any) -> HtmlRecipe | None:
    body = doc.find("body")
    ingredients, steps, trusted, shorts = find_sections(body if body is not None else doc)
    if ingredients is None and steps is None:
        return None
    start = ingredients.order if ingredients is not None else 0
    end = steps.order if steps is not None else start
    recipe = HtmlRecipe(
        reader="heading",
        title=(ingredients.dish if ingredients is not None else None) or _title(doc),
        ingredients=ingredients.items if ingredients is not None else [],
        ingredient_groups=_groups(ingredients) if ingredients is not None else [],
        instructions=steps.items if steps is not None else [],
        confident=trusted,
    )
    titles = ingredients.titles if ingredients is not None else []
    if ingredients is not None and ingredients.title and re.search(r"\d", ingredients.title):
        titles = [ingredients.title, *titles]  # "Zutaten für 4 Personen": the title gives the yield
    timed = [s for s in recipe.instructions if _time_line(s)]
    if timed and len(timed) < len(recipe.instructions):
        recipe.instructions = [s for s in recipe.instructions if s not in timed]
    recipe.instructions = _uncredited(recipe.instructions)
    if not recipe.ingredient_groups:
        # "For the sauce:" typed as a line of the list, as the JSON-LD's lines are read
        lines, groups, headed = headings_to_groups(recipe.ingredients)
        if headed and lines:
            recipe.ingredients, recipe.ingredient_groups = lines, groups
    own = set(recipe.ingredients) | set(recipe.instructions)  # "Sugar for coating (1/3 cup)" is a line, no fact
    texts = titles + timed + [t for order, t in shorts
                              if min(start, end) - 400 < order < max(start, end) + 1 and t not in own]
    texts += _column_pairs(doc)
    _details(recipe, texts)
    if recipe.total_time is None and recipe.prep_time is None and recipe.cook_time is None:
        recipe.total_time = _meta_line_time(texts)
    _leading_yield(recipe)
    _trailing_yield(recipe)
    recipe.instructions = _unnumbered(recipe.instructions)
    return recipe


# "1. Mix", "2) Bake", or a number in an element of its own run into the text ("4Den Deckel")
_NUMBERED = re.compile(r"^(\d{1,2})(?:\s*[.)]\s+(?=\S)|(?=[^\W\d_]))")
_BARE_NUMBER = re.compile(r"^(\d{1,2})\s+(?=[^\W\d_])")


def _column_pairs(doc: Any) -> list[str]:
    """'label value' for a small table of labels over values (`<th>Preparo</th>…` / `<td>30m</td>…`).

    Read cell by cell, a label is followed by the next label, not by its value; only tables
    whose header names a time or a yield are read, and only their first row of values.
    """
    out: list[str] = []
    for table in doc.iter("table"):
        rows = list(islice(table.iter("tr"), 2))
        if len(rows) < 2:
            continue
        labels = [text_of(c, 40) for c in rows[0] if isinstance(c.tag, str)]
        values = [text_of(c, 40) for c in rows[1] if isinstance(c.tag, str)]
        if not 2 <= len(labels) <= 6 or len(values) != len(labels) or rows[0].find("th") is None:
            continue
        if not any(_YIELD_LABEL.fullmatch(x) or any(label.search(x) for _, label in _TIMES) for x in labels):
            continue
        out += [f"{label} {value}" for label, value in zip(labels, values, strict=True) if label and value]
        if len(out) >= 12:
            break
    return out


def _unnumbered(steps: list[str]) -> list[str]:
    """'1. Mix', '2. Bake' typed into the page's list: the numbers a list shows, not the text.

    Only a run numbered 1, 2, 3... from the first step is stripped; "3 eggs go in" is kept.
    A "Passo 1" heading over each step, read into its text, goes the same way, and so does a
    bare number set in an element of its own (`<div class="stepIndex">1</div><div>Heat…`, read
    "1 Heat…") where three steps or more each open with theirs.
    """
    steps = drop_text_numbers(drop_text_numbers(steps)[0], _NUMBERED)[0]
    return drop_text_numbers(steps, _BARE_NUMBER)[0] if len(steps) >= 3 else steps


# "Zubereitungszeit: 20 min", "Cuisson : env. 1 h": a time's label and its value, set among the steps
_TIME_LINE = re.compile(r"^(?P<label>[^\W\d][\w '’.-]{0,30}?)\s*:+\s*(?P<value>\S.{0,40})$")
_HEDGE = re.compile(r"\b(?:ca|approx|about|around|env|environ|circa|etwa|ungefähr|cerca|unos|ongeveer)\b\.?"
                    r"|[~≈.,()\s-]", re.I)


def _time_line(step: str) -> bool:
    """Whether a "step" is a time printed with the steps, a label and a duration and nothing else."""
    match = _TIME_LINE.match(step)
    if match is None or len(match["label"].split()) > 3 or minutes_of(match["value"]) is None:
        return False
    return not _HEDGE.sub("", DURATION.sub("", match["value"]))


def _uncredited(steps: list[str]) -> list[str]:
    """The steps less what closes them without being one: credits, bylines, share buttons, disclosures.

    Never the only step.
    """
    end = len(steps)
    while end > 1 and is_closing_line(steps[end - 1]):
        end -= 1
    return steps[:end]


_TRAILING_YIELD = re.compile(r"\s+((?:serves|makes|yields?)\s+\d+(?:\s*-\s*\d+)?[\w ]{0,20})$", re.I)


def _leading_yield(recipe: HtmlRecipe) -> None:
    """A "4 porsjoner" heading the ingredient list is the yield, not an ingredient."""
    if len(recipe.ingredients) < 2:
        return
    first = recipe.ingredients[0]
    found = _YIELD.search(first)
    # the count is the whole line ("4 porsjoner", "Für 4 Personen"), not "4 portions of rice"
    rest = re.sub(r"^\s*(?:-|–|to|à|a|bis|tot|til)\s*\d+", "", first[found.end():]) if found else ""
    if found is None or found.start() > 0 or len(rest.split()) > 1:  # "for 3 to 4 servings" is one
        return
    recipe.ingredients = recipe.ingredients[1:]
    if recipe.ingredient_groups:  # the count opens the first group's lines too
        (name, lines), rest = recipe.ingredient_groups[0], recipe.ingredient_groups[1:]
        recipe.ingredient_groups = ([(name, lines[1:])] if lines[1:] else []) + rest
    recipe.yields = recipe.yields or yields_of(first)


def _trailing_yield(recipe: HtmlRecipe) -> None:
    """A "Serves 4" printed at the end of the last step is the yield, not part of the step."""
    if not recipe.instructions:
        return
    match = _TRAILING_YIELD.search(recipe.instructions[-1])
    if match:
        recipe.instructions[-1] = recipe.instructions[-1][: match.start()].rstrip()
        recipe.yields = recipe.yields or yields_of(match.group(1))


def _details(recipe: HtmlRecipe, texts: list[str]) -> None:
    """Yields and times from the short labels around the recipe ("Serves 4", "Total: 1 h")."""
    paired = None
    for index, text in enumerate(texts):
        if recipe.yields is None and (found := _YIELD.search(text)):
            # "Tidsmængde: 2 timer Mængde: 8 pers.": the count its label names, not the first
            start = found.start()
            if (count := re.search(r"\d+\s*$", text[:start])) is not None:
                start = count.start()  # "10 pieces — 20 minutes": the count before its noun
            recipe.yields = yields_of(text[start:])
        elif paired is None and _YIELD_LABEL.fullmatch(text) and index + 1 < len(texts) and (
                re.fullmatch(r"\s*\d+\s*", texts[index + 1])):
            paired = f"{text} {texts[index + 1]}"  # "Servings", then "24" apart: if no label says more
        elif paired is None and (chosen := _chosen_count(texts, index)) is not None:
            paired = chosen
        for key, label in _TIMES:
            if getattr(recipe, key) is None and (found := label.search(text)):
                if re.match(r"\s*\d", text):  # "2 Min. Vorbereitungszeit 21 Min. Gesamtzeit"
                    value = minutes_of(_value_before(text, found.start()))
                else:
                    # past the label's word: "Gesamtzeit: 27 Min." is read from ":", not from "zeit"
                    end = found.end() + len(re.match(r"[^\W\d_]*", text[found.end():]).group())
                    value = minutes_of(_own_value(text, end))
                if value is None and index + 1 < len(texts) and len(text.split()) <= 3:
                    # a label's value after it ("Prep Time", "15 min"); "Cook the rice noodles" is a step
                    value = minutes_of(_following_value(texts, index + 1))
                setattr(recipe, key, value)
    if recipe.yields is None and paired is not None:
        recipe.yields = yields_of(paired)


_FOR_ALONE = re.compile(rf"\s*(?:{YIELD_FOR})\s*:?\s*", re.I)
_NOUN_ALONE = re.compile(rf"\s*(?:{YIELD_NOUNS})\s*", re.I)
_COUNT_ALONE = re.compile(r"\s*(\d{1,3})\s*")


def _chosen_count(texts: list[str], index: int) -> str | None:
    """A servings chooser's count: "Für", then its default "4", the options "2 4 6 8", "Personen".

    The count shown right after the "for" is the one the recipe is written for; the options
    after it are counts it can be scaled to. Only with the noun closing the chooser, a few
    counts on.
    """
    if not _FOR_ALONE.fullmatch(texts[index]) or index + 1 >= len(texts):
        return None
    if (count := _COUNT_ALONE.fullmatch(texts[index + 1])) is None:
        return None
    for text in texts[index + 2: index + 14]:
        if _NOUN_ALONE.fullmatch(text):
            return f"{count.group(1)} {text.strip()}"
        if not _COUNT_ALONE.fullmatch(text):
            return None
    return None


def _following_value(texts: list[str], start: int) -> str:
    """A bare label's value, from the texts after it: "4 hr", then "50 min" in an element of its own.

    Nested elements repeat the pieces of what was taken ("4 hr", "4", "hr"); they are passed
    over, and the value ends at the first text that is neither a piece nor a duration.
    """
    taken = [texts[start]]
    for text in texts[start + 1: start + 8]:
        if any(text in piece for piece in taken):
            continue
        if not DURATION.fullmatch(text.strip()):
            break
        taken.append(text)
    return " ".join(taken)


_PARTS = re.compile(r"\s[—–|·•]\s")
_BARE_DURATION = re.compile(rf"\s*(?:{DURATION.pattern})\.?\s*", re.I)


def _meta_line_time(texts: list[str]) -> int | None:
    """"4 servings — 20 minutes": the time of a recipe's meta line that says no more than that.

    An unlabelled duration counts only beside a count in the same short line (the recipe's
    subtitle), so "20 minutes" alone, or in a sentence, is no total time.
    """
    for text in texts:
        parts = _PARTS.split(text)
        if len(parts) >= 2 and re.match(r"^\d+\s+[^\W\d]", parts[0]):
            for part in parts[1:]:
                if _BARE_DURATION.fullmatch(part):
                    return minutes_of(part)
    return None


def _value_before(text: str, start: int) -> str:
    """The value a label follows ("21 Min. Gesamtzeit"), back to the previous label's end."""
    head = text[:start]
    ends = [m.end() + len(re.match(r"\w*", head[m.end():]).group())
            for _, label in _TIMES for m in label.finditer(head)]
    return head[max(ends):] if ends else head


#: where a label's value ends, whatever the next label is: "Gesamt: 50 Min. • Aktiv: ca. 50 Minuten"
_VALUE_END = re.compile(r"\s*[•|·]")


def _own_value(text: str, start: int) -> str:
    """What follows a time's label, up to the next label: "Prep 10 min | Cook 25 min" has two."""
    rest = text[start:]
    ends = [m.start() for _, label in _TIMES if (m := label.search(rest))]
    if (end := _VALUE_END.search(rest)) is not None:
        ends.append(end.start())
    return rest[: min(ends)] if ends else rest
