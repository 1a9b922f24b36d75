"""Alembic, driven from code: `strideplan db upgrade`, readiness and the test fixtures."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from alembic import command
from app.storage.db import normalise_url


def alembic_config(alembic_dir: Path, database_url: str) -> Config:
    """An Alembic configuration for the migration scripts in `alembic_dir`."""
    config = Config()
    config.set_main_option("script_location", str(alembic_dir))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return config


def upgrade(alembic_dir: Path, database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(alembic_dir, database_url), revision)


@lru_cache(maxsize=8)
def head_revision(alembic_dir: Path) -> str | None:
    """The newest migration among the scripts (read once per process: they do not change)."""
    script = ScriptDirectory(str(alembic_dir))
    return script.get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The database's migration (None before the first), read directly so that a readiness
    probe every few seconds does not log Alembic's start-up lines."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    version: str | None = connection.execute(
        text("SELECT version_num FROM alembic_version")
    ).scalar()
    return version
