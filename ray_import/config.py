"""ImportConfig: every setting of a batch, and the order its sources apply in.

Precedence, lowest to highest: built-in defaults < a command's own defaults (serve blocks private
networks) < `--config` TOML < `RAY_IMPORT_*` environment < CLI flags given. A flag not given never
hides a value from the file or the environment. The config is resolved once, on the driver, frozen,
and passed to every task as an argument: workers never read the environment for settings.
"""

from __future__ import annotations

import json
import os
import shlex
import tomllib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from scraper.extras import missing_module, needs_extra
from scraper.settings import EnrichSettings, FetchSettings, LLMSettings, mask_secrets, mask_url

from .archive import ARCHIVE_DEFAULT
from .errors import ConfigError
from .results import printable

ENV_PREFIX = "RAY_IMPORT_"
# Variables with the prefix that are not settings but are read on purpose: the serve API token
# (ray_import.server.TOKEN_ENV). The variable `llm.api_key_env` names is exempt as well.
API_TOKEN_ENV = "RAY_IMPORT_API_TOKEN"


class TaskSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Ray's scheduler admits a task only when these fit, so RAM, not a thread count, caps
    # concurrency. memory_mb comes from a measurement: see configs/default.toml.
    num_cpus: float = Field(1.0, gt=0)
    memory_mb: int = Field(300, ge=0)
    timeout_s: float = Field(300.0, gt=0)
    max_retries: int = Field(3, ge=0)


class ServeSettings(BaseModel):
    """`ray-import serve`: where it listens and how much it takes on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Loopback unless told otherwise: the API imports whatever URL it is given.
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    # Imports queued or running at once; a POST beyond it is answered 429 with Retry-After.
    max_queue: int = Field(1000, ge=1)
    # URLs in one POST /api/recipes/batch.
    max_batch: int = Field(100, ge=1)
    # Request bodies larger than this are answered 413.
    max_body_bytes: int = Field(262_144, ge=1024)
    retry_after_s: int = Field(5, ge=1)
    # Seconds between SSE heartbeat comments, so proxies keep idle streams open.
    heartbeat_s: float = Field(15.0, gt=0)
    # Finished imports remembered for progress reads (the oldest are forgotten first).
    history: int = Field(10_000, ge=1)


class ImportConfig(BaseSettings):
    """Settings of one import run.

    Example:
        >>> cfg = ImportConfig(out="recipes", max_in_flight=32)
        >>> cfg.fetch.max_attempts
        3
    """

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        toml_file=None,
    )

    out: Path = Path("recipes")
    max_in_flight: int = Field(64, ge=1)
    claim_batch_size: int = Field(256, ge=1)
    refresh: bool = False
    # With refresh: fetch every page whole, without sending its stored validators (no 304s).
    force: bool = False
    # Keep every fetched page, compressed, for `ray-import reprocess` (archive.py; issue 18).
    archive: bool = ARCHIVE_DEFAULT
    # Save a recipe whose fingerprint an already saved one has (default: it ends `duplicate`).
    keep_duplicates: bool = False
    address: str | None = None
    num_cpus: int | None = Field(None, ge=1)
    dashboard: bool = False
    task: TaskSettings = TaskSettings()
    fetch: FetchSettings = FetchSettings()
    enrich: EnrichSettings = EnrichSettings()
    llm: LLMSettings = LLMSettings()
    serve: ServeSettings = ServeSettings()

    # Set by load_config: the running command's defaults, below the file and the environment.
    command_defaults: ClassVar[dict[str, Any]] = {}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The first source wins: flags > env > TOML file > the command's defaults > field defaults.
        toml_file = settings_cls.model_config.get("toml_file")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        if settings_cls.command_defaults:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=settings_cls.command_defaults))
        return tuple(sources)


def _deep_set(target: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def load_config(
    config_file: Path | None = None, *, defaults: Mapping[str, Any] | None = None, **flags: Any
) -> ImportConfig:
    """Resolve the config from its sources; flags left as None count as not given.

    Flags and `defaults` may name nested settings with dots (`{"task.timeout_s": 60}`).
    `defaults` are the command's own (serve: `{"fetch.block_private_networks": True}`): they
    replace the built-in defaults, and the file and the environment still override them.

    Raises:
        ConfigError: the file is missing or not TOML, a value is invalid (names the key and the
            flag, variable or file it came from), or a `RAY_IMPORT_*` variable is no setting.
    """
    environ = {key: value for key, value in os.environ.items() if key.upper().startswith(ENV_PREFIX)}
    unknown = _check_environ(environ)
    overrides: dict[str, Any] = {}
    for key, value in flags.items():
        if value is not None:
            _deep_set(overrides, key, value)
    below_file: dict[str, Any] = {}
    for key, value in (defaults or {}).items():
        _deep_set(below_file, key, value)
    if config_file is not None:
        try:
            with open(config_file, "rb") as handle:
                tomllib.load(handle)
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {config_file}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {config_file} is not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc.strerror}") from exc

    class _Config(ImportConfig):
        model_config = SettingsConfigDict(toml_file=config_file)
        command_defaults: ClassVar[dict[str, Any]] = below_file

    try:
        resolved = _Config(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        where = ".".join(loc) or "config"
        message = f"invalid setting {where}: {first['msg'].removeprefix('Value error, ')}"
        if _lookup(overrides, loc):
            raise ConfigError(message) from exc
        if variable := _variable_for(loc, environ):
            raise ConfigError(f"{_assignment(variable, environ[variable])}: {message}") from exc
        source = f" (from {config_file})" if config_file else ""
        raise ConfigError(f"{message}{source}") from exc
    except SettingsError as exc:  # a parse error _check_environ did not foresee
        raise ConfigError(f"cannot read the {ENV_PREFIX}* environment variables: {exc}") from exc
    exempt = {API_TOKEN_ENV, resolved.llm.api_key_env.upper()}
    if unknown := [key for key in unknown if key.upper() not in exempt]:
        raise ConfigError(f"unknown environment variable {unknown[0]}: ray-import has no setting "
                          f"{_dotted(unknown[0])!r} (every setting is in configs/default.toml)")
    if (mode := resolved.llm.effective_mode) != "off":
        require_extra("llm", f"llm.mode = {mode!r}")
    return ImportConfig.model_validate(resolved.model_dump())


def check_serve_config(cfg: ImportConfig) -> None:
    """Refuse what `serve` must not run with: robots.txt ignored (issue 17).

    Its URLs come from API callers, not from the person who runs it, so the careful default is
    not theirs to turn off, and an operator's `fetch.robots = "ignore"` is refused rather than
    silently overridden: a setting that does nothing would be a surprise.

    Raises:
        ConfigError: names the setting.
    """
    if cfg.fetch.robots != "obey":
        raise ConfigError(f"fetch.robots = {cfg.fetch.robots!r}: ray-import serve always obeys robots.txt "
                          "(its URLs come from other people); remove the setting for serve")


def require_extra(extra: str, what: str) -> None:
    """Raise ConfigError naming the extra to install when a package of `extra` is missing.

    Example:
        >>> require_extra("serve", "ray-import serve")  # fastapi, uvicorn, sse-starlette installed

    Raises:
        ConfigError: e.g. "ray-import serve needs the [serve] extra: pip install 'ray-import[serve]'".
    """
    if missing_module(extra) is not None:
        raise ConfigError(needs_extra(what, extra))


def public_dump(cfg: ImportConfig) -> dict[str, Any]:
    """The config as JSON data, with URL credentials masked: what --print-config and reports show."""
    return mask_secrets(cfg.model_dump(mode="json"))


def _dotted(variable: str) -> str:
    return ".".join(variable[len(ENV_PREFIX):].lower().split("__"))


def _assignment(variable: str, value: str) -> str:
    """`NAME=value` as a shell would take it back, credentials masked, at most ~80 characters."""
    shown = mask_url(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return f"{variable}={printable(shlex.quote(shown))}"


def _lookup(tree: Mapping[str, Any], loc: list[str]) -> bool:
    """Whether the flags set the value at `loc` (or the section holding it)."""
    node: Any = tree
    for part in loc:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _variable_for(loc: list[str], environ: Mapping[str, str]) -> str | None:
    """The environment variable that set the value at `loc`, the most specific one first."""
    matches = [key for key in environ if _dotted(key).split(".") == loc[: len(_dotted(key).split("."))]]
    return max(matches, key=lambda key: key.count("__"), default=None)


def _setting_type(path: list[str]) -> Any:
    """The annotation of the setting at `path`, or None when there is no such setting."""
    model: Any = ImportConfig
    annotation: Any = None
    for i, name in enumerate(path):
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or name not in model.model_fields:
            return None
        annotation = model.model_fields[name].annotation
        args = [a for a in get_args(annotation) if a is not type(None)]
        if get_origin(annotation) in (Union, types.UnionType) and len(args) == 1:
            annotation = args[0]  # X | None
        model = annotation
        if i < len(path) - 1 and not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
    return annotation


def _check_environ(environ: Mapping[str, str]) -> list[str]:
    """Reject `RAY_IMPORT_*` variables that name no setting or cannot be parsed, one line each.

    pydantic-settings ignores an unknown top-level variable but rejects an unknown nested one,
    and reports a value that is not JSON as a traceback naming the section, not the variable
    (issue 13, item 10). Top-level names are returned, not rejected: whether one is the LLM key's
    variable (`llm.api_key_env`) is known only once the config is resolved.
    """
    unknown = []
    for key in sorted(environ):
        if key.upper() == API_TOKEN_ENV:
            continue
        path = _dotted(key).split(".")
        if path[0] not in ImportConfig.model_fields:
            unknown.append(key)
            continue
        annotation = _setting_type(path)
        if annotation is None:
            raise ConfigError(f"unknown environment variable {key}: ray-import has no setting "
                              f"{_dotted(key)!r} (every setting is in configs/default.toml)")
        section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        listing = get_origin(annotation) in (tuple, list, set, frozenset) or annotation in (tuple, list)
        if section or listing:
            try:
                json.loads(environ[key])
            except ValueError:
                if section:
                    name, field = next(iter(annotation.model_fields.items()))
                    example = json.dumps({name: field.default})
                else:
                    example = '["a.example", "b.example"]'
                raise ConfigError(
                    f"{_assignment(key, environ[key])}: not valid JSON; {_dotted(key)} takes a JSON "
                    f"{'object' if section else 'list'}, e.g. {key}='{example}'") from None
    return unknown
