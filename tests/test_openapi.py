"""The checked-in OpenAPI spec is the app's spec (regenerate with `make openapi`)."""

from __future__ import annotations

import json

from app.config import PROJECT_ROOT
from app.openapi import spec


def test_openapi_matches_checked_in_copy() -> None:
    checked_in = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())
    assert spec() == checked_in, "openapi/openapi.json is stale: run `make openapi`"


def test_operation_ids_are_stable_names() -> None:
    ids = [op["operationId"] for path in spec()["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert {"preview_plan", "create_athlete", "create_plan", "get_plan"} <= set(ids)
