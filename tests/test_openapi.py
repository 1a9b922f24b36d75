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


def test_every_operation_documents_its_errors() -> None:
    """Every /v1 operation documents 401 and 429; every one with a body 413 and 422; and every
    documented error uses the one error body."""
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            where = f"{method.upper()} {path}"
            if path.startswith("/v1/"):
                assert {"401", "429"} <= codes, where
            if "requestBody" in operation or any(
                p["in"] == "query" for p in operation.get("parameters", [])
            ):
                assert "422" in codes, where
            if "requestBody" in operation:
                assert "413" in codes, where
            for code in codes - {"200", "201", "202", "204", "304"}:
                if path.startswith("/v1/"):
                    schema = operation["responses"][code]["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (where, code)


def test_write_safety_headers_are_in_the_document() -> None:
    """What a generated client needs to send and can read back: Idempotency-Key on every POST,
    If-Match required where the server answers 428 without it, and the response headers."""
    from app.openapi import spec

    paths = spec()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
            if method == "post" and path.startswith("/v1/"):
                assert "Idempotency-Key" in headers, f"{method} {path}"
            for status, response in operation["responses"].items():
                assert "X-Request-ID" in response.get("headers", {}), f"{method} {path} {status}"
                if status == "429":
                    assert "Retry-After" in response["headers"]
    patch = {p["name"]: p for p in paths["/v1/athletes/{athlete_id}"]["patch"]["parameters"]}
    assert patch["if-match"]["required"] is True
    put = {
        p["name"]: p
        for p in paths["/v1/rulesets/drafts/{draft_id}/files/{filename}"]["put"]["parameters"]
    }
    assert put["if-match"]["required"] is False  # If-None-Match: * creates a file instead
    assert "ETag" in paths["/v1/athletes/{athlete_id}"]["get"]["responses"]["200"]["headers"]
    created = paths["/v1/athletes/{athlete_id}/plans"]["post"]["responses"]["201"]["headers"]
    assert {"Location", "Idempotent-Replayed"} <= set(created)


def test_the_documented_examples_are_valid_responses() -> None:
    """The examples of the preview, the diff and the publish job in the document are what the
    models accept (so the document never shows a response the service cannot send)."""
    from app.api.schemas import JobOut, PreviewOut, RuleSetDiffOut

    schemas = spec()["components"]["schemas"]
    for model in (PreviewOut, RuleSetDiffOut, JobOut):
        [example] = schemas[model.__name__]["examples"]
        model.model_validate(example)
    preview = schemas["PreviewOut"]["examples"][0]["athletes"][0]["sessions"]["changed"]
    assert [c["wording_only"] for c in preview] == [False, True]
    assert schemas["JobOut"]["examples"][0]["status"] == "done_with_errors"
