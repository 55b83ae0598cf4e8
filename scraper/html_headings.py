"""Ingredients and steps found from section titles and class names, for pages without a card.

Most pages without structured data still title their lists ("Zutaten", "Bereidingswijze") or
name their containers (`class="ingredients"`, `class="method"`). This finds those anchors in one
walk over the tree, reads the list or lines that follow each, and keeps a pair (ingredients, then
steps) only when both read like what they claim to be. Index and category pages, blog posts that
mention a recipe and shop pages must not come out as recipes (issue 14, "No false recipes"), so
every rule errs towards "not confident". Pure, no Ray, no network; linear in the page size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ._html import MAX_ITEMS, MAX_NODES, classes, lines_of, norm, squash, text_of
from .html_blocks import (Block, classed_title, clean, emphasised_title, is_group_title, is_note, item_title,
                          list_lines, looks_like_ingredients, looks_like_steps, nested_lists, plain_title,
                          starts_with_amount, titled_steps)
from .html_vocab import (INGREDIENTS, INSTRUCTIONS, OTHER, is_bare_title, is_facts_paragraph, is_recipe_heading,
                         is_step_title, section_kind)

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LABELS = frozenset({"strong", "b", "p", "div", "span", "dt", "th", "label", "summary", "legend",
                     "em", "u", "td", "a"})
_BLOCKS = frozenset({"p", "ul", "ol", "dl", "div", "section", "article", "table", "li", "h1", "h2",
                     "h3", "h4", "h5", "h6", "figure", "blockquote", "main", "form"})
_CONTAINERS = frozenset({"div", "section", "ul", "ol", "dl", "article", "aside", "table", "main"})
_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "nav", "footer", "header",
                   "form", "select", "button", "iframe", "textarea", "img", "picture", "video",
                   "figure", "input"})
# (a shopping-cart or app promotion inside a recipe's tab, "cartlist-app-text", is chrome too)
_NOISE = re.compile(r"(?<![a-z])comment|related|newsletter|breadcrumb|cookie|\bshare|social|\bad-|advert|"
                    r"popup|modal|(?<![a-z])cart(?!e)|promo|banner", re.I)
_CLASS_KIND = (
    (INGREDIENTS, re.compile(r"ingr[eé]d|indgred|zutat|(?:^|[\s_-])ingr(?:$|[\s_-])")),
    (INSTRUCTIONS, re.compile(r"instruction|direction|method|preparation|cooking-?steps?|"
                              r"recipe[-_]?steps|\bsteps\b|recipe[-_]process|zubereitung|anleitung|"
                              r"bereiding|procedure")),
)
_BAD_CLASS = re.compile(r"button|toolbar|scale|header|title|label|toggle|print|jump|ad-slot|"
                        r"clipboard|count|nav|filter|search|tag", re.I)

# WordPress's post_class() names the whole post after its terms ("post-2129 status-publish
# ingredients-tequila"): a taxonomy, not a container of ingredients
_POST_CLASS = re.compile(r"(?:^|\s)(?:post-\d+|status-publish|hentry)(?:\s|$)")

# Controls and recipe metadata inside a section (unit toggles, a cook mode's screen-lock switch,
# "Serves 4", ratings): not lines.
_CONTROL = re.compile(r"button|\bbtn|toggle|tab-link|selector|yield|servings?\b|rating|toolbar|cook-?mode|"
                      r"nutrition|calori|recipe-info|recipe-meta|print|share|\bad\b|ads\b", re.I)
# "Prep: 15 min.", "Recipe Type: Main Dishes": a label and its value, not a step
_META_LINE = re.compile(r"^[^\W\d][\w '’-]{0,24}:\s*\S.{0,40}$")


@dataclass
class _Walk:
    """What the one walk over the page found."""

    anchors: list[tuple[int, str, Any, bool, str | None]] = field(default_factory=list)
    order: dict[int, int] = field(default_factory=dict)
    keep: list[Any] = field(default_factory=list)  # holds the proxies so their ids stay unique
    short_texts: list[tuple[int, str]] = field(default_factory=list)
    #: anchors that are a recipe's own heading ("Recipe: Orange Juice Carrots"): a list must follow
    list_first: set[int] = field(default_factory=set)
    facts_first: set[int] = field(default_factory=set)  # facts paragraphs over untitled lines


_COMMENTS = re.compile(r"(?<![a-z])comment")
_HIDDEN = re.compile(r"(?:^|\s)(?:hidden|[\w-]*visuallyhidden|d-none|is-hidden|sr-only|"
                     r"screen-reader-text)(?:\s|$)")
# Bootstrap's "d-none d-xl-block": hidden on small screens, shown from a breakpoint up
_SHOWN_AT = re.compile(r"(?:^|\s)d-(?:sm|md|lg|xl|xxl)-(?:block|flex|inline|inline-block|grid|table)(?:\s|$)")


def _within(el: Any, tags: tuple[str, ...], depth: int) -> bool:
    """Whether one of the `depth` nearest ancestors of `el` (below <body>) is one of `tags`."""
    parent = el.getparent()
    for _ in range(depth):
        if parent is None or parent.tag in ("body", "html"):
            return False
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


_STATE_PREFIXES = ("has-", "no-", "with-", "without-")


def _noise(el: Any) -> bool:
    tag = el.tag
    # a <header> inside an article or section titles it (HTML5); the page's own is site chrome
    if not isinstance(tag, str) or (tag in _SKIP and not (
            tag == "header" and _within(el, ("article", "section"), 4)) and not _unclosed(el)):
        return True
    if tag in ("article", "main"):
        return False  # the page's content, whatever its classes say ("sc-ad-container")
    # "has-post-comments", "no-sidebar": a state of the page's post, not what the element is
    attrs = classes(el)
    if "has-" in attrs or "no-" in attrs or "with" in attrs:
        attrs = " ".join(token for token in attrs.split() if not token.startswith(_STATE_PREFIXES))
    # "comments", "wp-comment-list"; "gz-photocomments-trigger" wraps a recipe's steps
    if _COMMENTS.search(attrs) or (_HIDDEN.search(attrs) and not _SHOWN_AT.search(attrs)) or (
            el.get("hidden") is not None):
        return True
    if "display:none" in (el.get("style") or "").replace(" ", ""):
        return True
    return bool(_NOISE.search(attrs)) and "recipe" not in attrs and "ingredient" not in attrs


def _unclosed(el: Any) -> bool:
    """A header or button holding the page's h1 and its main content: a tag left open.

    "<button><div></button>" (a typo for `</div>`) leaves the button open to the end of the
    page in lxml's parser, where a browser closes it: what it holds is the page, not chrome.
    """
    return el.tag in ("header", "button") and el.find(".//h1") is not None and (
        el.find(".//main") is not None or el.find(".//article") is not None)


def _has_control(el: Any) -> bool:
    """A choice in a label ("Servings: <select>"): a widget of the section, not its title."""
    return el.find(".//select") is not None


def _is_widget(el: Any) -> bool:
    """A short label with buttons or a number field ("Servings [-] 4 [+]"): a control, not a line.

    A list item is never one (a checkbox or an "add to list" button beside an ingredient), and
    neither is a text with a digit of its own ("2 eggs").
    """
    if el.tag == "li" or any(c.isdigit() for c in text_of(el, 60)):
        return False
    return bool(el.xpath(
        ".//select|.//button|.//input[not(@type) or @type='number' or @type='text' or @type='range']"))


def _is_heading_like(el: Any) -> bool:
    tag = el.tag
    if tag in HEADINGS:
        return True
    if tag not in _LABELS or len(el) > 4:
        return False
    return not any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in el)


def _walk(root: Any) -> _Walk:
    walk = _Walk()
    stack = [root]
    n = 0
    while stack and n < MAX_NODES:
        el = stack.pop()
        if el is not root and _noise(el):
            continue
        walk.order[id(el)] = n
        walk.keep.append(el)
        n += 1
        if el.tag == "p" and len(el) >= 2 and el.find("br") is not None and is_facts_paragraph(lines_of(el)):
            # "Prep 10 min<br>Cook 40 min<br>Serves 4": the ingredients' lines follow, untitled
            walk.anchors.append((n, INGREDIENTS, el, False, None))
            walk.facts_first.add(id(el))
            walk.short_texts.append((n, text_of(el, 120)))
            _number(el, walk, n)
            continue
        if _is_heading_like(el):
            title = text_of(el, 120)
            # a link named "Ingredients" jumps to the section (or away): it does not title what follows
            if title and len(title) <= 60 and not _has_control(el) and not (
                    el.tag == "a" and el.get("href") is not None):
                kind = section_kind(title)
                # `<li><h3>Passo 2</h3><p>…</p></li>`: the item is the step, "Passo 2" numbers it
                if kind is not None and not (is_step_title(title) and _within(el, ("li",), 3)):
                    walk.anchors.append((n, kind, el, False, title))
                    if kind == OTHER and not re.search(r"\d", title):
                        walk.short_texts.append((n, title))  # a bare "Servings" label before its "24"
                    _number(el, walk, n)
                    continue
                if el.tag in HEADINGS and is_recipe_heading(title):
                    walk.anchors.append((n, INGREDIENTS, el, False, None))
                    walk.list_first.add(id(el))
                    walk.short_texts.append((n, title))  # "Pour 2 personnes" is the yield too
                    _number(el, walk, n)
                    continue
                walk.short_texts.append((n, title))
        elif el.tag in _CONTAINERS:
            attrs = classes(el)
            if attrs.strip() and not _BAD_CLASS.search(attrs) and not _POST_CLASS.search(attrs):
                for kind, pattern in _CLASS_KIND:
                    if pattern.search(attrs):
                        walk.anchors.append((n, kind, el, True, None))
                        break
        children = [c for c in el if isinstance(c.tag, str)]
        skip = _inactive(children) if len(children) > 1 else set()
        stack.extend(c for c in reversed(children) if id(c) not in skip)
    return walk


def _number(el: Any, walk: _Walk, n: int) -> None:
    """Give an anchor's descendants an order too (the walk does not descend into anchors)."""
    for child in el.iter():
        if child is not el and isinstance(child.tag, str):
            walk.order[id(child)] = n
            walk.keep.append(child)


def _links(el: Any) -> int:
    return sum(len(text_of(a, 300)) for a in el.iter("a"))


class _Stop(Exception):
    """The section ended (another section's title, or prose after the list)."""


_ACTIVE = frozenset({"active", "is-active", "selected", "is-selected", "current", "is-current"})


def _inactive(nodes: list[Any]) -> set[int]:
    """Sibling lists alike but for one marked active: the variants a selector switches between.

    `<ul class="recipe-list" data-recipe-size="2">…<ul class="recipe-list is-active">…`: the
    lines for each number of servings, of which the page shows the active one.
    """
    variants: dict[tuple[str, frozenset[str]], list[tuple[Any, bool]]] = {}
    for node in nodes:
        if isinstance(node.tag, str) and node.tag in ("ul", "ol", "div", "table", "dl"):
            tokens = set((node.get("class") or "").lower().split())
            if base := frozenset(tokens - _ACTIVE):
                variants.setdefault((node.tag, base), []).append((node, bool(tokens & _ACTIVE)))
    out: set[int] = set()
    for alike in variants.values():
        if len(alike) >= 2 and sum(active for _, active in alike) == 1:
            out |= {id(node) for node, active in alike if not active}
    return out


def _amount_cells(nodes: list[Any]) -> list[str] | None:
    """Lines laid out as cells, an amount then its ingredient, alternating; else None.

    `<p class="Amount">250</p><div class="Description">g frutta secca</div><p class="Amount">6</p>…`:
    two kinds of element take turns, the first short and a number (or empty).
    """
    cells = [n for n in nodes if isinstance(n.tag, str) and n.tag not in ("script", "style")]
    if len(cells) < 4 or len(cells) % 2:
        return None
    kinds = [(n.tag, n.get("class") or "") for n in cells]
    if kinds[0] == kinds[1] or any(k != kinds[i % 2] for i, k in enumerate(kinds)):
        return None
    amounts, names = [text_of(n, 40) for n in cells[0::2]], [text_of(n) for n in cells[1::2]]
    if not all(not a or (len(a) <= 20 and starts_with_amount(a)) for a in amounts) or not all(names):
        return None
    if sum(bool(a) for a in amounts) < 0.5 * len(amounts):
        return None
    return [norm(f"{a} {b}") for a, b in zip(amounts, names, strict=True)]


def _collect(block: Block, nodes: list[Any], level: int, anchors: dict[int, str],
             state: dict[str, Any]) -> None:
    if block.kind == INGREDIENTS and (cells := _amount_cells(nodes)) is not None:
        for line in cells:
            block.add(line, nodes[0], state["group"], 0)
        state["first"], state["listed"] = False, True
        return
    skip = _inactive(nodes)
    for node in nodes:
        state["budget"] -= 1
        if state["budget"] <= 0 or len(block.items) >= MAX_ITEMS:
            raise _Stop
        if id(node) in skip:
            continue
        if not isinstance(node.tag, str) or _noise(node) or _CONTROL.search(classes(node)) or (
                len(text_of(node, 60)) <= 40 and _is_widget(node)):
            continue
        tag = node.tag
        other = anchors.get(id(node))
        if other is not None and other != block.kind:
            raise _Stop
        if other == block.kind and not state["first"]:
            raise _Stop  # a second title of the same kind starts its own block (merged later)
        if _is_heading_like(node) and tag not in ("p", "div", "span", "td", "a"):
            title = text_of(node, 120)
            if not title:
                continue
            if len(title) > 80:
                _line(block, node, state)
                continue
            node_level = HEADINGS.get(tag, 7)
            if block.items and node_level <= level and not (
                    block.kind == INGREDIENTS and _group_heading(node, title)):
                if block.kind == INGREDIENTS and tag in HEADINGS and section_kind(title) is None:
                    state["after"] = node  # "Faites cuire le porridge": untitled steps may start here
                raise _Stop
            state["group"] = title.rstrip(" :")
            continue
        if (title := emphasised_title(node)) is not None or (block.kind == INGREDIENTS and (
                (title := plain_title(node)) is not None or (title := classed_title(node)) is not None)):
            state["group"] = title  # "<p><b>For the glaze</b></p>", "<p>Coating</p>" before its list
            continue
        if state.pop("list_first", False) and tag not in ("ul", "ol") and not (
                tag in ("div", "section") and node.find(".//li") is not None):
            raise _Stop  # a recipe's heading over prose: a story, not an ingredient list
        state["first"] = False
        if state.get("listed") and tag not in ("ul", "ol", "dl", "table", "li") and not (
                tag in ("div", "section", "article", "main") and node.find(".//li") is not None):
            state["after"] = node  # where untitled steps may start
            raise _Stop  # prose after the section's list: the section is over
        if tag in ("ul", "ol", "dl", "table"):
            state["listed"] = True
        if tag in ("ul", "ol"):
            for title, line, li in list_lines(node):
                if title is not None:
                    state["group"] = title
                else:
                    cut = len(text_of(li)) - len(line)  # a widget's link text left out of the line
                    block.add(line, li, state["group"], max(0, _links(li) - cut))
        elif tag == "dl":
            _pairs(block, node, state)
        elif tag == "table":
            for tr in node.iter("tr"):
                cells = [c for c in tr if isinstance(c.tag, str) and text_of(c, 300)]
                texts = [text_of(c, 300) for c in cells]
                if len(cells) == 1 and cells[0].tag == "th" and len(texts[0]) <= 60 and not any(
                        ch.isdigit() for ch in texts[0]):
                    state["group"] = texts[0].rstrip(" :")  # `<tr><th colspan=2>Zimt-Äpfel</th></tr>`
                    continue
                block.add(norm(" ".join(texts)), tr, state["group"], _links(tr))
        elif tag == "li":
            if (title := item_title(node)) is not None:
                state["group"] = title  # `<li class="title-ingredient"><h3>Feine Polenta</h3></li>`
            elif (steps := titled_steps(node)) is not None:
                for step in steps:
                    block.add(step, node, state["group"], 0)
            elif (nested := nested_lists(node)) is not None:
                state["group"] = nested[0] or state["group"]  # `<li><h3>Dough</h3><ol>…</ol></li>`
                for sub in nested[1]:
                    for title, line, li in list_lines(sub):
                        if title is not None:
                            state["group"] = title
                        else:
                            block.add(line, li, state["group"], _links(li))
            else:
                block.add(text_of(node), node, state["group"], _links(node))
        elif block.kind == INGREDIENTS and tag == "div" and (line := _two_part_line(node)) is not None:
            block.add(line, node, state["group"], _links(node))
        elif (tag in ("div", "section", "article", "span", "main", "blockquote") or "-" in tag) and any(
                isinstance(c.tag, str) and (c.tag in _BLOCKS or "-" in c.tag) for c in node):
            # (a custom element, `<app-recipe-ingredients-buttons>`, is a container: its buttons
            # are skipped one by one like any other)
            _collect(block, list(node), level, anchors, state)
        else:
            _line(block, node, state)


def _group_heading(node: Any, title: str) -> bool:
    """A heading as high as the section's own that titles a group of it ("Bolo:" over its list).

    Its colon (or its "For ...") marks a part of the ingredients, and a list comes right after.
    """
    if section_kind(title) is not None or not is_group_title(title) or len(title.split()) > 6:
        return False
    following = node.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()
    return following is not None and following.tag in ("ul", "ol", "dl", "table")


def _two_part_line(node: Any) -> str | None:
    """One ingredient set as two paragraphs, its name and its amount ("ziemniaki" / "1 kilogram").

    An app's list item in a `<div>` of its own; read paragraph by paragraph, the name and the
    amount would be two lines. Exactly one of the two must start with an amount.
    """
    parts = [c for c in node if isinstance(c.tag, str)]
    if not 2 <= len(parts) <= 3:
        return None
    pieces = [(c, text) for c in parts if (text := text_of(c, 100))]  # (an empty clearfix `<div>` is no part)
    if len(pieces) != 2 or any(c.tag not in ("p", "div", "span") or c.find(".//li") is not None for c, _ in pieces):
        return None
    texts = [text for _, text in pieces]
    if any(len(x) > 80 for x in texts):
        return None
    amounts = [x for x in texts if starts_with_amount(x)]
    # the amount's paragraph holds the amount alone ("1 kilogram", "25 cl"): two paragraphs that
    # are two lines ("50 g de chocolat noir", "Cacao en poudre") stay two
    if len(amounts) != 1 or len(amounts[0].split()) > 3:
        return None
    return norm(" ".join(texts))


def _terms(node: Any) -> list[Any]:
    """A <dl>'s dt and dd, also where HTML5 wraps each pair in a <div>, and its group headings."""
    out = []
    for child in node.iterchildren("dt", "dd", "div", *HEADINGS):
        out.extend(child.iterchildren("dt", "dd") if child.tag == "div" else [child])
    return out


def _pairs(block: Block, node: Any, state: dict[str, Any]) -> None:
    """A definition list: each term with its description.

    "brown sugar: 45 g" where the description is the amount; "40 gr ontbijtspek" where the
    term is, as the line would be written.
    """
    term = None
    children = _terms(node)
    for n, child in enumerate(children):
        if child.tag in HEADINGS:  # `<dl><h3>sauce</h3><dt>…`: the terms after it are its group
            if term:
                block.add(term, node, state["group"], 0)
                term = None
            state["group"] = text_of(child, 120).rstrip(" :") or state["group"]
        elif child.tag == "dt":
            if term:
                block.add(term, node, state["group"], 0)
            term = text_of(child)
            if _titles_several(children, n) and term and len(term) <= 60:
                state["group"] = term.rstrip(" :")  # `<dt>Per decorare</dt><dd>…</dd><dd>…</dd>`
                term = None
            elif (cells := _cells(child)) is not None:  # `<dt><b>salt</b><u>1.25 g</u></dt>`
                block.add(_pair(*cells), child, state["group"], 0)
                term = None
        else:
            value = text_of(child)
            block.add(_pair(term, value) if term and value else term or value, child,
                      state["group"], _links(child))
            term = None
    if term:
        block.add(term, node, state["group"], 0)


def _titles_several(children: list[Any], n: int) -> bool:
    """Whether the term at `n` is followed by two descriptions or more: their title, not a name."""
    count = 0
    for child in children[n + 1:]:
        if child.tag != "dd":
            break
        count += 1
    return count >= 2


def _pair(term: str, value: str) -> str:
    """A name and its amount as one line: "40 gr ontbijtspek" as written, else "salt: 1.25 g"."""
    return f"{term} {value}" if starts_with_amount(term) else f"{term}: {value}"


def _cells(dt: Any) -> tuple[str, str] | None:
    """A term laid out as two cells with nothing between them (name, then its amount), or None.

    `<dt><a><b>salt</b></a><u>1.25 g</u></dt>` shows two columns; read as one text it would
    be "salt1.25 g". Only elements with no text of the term's own between them count.
    """
    parts = [c for c in dt if isinstance(c.tag, str)]
    if len(parts) != 2 or (dt.text or "").strip() or any((c.tail or "").strip() for c in parts):
        return None
    name, value = (text_of(c, 200) for c in parts)
    return (name, value) if name and value else None


def _line(block: Block, node: Any, state: dict[str, Any]) -> None:
    """A paragraph: its <br> lines for ingredients, one step for instructions."""
    if block.kind == INGREDIENTS:
        lines = lines_of(node)
        if block.items and any(len(line) > 160 for line in lines):
            raise _Stop  # prose after the list: the section is over
        for line in lines:
            block.add(line, node, state["group"], 0)
        if lines:
            block.link_chars += _links(node)
    else:
        lines = lines_of(node)
        if lines and all(_META_LINE.match(x) and len(x.split()) <= 6 for x in lines):
            if block.items:
                raise _Stop
            return
        numbered = len(lines) > 1 and sum(bool(re.match(r"\d{1,2}\s*[.)-]", x)) for x in lines) >= 2
        if numbered:
            for line in lines:
                block.add(line, node, state["group"], 0)
        else:
            block.add(text_of(node), node, state["group"], 0)
        block.link_chars += _links(node)


#: wrappers climbed from a section title to find what follows it: site builders nest a title in
#: up to five wrappers of its own (`<div><div><div><h2><div>Ingredienser</div></h2>`...)
_CLIMB = 6


def _following(el: Any) -> tuple[list[Any], Any]:
    """The nodes after a section title: its later siblings, climbing out of wrappers."""
    node = el
    for _ in range(_CLIMB):
        siblings = []
        for sib in node.itersiblings():
            siblings.append(sib)
            if len(siblings) >= 200:
                break
        if any(isinstance(s.tag, str) and not _noise(s) and text_of(s, 20) for s in siblings):
            return siblings, node
        parent = node.getparent()
        if parent is None:
            break
        node = parent
    return [], node


def _read(walk: _Walk) -> list[Block]:
    anchors = {id(el): kind for _, kind, el, _, _ in walk.anchors}
    blocks: list[Block] = []
    left = PAGE_BUDGET
    for order, kind, el, by_class, title in walk.anchors:
        if kind == OTHER:
            continue
        if left <= 0:
            break
        block = Block(kind=kind, order=order, title=title)
        budget = min(ANCHOR_BUDGET, left)
        state = {"budget": budget, "group": None, "first": True, "list_first": id(el) in walk.list_first}
        try:
            if id(el) in walk.facts_first:
                state["after"] = _facts_lines(block, el)
                block.dish = _dish(el)
            elif by_class and el.tag == "dl":
                _pairs(block, el, state)
            elif by_class and kind == INGREDIENTS and el.tag == "div" and (line := _two_part_line(el)):
                block.add(line, el, None, _links(el))  # one item's box ("ingredients-list-content-item")
            elif by_class:
                # the named container bounds the section: a heading inside it titles a group
                _collect(block, list(el), 0, {k: v for k, v in anchors.items() if v != kind}, state)
            else:
                if el.tag in ("strong", "b", "span", "em", "u") and el.getparent() is not None:
                    parent = el.getparent()
                    lines = lines_of(parent)
                    if len(lines) > 1 and lines[0].startswith(title or ""):
                        state["first"] = False
                        for line in lines[1:]:
                            block.add(line, parent, None, 0)
                nodes, top = _following(el)
                level = HEADINGS.get(el.tag, 7)
                if top is not el and top.tag in HEADINGS:
                    level = HEADINGS[top.tag]
                _collect(block, nodes, level, anchors, state)
        except _Stop:
            pass
        left -= budget - max(state["budget"], 0)
        if block.items:
            block.after = state.get("after") if kind == INGREDIENTS else None
            blocks.append(block)
    return blocks


def _onwards(node: Any, limit: int = 200) -> list[list[Any]]:
    """`node` and what follows it in the page: its later siblings, then its parents', level by level."""
    levels, count = [[node, *node.itersiblings()]], 0
    for _ in range(_CLIMB + 1):
        count += len(levels[-1])
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html") or count >= limit:
            break
        node = parent
        levels.append(list(node.itersiblings()))
    return levels


_WORD = re.compile(r"[^\W\d_]{4,}")


def _facts_lines(block: Block, facts: Any) -> Any:
    """The `<br>` lines of the paragraphs right after a facts paragraph; the node they end at.

    Each paragraph of two lines or more is a group of ingredients; the first paragraph of one
    line (the method's first step) ends them, and untitled steps may start there.
    """
    node = facts.getnext()
    while node is not None:
        if not isinstance(node.tag, str):
            node = node.getnext()
            continue
        lines = lines_of(node) if node.tag == "p" else []
        if len(lines) < 2:
            break
        for line in lines:
            block.add(line, node, None, _links(node))
        node = node.getnext()
    return node


def _dish(facts: Any) -> str | None:
    """The heading a few paragraphs above a recipe's facts: the dish's name in a newspaper's article."""
    node = facts.getprevious()
    for _ in range(4):
        if node is None:
            return None
        if isinstance(node.tag, str) and node.tag in ("h2", "h3", "h4"):
            name = text_of(node, 200)
            return name if name and section_kind(name) is None and len(name) <= 150 else None
        node = node.getprevious()
    return None


def _untitled_steps(ingredients: Block, anchors: dict[int, str]) -> Block | None:
    """The paragraphs right after a titled ingredients list, where no steps title follows.

    Many pages title their ingredients and then just write the method ("Cut the carrots...").
    With no title to vouch for them, the paragraphs count only when they name at least two of
    the ingredients (a blog post's chatter after a list names none), so a page that lists
    things and then talks about them stays "not confident".
    """
    if ingredients.after is None:
        return None
    block = Block(kind=INSTRUCTIONS, order=ingredients.order + 1, title=None)
    state = {"budget": 3000, "group": None, "first": False}
    # from a heading ("Faites cuire le porridge"), its peers title more steps; a higher one ends them
    top = HEADINGS.get(ingredients.after.tag, 8) - 1
    try:
        for level in _onwards(ingredients.after):
            _collect(block, level, top, anchors, state)
            if block.items:
                break  # the steps end with their container: past it are the page's other parts
    except _Stop:
        pass
    clean(block)
    text = " ".join(block.items).casefold()
    named = {w for line in ingredients.items for w in _WORD.findall(line.casefold()) if w in text}
    return block if block.items and len(named) >= 2 else None


def _contains(items: list[str], part: list[str]) -> bool:
    """Whether `part` runs, in order and unbroken, somewhere in `items`."""
    n = len(part)
    return any(items[i:i + n] == part for i in range(len(items) - n + 1))


def _read_before(block: Block, used: set[int]) -> bool:
    """Whether each of the block's lines comes from inside an element another block read.

    A class-named box in each step (`<li><div>Step 1</div><div class="stepContent">…`) is an
    anchor of its own; the list its item belongs to was read already, the number with it.
    """
    if not used or not block.nodes:
        return False
    for node in block.nodes:
        if not any(id(el) in used for el in (node, *node.iterancestors())):
            return False
    return True


def _listed(block: Block) -> bool:
    """Whether every line of the block is a list's item (or inside one), not a paragraph."""
    return bool(block.nodes) and all(node.tag == "li" or _within(node, ("li",), 3) for node in block.nodes)


def _merge(blocks: list[Block]) -> list[Block]:
    """Consecutive blocks of one kind ("Ingredients for the dough", "... for the filling") join."""
    runs: list[Block] = []
    used: set[int] = set()
    for block in sorted(blocks, key=lambda b: b.order):
        if block.sources & used or _read_before(block, used):
            continue
        used |= block.sources
        clean(block)
        if not block.items:
            continue
        if runs and runs[-1].kind == block.kind:
            run = runs[-1]
            if block.link_chars >= 0.8 * block.chars:
                continue  # "Veja também": links to other recipes under a "Como fazer…" title, not more steps
            mine, theirs = [squash(x) for x in block.items], [squash(x) for x in run.items]
            if mine == theirs[-len(mine):] or (len(mine) >= 2 and _contains(theirs, mine)):
                # the same list again (a page's desktop and mobile copies, a sidebar's), its
                # punctuation aside: "…completa." in the summary's paragraphs, "…completa" in
                # the list; the list's copy is the one kept, as a site's scraper reads it
                if mine == theirs and _listed(block) and not _listed(run):
                    runs[-1] = block
                continue
            if block.kind == INGREDIENTS and all(is_note(x) for x in block.items):
                continue  # a tip's box after the list ("The flavor of lemongrass is subtle…")
            group = block.title if block.title and section_kind(block.title) else None
            if run.title and len(run.groups) == 1 and run.groups[0][0] is None:
                run.groups = [(run.title, run.groups[0][1])]
            for name, items in block.groups:
                run.groups.append((name or group, items))
            run.items += block.items
            run.chars += block.chars
            run.link_chars += block.link_chars
            continue
        runs.append(block)
    return runs


_MAX_COMPONENTS = 4
#: nodes one section's reading may visit, and all of a page's together: 256 nested
#: `<div class="instructions">` over 5,000 items each read their 3,000 (8 s of CPU for one
#: hostile page); the 277 corpus and negative pages use at most 198 in all
ANCHOR_BUDGET = 3_000
PAGE_BUDGET = 3_000


def _components(runs: list[Block]) -> list[Block]:
    """A recipe written as components, each its ingredients then its steps, as one of each.

    "<dl><h3>sauce</h3>…</dl><ul class=instructions>…</ul><dl><h3>topping</h3>…": the page's
    ingredients are all the lists and its steps all the methods, in order. Only a strict
    alternation of two to four pairs whose later ingredient lists each carry a group title of
    their own counts: a roundup repeats bare "Ingredients" / "Method" titles per recipe (its
    names sit above, outside the sections) and stays several recipes, so not one.
    """
    if not 4 <= len(runs) <= 2 * _MAX_COMPONENTS or len(runs) % 2:
        return runs
    firsts, seconds = runs[0::2], runs[1::2]
    if any(r.kind != INGREDIENTS for r in firsts) or any(r.kind != INSTRUCTIONS for r in seconds):
        return runs
    if not all(looks_like_ingredients(r.items) for r in firsts) or not all(
            looks_like_steps(r.items) for r in seconds):
        return runs
    for r in firsts[1:]:
        name = r.groups[0][0] if r.groups else None
        if not name or section_kind(name) is not None and is_bare_title(name):
            return runs
    merged = []
    for part in (firsts, seconds):
        whole = Block(kind=part[0].kind, order=part[0].order, title=part[0].title)
        for r in part:
            whole.items += r.items
            whole.groups += r.groups
            whole.sources |= r.sources
            whole.nodes += [n for n in r.nodes if n not in whole.nodes]
            whole.chars += r.chars
            whole.link_chars += r.link_chars
        merged.append(whole)
    return merged


def find_sections(root: Any) -> tuple[Block | None, Block | None, bool, list[tuple[int, str]]]:
    """The page's ingredients block, its steps block, whether the pair is trusted, short texts."""
    walk = _walk(root)
    runs = _components(_merge(_read(walk)))
    ingredients = [r for r in runs if r.kind == INGREDIENTS]
    steps = [r for r in runs if r.kind == INSTRUCTIONS]
    good = [r for r in ingredients if looks_like_ingredients(r.items)
            and r.link_chars <= 0.5 * max(r.chars, 1)]
    if not good:
        return (ingredients[0] if ingredients else None), (steps[0] if steps else None), False, []
    best = max(good, key=lambda r: len(r.items))
    after = [s for s in steps if s.order > best.order] or [s for s in steps if s.order < best.order][-1:]
    pair = after[0] if after else None
    if pair is None:
        pair = _untitled_steps(best, {id(el): kind for _, kind, el, _, _ in walk.anchors})
    trusted = (
        pair is not None
        and looks_like_steps(pair.items)
        and pair.link_chars <= 0.3 * max(pair.chars, 1)
        # many separate ingredient lists: a menu, a roundup or an index, not one recipe
        and len(good) <= 3
    )
    return best, pair, trusted, walk.short_texts
