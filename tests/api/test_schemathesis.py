"""Property-based contract testing with schemathesis, in process, over every operation of the
OpenAPI document, authenticated and seeded: no server errors, and every response conforms to
the documented status codes, content types, headers and schemas.

(The schemathesis pytest plugin does not run under pytest 9, so each operation is a
parametrised test driving `operation.as_strategy()` with hypothesis directly. Set
STRIDEPLAN_SCHEMATHESIS_REPORT=path to write how many cases each operation ran.)"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from tests.conftest import new_org

SPEC = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())
OPERATIONS = sorted(
    (path, method.upper()) for path, item in SPEC["paths"].items() for method in item
)
EXAMPLES = 25
# "Schema-valid data must be accepted" cannot hold for this API: its intake rules span fields
# (a goal after the start date, runs_per_week within run_days, a known IANA zone...), which
# JSON Schema cannot say. Those rejections are 422s naming the field, tested elsewhere.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]
COUNTS: dict[str, int] = {}


@pytest.fixture(scope="module")
def schema_app(settings: Settings) -> Iterator[TestClient]:
    """The app with rate limits off (the fuzzer sends many requests with one key)."""
    relaxed = settings.model_copy(
        update={"rate_limit_per_minute": 0, "feed_rate_limit_per_minute": 0}
    )
    with TestClient(create_app(relaxed)) as client:
        yield client


@pytest.fixture(scope="module")
def api_schema(schema_app: TestClient) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", schema_app.app)


@pytest.fixture(scope="module")
def auth(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {new_org(settings, 'Fuzzed club')[1]}"}


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_operation_conforms(
    api_schema: schemathesis.schemas.BaseSchema, auth: dict[str, str], path: str, method: str
) -> None:
    operation = api_schema[path][method]
    label = f"{method} {path}"
    COUNTS[label] = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case[Any]) -> None:
        COUNTS[label] += 1
        case.call_and_validate(headers=auth, excluded_checks=EXCLUDED)

    run()
    assert COUNTS[label] > 0
    report = os.environ.get("STRIDEPLAN_SCHEMATHESIS_REPORT")
    if report:
        Path(report).write_text(json.dumps(COUNTS, indent=2, sort_keys=True))
