"""recipe_urls: does a URL look like a recipe page? A score from the URL alone, without a fetch.

A site's sitemap lists its recipes beside its tag, category, author, archive and legal pages;
`discover` keeps what scores at least 1 and drops the rest before anything is fetched. The
signals, each a few points:

- a recipe word in the path (`/recipes/…`, `/recette-…`, `/rezepte/…`, in many languages), but a
  path that is only that word (`/recipes/`) is the listing, not a recipe;
- a slug of two words or more as the last segment (`/lemon-tart`), the blog shape, with or
  without a date before it (`/2024/05/lemon-tart`); a date alone (`/2024/05/`) is an archive;
- listing and site pages (`/tag/…`, `/category/…`, `/page/2`, `/author/…`, `/feed`, `/about`,
  print and AMP copies) and files (`.jpg`, `.pdf`, `.xml`) count against.

It is a heuristic: `discover --match` replaces it and `--check` confirms it with a probe.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

# "recipe(s)" in the languages of the sites users import from; checked word by word.
RECIPE_WORDS = frozenset({
    "recipe", "recipes", "recette", "recettes", "rezept", "rezepte", "receta", "recetas",
    "ricetta", "ricette", "recept", "recepten", "recepty", "recepti", "receptek", "receita",
    "receitas", "przepis", "przepisy", "tarif", "tarifi", "tarifleri", "resep", "resepi",
    "resepti", "reseptit", "opskrift", "opskrifter", "oppskrift", "oppskrifter", "uppskrift",
    "recepta", "receptes", "errezeta", "rețetă", "rețete", "retete", "reteta", "recipe-card",
    "рецепт", "рецепты", "рецепти", "συνταγή", "συνταγές", "מתכון", "מתכונים", "وصفة", "وصفات",
    "công-thức", "สูตร",
})
# Scripts without spaces between words: found anywhere in a segment.
RECIPE_SUBSTRINGS = ("レシピ", "食谱", "菜谱", "食譜", "레시피", "रेसिपी")
# Whole path segments of listing, feed and site pages.
LISTING_SEGMENTS = frozenset({
    "tag", "tags", "category", "categories", "categorie", "categorie-recette", "kategorie",
    "categoria", "categorias", "kategoria", "page", "pages", "seite", "pagina", "author",
    "authors", "auteur", "autor", "feed", "rss", "atom", "search", "recherche", "suche", "buscar",
    "archive", "archives", "collection", "collections", "topic", "topics", "wp-content",
    "wp-json", "wp-admin", "wp-login.php", "login", "account", "cart", "checkout", "shop",
    "about", "about-us", "contact", "contact-us", "privacy", "privacy-policy", "terms",
    "terms-of-service", "terms-and-conditions", "cookie-policy", "impressum", "datenschutz",
    "mentions-legales", "disclaimer", "faq", "newsletter", "subscribe", "print", "amp", "embed",
    "comments", "reviews", "video", "videos", "gallery", "galleries", "user", "users", "profile",
})
FILE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".avif", ".pdf", ".xml", ".gz",
                 ".json", ".txt", ".css", ".js", ".zip", ".mp4", ".mp3", ".webm")
LISTING_PARAMS = frozenset({"page", "paged", "s", "q", "search", "tag", "cat", "category", "sort"})
_WORD_SPLIT = re.compile(r"[-_.+~\s]+")
_YEAR = re.compile(r"^(19|20)\d\d$")
_MONTH_OR_DAY = re.compile(r"^\d{1,2}$")


def _is_recipe_word(segment: str) -> bool:
    if segment in RECIPE_WORDS or any(part in RECIPE_WORDS for part in _WORD_SPLIT.split(segment)):
        return True
    return any(word in segment for word in RECIPE_SUBSTRINGS)


def _date_prefix(segments: list[str]) -> int:
    """How many leading segments are a date (`2024`, `2024/05`, `2024/05/12`)."""
    if not segments or not _YEAR.match(segments[0]):
        return 0
    n = 1
    while n < min(len(segments), 3) and _MONTH_OR_DAY.match(segments[n]):
        n += 1
    return n


def recipe_score(url: str) -> int:
    """Points for "this URL is one recipe's page"; at least 1 reads as yes.

    Example:
        >>> recipe_score("https://example.org/recipes/lemon-tart")
        3
        >>> recipe_score("https://example.org/tag/soup/")
        -4
    """
    parts = urlsplit(url)
    path = unquote(parts.path).lower()
    segments = [s for s in path.split("/") if s]
    if not segments:
        return -5  # the home page
    if path.endswith(FILE_SUFFIXES):
        return -5
    score = 0
    if any(s in LISTING_SEGMENTS for s in segments):
        score -= 4
    if any(key.lower() in LISTING_PARAMS for key, _ in parse_qsl(parts.query)):
        score -= 2
    dated = _date_prefix(segments)
    rest = segments[dated:]
    if dated and not rest:
        return score - 2  # a date archive: /2024/05/
    last = rest[-1] if rest else segments[-1]
    if any(_is_recipe_word(s) for s in rest):
        # `/recipes/` alone, or `/recipes/desserts/` ending on a recipe word, lists recipes.
        only_the_word = _is_recipe_word(last) and len(_WORD_SPLIT.split(last)) == 1
        score += -2 if only_the_word and len(rest) == 1 else 2
    words = [w for w in _WORD_SPLIT.split(last) if w]
    if len(words) >= 2 and any(w.isalpha() for w in words):
        score += 1
        if dated:
            score += 1
    elif last.isdigit() and len(rest) >= 2:
        score += 1  # an id under a folder: /recipe/12345
    return score


def looks_like_recipe(url: str, min_score: int = 1) -> bool:
    return recipe_score(url) >= min_score
