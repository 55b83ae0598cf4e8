"""Rule-based ingredient-line parser: the documented fallback for ``ingredient-parser-nlp``.

``ingredient-parser-nlp`` only understands English and needs NLTK data; this module is used for
French and other languages, and whenever that model is unavailable. Pure stdlib, never raises.

Rules, applied in this order (first 1000 characters of a line only; ``text`` is always returned
unchanged, every other field comes from the normalised line):

1. Normalise: NFC; soft hyphens / zero-width characters removed; curly apostrophes -> ``'``;
   dashes -> ``-``; fraction slash -> ``/``; vulgar fractions (``½ ¼ ¾ ⅓`` ...) -> ``1/2`` with a
   space before (so ``1½`` is ``1 1/2``); whitespace collapsed; leading bullets dropped.
2. Approximation words (``environ``, ``ca.``, ``about``, ``etwa`` ...) go to ``comment``; vague
   amounts (``un peu de``, ``quelques``, ``etwas``, ``a little`` ...) go to ``comment`` and leave
   ``quantity`` None.
3. Leading quantity: ``3``, ``1,5``/``1.5``, ``1/2``, ``1 1/2``, ``1-1/2``, ``0 e 1/2``, vulgar
   fractions, spelled numbers (fr ``un une deux ... douze quinze vingt demi(e)``, plus en/de/nl/
   es/it/pt ones), ``... et demi``; ranges with ``-`` ``à a to ou or o bis oder tot`` (and ``of``
   for Dutch) give ``quantity``/``quantity_max`` (sorted; equal bounds give no max). ``a``/``an``
   count as 1 only before a unit ("a pinch of salt"). Numbers have at most 9 digits.
4. Unit right after the quantity (also after ``de``: "1/4 de cucharadita", after a size word kept
   in ``comment``: "1 grosse c. à soupe", or after a parenthesis: "1 (400 g) can"), looked up in
   ``UNIT_ALIASES`` case-insensitively; in an alias, spaces and dots match any run of spaces/dots
   (or none: ``c. à s.`` = ``c.à.s`` = ``càs``) and words of 3+ letters take plural endings
   (``s x n es en`` and ``(s)``-style markers). A repeated plural ("1 colher (sopa) | colheres
   (sopa)") is skipped; level/heaped words after the unit (``rase``, ``bombée``, ``heaped``) go
   to ``comment``. ``cc`` is a teaspoon except for English (``language="en..."``): millilitre.
5. ``noix``/``noisette`` *de beurre/margarine* -> unit ``"knob"`` (ingredient-parser's own unit for
   "a knob of butter"); any other ``noix`` is an ingredient ("3 noix", "noix de muscade").
   ``pincée`` is the unit ``"pinch"`` ("1 pincée de sel" -> 1 pinch, name "sel"); ``gousse`` is
   ``"clove"``, except ``gousse de vanille`` -> ``"pod"``.
6. Lines without a leading quantity: a unit followed by a linking word ("pincée de sel"); then
   ``name : quantity [unit]`` (atelierdeschefs.fr) and ``name quantity [unit]`` at the end
   (giallozafferano.it: "Zucchero 105 g"; not after ``type``/``tipo``); otherwise the quantity is
   None and the whole line is the name ("sel, poivre" -> name "sel, poivre": no comma split).
7. Name: one linking word after a quantity/unit is removed (``de``, ``d'``, ``du``, ``des``,
   ``de la``, ``de l'``, ``of``, ``di``, ``del``, ``van``); plural markers ``(s)`` ``(e)`` ``(x)``
   glued to a word are dropped ("oignon(s)" -> "oignon"); parenthesised/bracketed text goes to
   ``comment`` (kept with its brackets); ``facultatif``, ``optional``, ``to taste``, ``selon
   (votre) goût``, ``a gosto``, ``q.b.``, ``nach Belieben``, ``naar smaak`` ... go to ``comment``.
8. Preparation: when a quantity or unit was found, text after the first comma; in any line, a
   known participle after the first word, with an optional adverb ("parmesan fraîchement râpé",
   "oignon haché", "coupé en dés", "finely chopped", "gehackt", "picada", "tritato") and
   everything after it. "singular / plural" names ("Zwiebel / Zwiebeln") keep the singular.
9. ``comment`` parts are joined with ", ". Empty strings become None. Any unexpected error
   yields ``{"text": text, "name": <stripped text or None>, ...None, "parser": "rules"}``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction

from .ingredient_units import UNIT_ALIASES, UNIT_BY_GROUP, UNIT_RE, WORD_END

__all__ = ["UNIT_ALIASES", "parse_ingredient_line"]

_KNOB_RE = re.compile(r"(?:noix|noisette)(?=\s*(?:de\s+|d')(?:beurre|margarine|saindoux))", re.I)

_WORDS = {
    **dict.fromkeys("un une uno una um uma ein eine einen een one".split(), 1.0),
    **dict.fromkeys("deux dos due dois duas zwei twee two".split(), 2.0),
    **dict.fromkeys("trois tres tre três drei drie three".split(), 3.0),
    **dict.fromkeys("quatre cuatro quattro quatro vier four".split(), 4.0),
    **dict.fromkeys("cinq cinco cinque fünf vijf five".split(), 5.0),
    "six": 6.0, "sept": 7.0, "huit": 8.0, "neuf": 9.0, "dix": 10.0, "onze": 11.0,
    "douze": 12.0, "quinze": 15.0, "vingt": 20.0, "ten": 10.0, "twelve": 12.0, "zehn": 10.0,
    **dict.fromkeys("demi demie half halb halbe halber halve medio media mezzo mezza meio meia"
                    .split(), 0.5),
}
_D, _DEN = r"[0-9]{1,9}(?![0-9])", r"[1-9][0-9]{0,8}(?![0-9])"
_NUM = (
    rf"(?:{_D}(?:\s+(?:e|et|and|und|y|en)\s+|\s+|-){_D}\s*/\s*{_DEN}|{_D}\s*/\s*{_DEN}"
    rf"|{_D}(?:[.,][0-9]{{1,6}}(?![0-9]))?|\.[0-9]{{1,6}}(?![0-9])"
    rf"|(?:une?|a|one)\s+(?:demie?|half)(?=[\s-]|$)|demie?(?=[\s-]|$)"
    rf"|(?:{'|'.join(sorted(_WORDS, key=len, reverse=True))})(?=\s|$))"
)
_HALF = r"(?:\s+(?:et\s+demie?|e\s+mei[oa]|y\s+medi[oa]|and\s+a\s+half|und\s+ein\s+halb))"
_SEP = r"(?:\s*[-~]\s*|\s+(?:à|a|to|ou|or|o|bis|oder|tot{})\s+)"
_QTY = r"(?P<a>{n})(?P<ah>{h})?(?:{s}(?P<b>{n})(?P<bh>{h})?)?"
_QTY_RE = re.compile(_QTY.format(n=_NUM, h=_HALF, s=_SEP.format("")), re.I)
_QTY_OF_RE = re.compile(_QTY.format(n=_NUM, h=_HALF, s=_SEP.format("|of")), re.I)  # Dutch "of"
_ABOUT_RE = re.compile(r"(?:environ|env\.|approx\.?|about|around|ca\.|circa|etwa|ongeveer"
                       r"|cerca\s+de|unos|unas)\s+", re.I)
_VAGUE_RE = re.compile(r"(?:un\s+peu|1\s+peu|quelques|etwas|a\s+little|some|een\s+beetje|wat"
                       r"|un\s+poco|un\s+po'|um\s+pouco|qualche)(?:\s+|$)", re.I)
_LINK_RE = re.compile(r"\s*(?:de\s+la\s+|de\s+l'|de\s+|d'|du\s+|des\s+|of\s+|di\s+|del\s+"
                      r"|van\s+)", re.I)
_SIZE_RE = re.compile(r"\s*(?:grosses?|petites?|bonnes?|belles?|gros|petit|bon|bel|heaped|level"
                      r"|rounded|generous|scant|large|small|kleine?|große?|gehäufte?r?"
                      r"|gestrichene?r?)\s+", re.I)
_POST_RE = re.compile(r"\s*(?:rases?|bombées?|pleines?|heaped|level|rounded|gestrichen|gehäuft"
                      r"|colma|rasa)" + WORD_END, re.I)
_ALT_RE = re.compile(r"\s*[|/]\s*")
_PLURAL_MARK_RE = re.compile(r"(?<=[^\W\d_])\((?:s|e|es|x|n|en)\)", re.I)
_COMMENT_RE = re.compile(
    r"(?<![^\W_])(?:facultati(?:f|ve)s?|optionnel(?:le)?s?|optional|to\s+taste|as\s+needed"
    r"|selon\s+(?:votre\s+|le\s+)?go[uû]t|au\s+go[uû]t|à\s+volonté|a\s+gosto|a\s+piacere"
    r"|q\.\s?b\.?|al\s+gusto|nach\s+(?:belieben|geschmack)|naar\s+smaak|para\s+acompanhar"
    r"|pour\s+servir|to\s+serve|for\s+serving)(?![^\W_])", re.I)
_PREP_RE = re.compile(
    r"(?<=\s)(?:(?:finement|grossièrement|fraîchement|finely|roughly|coarsely|thinly|freshly"
    r"|fein|grob|frisch|fijn|grof|finemente|finamente)\s+)?(?:(?:hach|éminc|râp|coup|pel"
    r"|épluch|cisel|écras|press|tranch|égoutt|dénoyaut|ramoll|fouett|gratt)ée?s?|(?:batt|fond)"
    r"ue?s?|en\s+(?:dés|cubes|morceaux|rondelles|lamelles|tranches|julienne|brunoise|quartiers"
    r"|trozos|rodajas|dados)|chopped|diced|minced|sliced|grated|peeled|melted|softened|beaten"
    r"|crushed|drained|halved|quartered|shredded|cubed|trimmed|rinsed|cut\s+into|gehackt"
    r"|gewürfelt|gerieben|geschmolzen|geschält|halbiert|in\s+(?:scheiben|würfeln|stücken"
    r"|blokjes|plakjes)|gehakt|gesneden|geraspt|gesmolten|(?:picad|rallad|pelad|cortad|ralad"
    r"|espremid)[oa]s?|tritat[oaie]|grattugiat[oaie]|tagliat[oaie]|a\s+(?:dadini|fette)"
    r"|em\s+(?:cubos|rodelas))(?![^\W_])", re.I)
_TYPE_WORDS = {"type", "typ", "tipo", "t", "n°", "no", "nr", "nr."}
_KEYS = ("text", "quantity", "quantity_max", "unit", "name", "preparation", "comment")


def _normalise(s: str) -> str:
    s = unicodedata.normalize("NFC", s[:1000])
    s = re.sub("[\u00ad\u200b-\u200d\u2060\ufeff]", "", s)
    s = re.sub("[\u2018\u2019\u00b4\u02bc`]", "'", s)
    s = re.sub("[\u2010-\u2015\u2212]", "-", s).replace("\u2044", "/").replace("\u2215", "/")
    s = re.sub("[\u00bc-\u00be\u2150-\u215e]",  # vulgar fractions: "½" -> " 1/2 "
               lambda m: f" {unicodedata.normalize('NFKC', m[0]).replace(chr(0x2044), '/')} ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return re.sub(r"^(?:[-*•·▪+>]+\s*)+", "", s)


def _val(t: str) -> float | None:
    t = re.sub(r"\s+", " ", t.strip().lower())
    if t in _WORDS:
        return _WORDS[t]
    if re.fullmatch(r"(?:une?|a|one) (?:demie?|half)", t):
        return 0.5
    m = re.fullmatch(r"(?:([0-9]+)(?: \w+ | |-))?([0-9]+) ?/ ?([0-9]+)", t)  # [whole] num/den
    if m:
        return float(int(m[1] or 0) + Fraction(int(m[2]), int(m[3])))
    try:
        return float(t.replace(",", "."))
    except ValueError:
        return None


def _take_qty(s: str, language: str) -> tuple[float, float | None, str] | None:
    m = (_QTY_OF_RE if language in ("", "nl") else _QTY_RE).match(s)
    if not m:
        return None
    a, b = _val(m["a"]), _val(m["b"]) if m["b"] else None
    if a is None:
        return None
    a += 0.5 if m["ah"] else 0.0
    if b is not None:
        a, b = min(a, b + (0.5 if m["bh"] else 0.0)), max(a, b + (0.5 if m["bh"] else 0.0))
        b = None if b == a else b
    return a, b, s[m.end():]


def _unit(r: str, language: str, comments: list[str]) -> tuple[str | None, str]:
    """Unit at the start of ``r`` (after an optional size word or linking word)."""
    r = r.lstrip()
    m = _KNOB_RE.match(r)
    if m:
        return "knob", r[m.end():]
    for pre in (None, _SIZE_RE, _LINK_RE):
        p = pre.match(r) if pre else None
        if pre and not p:
            continue
        m = UNIT_RE.match(r, p.end() if p else 0)
        if m:
            unit = UNIT_BY_GROUP[m.lastindex - 1]
            if unit == "teaspoon" and language == "en" and m[0].lower().startswith("cc"):
                unit = "millilitre"
            if pre is _SIZE_RE:
                comments.append(p[0].strip())
            rest = r[m.end():]
            if unit == "clove" and re.match(r"\s*(?:de\s+|d')vanill", rest, re.I):
                unit = "pod"  # "gousse de vanille" is a vanilla pod
            alt = _ALT_RE.match(rest)
            m2 = alt and UNIT_RE.match(rest, alt.end())
            if m2 and UNIT_BY_GROUP[m2.lastindex - 1] == UNIT_BY_GROUP[m.lastindex - 1]:
                rest = rest[m2.end():]
            post = _POST_RE.match(rest)
            if post:
                comments.append(post[0].strip())
                rest = rest[post.end():]
            return unit, rest
    return None, r



def _qty_unit_only(t: str, language: str) -> tuple[float, float | None, str | None] | None:
    got = _take_qty(t.strip(), language) if t.strip()[:1].isdigit() else None
    if not got:
        return None
    unit, rest = _unit(got[2], language, [])
    return None if rest.strip(" .") else (got[0], got[1], unit)


def _clean(s: str | None) -> str | None:
    s = re.sub(r"\s+", " ", s or "").strip(" ,;:-/|*•.")
    return s or None


def _extract_brackets(s: str) -> tuple[str, list[str]]:
    keep, out, depth, start = [], [], 0, 0
    for i, ch in enumerate(s):
        if ch in "([":
            start = i if depth == 0 else start
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
            if depth == 0:
                out.append(s[start:i + 1])
        elif depth == 0:
            keep.append(ch)
    if depth:
        out.append(s[start:])
    return " ".join("".join(keep).split()), [c for c in (_clean(x) for x in out) if c]


@dataclass
class _Line:
    """One ingredient line as the stages of `_parse` read it: what is left, and what was found."""

    text: str  # normalised, without its approximation word
    body: str  # what is left for the name (and the preparation)
    quantity: float | None = None
    quantity_max: float | None = None
    unit: str | None = None
    anchored: bool = False  # a quantity, a unit or a vague amount starts the line
    comments: list[str] = field(default_factory=list)
    preparations: list[str] = field(default_factory=list)


def _parse(text: str, language: str | None = None) -> dict:
    """The rules of the module docstring, stage by stage: amount first, then what it leaves."""
    lang = language.lower()[:2] if isinstance(language, str) else ""
    line = _start(text)
    _read_leading_amount(line, lang)
    if not line.anchored:
        _read_trailing_amount(line, lang)
    _read_name(line)
    return _result(text, line)


def _start(text: str) -> _Line:
    """Rules 1 and 2: the normalised line, an approximation word ("environ") set aside."""
    normalised = _normalise(text)
    comments = []
    if about := _ABOUT_RE.match(normalised):
        comments.append(about[0].strip())
        normalised = normalised[about.end():]
    return _Line(text=normalised, body=normalised, comments=comments)


def _read_leading_amount(line: _Line, lang: str) -> None:
    """Rules 3 to 5: a vague amount, a quantity and its unit, or a unit alone, starting the line."""
    if vague := _VAGUE_RE.match(line.text):
        line.comments.append(vague[0].strip())
        line.body, line.anchored = line.text[vague.end():], True
    elif amount := _take_qty(line.text, lang):
        _read_unit_after_quantity(line, amount, lang)
    else:
        _read_unit_without_quantity(line, lang)


def _read_unit_after_quantity(line: _Line, amount: tuple[float, float | None, str], lang: str) -> None:
    """The unit after a quantity (maybe after a size in brackets), and "et demi" after the unit."""
    line.quantity, line.quantity_max, rest = amount
    rest = re.sub(r"^\s*-", "", rest)
    size = re.match(r"\s*(\([^()]*\))", rest)  # "1 (400 g) can"
    line.unit, line.body = _unit(rest[size.end():] if size else rest, lang, line.comments)
    if size and line.unit:
        line.comments.insert(0, size[1])
    elif size:
        line.body = rest
    half = re.match(_HALF, line.body, re.I) if line.unit else None  # "un litre et demi"
    if half and line.quantity_max is None:
        line.quantity, line.body = line.quantity + 0.5, line.body[half.end():]
    line.anchored = True


def _read_unit_without_quantity(line: _Line, lang: str) -> None:
    """A unit with no quantity: after an article, which counts as 1 ("a pinch of salt"), or
    before a linking word ("pincée de sel")."""
    article = re.match(r"an?\s+", line.text, re.I)
    unit, rest = _unit(line.text[article.end():], lang, line.comments) if article else (None, line.text)
    if unit:
        line.quantity, line.unit, line.body, line.anchored = 1.0, unit, rest, True
        return
    size_words: list[str] = []  # kept only if the unit is taken
    unit, rest = _unit(line.text, lang, size_words)
    if unit and _LINK_RE.match(rest):
        line.unit, line.body, line.anchored = unit, rest, True
        line.comments += size_words


def _read_trailing_amount(line: _Line, lang: str) -> None:
    """Rule 6: `name : quantity [unit]` (atelierdeschefs.fr), else `name quantity [unit]` at the
    end (giallozafferano.it: "Zucchero 105 g"), never right after a type word ("farina tipo 00")."""
    if ":" in line.text:
        head, _, tail = line.text.partition(":")
        amount = _qty_unit_only(tail, lang) if _has_letter(head) else None
        if amount:
            (line.quantity, line.quantity_max, line.unit), line.body = amount, head
            return
    words = line.text.split(" ")
    for count in range(min(4, len(words) - 1), 0, -1):  # the longest trailing amount first
        head = " ".join(words[:-count])
        if words[-count - 1].lower() in _TYPE_WORDS or not _has_letter(head):
            continue
        amount = _qty_unit_only(" ".join(words[-count:]), lang)
        if amount:
            (line.quantity, line.quantity_max, line.unit), line.body = amount, head
            return


def _read_name(line: _Line) -> None:
    """Rules 7 and 8: the name, once plural marks, brackets, linking and comment words, and the
    preparation are taken out of what is left."""
    body = _PLURAL_MARK_RE.sub("", line.body)  # "oignon(s)"
    body, brackets = _extract_brackets(body)
    if line.anchored and (link := _LINK_RE.match(body)):  # "200 g de farine"
        body = body[link.end():]
    line.comments += brackets
    line.comments += [found.group().strip() for found in _COMMENT_RE.finditer(body)]
    body = _COMMENT_RE.sub(" ", body)
    if (line.quantity is not None or line.unit) and "," in body:
        body, after = body.split(",", 1)
        line.preparations.append(after)
    participle = _PREP_RE.search(body)  # "oignon haché", "finely chopped"
    if participle and _clean(body[: participle.start()]):
        line.preparations.insert(0, body[participle.start():])
        body = body[: participle.start()]
    pair = re.fullmatch(r"\s*(\w[\w-]*)\s*/\s*(\w[\w-]*)\s*", body)  # "Zwiebel / Zwiebeln"
    if pair and pair[2].lower().startswith(pair[1].lower()[: max(1, len(pair[1]) - 1)]):
        body = pair[1]
    line.body = body


def _result(text: str, line: _Line) -> dict:
    """Rule 9: the output dict; empty strings become None."""
    preparation = _clean(", ".join(x for x in (_clean(p) for p in line.preparations) if x))
    comment = ", ".join(" ".join(c.split()) for c in line.comments if c.strip()) or None
    return {"text": text, "quantity": line.quantity,
            "quantity_max": line.quantity_max if line.quantity is not None else None,
            "unit": line.unit, "name": _clean(line.body), "preparation": preparation, "comment": comment,
            "parser": "rules"}


def _has_letter(text: str) -> bool:
    return re.search(r"[^\W\d_]", text) is not None


def parse_ingredient_line(text: str, language: str | None = None) -> dict:
    """Parse one ingredient line with the rules above; see the module docstring.

    Returns a dict with exactly the keys ``text quantity quantity_max unit name preparation
    comment parser`` (``parser`` is always ``"rules"``). Never raises.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    try:
        return _parse(text, language)
    except Exception:  # noqa: BLE001 - documented safety net (rule 9)
        out = dict.fromkeys(_KEYS)
        out.update(text=text, name=_clean(text[:1000]), parser="rules")
        return out
