"""Shared fixtures: the shipped rule set, example intakes, databases (SQLite always, PostgreSQL
when 127.0.0.1:5432 answers) and an API client on a migrated database."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT, Settings
from app.engine.compile import load_ruleset
from app.engine.model import RuleSet
from app.intake.checks import finalize
from app.intake.models import Intake
from app.main import create_app
from app.queue import embedded_worker, uses_queue
from app.services.organizations import create_organization
from app.storage.db import make_engine, make_sessionmaker
from app.storage.migrations import upgrade

EXAMPLES = PROJECT_ROOT / "examples"
RULES = PROJECT_ROOT / "rules"
TODAY = date(2026, 1, 1)
POSTGRES_URL = os.environ.get(
    "STRIDEPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def postgres_available() -> bool:
    url = make_url(POSTGRES_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            return True
    except OSError:
        return False


POSTGRES = postgres_available()
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not POSTGRES,
                reason="PostgreSQL is not answering at 127.0.0.1:5432: start it with "
                "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set "
                "STRIDEPLAN_TEST_POSTGRES_URL",
            ),
        ],
    ),
]


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_ruleset(RULES)


def load_example(name: str) -> dict[str, Any]:
    """An example intake as sent to the API: its 2026 season has passed, so it says so."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return {**data, "historical": True}


def example_intake(name: str) -> Intake:
    return finalize(Intake.model_validate(load_example(name)), TODAY)


class Database:
    """A fresh, empty database for one backend, dropped afterwards."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp / 'test.db'}"
            self._admin = None
        else:
            name = f"strideplan_test_{uuid.uuid4().hex[:12]}"
            self._admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with self._admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            self.url = make_url(POSTGRES_URL).set(database=name).render_as_string(False)
            self._name = name

    def drop(self) -> None:
        if self._admin is not None:
            with self._admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)'))
            self._admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database per backend, shared by the tests of a session (they isolate
    themselves by organisation, which is what tenancy is for)."""
    db = Database(request.param, tmp_path_factory.mktemp(request.param))
    upgrade(PROJECT_ROOT / "alembic", db.url)
    yield db
    db.drop()


@pytest.fixture(scope="session")
def settings(database: Database) -> Settings:
    # Every test client shares one address: the per-address limit has its own tests.
    return Settings(
        database_url=database.url,
        public_base_url="https://plans.example.test",
        address_rate_limit_per_minute=0,
    )


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """The API; on PostgreSQL with a queue worker on a thread beside it (re-generation goes
    through the queue there), running tasks with the app's own services (tests set its clock)."""
    app = create_app(settings)
    with TestClient(app) as test_client:
        services = app.state.services
        worker = (
            embedded_worker(settings, services)
            if uses_queue(settings)
            else contextlib.nullcontext()
        )
        # The worker runs beside the other tests: its job-by-job log lines would land in
        # whatever output they capture (the CLI's JSON, say). Its warnings still show.
        queue_log = logging.getLogger("procrastinate")
        level = queue_log.level
        queue_log.setLevel(logging.WARNING)
        try:
            with worker:
                yield test_client
        finally:
            queue_log.setLevel(level)


def new_org(settings: Settings, name: str = "Club") -> tuple[str, str]:
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as db, db.begin():
        organization, key = create_organization(db, name)
        organization_id = organization.id
    engine.dispose()
    return organization_id, key


@pytest.fixture
def org(settings: Settings) -> tuple[str, str]:
    """A new organisation and its API key."""
    return new_org(settings)


@pytest.fixture
def auth(org: tuple[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {org[1]}"}
