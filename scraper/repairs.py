"""Repairs of what pages' structured data is known to get wrong, one named function each.

Each repair takes the value read from the page and returns the repaired value and whether it
changed anything; the generic extractor records the names of those that did in
`provenance.repairs` (issue 14). The rules are about kinds of mistakes seen on many sites
(ingredients joined in one string, group headings given as ingredients, step numbers given as
steps, garbage durations), never about one site. Pure functions: no network, no Ray.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree, html as lxml_html

from ._parsing import LIST_BULLET, clean_text
from .html_vocab import INGREDIENTS, is_bare_title, section_kind
from .schema_reader import types_of

_BR = re.compile(r"<br\s*/?>|\r\n|\r|\n", re.I)
_TAG = re.compile(r"<[^>]+>")
_BREAK = "\ue000"  # a <br>'s mark in an element's text (a private-use character, which lxml accepts)
_BLOCK_HTML = re.compile(r"<(?:p|li|br|div|ol|ul|h[1-6])\b", re.I)
_WORD_CHAR = re.compile(r"\w")
_BULLET = re.compile(r"^\s*[*•·▪►✓✔]+\s+")
_QUANTITY_START = re.compile(r"^\s*(?:\d|[½⅓⅔¼¾⅛]|one |two |a |an )", re.I)
# "Step 1", "stap 2:", "Passo 3", "Étape 4", "1.", "2)" — a label that only numbers the step.
_STEP_WORDS = (r"(?:step|stap|passo|paso|etape|étape|schritt|fase|krok|korak|lépés|steg|trin|vaihe|"
               r"adım|bước|langkah|шаг)")
_STEP_LABEL = re.compile(rf"^\s*(?:{_STEP_WORDS}\s*)?(?:n[°º.]?\s*)?\d{{1,3}}\s*[.:)\-–]?\s*$", re.I)
_HEADING_START = re.compile(
    r"^(?:for (?:the )?|to (?:serve|garnish|finish)\b|pour (?:la |le |les |l')|für (?:den |die |das )?|"
    r"para (?:la |el |los |las )?|per (?:la |il |lo |i |le |l')|voor (?:de |het )?)", re.I)


def _text(value: Any) -> str | None:
    return clean_text(_TAG.sub("", str(value))) if value is not None else None


def split_ingredients(lines: list[str]) -> tuple[list[str], bool]:
    """Split lines that hold several ingredients: newline- or <br>-joined, or one comma list.

    A single line is split at semicolons, else commas, only when most of its pieces start with
    a quantity ("125ml milk, 1 tsp vinegar, 60ml oil"), so "1 onion, finely chopped" stays one.
    """
    out: list[str] = []
    changed = False
    for line in lines:
        parts = [p for p in (_text(x) for x in _BR.split(line)) if p]
        # "40 gr\nontbijtspek" is one ingredient wrapped in the page's markup; a list given as
        # one string, or a line holding three or more, is several.
        if len(parts) > 1 and (len(lines) == 1 or len(parts) >= 3 or "<br" in line.lower()):
            changed = True
            out.extend(parts)
        elif parts:
            out.append(" ".join(parts))
    if len(out) == 1:
        # the whole list in one line: a list, when half its pieces or more start with an amount
        # ("4 large Eggs, 2/3 cup Milk, …, Powdered Sugar, Lemon"); a comma inside parentheses
        # ("agave syrup (taste, add more)") splits nothing
        pieces = _outside_parentheses(out[0], ";" if ";" in out[0] else ",")
        quantified = sum(1 for p in pieces if _QUANTITY_START.match(p))
        if len(pieces) >= 3 and quantified >= 3 and 2 * quantified >= len(pieces):
            return pieces, True
    return out, changed


def _outside_parentheses(line: str, sep: str) -> list[str]:
    pieces, depth, start = [], 0, 0
    for index, ch in enumerate(line):
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        elif ch == sep and not depth:
            pieces.append(line[start:index])
            start = index + 1
    pieces.append(line[start:])
    return [p.strip() for p in pieces if p.strip()]


# "--- Base ---", "== Sauce ==", "[Topping]", "*Glaze*", "— Garnish —": a heading framed by marks
_FRAMED = re.compile(r"^[-=*_~#\[•·—–\s]*[-=*_~#\[•·—–]\s*(?P<core>[^\W\d][^\d]*?)\s*[-=*_~#\]•·—–][-=*_~#\]•·—–\s:]*$")


def _framed(text: str) -> str | None:
    """A framed heading's words, or None: both sides carry a mark ("1 cup flour*" has one)."""
    match = _FRAMED.match(text)
    return match["core"].rstrip(":").strip() or None if match else None


def is_heading(line: str) -> bool:
    """Whether an ingredient line is a group heading ("For the sauce:", "DIPPING SAUCE:", "[Base]")."""
    text = line.strip()
    if not text or len(text) > 60 or any(ch.isdigit() for ch in text):
        return False
    words = text.rstrip(":").split()
    if not words or len(words) > 6:
        return False
    if text.endswith(":") or _framed(text):
        return True
    if _HEADING_START.match(text) and len(words) <= 5:
        return True
    return text.isupper() and len(words) >= 2


def headings_to_groups(lines: list[str]) -> tuple[list[str], list[tuple[str | None, list[str]]], bool]:
    """Take group headings out of the ingredient lines and make them the groups' purposes.

    Returns the lines without headings, the groups (empty when the list had no heading), and
    whether a heading was found. A heading with no line after it is dropped, and the list's own
    title ("Ingredients:", "Zutaten für 4 Personen") is dropped without naming a group.
    """
    titles = [section_kind(line) == INGREDIENTS for line in lines]
    if not any(titles) and not any(is_heading(line) for line in lines):
        return lines, [], False
    groups: list[tuple[str | None, list[str]]] = []
    current: tuple[str | None, list[str]] = (None, [])
    for line, title in zip(lines, titles, strict=True):
        if title or is_heading(line):
            if current[1]:
                groups.append(current)
            # "Ingredients for the filling" names its group; "Ingredients:" or "Zutaten für 4
            # Personen" only titles the list
            bare = title and (is_bare_title(line) or any(ch.isdigit() for ch in line))
            current = (None if bare else _framed(line.strip()) or line.strip().rstrip(":").strip() or None, [])
        else:
            current[1].append(line)
    if current[1]:
        groups.append(current)
    kept = [line for _, group in groups for line in group]
    if all(name is None for name, _ in groups):
        groups = []
    return kept, groups, True


def strip_ingredient_marks(lines: list[str]) -> tuple[list[str], bool]:
    """'• 200 g flour', '▢ 1 egg', '—': a list's bullets, checkboxes and empty rows, not text.

    Only a line's leading mark (followed by a space, or a checkbox) is removed, and a line with
    no letter or digit left is dropped; "-1 °C" or "½ lemon" are left alone.
    """
    out, changed = [], False
    for line in lines:
        bare = LIST_BULLET.sub("", line.lstrip(), count=1)
        changed |= bare != line
        if _WORD_CHAR.search(bare):
            out.append(bare.strip())
        else:
            changed = True
    return out, changed


def is_step_label(name: str | None) -> bool:
    return bool(name) and bool(_STEP_LABEL.match(str(name)))


def split_instruction_text(text: str, lines: bool = True) -> tuple[list[str], bool]:
    """Steps out of one instructions string: its HTML blocks (<p>, <li>, <br>) or its lines.

    `lines` False (a string that is already one item of a list) splits at HTML blocks only: a
    bare line break inside a listed step is the step's own ("...wenden.\\r\\nTipp: ..."), as
    recipe-scrapers reads it. Tags are replaced by a space so "flour.</p><p>Bake" keeps its words
    apart. One string numbered "1. ... 2. ... 3. ..." is split at its numbers.
    """
    if _BLOCK_HTML.search(text):
        try:
            fragment = lxml_html.fragment_fromstring(text, create_parent="div")
        except (etree.ParserError, ValueError):
            fragment = None
        if fragment is not None:
            blocks = [el for el in fragment.iter("p", "li", "h1", "h2", "h3", "h4", "h5", "h6")
                      if not any(child.tag in ("p", "li") for child in el)]
            if blocks:
                for br in fragment.iter("br"):
                    br.tail = _BREAK + (br.tail or "")
                steps = []
                for el in blocks:
                    # in HTML a line break of the source is a space; only <br> breaks a line
                    steps.extend(t for t in (clean_text(x) for x in el.text_content().split(_BREAK)) if t)
                return steps, len(steps) > 1 or lines
            for br in fragment.iter("br"):
                br.tail = "\n" + (br.tail or "")
            text = fragment.text_content()
            lines = True
    if not lines:
        return [t for t in [_text(text)] if t], False
    steps = [t for t in (_text(x) for x in re.split(r"\r\n|\r|\n", text)) if t]
    if len(steps) == 1 and (numbered := _numbered_parts(steps[0])):
        return numbered, True
    return steps, len(steps) > 1


# "1. Mix ... 2. Bake ...": a number that starts a sentence (text start, or after ". ")
# "…heat. 2. Stir", "…(optional) 2) Stir", or a step left without its full stop, "…around 2. When":
# there the next step's capital tells the number from a count ("cut into 2. pieces" is none)
_INLINE_NUMBER = re.compile(r"(?:^|(?<=[.!?;:)\]\"”'*]\s)|(?<=\w\s)(?=\d{1,2}[.)]\s+[A-ZÀ-Ý]))"
                            r"(\d{1,2})[.)]\s+(?=\S)")


#: "Step 1: Mix… Step 2: Bake…", "Étape 1 - …": a step word is mark enough, wherever it stands
_INLINE_STEP = re.compile(rf"(?:^|(?<=\s))(?:{_STEP_WORDS})\s*(\d{{1,2}})\s*[.:)\-–]?\s+(?=\S)", re.I)


def _numbered_parts(text: str) -> list[str] | None:
    """One string that numbers its steps 1, 2, 3... in the text: the steps, else None."""
    return _parts_at(text, _INLINE_NUMBER) or _parts_at(text, _INLINE_STEP)


def _parts_at(text: str, mark: re.Pattern[str]) -> list[str] | None:
    marks = list(mark.finditer(text))
    if len(marks) < 2 or marks[0].start() != 0:
        return None
    if [int(m.group(1)) for m in marks] != list(range(1, len(marks) + 1)):
        return None
    ends = [m.start() for m in marks[1:]] + [len(text)]
    parts = [clean_text(text[m.end():end]) for m, end in zip(marks, ends, strict=True)]
    return parts if all(parts) else None


# "Step 1: Mix", "1. Mix", "Étape 2 - Cuire": a number printed at the start of each step's text
_NUMBERED_TEXT = re.compile(
    rf"^\s*(?:{_STEP_WORDS}\s*(\d{{1,2}})\s*[.:)\-–]?\s*|(\d{{1,2}})\s*[.:)\-–]\s+)", re.I)


def _numbered_runs(found: list[int]) -> bool:
    """1, 2, 3 or 1, 2, 1, 2, 3: runs that each count from 1, one of them past 1 at least."""
    if not found or found[0] != 1 or max(found) < 2:
        return False
    return all(n == prev + 1 or n == 1 for prev, n in zip(found, found[1:], strict=False))


def drop_text_numbers(steps: list[str], numbered: re.Pattern[str] = _NUMBERED_TEXT) -> tuple[list[str], bool]:
    """'Step 1: Mix', 'Step 2: Bake' → 'Mix', 'Bake': the numbers a list shows, not the text.

    Only runs numbered 1, 2, 3... from the first step are stripped, so "3 eggs go in" or a
    list where one step happens to start with a number is left alone; each group of steps
    may number its own from 1 again ("Passo 1..4" for the syrup, "Passo 1..3" for the cake).
    `numbered` matches a step's number (its first non-empty group) and what to cut with it.
    """
    marks = [numbered.match(x) for x in steps]
    if len(steps) < 2 or not all(marks):
        return steps, False
    found = [int(next(g for g in m.groups() if g)) for m in marks]  # type: ignore[union-attr]
    if not _numbered_runs(found):
        return steps, False
    stripped = [x[m.end():].strip() for x, m in zip(steps, marks, strict=True)]  # type: ignore[union-attr]
    return (stripped, True) if all(stripped) else (steps, False)


def flatten_instructions(raw: Any) -> tuple[list[str], set[str]]:
    """schema.org recipeInstructions → (steps, repairs made), read as recipe-scrapers reads them.

    A HowToSection's name stays, as the title line of its steps, unless it only says
    "Instructions" ("Method", "Préparation": `drop_section_titles`); a HowToStep's name is kept
    when it says more than the start of its text. Names that only number the step ("Step 1",
    "stap 2", "3.") are dropped (`drop_step_numbers`), and a single instructions string is
    split into its HTML blocks or lines (`split_instructions`), less the bare section titles
    ("Modo de Preparo") that head it (`drop_section_titles`).
    """
    steps: list[str] = []
    repairs: set[str] = set()

    def add_name(name: str | None, section: bool = False) -> None:
        if not name:
            return
        if is_step_label(name):
            repairs.add("drop_step_numbers")
        elif section and is_bare_title(name):
            repairs.add("drop_section_titles")  # the whole list's label, not one part's title
        else:
            steps.append(name)

    def walk(item: Any, depth: int) -> None:
        if depth > 8 or item is None:
            return
        if isinstance(item, list):
            for sub in item:
                walk(sub, depth + 1)
            return
        if isinstance(item, str):
            parts, split = split_instruction_text(item, lines=depth == 0)
            if split and depth <= 1:
                repairs.add("split_instructions")
            if split and any(is_bare_title(x) for x in parts):
                # "Modo de Preparo" / "Method:" heading the text: the section's title, not a step
                parts = [x for x in parts if not is_bare_title(x)]
                repairs.add("drop_section_titles")
            steps.extend(parts)
            return
        if not isinstance(item, dict):
            return
        kind = types_of(item)
        elements = item.get("itemListElement")
        if "howtosection" in kind or ("itemlist" in kind and elements):
            add_name(_text(item.get("name") or item.get("Name")), section=True)
            walk(elements if isinstance(elements, list) else [elements], depth + 1)
            return
        text = item.get("text")
        if isinstance(elements, dict) and text is None:
            text = elements.get("text")
        if isinstance(elements, list) and text is None:
            # a HowToStep told as its HowToDirections (schema.org allows it); its HowToTips are no steps
            add_name(_text(item.get("name")))
            walk([e for e in elements if "howtotip" not in types_of(e)], depth + 1)
            return
        name = _text(item.get("name"))
        parts = split_instruction_text(text, lines=False)[0] if isinstance(text, str) and (
            _BLOCK_HTML.search(text)) else []
        if len(parts) > 1:
            repairs.add("split_instructions")  # "<p>Mix.</p><p>Bake.</p>" in one HowToStep
        text = " ".join(parts) if parts else _text(text)
        if name and (not text or not text.startswith(name.rstrip("."))):
            add_name(name)
        elif name and text and is_step_label(name):
            repairs.add("drop_step_numbers")
        if len(parts) > 1:
            steps.extend(parts)
        elif text:
            steps.append(text)

    walk(raw, 0)
    kept = []
    for step in steps:
        bare = _BULLET.sub("", step)
        if bare != step:
            repairs.add("strip_bullets")
        if bare and not _WORD_CHAR.search(bare):
            repairs.add("drop_empty_steps")  # "[{", "—": a broken template's leftovers, no step
        elif bare and not is_step_label(bare):
            kept.append(bare)
        elif bare:
            repairs.add("drop_step_numbers")
    kept, numbered = drop_text_numbers(kept)
    if numbered:
        repairs.add("drop_step_numbers")
    return kept, repairs


def hours_for_minutes(times: dict[str, int | None], shown: dict[str, int]) -> tuple[dict[str, int | None], bool]:
    """prep PT10H, cook PT30H where the page shows "Prep 10 min", "Cook 30 min" → 10 and 30.

    A template that writes the minutes it was given as hours ("PT{n}H") makes a 40-minute soup
    take 40 hours. Only a time of whole hours whose number the page's HTML shows as minutes for
    the same part is read as minutes; a total that was the sum of the parts follows them.
    `times` holds "prep", "cook" and "total" in minutes; `shown` the minutes the HTML labels.
    """
    fixed = dict(times)
    for key in ("prep", "cook", "total"):
        value = times.get(key)
        if value and value % 60 == 0 and shown.get(key) == value // 60:
            fixed[key] = value // 60
    if fixed == times:
        return times, False
    total = times.get("total")
    if total is not None and total == parts_total(times.get("prep"), times.get("cook")) and fixed["total"] == total:
        fixed["total"] = parts_total(fixed.get("prep"), fixed.get("cook"))
    return fixed, True


def parts_total(prep: int | None, cook: int | None) -> int | None:
    """The total a page implies with prep and cook times but no total of its own."""
    return (prep or 0) + (cook or 0) if (prep or cook) else None


def repair_total_time(total: int | None, raw_total: Any, prep: int | None, cook: int | None) -> tuple[int | None, bool]:
    """A negative or unreadable totalTime ("PT-5M", "about an hour") → prep + cook, when given."""
    garbage = raw_total is not None and (total is None or "-" in str(raw_total))
    if garbage and (prep or cook):
        return (prep or 0) + (cook or 0), True
    if garbage:
        return None, total is not None
    return total, False


_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")
_WORD_CHARS = re.compile(r"\W|_")


def _host_labels(host: str | None) -> set[str]:
    """'www.my-blog.co.uk' → {'myblog'}: the names a site's host spells, less www and suffixes."""
    labels = (host or "").lower().split(".")[:-1]  # the last label is the top-level domain
    return {_WORD_CHARS.sub("", x) for x in labels
            if len(x) >= 2 and x not in ("www", "co", "com", "org", "net", "gov", "ac", "edu")}



def strip_site_name(title: str | None, site_names: list[str | None],
                    host: str | None = None) -> tuple[str | None, bool]:
    """'Lemon tart | My Blog' → 'Lemon tart' when 'My Blog' is the site's name or its host's.

    With no site name to go by (pages without structured data often have none), a last part
    that spells a label of the page's host ("| Afghan Kitchen Recipes" on
    afghankitchenrecipes.com, "- iG" on receitas.ig.com.br) is the site's name too.
    """
    if not title:
        return title, False
    labels = _host_labels(host)
    for sep in _SEPARATORS:
        head, found, tail = title.rpartition(sep)
        if found and head.strip() and _WORD_CHARS.sub("", tail.lower()) in labels:
            return head.strip(), True
    for site in site_names:
        site = (site or "").strip()
        if not site or len(site) >= len(title):
            continue
        for sep in _SEPARATORS:
            if title.lower().endswith((sep + site).lower()):
                return title[: -len(sep + site)].strip(), True
            if title.lower().startswith((site + sep).lower()):
                return title[len(site + sep):].strip(), True
    return title, False
