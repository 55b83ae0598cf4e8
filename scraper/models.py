"""The data that flows one way through the steps: FetchedPage → Recipe → EnrichedRecipe.

Models are pydantic so every hand-off (task → actor, driver → report) is validated and turns into
plain JSON without custom code. The saved file is `EnrichedRecipe` plus the catalog's `slug`
(see docs/recipe-format.md, the contract with the app).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ._parsing import MAX_COUNT, MAX_SERVINGS, finite, strip_controls, to_minutes

FORMAT_VERSION = 1


def _or_none(text: str | None) -> str | None:
    return text or None


def _count(value: object) -> int | None:
    number = finite(value, MAX_COUNT)
    return int(number) if number is not None else None


# Page text is hostile (issue 13, items 3 and 4): every text field of a recipe is stripped of
# control and bidi-override characters, and every number is finite and plausible or None, here
# in the models, so no extractor (schema.org, per-site, LLM) can let one through to the file.
Line = Annotated[str, AfterValidator(strip_controls)]
Text = Annotated[str, AfterValidator(partial(strip_controls, multiline=True))]
OptionalLine = Annotated[Line | None, AfterValidator(_or_none)]
OptionalText = Annotated[Text | None, AfterValidator(_or_none)]
Lines = Annotated[list[Line], AfterValidator(lambda items: [item for item in items if item])]
Texts = Annotated[list[Text], AfterValidator(lambda items: [item for item in items if item])]
Minutes = Annotated[int | None, BeforeValidator(to_minutes)]
Number = Annotated[float | None, BeforeValidator(finite)]
Count = Annotated[int | None, BeforeValidator(_count)]
Servings = Annotated[float | None, BeforeValidator(partial(finite, maximum=MAX_SERVINGS))]


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
    # The validators the site sent: what a conditional refresh sends back (issue 17), and what the
    # archive's index records per URL (issue 18).
    etag: str | None = None
    last_modified: str | None = None
    # The bytes as received (after HTTP content decoding), kept only when the page is to be
    # archived (issue 18): `content_sha256` is their hash, and the archive stores them, not the
    # decoded text, so reprocess decodes them exactly as the fetch did. Never dumped or shown.
    body: bytes | None = Field(default=None, exclude=True, repr=False)


class NotModified(BaseModel):
    """A conditional fetch's answer 304: the page has not changed since the validators sent
    (`If-None-Match` / `If-Modified-Since`, from the last import) were stored (issue 17)."""

    model_config = ConfigDict(frozen=True)

    url: str
    final_url: str
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 1
    seconds: float = 0.0


class IngredientGroup(BaseModel):
    purpose: OptionalLine = None
    ingredients: Lines = Field(default_factory=list)


class Recipe(BaseModel):
    """A recipe as the page gives it (from the site's scraper, schema.org, or later an LLM).

    Fields the page does not provide are None or empty, never made up. `repairs` names what the
    step that built it had to fix or leave out; enrich moves them into `provenance.repairs`.
    """

    title: Line
    ingredients: Lines = Field(default_factory=list)
    ingredient_groups: list[IngredientGroup] = Field(default_factory=list)
    instructions: Texts = Field(default_factory=list)
    yields: OptionalLine = None
    total_time: Minutes = None
    prep_time: Minutes = None
    cook_time: Minutes = None
    author: OptionalLine = None
    description: OptionalText = None
    image: OptionalLine = None
    canonical_url: OptionalLine = None
    site_name: OptionalLine = None
    language: OptionalLine = None
    category: Lines = Field(default_factory=list)
    cuisine: Lines = Field(default_factory=list)
    keywords: Lines = Field(default_factory=list)
    nutrients: dict[Line, Line] = Field(default_factory=dict)
    ratings: Number = None
    ratings_count: Count = None
    extractor: str
    repairs: list[str] = Field(default_factory=list)


class ParsedIngredient(BaseModel):
    text: Line
    quantity: Number = None
    quantity_max: Number = None
    unit: OptionalLine = None
    name: OptionalLine = None
    preparation: OptionalLine = None
    comment: OptionalLine = None
    parser: str


class Provenance(BaseModel):
    extractor: str
    fetched_at: datetime
    imported_at: datetime
    final_url: str
    content_sha256: str
    importer_version: str
    ingredient_parser: str | None = None
    #: Short names of what the import fixed or left out (e.g. `ingredient_too_long`), in order.
    repairs: list[str] = Field(default_factory=list)
    #: The versions of the steps that shaped this recipe (scraper/versions.py): what
    #: `reprocess --only-changed` compares with the current ones (issue 18).
    versions: dict[str, str] = Field(default_factory=dict)


class EnrichedRecipe(Recipe):
    """What gets saved, less the slug the catalog allocates."""

    format_version: int = FORMAT_VERSION
    source_url: str
    host: str
    parsed_ingredients: list[ParsedIngredient] = Field(default_factory=list)
    servings: Servings = None
    provenance: Provenance

    def to_document(self, slug: str) -> dict:
        """The JSON object of `<slug>.recipe.json`, with the contract's field order."""
        data = self.model_dump(mode="json", exclude={"extractor", "repairs"})
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
