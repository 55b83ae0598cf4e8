"""What `__all__` promises exists, is sorted, and is everything public at the top level."""

import sys

import ray_import


def test_all_is_sorted_and_complete():
    assert ray_import.__all__ == sorted(ray_import.__all__)
    for name in ray_import.__all__:
        assert getattr(ray_import, name).__name__ == name


def test_actor_modules_do_not_import_the_scraping_stack():
    # Each actor process imports its own module; the parsing libraries belong in tasks only,
    # or every actor would carry ~100 MB it never uses.
    import subprocess

    code = ("import sys, ray_import.catalog, ray_import.gateway, ray_import.llm_gateway; "
            "print(sorted(m for m in ('recipe_scrapers', 'ingredient_parser', 'extruct') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_scraper_never_imports_ray():
    from pathlib import Path

    root = Path(ray_import.__file__).resolve().parent.parent / "scraper"
    for path in root.glob("*.py"):
        text = path.read_text("utf-8")
        assert "import ray" not in text and "from ray" not in text, path.name
