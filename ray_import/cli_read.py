"""The read-only commands: `list`, `check` (and `check --repair`), `show`.

They open an output folder directly, without Ray: `list`, `show` and `check` without `--repair`
change nothing in it (store.py's read-only mode). Whatever they print from a recipe file is
escaped first, since a saved title may hold terminal escapes (issue 13, item 4). Registered on
the `ray-import` group in cli.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from .errors import CatalogError
from .results import printable


def _unusable(exc: CatalogError) -> NoReturn:
    """The folder or its index cannot be read: one line, exit 2, as for any bad input."""
    click.echo(f"{type(exc).__name__}: {exc}", err=True)
    sys.exit(2)


def json_escaped(text: str) -> str:
    """JSON text with each unprintable character but newlines as a `\\uXXXX` escape.

    A saved title may still hold ESC, NUL or U+202E (a file by an older version or by hand): raw,
    they would drive the terminal (issue 13, item 4). In a JSON string the escape means the same
    character, so the output stays the same JSON.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == "\n":
            out.append(ch)
        elif (code := ord(ch)) > 0xFFFF:  # JSON spells these as a surrogate pair
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


@click.command(name="list")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("recipes"),
              show_default=True, help="Output folder.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_(out: Path, as_json: bool) -> None:
    """List the recipes saved in an output folder (slug, title, source URL)."""
    from .store import RecipeStore

    if not out.is_dir():
        raise click.UsageError(f"no output folder {out}")
    try:
        store = RecipeStore(out, readonly=True)  # list changes nothing in the folder
    except CatalogError as exc:
        _unusable(exc)
    for name in store.last_sync.corrupt:
        click.echo(f"warning: {printable(name)} in {out} is not a valid recipe file (see ray-import check)",
                   err=True)
    for slug, title, url in store.list_recipes():
        # Titles and URLs may hold terminal escapes (files by older versions or by hand): escaped.
        if as_json:
            click.echo(json_escaped(json.dumps({"slug": slug, "title": title, "source_url": url},
                                               ensure_ascii=False)))
        else:
            click.echo(f"{slug}\t{printable(str(title))}\t{printable(url)}")
    store.close()


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("recipes"),
              show_default=True, help="Output folder.")
@click.option("--repair", is_flag=True, help="Fix what was found: rebuild the index, fix slug fields, set "
              "corrupt and duplicate files aside.")
def check(out: Path, repair: bool) -> None:
    """Verify that the catalog index matches the recipe files (exit 1 if not, or if --repair
    could not fix everything). Without --repair nothing in the folder is changed."""
    from .repair import find_problems, repair_folder
    from .store import RecipeStore

    if not out.is_dir():
        raise click.UsageError(f"no output folder {out}")
    try:
        store = RecipeStore(out, readonly=not repair)
    except CatalogError as exc:
        _unusable(exc)
    opened = store.last_sync
    parsed = opened.parsed - len(opened.corrupt)
    problems = []
    if repair:
        for name in opened.corrupt:
            click.echo(f"set aside: {printable(name)} (not a valid recipe file) → {out}/.ray-import/corrupt/")
        if parsed or opened.removed or opened.rebuilt:
            click.echo(f"index caught up on open: {parsed} file(s) indexed, {opened.removed} removed"
                       + (", database rebuilt" if opened.rebuilt else ""))
    elif opened.unusable:
        problems.append(f"{store.db_path}: unusable ({opened.unusable})")
    elif parsed or opened.removed:
        # Not a problem: the next run catches the index up on open, as --repair does.
        click.echo(f"index behind the files: {parsed} file(s) to index, {opened.removed} to remove")
    problems += find_problems(store)
    for line in problems:
        click.echo(f"problem: {printable(line)}")
    if not repair:
        count = store.count()
        store.close()
        if problems:
            click.echo(f"{len(problems)} problem(s) in {out}; run with --repair to fix them")
            sys.exit(1)
        click.echo(f"ok: {count} recipes, index consistent with the files")
        return
    try:
        done = repair_folder(store)
    except CatalogError as exc:
        _unusable(exc)
    count = store.count()
    store.close()
    for line in done.actions:
        click.echo(f"repaired: {printable(line)}")
    for line in done.remaining:
        click.echo(f"not repaired: {printable(line)}")
    if done.remaining:
        click.echo(f"{len(done.remaining)} problem(s) in {out} could not be repaired")
        sys.exit(1)
    click.echo(f"ok: {count} recipes, index consistent with the files"
               + (" (repaired)" if problems or done.actions or opened.corrupt or opened.rebuilt else ""))


@click.command()
@click.argument("slug")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("recipes"),
              show_default=True, help="Output folder.")
def show(slug: str, out: Path) -> None:
    """Print one saved recipe's JSON."""
    from .slugs import is_valid_slug
    from .recipe_files import SUFFIX

    if not is_valid_slug(slug):
        raise click.UsageError(f"not a slug: {slug!r} (expected [a-z0-9-]+)")
    path = out / f"{slug}{SUFFIX}"
    if not path.is_file():
        click.echo(f"NotFound: no recipe {slug!r} in {out}", err=True)
        sys.exit(1)
    click.echo(json_escaped(path.read_text("utf-8")), nl=False)
