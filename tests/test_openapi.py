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


def test_rule_schema_matches_checked_in_copy() -> None:
    from app.engine.schema import rule_file_json_schema

    checked_in = json.loads((PROJECT_ROOT / "rules" / "schema.json").read_text())
    assert rule_file_json_schema() == checked_in, "rules/schema.json is stale: run `make schema`"


def test_shipped_rule_files_validate_against_the_schema() -> None:
    import jsonschema
    import yaml

    schema = json.loads((PROJECT_ROOT / "rules" / "schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    rule_files = [
        p
        for p in (PROJECT_ROOT / "rules").glob("*.yaml")
        if p.name not in ("catalog.yaml", "ruleset.yaml")
    ]
    assert rule_files
    for path in rule_files:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert not errors, f"{path.name}: {errors[0].message} at {list(errors[0].absolute_path)}"
    bad = {
        "topic": "Bad",
        "rules": [
            {
                "id": "x.y",
                "title": "Bad",
                "why": "A reason here.",
                "when": {"fact": "symptom", "colour": "red"},
                "then": [{"note": {"text": "hello"}}],
            }
        ],
    }
    assert list(validator.iter_errors(bad))
