"""ImportConfig: every setting of a batch, and the order its sources apply in.

Precedence, lowest to highest: built-in defaults < `--config` TOML < `RAY_IMPORT_*` environment <
CLI flags. The config is resolved once, on the driver, frozen, and passed to every task as an
argument: workers never read the environment for settings.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from scraper.errors import ConfigError
from scraper.settings import EnrichSettings, FetchSettings, LLMSettings

ENV_PREFIX = "RAY_IMPORT_"


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
    address: str | None = None
    num_cpus: int | None = Field(None, ge=1)
    dashboard: bool = False
    task: TaskSettings = TaskSettings()
    fetch: FetchSettings = FetchSettings()
    enrich: EnrichSettings = EnrichSettings()
    llm: LLMSettings = LLMSettings()
    serve: ServeSettings = ServeSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The first source wins: flags > env > TOML file > defaults.
        toml_file = settings_cls.model_config.get("toml_file")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def _deep_set(target: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def load_config(config_file: Path | None = None, **flags: Any) -> ImportConfig:
    """Resolve the config from its sources; flags left as None count as not given.

    Flags may name nested settings with dots (`{"task.timeout_s": 60}`).

    Raises:
        ConfigError: the file is missing or not TOML, or a value is invalid (names the key).
    """
    overrides: dict[str, Any] = {}
    for key, value in flags.items():
        if value is not None:
            _deep_set(overrides, key, value)
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

    try:
        resolved = _Config(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "config"
        source = f" (from {config_file})" if config_file else ""
        raise ConfigError(f"invalid setting {where}: {first['msg']}{source}") from exc
    return ImportConfig.model_validate(resolved.model_dump())


def masked_env_keys() -> list[str]:
    """Names of the RAY_IMPORT_* variables in effect (values are never printed)."""
    return sorted(key for key in os.environ if key.startswith(ENV_PREFIX))
