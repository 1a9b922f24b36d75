"""The checked-in OpenAPI spec is the app's spec (regenerate with `make openapi`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

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
    from app.api.schemas import DraftPreviewOut, JobOut, RuleSetDiffOut

    schemas = spec()["components"]["schemas"]
    for model in (DraftPreviewOut, RuleSetDiffOut, JobOut):
        [example] = schemas[model.__name__]["examples"]
        model.model_validate(example)
    preview = schemas["DraftPreviewOut"]["examples"][0]["athletes"][0]["sessions"]["changed"]
    assert [c["wording_only"] for c in preview] == [False, True]
    assert schemas["JobOut"]["examples"][0]["status"] == "done_with_errors"


def _nodes(node: object, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON object in the document, with where it is."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, f"{where}/{index}")


def test_no_untyped_object_and_no_empty_schema() -> None:
    """A generated client gets a type for everything: no free objects (`additionalProperties:
    true`, an object without properties or typed values) and every content has a schema."""
    document = spec()
    for where, node in _nodes(document):
        assert node.get("additionalProperties") is not True, where
        if node.get("type") == "object" and "/examples/" not in where and "example" not in where:
            assert "properties" in node or isinstance(node.get("additionalProperties"), dict), where
    for path, item in document["paths"].items():
        for method, operation in item.items():
            contents = [operation.get("requestBody", {}).get("content", {})]
            contents += [r.get("content", {}) for r in operation["responses"].values()]
            for content in contents:
                for media_type, media in content.items():
                    assert media.get("schema"), f"{method} {path} {media_type}"


def test_closed_sets_are_named_enums() -> None:
    """Every enum of two or more values outside the components' own enums is a `$ref` to a
    named one, and the ones clients switch on exist under their names."""
    document = spec()
    schemas = document["components"]["schemas"]
    for where, node in _nodes(document):
        if "enum" in node and len(node["enum"]) > 1:
            assert where.startswith("/components/schemas/"), where
            assert where.count("/") == 3, where
    assert schemas["JobStatus"]["enum"][:3] == ["queued", "running", "done"]
    assert schemas["VerdictLoad"]["enum"] == ["progress", "hold", "regress"]
    assert schemas["Role"]["enum"] == ["admin", "coach", "app"]
    phase = {"$ref": "#/components/schemas/Phase"}
    assert schemas["SessionOut"]["properties"]["phase"] == phase
    assert schemas["WeekOut"]["properties"]["phase"] == phase
    assert schemas["PhaseOut"]["properties"]["name"] == phase
    units = {"$ref": "#/components/schemas/Units"}
    for model in ("AthleteOut", "Plan", "PlanAthlete"):
        assert schemas[model]["properties"]["units"] == units, model
    assert schemas["JobOut"]["properties"]["status"]["$ref"] == "#/components/schemas/JobStatus"


def test_the_former_free_objects_are_models() -> None:
    schemas = spec()["components"]["schemas"]
    paths = spec()["paths"]
    assert schemas["IntakeOut"]["properties"]["intake"] == {"$ref": "#/components/schemas/Intake"}
    assert schemas["RuleSetsOut"]["properties"]["active"] == {
        "$ref": "#/components/schemas/ActiveRuleSet"
    }
    drafts = "/v1/rulesets/drafts/{draft_id}"
    for action, model in (
        ("validate", "DraftValidateOut"),
        ("test", "DraftTestOut"),
        ("preview", "DraftPreviewOut"),
    ):
        answer = paths[f"{drafts}/{action}"]["post"]["responses"]["200"]["content"]
        assert answer["application/json"]["schema"] == {"$ref": f"#/components/schemas/{model}"}
    detail = schemas["ErrorBody"]["properties"]["detail"]["anyOf"]
    assert {"type": "string"} in detail
    (listed,) = (arm for arm in detail if arm.get("type") == "array")
    assert {"$ref": "#/components/schemas/FieldError"} in listed["items"]["anyOf"]
    assert schemas["FieldError"]["required"] == ["loc", "msg", "type"]


def test_optional_bodies_are_optional_request_bodies() -> None:
    paths = spec()["paths"]
    for path, model in (
        ("/v1/athletes/{athlete_id}/plans", "PlanCreate"),
        ("/v1/athletes/{athlete_id}/feed-tokens", "FeedTokenCreate"),
        ("/v1/rulesets/drafts/{draft_id}/preview", "PreviewRequest"),
    ):
        body = paths[path]["post"]["requestBody"]
        assert body["required"] is False, path
        assert body["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{model}"
        }
    assert paths["/v1/athletes"]["post"]["requestBody"]["required"] is True


def test_outputs_require_what_they_always_send_and_inputs_do_not_require_defaults() -> None:
    schemas = spec()["components"]["schemas"]
    plan = set(schemas["Plan"]["required"])
    assert {"sessions", "weeks", "phases", "exercises", "reasons", "revision"} <= plan
    assert {"referral", "near_misses"}.isdisjoint(plan)  # left out when they have no value
    assert {"exercises", "drills", "notes", "why"} <= set(schemas["SessionOut"]["required"])
    assert {"external_ref", "coach_id"} <= set(schemas["AthleteOut"]["required"])  # sent as null
    assert {"errors", "failures", "finished_at"} <= set(schemas["JobOut"]["required"])
    for name, schema in schemas.items():
        for key in schema.get("required", []):
            assert "default" not in schema["properties"][key] or name in OUTPUTS, (name, key)
    assert set(schemas["CheckInIn"]["required"]) == {"date", "pain_during"}
    assert schemas["AthleteCreate"]["required"] == ["name"]


# Response schemas (their defaults say what is sent when nothing else is; they are required).
OUTPUTS = {
    "ActiveRuleSet", "AthleteOut", "BlockOut", "Changed", "ExerciseChanges", "ExerciseInfo",
    "Feasibility", "FeedTokenCreated", "FeedTokenOut", "ApiKeyCreated", "ApiKeyOut", "Health",
    "JobFailure", "JobOut", "Plan", "Referral", "SessionOut", "WeekOut", "WorkoutOut",
    "Decision", "Page", "AthletePage", "CoachPage", "ApiKeyPage", "FeedTokenPage",
    "TermOut", "GateCriterionOut", "CheckInOut", "ExerciseDose", "SessionChange",
}  # fmt: skip


def test_pages_dates_and_text_responses_are_typed() -> None:
    document = spec()
    paths, schemas = document["paths"], document["components"]["schemas"]
    for path, page in (
        ("/v1/athletes", "AthletePage"),
        ("/v1/coaches", "CoachPage"),
        ("/v1/api-keys", "ApiKeyPage"),
        ("/v1/athletes/{athlete_id}/feed-tokens", "FeedTokenPage"),
    ):
        answer = paths[path]["get"]["responses"]["200"]["content"]["application/json"]
        assert answer["schema"] == {"$ref": f"#/components/schemas/{page}"}, path
        assert schemas[page]["properties"]["items"]["items"]["$ref"] != "", page
        assert schemas[page]["required"] == ["items", "next_cursor"], page
    assert "Page" not in schemas  # the untyped base is no response
    for model, field in (("SessionChange", "date"), ("CheckInOut", "date"), ("CapChange", "week")):
        assert schemas[model]["properties"][field]["format"] == "date", model
    for path, media_type in (
        ("/feeds/{token}.ics", "text/calendar"),
        ("/v1/plans/{plan_id}.ics", "text/calendar"),
        ("/v1/plans/{plan_id}/chart.svg", "image/svg+xml"),
    ):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert content[media_type]["schema"] == {"type": "string"}, path
    feed = {p["name"] for p in paths["/feeds/{token}.ics"]["get"]["parameters"]}
    assert {"If-None-Match", "If-Modified-Since"} <= feed
    assert "ETag" in paths["/feeds/{token}.ics"]["get"]["responses"]["304"]["headers"]


def test_examples_and_tags() -> None:
    """Every JSON request body has an example, and so do the main responses; every tag an
    operation uses is described."""
    document = spec()
    used = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            used.update(operation["tags"])
            for content in operation.get("requestBody", {}).get("content", {}).values():
                assert "example" in content or "examples" in content, f"{method} {path}"
    described = {tag["name"]: tag["description"] for tag in document["tags"]}
    assert used == set(described)
    assert all(described.values())
    paths = document["paths"]
    for path, method, status in (
        ("/v1/athletes", "post", "201"),
        ("/v1/athletes/{athlete_id}/intakes", "post", "201"),
        ("/v1/athletes/{athlete_id}/plans", "post", "201"),
        ("/v1/plans/{plan_id}", "get", "200"),
        ("/v1/plans/preview", "post", "200"),
        ("/v1/athletes/{athlete_id}/feed-tokens", "post", "201"),
    ):
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        assert "example" in content or "examples" in content, f"{method} {path}"


def test_the_examples_are_valid_bodies() -> None:
    """The examples parse as the models they show (redocly checks them against the schemas)."""
    from app.api.schemas import AthleteCreate, AthleteOut, FeedTokenCreated, IntakeOut
    from app.intake.checkin import CheckInIn
    from app.intake.models import Intake
    from app.plan.models import Plan

    document = spec()
    paths, shared = document["paths"], document["components"]["examples"]

    def example(path: str, method: str, status: str | None = None) -> Any:
        operation = paths[path][method]
        content = (
            operation["requestBody"]["content"]
            if status is None
            else operation["responses"][status]["content"]
        )["application/json"]
        if "example" in content:
            return content["example"]
        (named,) = content["examples"].values()
        return shared[named["$ref"].rsplit("/", 1)[1]]["value"]

    AthleteCreate.model_validate(example("/v1/athletes", "post"))
    AthleteOut.model_validate(example("/v1/athletes", "post", "201"))
    Intake.model_validate(example("/v1/athletes/{athlete_id}/intakes", "post"))
    Intake.model_validate(example("/v1/plans/preview", "post"))
    IntakeOut.model_validate(example("/v1/athletes/{athlete_id}/intakes", "post", "201"))
    CheckInIn.model_validate(example("/v1/athletes/{athlete_id}/check-ins", "post"))
    FeedTokenCreated.model_validate(example("/v1/athletes/{athlete_id}/feed-tokens", "post", "201"))
    plan = Plan.model_validate(example("/v1/plans/{plan_id}", "get", "200"))
    assert plan.sessions
    assert all(e.id in plan.exercises for s in plan.sessions for e in s.exercises)
    assert {r for s in plan.sessions for r in s.why} <= set(plan.reasons)
