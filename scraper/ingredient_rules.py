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
from fractions import Fraction

__all__ = ["UNIT_ALIASES", "parse_ingredient_line"]

_C = {  # canonical unit -> aliases (see rule 4 for how an alias matches)
    "gram": "g gr grs gm gramme gram gramm grammo grammi gramo grama",
    "kilogram": "kg kgs kilo kilogramme kilogram kilogramm chilo quilo",
    "milligram": "mg milligramme milligram",
    "millilitre": "ml millilitre milliliter millilitro mililitro",
    "centilitre": "cl centilitre centiliter",
    "decilitre": "dl décilitre decilitre deciliter",
    "litre": "l lt ltr litre liter litro",
    "centimetre": "cm centimètre centimetre centimeter",
    "tablespoon": "c.à.s c.s cs c.à.soupe cuil.à.soupe cuill.à.soupe cuillère.à.soupe "
    "cuillerée.à.soupe cuiller.à.soupe tbsp tbs tbl tablespoon el essl esslöffel eetlepel eetl "
    "cucharada cda cdas cucchiaio cucchiai colher.de.sopa colheres.de.sopa colher.(sopa) "
    "colheres.(sopa)",
    "teaspoon": "c.à.c c.c cc c.à.café cuil.à.café cuill.à.café cuillère.à.café cuillerée.à.café "
    "cuiller.à.café tsp teaspoon tl teel teelöffel theelepel thl cucharadita cdta cdita "
    "cucchiaino cucchiaini colher.de.chá colheres.de.chá colher.(chá) colheres.(chá)",
    "dessertspoon": "c.à.d cuillère.à.dessert cuil.à.dessert dessertspoon colher.de.sobremesa "
    "colheres.de.sobremesa colher.(sobremesa) colheres.(sobremesa)",
    "cup": "cup tasse tassen taza tazza tazze xícara xícara.(chá) xícaras.(chá) kopje",
    "glass": "verre glass bicchiere bicchieri vaso",
    "pinch": "pincée pinch pinches prise snufje snuf pizca pizzico pizzichi pitada msp",
    "dash": "trait dash dashes schuss scheutje chorrito",
    "drop": "goutte drop tropfen druppel gota goccia gocce",
    "ounce": "oz ounce onza",
    "fluid_ounce": "fl.oz",
    "pound": "lb lbs pound",
    "clove": "gousse clove teen teentje zehe diente dente spicchio spicchi",
    "slice": "tranche slice scheibe plak plakje plakken rodaja rebanada fetta fette fatia",
    "can": "boîte can tin dose blik lata lattina scatola",
    "sachet": "sachet zakje päckchen sobre bustina envelope",
    "packet": "paquet packet package packung pak pakje paquete pacote confezione",
    "bunch": "botte bunch bunches bund bos bosje manojo mazzo mazzetto maço",
    "sprig": "brin sprig zweig zweige takje ramita rametto rametti raminho ramo",
    "stalk": "branche stalk tige gambo",
    "handful": "poignée handful handvoll handje puñado manciata punhado",
    "piece": "pièce piece pc pcs morceau stück stk stuk unidade unité pezzo pezzi pz",
    "leaf": "feuille leaf leaves blatt blätter blaadje hoja folha",
    "sheet": "sheet foglio fogli",
    "knob": "knob",
    "grind": "tour grind",
    "head": "tête head",
    "cube": "cube blokje würfel",
    "pot": "pot vasetto",
    "jar": "jar bocal",
    "bottle": "bouteille bottle flasche fles botella bottiglia garrafa",
    "stick": "bâton stick",
}
#: alias (lower case, "." = any run of spaces/dots or none) -> canonical English unit name.
UNIT_ALIASES: dict[str, str] = {a: c for c, v in _C.items() for a in v.split()}

_PLURAL = r"(?:\((?:s|x|e|es|n|en)\)|es|en|s|x|n)?"
_W = r"(?![^\W_]|')"  # end of a word (not followed by a letter, digit or apostrophe)


def _alias_re(alias: str) -> str:
    words = [w for w in re.split(r"[\s.]+", alias) if w]
    parts = [re.escape(w) + (_PLURAL if len(w) >= 3 and w[-1].isalpha() else "") for w in words]
    return r"[\s.]*".join(parts) + r"\.?"


_ALIASES = sorted(UNIT_ALIASES, key=len, reverse=True)
_UNIT_RE = re.compile("(?:" + "|".join(f"({_alias_re(a)})" for a in _ALIASES) + ")" + _W, re.I)
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
                      r"|colma|rasa)" + _W, re.I)
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
        m = _UNIT_RE.match(r, p.end() if p else 0)
        if m:
            unit = _C_BY_GROUP[m.lastindex - 1]
            if unit == "teaspoon" and language == "en" and m[0].lower().startswith("cc"):
                unit = "millilitre"
            if pre is _SIZE_RE:
                comments.append(p[0].strip())
            rest = r[m.end():]
            if unit == "clove" and re.match(r"\s*(?:de\s+|d')vanill", rest, re.I):
                unit = "pod"  # "gousse de vanille" is a vanilla pod
            alt = _ALT_RE.match(rest)
            m2 = alt and _UNIT_RE.match(rest, alt.end())
            if m2 and _C_BY_GROUP[m2.lastindex - 1] == _C_BY_GROUP[m.lastindex - 1]:
                rest = rest[m2.end():]
            post = _POST_RE.match(rest)
            if post:
                comments.append(post[0].strip())
                rest = rest[post.end():]
            return unit, rest
    return None, r


_C_BY_GROUP = [UNIT_ALIASES[a] for a in _ALIASES]


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


def _parse(text: str, language: str | None = None) -> dict:
    lang = language.lower()[:2] if isinstance(language, str) else ""
    s = _normalise(text)
    q = qmax = unit = None
    comments: list[str] = []
    m = _ABOUT_RE.match(s)
    if m:
        comments.append(m[0].strip())
        s = s[m.end():]
    body, anchored = s, False  # anchored: a quantity/unit/vague amount starts the line
    m = _VAGUE_RE.match(s)
    got = None if m else _take_qty(s, lang)
    if m:
        comments.append(m[0].strip())
        body, anchored = s[m.end():], True
    elif got:
        q, qmax, rest = got
        rest = re.sub(r"^\s*-", "", rest)
        p = re.match(r"\s*(\([^()]*\))", rest)
        unit, body = _unit(rest[p.end():] if p else rest, lang, comments)
        if p and unit:
            comments.insert(0, p[1])
        elif p:
            body = rest
        half = re.match(_HALF, body, re.I) if unit else None  # "un litre et demi"
        if half and qmax is None:
            q, body = q + 0.5, body[half.end():]
        anchored = True
    else:
        art = re.match(r"an?\s+", s, re.I)
        u, r = _unit(s[art.end():], lang, comments) if art else (None, s)
        if u:
            q, unit, body, anchored = 1.0, u, r, True
        else:
            extra: list[str] = []
            u, r = _unit(s, lang, extra)
            if u and _LINK_RE.match(r):
                unit, body, anchored = u, r, True
                comments += extra
    if not anchored and ":" in s:
        head, _, tail = s.partition(":")
        got3 = _qty_unit_only(tail, lang) if re.search(r"[^\W\d_]", head) else None
        if got3:
            (q, qmax, unit), body = got3, head
    if not anchored and q is None:
        toks = s.split(" ")
        for k in range(min(4, len(toks) - 1), 0, -1):
            head = " ".join(toks[:-k])
            if toks[-k - 1].lower() in _TYPE_WORDS or not re.search(r"[^\W\d_]", head):
                continue
            got3 = _qty_unit_only(" ".join(toks[-k:]), lang)
            if got3:
                (q, qmax, unit), body = got3, head
                break
    body = _PLURAL_MARK_RE.sub("", body)
    body, brackets = _extract_brackets(body)
    if anchored:
        m = _LINK_RE.match(body)
        body = body[m.end():] if m else body
    comments += brackets
    comments += [c.group().strip() for c in _COMMENT_RE.finditer(body)]
    body = _COMMENT_RE.sub(" ", body)
    preps: list[str] = []
    if (q is not None or unit) and "," in body:
        body, after = body.split(",", 1)
        preps.append(after)
    m = _PREP_RE.search(body)
    if m and _clean(body[: m.start()]):
        body, preps = body[: m.start()], [body[m.start():], *preps]
    m = re.fullmatch(r"\s*(\w[\w-]*)\s*/\s*(\w[\w-]*)\s*", body)
    if m and m[2].lower().startswith(m[1].lower()[: max(1, len(m[1]) - 1)]):
        body = m[1]
    name = _clean(body)
    prep = _clean(", ".join(x for x in (_clean(p) for p in preps) if x))
    comment = ", ".join(" ".join(c.split()) for c in comments if c.strip()) or None
    return {"text": text, "quantity": q, "quantity_max": qmax if q is not None else None,
            "unit": unit, "name": name, "preparation": prep, "comment": comment,
            "parser": "rules"}


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
