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


def _tree(doc: str) -> dict[str, str | None]:
    """Class name → parent name, from the drawing in a docstring (the root's parent is None)."""
    import re

    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in doc.splitlines():
        if match := re.match(r"^ {4}(\w+)\s", line + " "):  # the root, at the drawing's margin
            if not stack and match[1].endswith("Error"):
                stack = [match[1]]
                parents[match[1]] = None
            continue
        if stack and (match := re.match(r"^( {4}(?:[│ ]   )*)[├└]── (\w+)", line)):
            depth = (len(match[1]) - 4) // 4 + 1
            del stack[depth:]
            parents[match[2]] = stack[-1]
            stack.append(match[2])
    return parents


def _exception_classes() -> dict[str, type]:
    """Every public exception class defined in the two packages, by name."""
    import importlib
    import pkgutil

    import scraper

    found: dict[str, type] = {}
    for package in (scraper, ray_import):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if (isinstance(value, type) and issubclass(value, BaseException)
                        and value.__module__ == module.__name__ and not name.startswith("_")):
                    assert found.setdefault(name, value) is value, f"two classes named {name}"
    return found


def test_one_error_tree_drawn_once_matches_the_code():
    import ray_import.errors as errors

    drawn = _tree(errors.__doc__)
    classes = _exception_classes()
    assert sorted(drawn) == sorted(classes), "drawn in ray_import/errors.py's docstring = defined"
    for name, cls in classes.items():
        assert issubclass(cls, errors.RayImportError), name
        assert getattr(errors, name) is cls, f"ray_import.errors does not export {name}"
        defined_under = None if cls is errors.RayImportError else cls.__bases__[0].__name__
        assert drawn[name] == defined_under, f"{name} is drawn under {drawn[name]}, defined under {defined_under}"
    assert sorted(errors.__all__) == errors.__all__ and set(errors.__all__) == set(classes)


def test_the_queue_full_error_names_the_limit_and_when_to_retry():
    from ray_import.errors import QueueFull, RayImportError

    exc = QueueFull(3, 2, 5)
    assert isinstance(exc, RayImportError) and exc.retry_after == 5 and exc.kind == "queue_full"
    assert str(exc) == "the import queue is full (3 queued or running, serve.max_queue=2); retry in 5s"


def test_one_version_read_from_the_package_metadata():
    import importlib.metadata
    import tomllib
    from pathlib import Path

    import scraper
    from scraper.settings import DEFAULT_USER_AGENT

    root = Path(ray_import.__file__).resolve().parent.parent
    written = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert ray_import.__version__ == scraper.__version__ == importlib.metadata.version("ray-import") == written
    assert DEFAULT_USER_AGENT.endswith(f" ray-import/{written}")
    # Only pyproject.toml writes it: not the packages, not the configs.
    for path in [*root.glob("ray_import/**/*.py"), *root.glob("scraper/**/*.py"), *root.glob("configs/*.toml")]:
        assert f'"{written}"' not in path.read_text("utf-8"), path
        assert f"ray-import/{written.rsplit('.', 1)[0]}" not in path.read_text("utf-8"), path
