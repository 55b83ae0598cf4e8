"""`ray-import reprocess`: the saved recipes made again from their archived pages, no network.

Thin, like `run`: flags → ImportConfig → `reprocessing.reprocess` → the run's summary, plus the
recipes and fields that changed. cli.py registers the command on the group.

Exit codes: 0 every selected recipe was made again (changed or not); 1 some could not be (e.g.
`not_archived`: saved before the archive existed; their files are left as they were); 2 a bad
flag, `--where` or config, or no output folder; 130/143 interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .errors import ConfigError


@click.command(name="reprocess", context_settings={"help_option_names": ["-h", "--help"],
                                                   "max_content_width": 100})
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [recipes].")
@click.option("--only-changed", is_flag=True,
              help="Skip recipes whose extractor, parser and importer versions are the current ones.")
@click.option("--where", "where", multiple=True, metavar="FIELD=VALUE",
              help="Only recipes whose FIELD matches VALUE (`*` wildcards; fields: extractor, parser, "
                   "importer_version, host, language); repeatable, all must match.")
@click.option("--failed", is_flag=True,
              help="Instead of the saved recipes, try again the archived pages that made no recipe "
                   "(after an upgrade); those that make one now are saved under a new slug.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML config file (the LLM settings decide which pages go to the LLM, as in a run).")
@click.option("--address", help="Ray cluster to join (default: RAY_ADDRESS, else a local instance).")
@click.option("--num-cpus", type=int, help="CPUs of the local Ray instance [all].")
@click.option("--max-in-flight", type=int, help="Tasks submitted at once [64].")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="JSON report path [<out>/reports/reprocess-<time>.json].")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def reprocess_command(config_file: Path | None, only_changed: bool, where: tuple[str, ...], failed: bool,
                      report: Path | None, quiet: bool, debug: bool, **flags: Any) -> None:
    """Rebuild the saved recipes from the pages archived when they were fetched.

    Runs extract → (LLM, through its answer cache) → enrich again with this version's code and
    rewrites each recipe whose result changed, under the same slug. Nothing is fetched.
    """
    from .cli import _config, run_batch
    from .progress import make_progress
    from .reprocessing import parse_where, reprocess
    from .runtime import ensure_ray

    cfg = _config(config_file, **flags)
    try:
        filters = parse_where(where)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    if failed and (only_changed or filters):
        raise click.UsageError("--failed takes no --only-changed or --where (they select saved recipes)")
    if not Path(cfg.out).is_dir():
        raise click.UsageError(f"no output folder {cfg.out}")
    def start(sigterm: Any, failures: Any) -> Any:
        ensure_ray(cfg)
        sigterm.install()
        return reprocess(cfg, only_changed=only_changed, where=filters, failed=failed, report_path=report,
                         progress=make_progress(None, quiet), on_result=failures)

    run_batch(start, debug=debug, quiet=quiet)
