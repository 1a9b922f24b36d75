"""Settings: the only reader of the process environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Service configuration, read from `STRIDEPLAN_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="STRIDEPLAN_", extra="ignore", frozen=True)

    database_url: str = Field(
        default="sqlite:///./strideplan.db",
        description="SQLAlchemy URL; SQLite by default, postgresql+psycopg:// in production.",
    )
    rules_dir: Path = Field(default=PROJECT_ROOT / "rules", description="The shipped rule base.")
    alembic_dir: Path = Field(default=PROJECT_ROOT / "alembic", description="Migration scripts.")
    assets_dir: Path = Field(
        default=PROJECT_ROOT / "frontend" / "node_modules",
        description="The installed front-end packages (frontend/package-lock.json) the studio, "
        "/docs and /redoc serve their scripts from",
    )
    studio_session_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="How long a studio sign-in lasts"
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL used in links that leave the API (calendar URLs, session URLs).",
    )
    calendar_host: str = Field(
        default="strideplan.app",
        description="Domain part of calendar UIDs (<session-id>@<host>); never change it once "
        "athletes have subscribed, or their calendars will duplicate events.",
    )
    log_level: str = "INFO"
    log_json: bool = True
    configure_logging: bool = Field(
        default=False,
        description="Send JSON logs to stdout (set by `strideplan serve` for its workers)",
    )
    rate_limit_per_minute: int = Field(
        default=1200,
        ge=0,
        description="Requests a minute per API key, across every API process when "
        "Redis is set, else per process (0: off)",
    )
    feed_rate_limit_per_minute: int = Field(
        default=120,
        ge=0,
        description="Feed requests a minute per calendar URL (shared like the above; 0: off)",
    )
    address_rate_limit_per_minute: int = Field(
        default=3000,
        ge=0,
        description="Requests a minute per client address (shared like the above), checked "
        "before any API "
        "key is looked up, so made-up keys cost nothing past it (0: off; behind a proxy, run "
        "the server with --proxy-headers so the address is the client's)",
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    redis_url: str | None = Field(
        default=None,
        description="Redis for the rate-limit counters, shared by every API process and machine "
        "(redis://host:6379/0); unset: each process counts on its own, in memory",
    )
    redis_key_prefix: str = Field(
        default="strideplan", description="Prefix of this deployment's keys in Redis"
    )
    jobs: Literal["auto", "queue", "in_process"] = Field(
        default="auto",
        description="Where plan re-generation runs: `queue` (PostgreSQL only: tasks in the "
        "database's job queue, run by `strideplan worker`), `in_process` (the API process that "
        "accepted the publish, resuming unfinished jobs when it starts), `auto` (queue on "
        "PostgreSQL, in process on SQLite)",
    )
    worker_heartbeat_seconds: float = Field(
        default=5.0, gt=0, description="How often a worker says it is alive"
    )
    worker_stalled_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A worker silent this long is taken for dead: its tasks go back in the queue",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
