"""Migrations: one head, up and down, and the models match what the migrations build —
on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_alembic.tests import (  # noqa: F401  (collected as tests here)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import Engine

from app.config import PROJECT_ROOT
from app.storage.db import make_engine
from tests.conftest import BACKENDS, Database


@pytest.fixture
def alembic_config() -> dict[str, str]:
    return {"script_location": str(PROJECT_ROOT / "alembic"), "path_separator": "os"}


@pytest.fixture(params=BACKENDS)
def alembic_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    database = Database(request.param, tmp_path)
    engine = make_engine(database.url)
    yield engine
    engine.dispose()
    database.drop()
