"""The data that flows one way through the steps: FetchedPage → Recipe → EnrichedRecipe.

Models are pydantic so every hand-off (task → actor, driver → report) is validated and turns into
plain JSON without custom code. The saved file is `EnrichedRecipe` plus the catalog's `slug`
(see docs/recipe-format.md, the contract with the app).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = 1


class FetchedPage(BaseModel):
    """A page as the site served it, decoded to text."""

    model_config = ConfigDict(frozen=True)

    url: str
    final_url: str
    status: int
    content_type: str
    encoding: str
    html: str
    content_sha256: str
    fetched_at: datetime
    attempts: int = 1
    seconds: float = 0.0


class IngredientGroup(BaseModel):
    purpose: str | None = None
    ingredients: list[str] = Field(default_factory=list)


class Recipe(BaseModel):
    """A recipe as the page gives it (from the site's scraper, schema.org, or later an LLM).

    Fields the page does not provide are None or empty, never made up.
    """

    title: str
    ingredients: list[str] = Field(default_factory=list)
    ingredient_groups: list[IngredientGroup] = Field(default_factory=list)
    instructions: list[str] = Field(default_factory=list)
    yields: str | None = None
    total_time: int | None = None
    prep_time: int | None = None
    cook_time: int | None = None
    author: str | None = None
    description: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    language: str | None = None
    category: list[str] = Field(default_factory=list)
    cuisine: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    nutrients: dict[str, str] = Field(default_factory=dict)
    ratings: float | None = None
    ratings_count: int | None = None
    extractor: str


class ParsedIngredient(BaseModel):
    text: str
    quantity: float | None = None
    quantity_max: float | None = None
    unit: str | None = None
    name: str | None = None
    preparation: str | None = None
    comment: str | None = None
    parser: str


class Provenance(BaseModel):
    extractor: str
    fetched_at: datetime
    imported_at: datetime
    final_url: str
    content_sha256: str
    importer_version: str
    ingredient_parser: str | None = None


class EnrichedRecipe(Recipe):
    """What gets saved, less the slug the catalog allocates."""

    format_version: int = FORMAT_VERSION
    source_url: str
    host: str
    parsed_ingredients: list[ParsedIngredient] = Field(default_factory=list)
    servings: float | None = None
    provenance: Provenance

    def to_document(self, slug: str) -> dict:
        """The JSON object of `<slug>.recipe.json`, with the contract's field order."""
        data = self.model_dump(mode="json", exclude={"extractor"})
        ordered = {
            "format_version": data.pop("format_version"),
            "slug": slug,
            "source_url": data.pop("source_url"),
            "canonical_url": data.pop("canonical_url"),
            "host": data.pop("host"),
            "site_name": data.pop("site_name"),
            "language": data.pop("language"),
            "title": data.pop("title"),
        }
        ordered.update(data)
        return ordered
