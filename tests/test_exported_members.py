"""What `__all__` promises exists, is sorted, and is everything public at the top level."""

import ray_import


def test_all_is_sorted_and_complete():
    assert ray_import.__all__ == sorted(ray_import.__all__)
    for name in ray_import.__all__:
        assert hasattr(ray_import, name), name
    public = {n for n in vars(ray_import) if not n.startswith("_") and n[0].isupper() or n in ("run_import", "load_config")}
    assert public <= set(ray_import.__all__)


def test_scraper_never_imports_ray():
    from pathlib import Path

    root = Path(ray_import.__file__).resolve().parent.parent / "scraper"
    for path in root.glob("*.py"):
        text = path.read_text("utf-8")
        assert "import ray" not in text and "from ray" not in text, path.name
