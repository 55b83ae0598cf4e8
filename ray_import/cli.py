"""The `ray-import` command line: flags → ImportConfig → run_import → summary + exit code.

Exit codes: 0 every URL imported or already there; 1 some failed; 2 usage, config or output
folder error (nothing ran); 130 interrupted (Ctrl-C), 143 stopped by SIGTERM. Errors print as
`TypeName: message`; tracebacks only with --debug.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from scraper.errors import CatalogError, ConfigError, RayImportError

from .config import ImportConfig, load_config, public_dump
from .results import printable

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _config(config_file: Path | None, **flags: Any) -> ImportConfig:
    try:
        return load_config(config_file, **flags)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


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


def _json_escaped(text: str) -> str:
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
                   f"{llm.get('seconds_waiting', 0):.1f}s waiting, est. ${llm.get('cost_usd', 0):.4f}", file=out)
    if getattr(summary, "stopped", None):
        click.echo(summary.stopped, file=out)
    if getattr(summary, "report_error", None):
        click.echo(summary.report_error, file=out)
    else:
        click.echo(f"report: {summary.report}", file=out)
    if summary.failed_urls:
        click.echo(f"failed URLs (re-runnable): {summary.failed_urls}", file=out)


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
@click.option("--refresh", is_flag=True, default=None, help="Re-import URLs already in the catalog.")
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
    if print_config:
        click.echo(json.dumps(public_dump(cfg), indent=2))
        return
    from .runtime import dashboard_url, ensure_ray

    sigterm = _SigtermInterrupts()
    try:
        # Everything that can be wrong with the input or the output paths fails here, before Ray.
        urls, total = open_url_source(urls_file)
        if report is not None:
            check_writable(report, "report")
        if events is not None and events != "-":
            check_writable(Path(events), "event stream")
        with sigterm:
            # With the event stream on stdout, workers' log lines must not be mixed into it.
            ensure_ray(cfg, log_to_driver=events != "-")
            sigterm.install()
            if cfg.dashboard and (url := dashboard_url()):
                click.echo(f"Ray dashboard: {url}", err=True)
            failures = FailureLines()
            summary = run_import(
                urls, cfg, report_path=report,
                progress=make_progress(total, quiet), on_result=failures, events=events,
            )
    except (ConfigError, CatalogError) as exc:
        _fail(exc, debug)
        return
    except KeyboardInterrupt:
        signum = sigterm.received[0] if sigterm.received else signal.SIGINT
        click.echo(f"interrupted ({signal.Signals(signum).name})", err=True)
        sys.exit(128 + signum)
    if not quiet or summary.failed:
        # With the event stream on stdout, the summary goes to stderr to keep stdout JSON lines.
        print_summary(summary, failures, file=sys.stderr if events == "-" else None)
    sys.exit(summary.exit_code)


@cli.command()
@click.option("--host", help="Interface to listen on [127.0.0.1].")
@click.option("--port", type=int, help="Port [8000].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [recipes].")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="TOML config file.")
@click.option("--address", help="Ray cluster to join (default: RAY_ADDRESS, else a local instance).")
@click.option("--num-cpus", type=int, help="CPUs of the local Ray instance [all].")
@click.option("--max-queue", type=int, help="Imports queued or running at once before 429 [1000].")
@click.option("--dashboard", is_flag=True, default=None, help="Start the Ray dashboard (local instance).")
@click.option("--allow-private-networks", is_flag=True,
              help="Let imports reach loopback/private addresses (off: fetch.block_private_networks on).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def serve(config_file: Path | None, host: str | None, port: int | None, max_queue: int | None,
          allow_private_networks: bool, debug: bool, **flags: Any) -> None:
    """Serve the import API for apps (POST /api/recipes, progress, SSE events, cancel).

    Set RAY_IMPORT_API_TOKEN to require `Authorization: Bearer <token>` on every route but
    /healthz. OpenAPI docs at /docs.
    """
    from .server import TOKEN_ENV
    from .server import serve as run_server

    cfg = _config(config_file, **flags, **{
        "serve.host": host, "serve.port": port, "serve.max_queue": max_queue,
        "fetch.block_private_networks": not allow_private_networks,
    })
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
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-recipes"),
              show_default=True, help="Output folder.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="TOML config file.")
@click.option("--llm", "llm", type=click.Choice(["none", "fake"]), default="none", show_default=True,
              help="fake: also start the bundled fake OpenAI-compatible endpoint on 127.0.0.1 and "
                   "structure the pages without structured data with it.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def demo(out: Path, config_file: Path | None, llm: str, quiet: bool) -> None:
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
    cfg = _config(config_file, out=out, **{"fetch.per_host_interval_s": 0, "fetch.per_host_concurrency": 8},
                  **llm_flags)
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


@cli.command(name="list")
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
        _fail(exc, False)
        return
    for name in store.last_sync.corrupt:
        click.echo(f"warning: {printable(name)} in {out} is not a valid recipe file (see ray-import check)",
                   err=True)
    for slug, title, url in store.list_recipes():
        # Titles and URLs may hold terminal escapes (files by older versions or by hand): escaped.
        if as_json:
            click.echo(_json_escaped(json.dumps({"slug": slug, "title": title, "source_url": url},
                                                ensure_ascii=False)))
        else:
            click.echo(f"{slug}\t{printable(str(title))}\t{printable(url)}")
    store.close()


@cli.command()
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
        _fail(exc, False)
        return
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
        _fail(exc, False)
        return
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


@cli.command()
@click.argument("slug")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("recipes"),
              show_default=True, help="Output folder.")
def show(slug: str, out: Path) -> None:
    """Print one saved recipe's JSON."""
    from .slugs import is_valid_slug
    from .store import SUFFIX

    if not is_valid_slug(slug):
        raise click.UsageError(f"not a slug: {slug!r} (expected [a-z0-9-]+)")
    path = out / f"{slug}{SUFFIX}"
    if not path.is_file():
        click.echo(f"NotFound: no recipe {slug!r} in {out}", err=True)
        sys.exit(1)
    click.echo(_json_escaped(path.read_text("utf-8")), nl=False)
