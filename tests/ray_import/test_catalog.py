"""The catalog actor, through real Ray: claims, slugs and duplicates are decided in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import ray

from ray_import.catalog import Catalog

pytestmark = pytest.mark.usefixtures("ray_session")


def _doc(url: str, title: str, canonical: str | None = None) -> dict:
    return {"format_version": 1, "slug": "", "source_url": url, "canonical_url": canonical,
            "title": title, "provenance": {"final_url": url}}


def test_claims_decide_each_url_once(tmp_path: Path):
    catalog = Catalog.open(tmp_path)
    decisions = catalog.claim([
        "https://example.com/a?utm_source=x",
        "https://www.example.com/a/",
        "ftp://example.com/a",
        "https://example.com/b",
    ])
    assert [d["status"] for d in decisions] == ["claimed", "duplicate", "failed", "claimed"]
    assert decisions[1]["duplicate_of"] == "https://example.com/a?utm_source=x"
    assert decisions[2]["error_kind"] == "invalid_url"


def test_save_allocates_unique_slugs_and_is_idempotent_per_claim(tmp_path: Path):
    catalog = Catalog.open(tmp_path)
    urls = [f"https://example.com/pie-{i}" for i in range(3)]
    claims = catalog.claim(urls)
    saves = [ray.get(catalog.handle.save.remote(c["key"], c["token"], _doc(u, "Apple Pie")))
             for c, u in zip(claims, urls, strict=True)]
    assert [s["slug"] for s in saves] == ["apple-pie", "apple-pie-2", "apple-pie-3"]
    # A task retried after its worker died saves again with the same claim: same answer, no file.
    again = ray.get(catalog.handle.save.remote(claims[0]["key"], claims[0]["token"], _doc(urls[0], "Apple Pie")))
    assert again == saves[0]
    assert len(list(tmp_path.glob("*.recipe.json"))) == 3
    assert [d["status"] for d in catalog.claim(urls)] == ["exists"] * 3


def test_same_canonical_page_from_another_url_is_a_duplicate(tmp_path: Path):
    catalog = Catalog.open(tmp_path)
    a, b = catalog.claim(["https://example.com/amp/pie", "https://example.com/print/pie"])
    first = ray.get(catalog.handle.save.remote(a["key"], a["token"], _doc("https://example.com/amp/pie", "Pie", "https://example.com/pie")))
    second = ray.get(catalog.handle.save.remote(b["key"], b["token"], _doc("https://example.com/print/pie", "Pie", "https://example.com/pie")))
    assert first == {"status": "imported", "slug": "pie"}
    assert second == {"status": "duplicate", "slug": "pie"}
    assert catalog.lookup("https://example.com/print/pie") == "pie"
    assert json.loads((tmp_path / "pie.recipe.json").read_text())["source_url"] == "https://example.com/amp/pie"


def test_released_claims_can_be_claimed_again(tmp_path: Path):
    catalog = Catalog.open(tmp_path)
    [claim] = catalog.claim(["https://example.com/x"])
    catalog.release([(claim["key"], claim["token"])])
    assert catalog.claim(["https://example.com/x"])[0]["status"] == "claimed"


def test_one_actor_per_folder(tmp_path: Path):
    assert Catalog.open(tmp_path) is Catalog.open(tmp_path)
    assert Catalog.open(tmp_path / "other").handle != Catalog.open(tmp_path).handle
