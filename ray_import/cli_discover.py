"""`ray-import discover SITE_URL`: the recipe URLs a site's sitemaps list, one a line.

Thin, like the other commands: flags → ImportConfig → `discover.discover` → URLs and a summary.
The URLs go to `--out` (written atomically) or to stdout, the summary to stderr, so both
`ray-import discover SITE --out urls.txt` and `ray-import discover SITE > urls.txt` give a file
ready for `ray-import run`. cli.py registers the command on the group.

Exit codes: 0 the sitemaps were read (even if no URL was kept); 1 no sitemap could be read (the
summary says why); 2 a bad SITE_URL, flag or config (nothing fetched).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .config import load_config
from .errors import ConfigError, RayImportError


@click.command(name="discover", context_settings={"help_option_names": ["-h", "--help"],
                                                  "max_content_width": 100})
@click.argument("site_url")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Write the URLs to this file ('-': stdout) [stdout].")
@click.option("--limit", type=click.IntRange(min=1), help="Keep at most N URLs [all].")
@click.option("--match", help="Keep the URLs this regular expression finds, instead of the URL score.")
@click.option("--check", is_flag=True, help="Probe each kept page for Recipe data (a Ray batch).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML config file (fetch politeness, User-Agent, task resources).")
@click.option("--address", help="Ray cluster to join for --check (default: RAY_ADDRESS, else local).")
@click.option("--num-cpus", type=int, help="CPUs of the local Ray instance for --check [all].")
@click.option("-q", "--quiet", is_flag=True, help="No summary.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def discover_command(site_url: str, out_file: Path | None, limit: int | None, match: str | None,
                     check: bool, config_file: Path | None, address: str | None, num_cpus: int | None,
                     quiet: bool, debug: bool) -> None:
    """Find a site's recipe URLs in its sitemaps (robots.txt obeyed), for `ray-import run`.

    Reads SITE_URL's robots.txt for Sitemap lines (else /sitemap.xml), follows sitemap indexes
    and .xml.gz files, and keeps the URLs that look like recipe pages.
    """
    from .discovery import discover

    try:
        cfg = load_config(config_file, address=address, num_cpus=num_cpus)
        result = discover(site_url, limit=limit, match=match, check=check, cfg=cfg)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    except RayImportError as exc:
        if debug:
            raise
        click.echo(f"{type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    if out_file is None or str(out_file) == "-":
        for url in result.urls:
            click.echo(url)
    else:
        try:
            result.write(out_file)
        except OSError as exc:
            raise click.UsageError(f"--out {out_file}: cannot write it ({exc.strerror or exc})") from exc
    if not quiet:
        click.echo(result.summary(), err=True)
    if not result.sitemaps:
        sys.exit(1)
