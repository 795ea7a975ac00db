"""One settings object: environment (`SITREP_*`), then `sitrep.toml`, then defaults."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_serializer,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from transforms.errors import SitrepError
from transforms.redaction import redact, register_secret
from warehouse.connection_limits import Limits

QUIET_ENV = {
    # No network at run time: keep Prefect, GX and friends from phoning home.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_UI_ENABLED": "true",
    "TQDM_DISABLE": "1",
    # The temporary API takes ~11 s to start on 2 cores, longer under load.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


# The samples shipped with sitrep are always readable, wherever the config file lives.
BUNDLED_SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


class SourceConfig(BaseModel):
    """A configured source: a name, a kind, where to read it, when, and kind-specific params."""

    name: str
    kind: str
    location: list[str]
    schedule: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    # What the report cites for this source's figures: who published them, which dataset, where.
    provider: str | None = None
    dataset: str | None = None
    link: str | None = None

    @field_validator("location", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_serializer("location", when_used="json")
    def _redacted(self, location: list[str]) -> list[str]:
        """Locations as written out (Prefect keeps flow parameters in its database): a URL's
        user info and credential query values redacted; the object keeps them to fetch."""
        return [redact(loc) for loc in location]


class ConfigError(SitrepError, ValueError):
    """The configuration file is missing, unreadable or names an unknown source."""


class Settings(BaseSettings):
    """Where sitrep keeps its files, credentials for live services, and run limits."""

    model_config = SettingsConfigDict(env_prefix="SITREP_", extra="ignore")

    home: Path = Path(".sitrep")
    config: Path | None = None
    # Scale-out: the lake and quarantine may be any fsspec URL (s3://bucket/lake, file://...),
    # object-store credentials come from here; sources run on the default or the Dask runner.
    lake_url: str | None = None
    quarantine_url: str | None = None
    storage_key: SecretStr | None = None
    storage_secret: SecretStr | None = None
    storage_endpoint: str | None = None
    task_runner: Literal["default", "dask"] = "default"
    dask_address: str | None = None
    dask_workers: int = 2
    # Cron of the whole-pipeline deployment of `sitrep serve` (none: run it from the UI).
    pipeline_schedule: str | None = None
    dtm_subscription_key: SecretStr | None = None
    idmc_client_id: SecretStr | None = None
    hapi_app_identifier: SecretStr | None = None
    reliefweb_appname: SecretStr | None = None
    # Feed items with only a summary: fetch the linked page and extract its text (trafilatura).
    fetch_pages: bool = False
    http_timeout: float = 30.0
    http_retries: int = 4
    http_backoff: float = 0.5
    # Most inputs are parsed whole, so bigger files are refused (after a bounded-memory copy);
    # a DTM HDX CSV streams, so raise this for very large ones.
    max_input_bytes: int = 256 * 2**20
    # Seconds a command waits for another process to release the warehouse before giving up.
    lock_wait: float = 600.0
    # DuckDB's memory cap (e.g. 2GB) for every connection, past which it spills to disk; unset,
    # each role keeps its own: 512MB in a load and the report, 400MB staging, 1GB a query.
    duckdb_memory: str | None = None
    # Seconds `sitrep query` runs before DuckDB is interrupted (`--timeout` overrides it).
    query_timeout: float = 60.0
    # Local locations in the config must resolve (symlinks followed) inside these folders;
    # empty means the config file's folder and `home`. `allow_any_location` lifts the check.
    allowed_roots: list[Path] = Field(default_factory=list)
    allow_any_location: bool = False
    # Hosts live fetches may reach (JSON list or comma-separated; `*.domain` for a domain).
    # Unset: the providers' API hosts and the hosts of the configured locations. Only hosts
    # named here may resolve to loopback, link-local or private addresses.
    allowed_hosts: Annotated[list[str] | None, NoDecode] = None

    def model_post_init(self, context: Any, /) -> None:
        """Every credential set (each SecretStr setting) is redacted wherever it shows up."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                register_secret(value.get_secret_value())

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _host_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return (
                json.loads(text)
                if text.startswith("[")
                else [h.strip() for h in text.split(",") if h.strip()]
            )
        return value

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def lake_root(self) -> str:
        """Where lake files go: `lake_url` when set, else `home/lake`."""
        return self.lake_url or str(self.lake_dir)

    @property
    def quarantine_root(self) -> str:
        """Where quarantined rows go: `quarantine_url` when set, else `home/quarantine`."""
        return self.quarantine_url or str(self.quarantine_dir)

    def http_limits(self) -> dict[str, Any]:
        """Retry and size settings as keyword arguments of `flows.http.get`."""
        return {
            "retries": self.http_retries,
            "backoff": self.http_backoff,
            "max_bytes": self.max_input_bytes,
        }

    def storage_options(self) -> dict[str, Any]:
        """fsspec options for an object-store lake: credentials from settings, never from code."""
        options: dict[str, Any] = {}
        if self.storage_key:
            options["key"] = self.storage_key.get_secret_value()
        if self.storage_secret:
            options["secret"] = self.storage_secret.get_secret_value()
        if self.storage_endpoint:
            options["endpoint_url"] = self.storage_endpoint
        return options

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def warehouse_limits(self) -> Limits:
        """`lock_wait` and `duckdb_memory`, as the warehouse functions take them."""
        return Limits(lock_wait=self.lock_wait, memory=self.duckdb_memory)

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def config_path(self) -> Path | None:
        """The config file: `--config`/SITREP_CONFIG, else ./sitrep.toml when present."""
        if self.config is not None:
            return self.config
        default = Path("sitrep.toml")
        return default if default.exists() else None

    def sources(self) -> list[SourceConfig]:
        """The configured sources, with relative local locations resolved from the config file."""
        path = self.config_path()
        if path is None:
            raise ConfigError("no config: pass --config F or create sitrep.toml (see README)")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} does not exist") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"config file {path}: not UTF-8 text (byte {exc.start})") from exc
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {path}: {exc}") from exc
        base = path.resolve().parent
        sources = [_resolved(s, base) for s in _source_tables(path, data)]
        if not self.allow_any_location:
            roots = self.roots(base)
            for source in sources:
                _check_inside(source, roots)
        return sources

    def roots(self, config_dir: Path) -> list[Path]:
        """Folders local locations may resolve into: `allowed_roots`, else the defaults."""
        chosen = self.allowed_roots or [config_dir, self.home, BUNDLED_SAMPLES]
        return [root.resolve() for root in chosen]


def _source_tables(path: Path, data: dict[str, Any]) -> list[SourceConfig]:
    """The `[[sources]]` tables, checked: ConfigError naming the source and the field."""
    tables = data.get("sources", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"config file {path}: `sources` must be [[sources]] tables")
    sources, names = [], set()
    for number, table in enumerate(tables, 1):
        label = table.get("name") if isinstance(table.get("name"), str) else f"number {number}"
        try:
            source = SourceConfig(**table)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'table'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"config file {path}, source {label}: {problems}") from None
        if source.name in names:
            raise ConfigError(f"config file {path}: two sources are named {source.name}")
        names.add(source.name)
        sources.append(source)
    return sources


def _resolved(source: SourceConfig, base: Path) -> SourceConfig:
    locations = [loc if "://" in loc else str(base / loc) for loc in source.location]
    return source.model_copy(update={"location": locations})


def _check_inside(source: SourceConfig, roots: list[Path]) -> None:
    """ConfigError when a local location resolves (`..`, symlinks) outside every root."""
    for location in source.location:
        if "://" in location:
            continue
        real = Path(location).resolve()
        if not any(real.is_relative_to(root) for root in roots):
            raise ConfigError(
                f"source {source.name}: location {location} resolves to {real}, outside the "
                f"allowed roots ({', '.join(map(str, roots))}); add its folder to "
                "SITREP_ALLOWED_ROOTS or set SITREP_ALLOW_ANY_LOCATION=true"
            )


def quiet_environment() -> None:
    """Set the no-telemetry environment before Prefect or GX is imported (user values win)."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
