"""What the OpenAPI document says beyond the routes' signatures: the write-safety headers a
client sends (Idempotency-Key, a required If-Match) and the headers it gets back (ETag,
Location, Retry-After, Idempotent-Replayed, X-Request-ID); every closed set of values as one
named enum; optional bodies as optional; tags with descriptions; and examples."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any, get_args

from fastapi import FastAPI

from app.api import schemas
from app.api.idempotency import MAX_KEY
from app.config import PROJECT_ROOT
from app.contract import entries
from app.plan import models as plan

# Updates the server refuses (428) without If-Match; a file edit may send If-None-Match instead.
IF_MATCH_REQUIRED = {
    ("patch", "/v1/athletes/{athlete_id}"),
    ("delete", "/v1/rulesets/drafts/{draft_id}"),
    ("delete", "/v1/rulesets/drafts/{draft_id}/files/{filename}"),
}
# Responses that carry the object's ETag (for a later If-Match).
ETAG = {
    ("get", "/v1/athletes/{athlete_id}"),
    ("patch", "/v1/athletes/{athlete_id}"),
    ("post", "/v1/rulesets/drafts"),
    ("get", "/v1/rulesets/drafts/{draft_id}"),
    ("get", "/v1/rulesets/drafts/{draft_id}/files/{filename}"),
    ("put", "/v1/rulesets/drafts/{draft_id}/files/{filename}"),
    ("get", "/feeds/{token}.ics"),
    ("head", "/feeds/{token}.ics"),
}
LOCATION = {("post", "/v1/athletes/{athlete_id}/plans")}
# The calendar feed answers a conditional request with 304 (calendar apps poll it).
FEED = {("get", "/feeds/{token}.ics"), ("head", "/feeds/{token}.ics")}
CONDITIONAL = [
    {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "The ETag of the copy the client has: 304 while it is current",
        "schema": {"type": "string"},
    },
    {
        "name": "If-Modified-Since",
        "in": "header",
        "required": False,
        "description": "The Last-Modified of the copy the client has (used without If-None-Match)",
        "schema": {"type": "string"},
    },
]

_STRING = {"schema": {"type": "string"}}
REQUEST_ID = {"description": "The request's id (quote it when reporting a problem)", **_STRING}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any string the client chooses: the same key with the same body replays the "
    "first response (header `Idempotent-Replayed: true`), with another body it is a 422. Kept "
    "24 hours, per API key and path.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
}


def _headers(response: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, Any] = response.setdefault("headers", {})
    return headers


def add_write_safety(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the write-safety headers described (changed in place)."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            key = (method, path)
            parameters = operation.setdefault("parameters", [])
            for parameter in parameters:
                if parameter.get("in") == "header" and parameter["name"] == "if-match":
                    parameter["required"] = key in IF_MATCH_REQUIRED
            if method == "post" and path.startswith("/v1/"):
                parameters.append(dict(IDEMPOTENCY_KEY))
            if key in FEED:
                parameters.extend(dict(p) for p in CONDITIONAL)
            if not parameters:
                del operation["parameters"]
            for status, response in operation.get("responses", {}).items():
                headers = _headers(response)
                headers["X-Request-ID"] = REQUEST_ID
                if status == "429":
                    headers["Retry-After"] = {
                        "description": "Seconds to wait before trying again",
                        "schema": {"type": "integer"},
                    }
                if key in FEED and status in ("200", "304"):
                    headers["ETag"] = {
                        "description": "For If-None-Match on the next fetch",
                        **_STRING,
                    }
                    headers["Last-Modified"] = {
                        "description": "When the plan last changed (for If-Modified-Since)",
                        **_STRING,
                    }
                if not status.startswith("2"):
                    continue
                if key in ETAG and key not in FEED:
                    headers["ETag"] = {"description": "For If-Match on a later update", **_STRING}
                if key in LOCATION:
                    headers["Location"] = {"description": "The created plan", **_STRING}
                if method == "post" and path.startswith("/v1/"):
                    headers["Idempotent-Replayed"] = {
                        "description": "`true` when this is the stored first response to the "
                        "request's Idempotency-Key",
                        "schema": {"type": "string", "enum": ["true"]},
                    }
    return document


# Each closed set of values the API takes or sends, by the name of its schema. (The intake's
# vocabularies, Units, Side, Priority…, are named by their own enums already.)
NAMED_ENUMS: dict[str, tuple[str, ...]] = {
    "Role": get_args(schemas.Role),
    "JobStatus": get_args(schemas.JobStatus),
    "VerdictLoad": get_args(schemas.Load),
    "ChangeKind": get_args(schemas.Change),
    "PlanStatus": get_args(plan.Status),
    "Phase": get_args(plan.PhaseName),
    "SessionKind": get_args(plan.SessionKind),
    "WeekKind": get_args(plan.WeekKind),
    "RunType": get_args(plan.RunType),
    "BlockKind": get_args(plan.BlockKind),
    "GateStatus": get_args(plan.GateOut.model_fields["status"].annotation),
    "ReviewLevel": get_args(plan.ReviewFinding.model_fields["level"].annotation),
    "ExerciseKind": get_args(plan.ExerciseInfo.model_fields["kind"].annotation),
    "ExerciseBlock": get_args(entries.Block),
    "FailureOutcome": get_args(schemas.JobFailure.model_fields["outcome"].annotation),
    "DraftSource": ("base", "active"),
    "HealthStatus": get_args(schemas.HealthStatus),
}
_KEPT_BESIDE_REF = ("description", "default", "examples")


def _replace_enums(node: Any, names: dict[frozenset[str], str]) -> Any:
    if isinstance(node, list):
        return [_replace_enums(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    if "x-ref" in node:
        return {"$ref": f"#/components/schemas/{node['x-ref']}"}
    values = node.get("enum")
    if isinstance(values, list) and len(values) > 1 and frozenset(values) in names:
        kept = {k: node[k] for k in _KEPT_BESIDE_REF if k in node}
        return {"$ref": f"#/components/schemas/{names[frozenset(values)]}", **kept}
    return {key: _replace_enums(value, names) for key, value in node.items()}


def name_enums(document: dict[str, Any]) -> dict[str, Any]:
    """Every closed set of values as a `$ref` to one named enum schema (so a generated client
    has one type per set), and `x-ref` placeholders as references."""
    components: dict[str, Any] = document["components"]["schemas"]
    for name, values in NAMED_ENUMS.items():
        assert name not in components, name
        components[name] = {"type": "string", "enum": list(values), "title": name}
    names = {
        frozenset(schema["enum"]): name for name, schema in components.items() if "enum" in schema
    }
    for name, schema in components.items():
        body = {k: v for k, v in schema.items() if k != "enum"}
        components[name] = {
            **_replace_enums(body, names),
            **({"enum": schema["enum"]} if "enum" in schema else {}),
        }
    document["paths"] = _replace_enums(document["paths"], names)
    document["components"]["schemas"] = dict(sorted(components.items()))
    return document


def optional_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """A body the route may go without is an optional `requestBody` of the model, not a
    required one that may be null."""
    for item in document["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody")
            if body is None:
                continue
            for media in body["content"].values():
                arms = media["schema"].get("anyOf", [])
                if len(arms) == 2 and {"type": "null"} in arms:
                    (model,) = (arm for arm in arms if arm != {"type": "null"})
                    media["schema"] = model
                    body["required"] = False
            body.setdefault("required", True)
    return document


TAGS = [
    {"name": "athletes", "description": "Athletes, their intakes, plans and check-ins"},
    {
        "name": "plans",
        "description": "Plans: a preview from an intake, a stored plan as JSON, "
        "iCalendar or an SVG chart",
    },
    {
        "name": "calendar",
        "description": "Calendar feeds: tokens per athlete and the public "
        "iCalendar feed a calendar app subscribes to",
    },
    {"name": "vocabulary", "description": "The terms an intake may name"},
    {
        "name": "rules",
        "description": "The organisation's rule sets: drafts, their files, "
        "validation, tests and previews, publishing, rollback and the re-generation jobs",
    },
    {"name": "organisation", "description": "Coaches and API keys (admin keys)"},
    {"name": "operations", "description": "Liveness and readiness"},
]


@cache
def _example(name: str) -> Any:
    return json.loads((PROJECT_ROOT / name).read_text())


def _request_examples() -> dict[str, Any]:
    intake = _example("examples/couch_to_5k.json")
    return {
        "create_athlete": {"name": "Priya", "timezone": "Europe/London", "units": "km"},
        "update_athlete": {"timezone": "Europe/Paris"},
        "create_intake": intake,
        "preview_plan": intake,
        "create_plan": {"start_date": "2026-03-02"},
        "create_check_in": {
            "date": "2026-03-07",
            "pain_during": 2,
            "pain_next_morning": 1,
            "completed": ["d53956ec-fcf8-52e2-be71-a862e4a5fb3f"],
        },
        "create_feed_token": {"name": "Phone calendar", "alarm_minutes": 30},
        "create_coach": {"name": "Sam", "can_publish": False},
        "patch_coach": {"can_publish": True},
        "create_key": {"role": "app", "name": "Mobile app"},
        "create_ruleset_draft": {"based_on": "active"},
        "preview_ruleset_draft": {"from_date": "2026-03-02"},
        "rollback_ruleset": {"version": 1},
    }


def _response_examples() -> dict[str, tuple[str, Any]]:
    plan_example = _example("openapi/examples/plan.json")
    athlete = {
        "id": "0f6f4c8e-3d55-4a8e-9a0e-5f1b2c3d4e5f",
        "name": "Priya",
        "timezone": "Europe/London",
        "units": "km",
        "external_ref": None,
        "coach_id": None,
        "version": 1,
        "created_at": "2026-02-20T09:30:00Z",
    }
    return {
        "create_athlete": ("201", athlete),
        "get_athlete": ("200", athlete),
        "create_intake": (
            "201",
            {
                "id": "7a1c9b2e-4f3d-4c5b-8a6e-1d2c3b4a5f60",
                "athlete_id": athlete["id"],
                "version": 1,
                "created_at": "2026-02-20T09:31:00Z",
                "intake": _example("examples/couch_to_5k.json"),
            },
        ),
        "preview_plan": ("200", plan_example),
        "create_plan": ("201", plan_example),
        "get_plan": ("200", plan_example),
        "create_feed_token": (
            "201",
            {
                "id": "5b2e8c1a-9d4f-4e6b-a7c3-2f1e0d9c8b7a",
                "athlete_id": athlete["id"],
                "name": "Phone calendar",
                "alarm_minutes": 30,
                "created_at": "2026-02-20T09:35:00Z",
                "last_used_at": None,
                "revoked": False,
                "url": "https://plans.example.com/feeds/fGk2...Qw.ics",
                "webcal_url": "webcal://plans.example.com/feeds/fGk2...Qw.ics",
            },
        ),
    }


YAML = """topic: Hip strength
rules:
  - id: hips.extra_bridge
    title: An extra set of bridges
    why: Weak hips tire late in a long run.
    when: {fact: finding, name: weak_glute_max}
    then:
      - add_sets: {exercise: glute_bridge, sets: 1}
"""
INVALID_EXAMPLE = {
    "error": "invalid_input",
    "message": "invalid fields: body.name, body.timezone",
    "detail": [
        {
            "loc": ["body", "name"],
            "msg": "String should have at least 1 character",
            "type": "string_too_short",
        },
        {"loc": ["body", "timezone"], "msg": "unknown time zone", "type": "value_error"},
    ],
}


# Examples several operations show, once under components/examples: (file, summary).
SHARED_EXAMPLES = {
    "Intake": ("examples/couch_to_5k.json", "A runner new to running, aiming at a park 5K"),
    "Plan": ("openapi/examples/plan.json", "The first week of that runner's plan"),
}


def _show(media: dict[str, Any], example: Any) -> None:
    for name, (file, _) in SHARED_EXAMPLES.items():
        if example is _example(file):
            media["examples"] = {name: {"$ref": f"#/components/examples/{name}"}}
            return
    media["example"] = example


def add_examples(document: dict[str, Any]) -> dict[str, Any]:
    """A request example for every body and examples of the main responses."""
    requests, answers = _request_examples(), _response_examples()
    for item in document["paths"].values():
        for operation in item.values():
            name = operation["operationId"]
            for media_type, body in operation.get("requestBody", {}).get("content", {}).items():
                _show(body, requests[name] if media_type == "application/json" else YAML)
            if name in answers:
                status, example = answers[name]
                _show(operation["responses"][status]["content"]["application/json"], example)
            invalid = operation["responses"].get("422", {}).get("content", {})
            if "requestBody" in operation and "application/json" in invalid:
                invalid["application/json"]["example"] = INVALID_EXAMPLE
    document["components"]["examples"] = {
        name: {"summary": summary, "value": _example(file)}
        for name, (file, summary) in SHARED_EXAMPLES.items()
    }
    return document


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """The generated document with everything this module adds."""
    document = add_write_safety(optional_bodies(name_enums(document)))
    for item in document["paths"].values():
        for operation in item.values():
            operation.setdefault("security", [])  # public: the feed (its token), health
    document["servers"] = [{"url": "/", "description": "The server this document comes from"}]
    document["tags"] = TAGS
    return add_examples(document)


def install(app: FastAPI) -> None:
    """Serve (and check in) the finished document."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
