"""The words that title a recipe's sections, and the lines that close its method, in the languages users bring.

A heading "Zutaten" or "Bereidingswijze" is how a page without structured data says where its
ingredients and steps are (issue 14, part 2). Kept as data, apart from the rules that use it,
so a language is added here and nowhere else. Pure, no Ray.
"""

from __future__ import annotations

import re
import unicodedata

from .facts_vocab import DURATION, FACT_COUNT, FACT_TIME

INGREDIENTS = "ingredients"
INSTRUCTIONS = "instructions"
OTHER = "other"

_WORDS = {
    INGREDIENTS: [
        # en, fr, es/pt, it, de, nl, da/no/sv, hu, pl, fi, ro, tr, cs
        "ingredients", "ingredient", "ingredient list", "what you need", "what you'll need",
        "you will need", "you'll need", "shopping list", "ingrédients", "ingredientes",
        "ingredienti", "zutaten", "zutatenliste", "ingrediënten", "ingredienten", "benodigdheden",
        "ingredienser", "hozzávalók", "składniki", "ainekset", "ingrediente", "malzemeler",
        "suroviny", "ingrediencie", "lista de ingredientes", "liste des ingrédients",
        "liste d'ingrédients", "lista degli ingredienti", "lista ingredienti", "ingrediëntenlijst",
        # "what you need" phrasings that title the list
        "ce qu'il vous faut", "ce qu'il faut", "das brauchst du", "das brauchen sie", "lo que necesitas",
        "necesitas", "necesitarás", "occorrente", "cosa serve", "wat heb je nodig", "wat je nodig hebt",
        "boodschappen", "boodschappenlijst",
    ],
    INSTRUCTIONS: [
        "instructions", "instruction", "directions", "method", "preparation", "steps",
        "step-by-step", "step by step", "how to make it", "how to make", "procedure",
        "cooking instructions", "cooking method", "préparation", "étapes", "instructions de préparation",
        "déroulé", "réalisation", "progression", "zubereitung", "anleitung", "so geht's",
        "so wird's gemacht", "so wird es gemacht", "zubereitungsschritte", "preparación",
        "elaboración", "instrucciones",
        "pasos", "modo de preparación", "modo de preparo", "preparo", "procedimento",
        "preparazione", "istruzioni", "bereiding", "bereidingswijze", "werkwijze", "bereiden",
        "fremgangsmåde", "fremgangsmåte", "tilberedning", "gör så här", "tillagning",
        "elkészítés", "przygotowanie", "sposób przygotowania", "valmistus", "valmistusohje",
        "postup", "hazırlanışı", "yapılışı", "mod de preparare",
        # "how to make it" phrasings that title the steps
        "how to cook", "zo maak je het", "zo maak je", "aan de slag", "come preparare",
        "come si prepara", "cómo hacerlo", "cómo hacer", "cómo prepararlo", "cómo preparar", "como fazer", "modo de fazer",
        "paso a paso", "passo a passo", "preparação", "modo de preparação", "mode de préparation",
        "étape par étape",
        "marche à suivre", "come fare", "slik gjør du", "slik gjør du det", "sådan gør du",
        "så här gör du",
    ],
    OTHER: [
        "notes", "note", "nutrition", "nutrition facts", "tips", "equipment", "comments",
        "reviews", "related", "you may also like", "more recipes", "conseils", "astuces",
        "remarques", "tipps", "hinweise", "nährwerte", "notas", "consejos", "consigli", "note",
        "tips en tricks", "voedingswaarde", "serving", "servings", "to serve",
        # after the steps, a list of their own: not more steps
        "recipe tips", "recipe notes", "tips and tricks", "tips & tricks", "cook's notes", "cook's tips",
        "chef's notes", "chef's tips", "how to store", "storage", "storing", "variations",
        "recipe variations", "faq", "faqs", "frequently asked questions", "conservation", "variantes",
        "aufbewahrung", "varianten", "conservazione", "varianti", "conservación", "bewaren",
    ],
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold().replace("’", "'")
    return " ".join(text.split())


_PATTERNS = {
    kind: re.compile(
        r"^(?:\d+[.)]?\s*)?(?:the\s+|les\s+|la\s+|l'|le\s+|die\s+|der\s+|das\s+|de\s+|het\s+|"
        r"los\s+|las\s+|el\s+|il\s+|gli\s+|os\s+|o\s+)?(?:"
        + "|".join(re.escape(_fold(w)) for w in sorted(words, key=len, reverse=True))
        + r")(?![\w'])"
    )
    for kind, words in _WORDS.items()
}
# "Step 1", "Étape 2", "Schritt 3": one heading per step
_STEP = re.compile(r"^(?:step|étape|etape|schritt|paso|passo|stap|trin|steg|krok|lépés)\s*\d{1,2}\b")
# "Préparation : 1h" is a time, not the section
_TIME_WORD = re.compile(rf"\b(?:time|zeit|temps|tiempo|tempo|tijd)|{DURATION.pattern}|\d+\s*h\d", re.I)
MAX_TITLE = 60  # a section title is short; a sentence that starts with "Method" is not one


def section_kind(text: str | None) -> str | None:
    """INGREDIENTS, INSTRUCTIONS or OTHER when `text` titles a recipe section, else None.

    Example:
        >>> section_kind("Zutaten für 4 Personen:")
        'ingredients'
    """
    if not text or len(text) > MAX_TITLE:
        return None
    folded = _fold(text).strip(" :*#-–—|•.")
    if not folded:
        return None
    if _STEP.match(folded):
        return INSTRUCTIONS
    for kind in (INGREDIENTS, INSTRUCTIONS, OTHER):
        match = _PATTERNS[kind].match(folded)
        if match:
            rest = folded[match.end():].strip(" :*-–—()")
            # "Ingredients for the filling" / "Préparation du fumet" yes; "Method acting" no.
            # "Preparation time: 10 min" is a detail, not the section
            if not rest or (len(rest.split()) <= 6 and not _TIME_WORD.search(rest)):
                return kind
    return None


def is_section_title(text: str | None) -> bool:
    return section_kind(text) is not None


def is_bare_title(text: str | None) -> bool:
    """Just a section's title ("Ingredients:", "Zutaten"), nothing of its own after it."""
    if not text or len(text) > MAX_TITLE:
        return False
    folded = _fold(text).strip(" :*#-–—|•.")
    return any(p.fullmatch(folded) for p in _PATTERNS.values())


def is_step_title(text: str | None) -> bool:
    """'Step 1', 'Étape 2': a numbered step's own heading."""
    return bool(text) and bool(_STEP.match(_fold(text)))


# "Recipe: Orange Juice Carrots", "Recette", "Rezept für Apfelkuchen": a blog post's heading
# over the recipe it then lists without titling its ingredients
_RECIPE_HEADING = re.compile(
    r"^(?:the\s+|la\s+|das\s+|la\s+|de\s+|het\s+|el\s+)?(?:recipe|recette|rezept|receta|ricetta|"
    r"recept|receita|opskrift|oppskrift|przepis|resepti)(?:\s*$|\s*[:–—-]\s*\S|\s+(?:for|de|du|des|"
    r"für|di|del|della|voor|para|na|til|för)\s+\S)")


# "Pour 2 personnes :", "Pour 1 grand bol :", "Serves 4", "Für 12 Stück": the count a list of
# ingredients is for, as a heading over that list
_SERVINGS_HEADING = re.compile(
    r"^(?:(?:pour|für|fur|for|para|per|voor|serves|makes|yields|til|för|dla)\s+)"
    r"(?:\d{1,3}(?:\s*[-–à]\s*\d{1,3})?|two|four|six|deux|quatre|zwei|vier|sechs)"
    r"(?:\s+[^\W\d_][\w'’.-]*){0,3}\s*:?$")


def is_recipe_heading(text: str | None) -> bool:
    """Whether a heading opens the recipe that follows it: its name or the servings it lists for.

    "Recipe: Orange Juice Carrots", "Pour 2 personnes :": a blog post's heading over an
    ingredients list it does not title otherwise.
    """
    if not text or len(text) > MAX_TITLE:
        return False
    folded = _fold(text)
    return bool(_RECIPE_HEADING.match(folded) or _SERVINGS_HEADING.match(folded.strip(" *.")))


def is_facts_paragraph(lines: list[str]) -> bool:
    """Whether a paragraph's lines are only a recipe's facts: its times and its yield.

    A newspaper's recipe has no "Ingredients" title: "Prep 10 min / Cook 40 min / Serves 4",
    then the ingredients' lines, then the method. Both a time and a count must be there.
    """
    if not 2 <= len(lines) <= 6 or any(len(x) > 40 for x in lines):
        return False
    times = sum(bool(FACT_TIME.match(x)) for x in lines)
    counts = sum(bool(FACT_COUNT.match(x)) for x in lines)
    return times >= 1 and counts >= 1 and times + counts == len(lines)


# "Source: …", "Ricetta: X, Foto: Y", "Kilde: …": who wrote or shot the recipe, after its last step
_CREDIT = re.compile(r"^(?:sources?|kilde|källa|quelle|fonte|fuente|bron|lähde|źródło|photos?|fotos?|"
                     r"photography|styling|recipe(?: by| from| courtesy(?: of)?)?|ricetta|recette|"
                     r"rezept|receta|receita|oppskrift|recept|text|texte|testo)\s*:", re.I)


# "By David Tanis": a byline (of the next recipes' cards, read on past the list), not a step
_BYLINE = re.compile(r"^(?:[Bb]y|[Vv]on|[Pp]ar|[Dd]a|[Pp]or|[Dd]oor)\s+[A-ZÀ-Ý][\w'’.-]+(?:\s+[A-ZÀ-Ý][\w'’.-]+){0,3}$")


# "zdieľať pripnúť", "Share Pin Print": the share buttons under the method, read as a line
_SHARE_LINE = re.compile(r"^(?:(?:share|pin|print|tweet|e-?mail|facebook|pinterest|whatsapp|zdieľať|pripnúť|"
                         r"partager|imprimer|teilen|drucken|condividi|stampa|compartir|imprimir|delen|"
                         r"printen|dela|skriv ut|udostępnij|drukuj)\W*){1,5}$", re.I)
# "Produktlänkarna är affiliatelänkar…", "This post contains affiliate links": a disclosure
_AFFILIATE = re.compile(r"affiliat|affilié|afiliad|affiliazion", re.I)


# "Enjoy!", "Bon appétit !", "Guten Appetit! 😋": the blog's sign-off under its last step
_SIGN_OFF = re.compile(r"^\W*(?:(?:and\s+)?enjoy(?:\s+(?:it|them|your\s+meal))?|happy\s+(?:baking|cooking)|"
                       r"(?:et\s+)?voil[àa]|bon\s+app[ée]tit|guten\s+appetit|buen\s+provecho|buon\s+appetito|"
                       r"bom\s+apetite|eet\s+smakelijk|smakelijk\s+eten|smacznego|smaklig\s+måltid|velbekomme)\W*$", re.I)


def is_closing_line(line: str) -> bool:
    """Whether a line after the last step closes the method without being a step: a credit, a
    byline, the share buttons, an affiliate disclosure, a sign-off."""
    return bool(_CREDIT.match(line) or _BYLINE.match(line) or _SHARE_LINE.match(line) or _SIGN_OFF.match(line)
                or (_AFFILIATE.search(line) and len(line.split()) <= 40))
