"""The `ray-import` command line: flags → ImportConfig → run_import → summary + exit code.

Exit codes: 0 every URL imported or already there; 1 some failed; 2 usage, config or output
folder error (nothing ran); 130 interrupted (Ctrl-C), 143 stopped by SIGTERM. Errors print as
`TypeName: message`; tracebacks only with --debug. Here: `run`, `serve`, `demo`; the read-only
commands on an output folder (`list`, `check`, `show`) are in cli_read.py.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any

import click

from .cli_discover import discover_command
from .cli_reprocess import reprocess_command
from .cli_read import check, list_, show
from .config import ImportConfig, check_serve_config, load_config, public_dump, require_extra
from .errors import CatalogError, ConfigError, RayImportError
from .report import slowed_hosts

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Where a command's defaults differ from ImportConfig's: below the file and the environment, so
# that only a flag given overrides what they set (issue 16, item 6).
SERVE_DEFAULTS = {"fetch.block_private_networks": True}  # the URLs come from other people
DEMO_DEFAULTS = {"out": "demo-recipes"}


def _config(config_file: Path | None, defaults: dict[str, Any] | None = None, **flags: Any) -> ImportConfig:
    try:
        return load_config(config_file, defaults=defaults, **flags)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def serve_config(config_file: Path | None, *, host: str | None = None, port: int | None = None,
                 max_queue: int | None = None, block_private_networks: bool | None = None,
                 **flags: Any) -> ImportConfig:
    """The config `ray-import serve` runs with: SERVE_DEFAULTS < file < env < the flags given.

    Raises:
        click.UsageError: the config is invalid (names the setting and its source).
    """
    cfg = _config(config_file, SERVE_DEFAULTS, **flags, **{
        "serve.host": host, "serve.port": port, "serve.max_queue": max_queue,
        "fetch.block_private_networks": block_private_networks,
    })
    try:
        check_serve_config(cfg)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    return cfg


def _fail(exc: RayImportError, debug: bool) -> None:
    if debug:
        raise exc
    click.echo(f"{type(exc).__name__}: {exc}", err=True)
    # An output folder that cannot be used is bad input, like a bad flag: nothing ran (exit 2).
    sys.exit(2 if isinstance(exc, (ConfigError, CatalogError)) else 1)


class _SigtermInterrupts:
    """While active, SIGTERM raises KeyboardInterrupt, as Ctrl-C does; `received` lists it.

    run_import handles both signals itself while the batch runs (report written, claims
    released); this covers the moments around it. ray.init puts Ray's own handler in place,
    which calls sys.exit(15): `install` again after it, and a SystemExit(15) from inside it is
    taken as the same interruption (issue 13, item 8).
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self._previous: Any = None

    def __call__(self, signum: int, frame: Any) -> None:
        self.received.append(signum)
        raise KeyboardInterrupt

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self)

    def __enter__(self) -> _SigtermInterrupts:
        self._previous = signal.signal(signal.SIGTERM, self)
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        signal.signal(signal.SIGTERM, self._previous)
        if isinstance(exc, SystemExit) and exc.code == signal.SIGTERM:
            self.received.append(signal.SIGTERM)
            raise KeyboardInterrupt from None


class FailureLines:
    """Keeps the first `limit` failures' one-line messages for the summary (the report has all)."""

    def __init__(self, limit: int = 20) -> None:
        self.limit = limit
        self.lines: list[str] = []
        self.more = 0

    def __call__(self, result: Any) -> None:
        if not result.ok:
            if len(self.lines) < self.limit:
                self.lines.append(result.one_line())
            else:
                self.more += 1


def print_summary(summary: Any, failures: FailureLines | None = None, *, file: Any = None) -> None:
    """The end-of-run table: counts, failures by kind, step times, where the report is."""
    out = file or sys.stdout
    if failures and failures.lines:
        click.echo("failed:", file=out)
        for line in failures.lines:
            click.echo(f"  {line}", file=out)
        if failures.more:
            click.echo(f"  ... and {failures.more} more (see the report)", file=out)
    rows = [(status, n) for status, n in sorted(summary.counts.items())]
    total = sum(n for _, n in rows)
    click.echo(f"\n{'status':<12}{'urls':>8}", file=out)
    for status, n in rows:
        click.echo(f"{status:<12}{n:>8}", file=out)
    click.echo(f"{'total':<12}{total:>8}   in {summary.wall_seconds:.1f}s", file=out)
    if summary.errors_by_kind:
        click.echo("failures by kind: " + ", ".join(f"{k}={n}" for k, n in summary.errors_by_kind.items()), file=out)
    if summary.steps:
        click.echo("step seconds (p50/p95): " + ", ".join(
            f"{step} {s['p50']:.3f}/{s['p95']:.3f}" for step, s in summary.steps.items()), file=out)
    if summary.llm:
        llm = summary.llm
        click.echo(f"llm: {llm.get('recipes', 0)} recipes, {llm.get('calls', 0)} calls, "
                   f"{llm.get('prompt_tokens', 0)} prompt + {llm.get('completion_tokens', 0)} completion tokens, "
                   f"{llm.get('seconds_waiting', 0):.1f}s waiting, est. ${llm.get('cost_usd', 0):.4f}"
                   + (f"; {llm['cache_hits']} answers from the cache (saved ${llm.get('saved_usd', 0):.4f})"
                      if llm.get("cache_hits") else ""), file=out)
    if changed := getattr(summary, "changed", None):
        fields = ", ".join(f"{name} {n}" for name, n in list(changed["fields"].items())[:12])
        click.echo(f"reprocess: {changed['recipes']} recipes changed" + (f" ({fields})" if fields else ""),
                   file=out)
    if slowed := slowed_hosts(getattr(summary, "hosts", None)):
        shown = [f"{host} {s['from_s']:g}s -> {s['to_s']:g}s"
                 + (f" (asked {s['asked_s']:g}s)" if s["asked_s"] != s["to_s"] else "")
                 for host, s in list(slowed.items())[:10]]
        more = f", and {len(slowed) - 10} more (see the report)" if len(slowed) > 10 else ""
        click.echo("slowed by Crawl-delay: " + ", ".join(shown) + more, file=out)
    if getattr(summary, "stopped", None):
        click.echo(summary.stopped, file=out)
    if getattr(summary, "report_error", None):
        click.echo(summary.report_error, file=out)
    else:
        click.echo(f"report: {summary.report}", file=out)
    if summary.failed_urls:
        click.echo(f"failed URLs (re-runnable): {summary.failed_urls}", file=out)


def run_batch(start: Callable[[_SigtermInterrupts, FailureLines], Any], *, debug: bool, quiet: bool,
              summary_file: Any = None) -> None:
    """The frame `run` and `reprocess` share: SIGTERM as Ctrl-C, one-line errors, summary, exit code.

    `start` does the command's own checks and its batch inside the frame, so a bad input is a
    one-line error (exit 2) and an interrupt is 128 + the signal, the same for both commands.
    """
    sigterm = _SigtermInterrupts()
    failures = FailureLines()
    try:
        with sigterm:
            summary = start(sigterm, failures)
    except (ConfigError, CatalogError) as exc:
        _fail(exc, debug)
        return
    except KeyboardInterrupt:
        signum = sigterm.received[0] if sigterm.received else signal.SIGINT
        click.echo(f"interrupted ({signal.Signals(signum).name})", err=True)
        sys.exit(128 + signum)
    if not quiet or summary.failed:
        print_summary(summary, failures, file=summary_file)
    sys.exit(summary.exit_code)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="ray-import")
def cli() -> None:
    """Import recipe web pages as <slug>.recipe.json files, in parallel on Ray."""


@cli.command()
@click.argument("urls_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [recipes].")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="TOML config file.")
@click.option("--address", help="Ray cluster to join (default: RAY_ADDRESS, else a local instance).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="JSON report path [<out>/reports/run-<time>.json].")
@click.option("--max-in-flight", type=int, help="Tasks submitted at once [64].")
@click.option("--num-cpus", type=int, help="CPUs of the local Ray instance [all].")
@click.option("--refresh", is_flag=True, default=None,
              help="Re-import URLs already in the catalog; pages answering 304 end `unchanged`.")
@click.option("--force", is_flag=True, default=None,
              help="With --refresh: re-import every page, even one the site says has not changed.")
@click.option("--keep-duplicates", is_flag=True, default=None,
              help="Save a recipe even when one with the same fingerprint (title + ingredients) is saved.")
@click.option("--archive/--no-archive", default=None, help="Keep every fetched page for `reprocess` [on].")
@click.option("--dashboard", is_flag=True, default=None, help="Start the Ray dashboard (local instance).")
@click.option("--events", type=str, help="Write one JSON line per state change to PATH ('-': stdout).")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("--print-config", is_flag=True, help="Print the resolved config as JSON and exit.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def run(urls_file: Path, config_file: Path | None, report: Path | None, events: str | None, quiet: bool,
        print_config: bool, debug: bool, **flags: Any) -> None:
    """Import every URL of URLS_FILE (one per line; blank lines and # comments ignored).

    URLS_FILE may be `-` (standard input) or a pipe; it is then read once, as it comes.
    """
    from .inputs import check_writable, open_url_source
    from .pipeline import run_import
    from .progress import make_progress

    cfg = _config(config_file, **flags)
    if flags.get("force") and not cfg.refresh:
        raise click.UsageError("--force: only with --refresh (it makes the refresh unconditional)")
    if print_config:
        click.echo(json.dumps(public_dump(cfg), indent=2))
        return
    from .runtime import dashboard_url, ensure_ray

    def start(sigterm: _SigtermInterrupts, failures: FailureLines) -> Any:
        # Everything that can be wrong with the input or the output paths fails here, before Ray.
        urls, total = open_url_source(urls_file)
        if report is not None:
            check_writable(report, "report")
        if events is not None and events != "-":
            check_writable(Path(events), "event stream")
        # With the event stream on stdout, workers' log lines must not be mixed into it.
        ensure_ray(cfg, log_to_driver=events != "-")
        sigterm.install()
        if cfg.dashboard and (url := dashboard_url()):
            click.echo(f"Ray dashboard: {url}", err=True)
        return run_import(urls, cfg, report_path=report, progress=make_progress(total, quiet),
                          on_result=failures, events=events)

    # With the event stream on stdout, the summary goes to stderr to keep stdout JSON lines.
    run_batch(start, debug=debug, quiet=quiet, summary_file=sys.stderr if events == "-" else None)


@cli.command()
@click.option("--host", help="Interface to listen on [127.0.0.1].")
@click.option("--port", type=int, help="Port [8000].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [recipes].")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="TOML config file.")
@click.option("--address", help="Ray cluster to join (default: RAY_ADDRESS, else a local instance).")
@click.option("--num-cpus", type=int, help="CPUs of the local Ray instance [all].")
@click.option("--max-queue", type=int, help="Imports queued or running at once before 429 [1000].")
@click.option("--dashboard", is_flag=True, default=None, help="Start the Ray dashboard (local instance).")
@click.option("--block-private-networks/--allow-private-networks", default=None,
              help="Refuse, or let imports reach, loopback/private addresses (fetch.block_private_networks; "
                   "serve's default: refuse).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def serve(config_file: Path | None, debug: bool, **flags: Any) -> None:
    """Serve the import API for apps (POST /api/recipes, progress, SSE events, cancel).

    Set RAY_IMPORT_API_TOKEN to require `Authorization: Bearer <token>` on every route but
    /healthz. OpenAPI docs at /docs.
    """
    cfg = serve_config(config_file, **flags)
    try:
        require_extra("serve", "ray-import serve")
    except ConfigError as exc:
        _fail(exc, debug)
        return
    from .server import TOKEN_ENV
    from .server import serve as run_server

    token = os.environ.get(TOKEN_ENV) or None
    if cfg.serve.host not in ("127.0.0.1", "localhost", "::1") and token is None:
        click.echo(f"warning: listening on {cfg.serve.host} without {TOKEN_ENV}: anyone who can reach "
                   "it can import", err=True)

    def announce(service: Any) -> None:
        host_part = f"[{cfg.serve.host}]" if ":" in cfg.serve.host else cfg.serve.host
        click.echo(f"ray-import serve: http://{host_part}:{cfg.serve.port} (docs: /docs) -> {service.out}"
                   f"{'; bearer token required' if token else ''}", err=True)

    try:
        run_server(cfg, token, announce)
    except (ConfigError, CatalogError) as exc:
        _fail(exc, debug)
        return
    click.echo("ray-import serve: stopped", err=True)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [demo-recipes].")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="TOML config file.")
@click.option("--llm", "llm", type=click.Choice(["none", "fake"]), default="none", show_default=True,
              help="fake: also start the bundled fake OpenAI-compatible endpoint on 127.0.0.1 and "
                   "structure the pages without structured data with it.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def demo(out: Path | None, config_file: Path | None, llm: str, quiet: bool) -> None:
    """Serve the bundled sample recipe site on 127.0.0.1 and import all of it."""
    import contextlib

    from .demo.fake_llm import FakeLLM, FakeLLMOptions
    from .demo.site import SampleSite
    from .pipeline import run_import
    from .progress import make_progress

    stack = contextlib.ExitStack()
    llm_flags: dict[str, Any] = {}
    if llm == "fake":
        fake = stack.enter_context(FakeLLM(FakeLLMOptions(latency_s=0.5)))
        llm_flags = {"llm.base_url": fake.base_url, "llm.model": fake.options.model, "llm.mode": "fallback"}
    # The sample site is ours and on loopback: no politeness delay needed towards it.
    cfg = _config(config_file, DEMO_DEFAULTS, out=out,
                  **{"fetch.per_host_interval_s": 0, "fetch.per_host_concurrency": 8}, **llm_flags)
    # The sample site is on loopback: never send it through a proxy the user may have set.
    no_proxy = [h for h in os.environ.get("NO_PROXY", "").split(",") if h]
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(no_proxy + ["127.0.0.1", "localhost"])
    with stack, SampleSite() as site:
        urls = site.urls()
        click.echo(f"sample site: {site.base_url} ({len(urls)} pages) → {cfg.out}/", err=True)
        if llm == "fake":
            click.echo(f"fake LLM endpoint: {cfg.llm.base_url} (model {cfg.llm.model})", err=True)
        failures = FailureLines()
        try:
            summary = run_import(urls, cfg, progress=make_progress(len(urls), quiet), on_result=failures)
        except CatalogError as exc:
            _fail(exc, False)
            return
    print_summary(summary, failures)
    unexpected = {k: n for k, n in summary.errors_by_kind.items() if k != "not_a_recipe"}
    if summary.errors_by_kind.get("not_a_recipe"):
        click.echo("note: pages without structured data need an LLM; they are expected to fail here "
                   "(try `ray-import demo --llm fake`).")
    sys.exit(summary.exit_code if summary.interrupted else (1 if unexpected else 0))


# The read-only commands, in a module of their own: they change for the output folder's format,
# not for how a run is driven.
cli.add_command(list_)
cli.add_command(check)
cli.add_command(show)
# `discover`: a site's recipe URLs from its sitemaps, ready for `run` (cli_discover.py).
cli.add_command(discover_command)
cli.add_command(reprocess_command)  # `reprocess`: recipes rebuilt from the archive (cli_reprocess.py)
