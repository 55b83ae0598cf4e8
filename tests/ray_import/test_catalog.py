"""The catalog actor, through real Ray: claims, slugs and duplicates are decided in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import ray

from ray_import.catalog import Catalog, actor_name
from ray_import.errors import CatalogError
from ray_import.results import ClaimDecision, SaveAnswer

pytestmark = pytest.mark.usefixtures("ray_session")


def _doc(url: str, title: str, canonical: str | None = None) -> dict:
    return {"format_version": 1, "slug": "", "source_url": url, "canonical_url": canonical,
            "title": title, "provenance": {"final_url": url}}


@pytest.fixture
def catalog(tmp_path: Path):
    catalog = Catalog.open(tmp_path)
    yield catalog
    catalog.close()


def test_claims_decide_each_url_once(catalog: Catalog):
    decisions = catalog.claim([
        "https://example.com/a?utm_source=x",
        "https://www.example.com/a/",
        "ftp://example.com/a",
        "https://example.com/b",
    ])
    assert all(isinstance(d, ClaimDecision) for d in decisions)
    assert [d.status for d in decisions] == ["claimed", "duplicate", "failed", "claimed"]
    assert decisions[0].key == decisions[1].key == "example.com/a" and decisions[0].token
    assert decisions[1].duplicate_of == "https://example.com/a?utm_source=x"
    assert (decisions[2].error_kind, decisions[2].key, decisions[2].token) == ("invalid_url", None, None)


def test_save_allocates_unique_slugs_and_is_idempotent_per_claim(catalog: Catalog, tmp_path: Path):
    urls = [f"https://example.com/pie-{i}" for i in range(3)]
    claims = catalog.claim(urls)
    saves = [catalog.save(c.key, c.token, _doc(u, "Apple Pie")) for c, u in zip(claims, urls, strict=True)]
    assert saves == [SaveAnswer("imported", "apple-pie"), SaveAnswer("imported", "apple-pie-2"),
                     SaveAnswer("imported", "apple-pie-3")]
    # A task retried after its worker died saves again with the same claim: same answer, no file.
    assert catalog.save(claims[0].key, claims[0].token, _doc(urls[0], "Apple Pie")) == saves[0]
    assert len(list(tmp_path.glob("*.recipe.json"))) == 3
    assert [d.status for d in catalog.claim(urls)] == ["exists"] * 3


def test_same_canonical_page_from_another_url_is_a_duplicate(catalog: Catalog, tmp_path: Path):
    a, b = catalog.claim(["https://example.com/amp/pie", "https://example.com/print/pie"])
    first = catalog.save(a.key, a.token, _doc("https://example.com/amp/pie", "Pie", "https://example.com/pie"))
    second = catalog.save(b.key, b.token, _doc("https://example.com/print/pie", "Pie", "https://example.com/pie"))
    assert first == SaveAnswer("imported", "pie")
    assert second == SaveAnswer("duplicate", "pie")
    assert catalog.lookup("https://example.com/print/pie") == "pie"
    assert json.loads((tmp_path / "pie.recipe.json").read_text())["source_url"] == "https://example.com/amp/pie"


def test_released_claims_can_be_claimed_again(catalog: Catalog):
    [claim] = catalog.claim(["https://example.com/x"])
    catalog.release([(claim.key, claim.token)])  # not waited for: the next call comes after it
    assert catalog.claim(["https://example.com/x"])[0].status == "claimed"


def test_a_failed_save_keeps_its_claim_for_the_driver_to_release(catalog: Catalog, tmp_path: Path):
    [claim] = catalog.claim(["https://example.com/nan"])
    failed = catalog.save(claim.key, claim.token, _doc("https://example.com/nan", "NaN") | {"yield": float("nan")})
    assert (failed.status, failed.error_kind) == ("failed", "save_failed")
    # The catalog does not let go of a claim on its own: only the driver gives claims back.
    assert catalog.claim(["https://example.com/nan"])[0].status == "duplicate"
    catalog.release([(claim.key, claim.token)])
    assert catalog.claim(["https://example.com/nan"])[0].status == "claimed"


def test_one_actor_per_folder_until_its_last_open_is_closed(tmp_path: Path):
    first = Catalog.open(tmp_path)
    assert Catalog.open(tmp_path) is first  # a second user of the folder in this process
    other = Catalog.open(tmp_path / "other")
    assert other is not first
    first.close()
    other.close()
    assert Catalog.open(tmp_path) is first and first.claim(["https://example.com/w"])[0].status == "claimed"
    first.close()
    first.close()
    again = Catalog.open(tmp_path)
    try:
        assert again is not first and again.claim(["https://example.com/y"])[0].status == "claimed"
    finally:
        again.close()


def test_a_closed_catalog_answers_one_line_naming_the_folder(tmp_path: Path):
    catalog = Catalog.open(tmp_path)
    catalog.close()
    with pytest.raises(CatalogError) as caught:
        catalog.claim(["https://example.com/z"])
    assert "\n" not in str(caught.value) and str(tmp_path) in str(caught.value)
    names = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)}
    assert actor_name(tmp_path) not in names
