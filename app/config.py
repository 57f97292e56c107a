"""Settings: the one place that reads the environment.

`Settings` is built once (by the CLI or by a test) and passed down to `create_app(settings)`, the worker and the
services. No other module reads `os.environ`. Every field can be set as `TAXRECON_<NAME>` or in a `.env` file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BROKER_SCHEMES = ("memory", "redis", "rediss", "amqp", "amqps")


class Settings(BaseSettings):
    """Runtime configuration of taxrecon (env prefix ``TAXRECON_``)."""

    model_config = SettingsConfigDict(
        env_prefix="TAXRECON_", env_file=".env", extra="forbid", validate_default=True
    )

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./var/taxrecon.db"
    broker_url: str = "memory://"
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet key(s), comma-separated; the first encrypts, all decrypt."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    embedded_worker: bool = True
    worker_threads: int = Field(default=4, ge=1, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    access_log: bool = Field(default=False, description="one log line per HTTP request (uvicorn's access log)")

    # Jobs and outbox
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_sweep_interval_seconds: float = Field(default=5.0, gt=0)
    outbox_relay_batch: int = Field(default=500, ge=1, le=10_000)
    job_max_retries: int = Field(default=5, ge=0, le=50)
    job_min_backoff_ms: int = Field(default=500, ge=1)
    job_max_backoff_ms: int = Field(default=300_000, ge=1)
    job_time_limit_ms: int = Field(default=600_000, ge=1000)
    job_max_age_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=1000)
    job_batch_size: int = Field(default=100, ge=1, le=1000, description="most jobs of a batchable kind per message")
    job_batch_seconds: float = Field(default=0.05, gt=0, le=60,
                                     description="a batch starts no job after this long (SQLite: the write lock)")

    # HTTP and GraphQL limits
    webhook_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    graphql_max_depth: int = Field(default=12, ge=2, le=50)
    graphql_max_tokens: int = Field(default=4000, ge=100)
    graphql_max_aliases: int = Field(default=30, ge=1)
    graphql_cache_size: int = Field(default=256, ge=1)
    graphql_max_page_size: int = Field(default=500, ge=1, le=10_000)

    # Shopify
    shopify_api_version: str = "2026-10"
    public_url: str = "http://127.0.0.1:8000"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme.split("+", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                f"unsupported database URL scheme {scheme!r}: use sqlite:///path.db or postgresql://user@host/db"
            )
        return value

    @field_validator("broker_url")
    @classmethod
    def _check_broker_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in BROKER_SCHEMES:
            raise ValueError(
                f"unsupported broker URL scheme {scheme!r}: use memory://, redis://host:port/db or amqp://user:pw@host"
            )
        return value

    @field_validator("shopify_api_version")
    @classmethod
    def _check_api_version(cls, value: str) -> str:
        parts = value.split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or parts[1] not in ("01", "04", "07", "10"):
            raise ValueError(f"Shopify API versions look like 2026-10 (quarterly), not {value!r}")
        return value

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.env == "production" and self.secret_key is None:
            raise ValueError("TAXRECON_SECRET_KEY is required when TAXRECON_ENV=production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def broker_kind(self) -> str:
        """``memory``, ``redis`` or ``amqp`` (TLS variants folded in)."""
        return {"rediss": "redis", "amqps": "amqp"}.get(urlsplit(self.broker_url).scheme,
                                                        urlsplit(self.broker_url).scheme)

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for a SQLite URL (None for PostgreSQL or an in-memory SQLite)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[-1]
        return None if path in ("", ":memory:") else Path(path)

    @property
    def data_dir(self) -> Path:
        """Where local state lives beside the database (the development secret key, for one)."""
        path = self.sqlite_path
        return path.parent if path is not None else Path("./var")
