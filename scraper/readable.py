"""Page → compact readable text, the LLM's input.

Raw recipe pages are ~330 k characters of HTML (median on the corpus), mostly scripts, styles,
navigation and ads; the recipe itself is a few kilobytes of headings, lists and paragraphs. This
keeps only that, as small markdown-like text (`# heading`, `- item`, paragraphs), taken from the
recipe's own region when the page marks one, and capped at a character budget (~4 characters a
token). Pure: no network, no Ray.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

DROP = ["script", "style", "noscript", "template", "svg", "canvas", "iframe", "form", "button",
        "nav", "footer", "header", "aside", "select", "input", "textarea", "video", "audio", "picture"]
_NOISE = re.compile(r"(comment|share|social|newsletter|related|sidebar|advert|\bads?\b|cookie|popup|"
                    r"breadcrumb|subscribe|promo|footer|header|menu|nav)", re.I)
_RECIPE = re.compile(r"recipe|recette|rezept|ricetta|receta|wprm|tasty-recipes|mv-create", re.I)
_WS = re.compile(r"[ \t\r\f\v\u00a0]+")
KEEP = {"html", "body", "main", "article"}
BLOCKS = {"p", "div", "section", "article", "main", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5",
          "h6", "dd", "dt", "figcaption", "blockquote", "pre", "table", "ul", "ol"}


def _attrs(tag: Tag) -> str:
    return " ".join([tag.get("id") or "", *(tag.get("class") or [])])


def _recipe_region(body: Tag) -> Tag:
    """The page's recipe container when it has a plausible one, else <main>/<article>/<body>."""
    best, best_len = None, 0
    for tag in body.find_all(True, attrs={"class": True}) + body.find_all(True, attrs={"id": True}):
        if tag.name in ("body", "html") or not _RECIPE.search(_attrs(tag)):
            continue
        length = len(tag.get_text(" ", strip=True))
        has_lists = tag.find(["ul", "ol"]) is not None
        if has_lists and length > best_len:
            best, best_len = tag, length
    if best is not None and best_len > 200:
        return best
    return body.find("main") or body.find("article") or body


def _lines(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            text = _WS.sub(" ", str(child))
            if text.strip():
                if out and not out[-1].endswith("\n"):
                    out[-1] += text
                else:
                    out.append(text)
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = child.get_text(" ", strip=True)
            if text:
                out.append("\n" + "#" * int(name[1]) + " " + text + "\n")
        elif name == "li":
            text = child.get_text(" ", strip=True)
            if text:
                out.append("- " + text + "\n")
        elif name == "img":
            continue
        elif name in BLOCKS:
            out.append("\n")
            _lines(child, out)
            out.append("\n")
        else:
            _lines(child, out)


def page_text(html: str, max_chars: int = 24_000) -> str:
    """The readable text of a recipe page, at most `max_chars` characters."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(DROP):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(True, attrs={"class": True}):
        if (tag.attrs is not None and tag.name not in KEEP and _NOISE.search(_attrs(tag))
                and not _RECIPE.search(_attrs(tag)) and not tag.find(class_=_RECIPE)):
            tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    body = soup.body or soup
    out: list[str] = []
    _lines(_recipe_region(body), out)
    lines = [line.strip() for line in "".join(out).splitlines()]
    text = "\n".join(line for line in lines if line)
    if title and title not in text[:500]:
        text = f"Page title: {title}\n{text}"
    return text[:max_chars]
