"""Process-wide configuration, read from ``COMPTOIR_*`` environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration cannot work."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPTOIR_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("comptoir-data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; defaults to a SQLite file in the data directory.",
    )
    secret_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"

    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    web_session_days: int = Field(default=14, ge=1, le=365)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    trusted_proxies: bool = Field(
        default=False,
        description="Take the client IP from the right-most X-Forwarded-For entry, the one the "
        "single proxy in front appended.",
    )

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_from: str = "Comptoir <no-reply@localhost>"
    smtp_timeout_seconds: float = 15.0

    # Online VAT-number check against the EU's VIES service (off: numbers leave the
    # building, and the offline check of format and check digits always runs).
    vies_enabled: bool = False
    vies_url: str = "https://ec.europa.eu/taxation_customs/vies/rest-api/check-vat-number"
    vies_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Where uploaded files (receipts) live: the data directory unless a bucket is named.
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = Field(
        default=None, description="For S3-compatible services (MinIO, Scaleway, OVH...)."
    )
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    # Shares the API rate-limit counters between processes; in-process counters without it.
    redis_url: str | None = None
    # Personal access tokens: how often each process writes its "last used" and per-day
    # request counts (0: on every request).
    api_usage_flush_seconds: float = Field(default=10.0, ge=0, le=3600)

    # Outbound webhooks. Targets on private, loopback or link-local addresses are refused
    # unless this is set (a receiver on the same machine or network).
    webhooks_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    # Seconds before each attempt, the first one included: 0, 5 s, 5 min, 30 min, 2 h,
    # 5 h, 10 h, 24 h. A comma-separated list in the environment.
    webhook_retry_schedule: Annotated[tuple[int, ...], NoDecode] = (
        0,
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        86400,
    )
    webhook_disable_after_days: float = Field(default=5.0, gt=0)
    webhook_concurrency: int = Field(default=100, ge=1, le=1000)
    # How long a sender owns the deliveries it claimed; past it, deliveries left behind by
    # a killed worker are due again.
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    log_level: str = "INFO"
    log_format: Literal["json", "text"] | None = Field(
        default=None, description="Defaults to json in production, text elsewhere."
    )

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _schedule(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(" ", "").split(",") if part)
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule_is_sane(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(delay < 0 for delay in value):
            raise ValueError("give at least one delay, in seconds, none negative")
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'comptoir.sqlite3').resolve()}"

    @property
    def effective_log_format(self) -> str:
        return self.log_format or ("json" if self.env == "production" else "text")

    def resolved_secret_key(self) -> str:
        """The signing key; generated once and kept in the data directory outside production."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        if self.env == "production":
            raise ConfigurationError(
                "COMPTOIR_SECRET_KEY is not set. In production Comptoir refuses to start "
                "without it: set it to a long random string (for example the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
