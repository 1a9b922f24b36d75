"""Request and response bodies of the API that are not part of the core contract."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.intake.models import IsoDate, Name, TimezoneName, UnitsField
from app.intake.vocabulary import Units
from app.plan.models import Plan


class ErrorBody(BaseModel):
    """Every error: a stable code and the details (for 422s, one entry per bad field)."""

    error: str = Field(examples=["invalid_input"])
    message: str | None = Field(
        default=None,
        description="What went wrong, in a sentence (also when `detail` is a list)",
        examples=["The intake has invalid fields"],
    )
    detail: Any = Field(
        examples=[[{"loc": ["body", "goals", 0, "date"], "msg": "...", "type": "goal_date"}]]
    )


class AthleteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name
    timezone: TimezoneName = "UTC"
    units: UnitsField = Units.km
    external_ref: Annotated[str, Field(max_length=100)] | None = None
    coach_id: Annotated[str, Field(max_length=36)] | None = Field(
        default=None, description="The coach who owns the athlete (a coach key: always itself)"
    )


class AthleteOut(BaseModel):
    id: str
    name: str
    timezone: str
    units: str
    external_ref: str | None = None
    coach_id: str | None = None
    version: int = Field(description='Send it back as If-Match ("v<version>") to update')
    created_at: datetime


class IntakeOut(BaseModel):
    id: str
    athlete_id: str
    version: int
    created_at: datetime
    intake: dict[str, Any]


class PlanCreate(BaseModel):
    """Generate a plan from the athlete's latest intake (or the one named)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    intake_id: Annotated[str, Field(max_length=36)] | None = None
    start_date: IsoDate | None = None


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


class Verdict(BaseModel):
    """The pain-monitoring verdict on a check-in and the rules behind it."""

    load: str = Field(examples=["regress"])
    why: list[dict[str, str]]


class SessionChange(BaseModel):
    id: str
    date: str
    kind: str
    title: str
    distance: float | None = None


class ExerciseDose(BaseModel):
    """An exercise's dose in a session (its name is in the plan's `exercises` map)."""

    id: str
    side: str | None = None
    block: str | None = None
    sets: int | None = None
    reps: int | None = None
    seconds: int | None = None
    distance_m: int | None = None
    load: str | None = None
    tempo: str | None = None


class DoseChange(BaseModel):
    before: ExerciseDose
    after: ExerciseDose


class ExerciseChanges(BaseModel):
    added: list[ExerciseDose] = []
    removed: list[ExerciseDose] = []
    changed: list[DoseChange] = []


class Changed(BaseModel):
    before: SessionChange
    after: SessionChange
    fields: list[str] = Field(
        default=[], description="The session's fields that differ (distance, exercises, notes…)"
    )
    wording_only: bool = Field(
        default=False, description="Only the title, notes or reasons changed, not the training"
    )
    exercises: ExerciseChanges = Field(
        default_factory=ExerciseChanges,
        description="Exercises and drills added, removed or changed in dose (by side and block)",
    )


class PlanChanges(BaseModel):
    added: list[SessionChange]
    removed: list[SessionChange]
    changed: list[Changed]
    unchanged: int


class CheckInOut(BaseModel):
    id: str
    athlete_id: str
    plan_id: str
    date: str
    pain_during: int
    pain_next_morning: int | None = None
    created_at: datetime


class CheckInResponse(BaseModel):
    """A check-in's verdict, the re-planned plan (a new revision) and what changed."""

    check_in: CheckInOut
    verdict: Verdict
    plan: Plan
    changes: PlanChanges


class FeedTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(max_length=100)] = ""
    alarm_minutes: Annotated[int, Field(ge=0, le=1440)] | None = Field(
        default=None, description="Add a reminder this many minutes before each session."
    )


class FeedTokenOut(BaseModel):
    """A feed token as listed (the secret itself is never shown again)."""

    id: str
    athlete_id: str
    name: str
    alarm_minutes: int | None = None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked: bool = False


class FeedTokenCreated(FeedTokenOut):
    """A new feed token: `url` and `webcal_url` are shown this once."""

    url: str
    webcal_url: str


class CoachCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name
    can_publish: bool = Field(
        default=False, description="May publish and roll back the organisation's rules"
    )


class CoachPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    can_publish: bool


class CoachOut(BaseModel):
    id: str
    name: str
    can_publish: bool
    created_at: datetime


class ApiKeyCreate(BaseModel):
    """A new key: `admin` (everything), `coach` (the coach's own athletes and the rules) or
    `app` (all the organisation's athletes, no rules or keys)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["admin", "coach", "app"]
    name: Annotated[str, Field(max_length=100)] = ""
    coach_id: Annotated[str, Field(max_length=36)] | None = None


class ApiKeyOut(BaseModel):
    id: str
    role: str
    name: str
    coach_id: str | None = None
    prefix: str = Field(description="The public part of the key, to recognise it")
    created_at: datetime
    last_used_at: datetime | None = None
    revoked: bool = False


class ApiKeyCreated(ApiKeyOut):
    api_key: str = Field(description="Shown once; only a hash is stored")


class AthletePatch(BaseModel):
    """Only the fields sent change. `name`, `timezone` and `units` may be left out but not
    set to null; `external_ref` and `coach_id` may be cleared with null."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name | SkipJsonSchema[None] = None
    timezone: TimezoneName | SkipJsonSchema[None] = None
    units: UnitsField | SkipJsonSchema[None] = None
    external_ref: Annotated[str, Field(max_length=100)] | None = None
    coach_id: Annotated[str, Field(max_length=36)] | None = None

    @field_validator("name", "timezone", "units")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # runs only for a value sent: left out, the default stands
            raise ValueError("may be left out, not set to null")
        return value


class Page(BaseModel):
    """A page of results; pass `next_cursor` as `cursor` for the next one."""

    items: list[Any]
    next_cursor: str | None = None


class AthletePage(Page):
    items: list[AthleteOut]


class DraftCreate(BaseModel):
    """A new draft: a copy of the shipped base, the active rules or a published version, with
    optional files added or replaced (file name → YAML text)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    based_on: Literal["base", "active"] | Annotated[int, Field(ge=1, le=1_000_000)] = "active"
    files: Annotated[
        dict[str, Annotated[str, Field(max_length=1024 * 1024)]], Field(max_length=50)
    ] = {}


class DraftOut(BaseModel):
    id: str
    based_on: str
    files: dict[str, str] | list[str]
    etag: str
    created_at: datetime


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    athlete_ids: (
        Annotated[list[Annotated[str, Field(max_length=36)]], Field(max_length=50)] | None
    ) = None
    from_date: Annotated[date, Strict(False)] | None = Field(
        default=None,
        description="Re-plan from this day (default: today in each athlete's time zone); "
        "within three years of today",
    )


class CapChange(BaseModel):
    week: str = Field(description="The week's Monday")
    before: float | None = Field(description="The weekly cap in km before (null: none)")
    after: float | None


class AthletePreview(BaseModel):
    """One athlete re-planned with the draft: the sessions that would change, or why none."""

    model_config = ConfigDict(populate_by_name=True)

    athlete_id: str
    plan_id: str
    status_before: str
    from_: str = Field(alias="from", description="The day re-planned from")
    note: str | None = Field(
        default=None, description="Why nothing changes (the plan ended before `from`)"
    )
    error: str | None = Field(default=None, description="The draft could not plan this athlete")
    status_after: str | None = None
    added: int | None = None
    removed: int | None = None
    changed: int | None = None
    sessions: PlanChanges | None = None
    caps_changed: list[CapChange] | None = None


class PreviewTotals(BaseModel):
    athletes: int
    added: int
    removed: int
    changed: int
    caps_changed: int
    status_changed: int
    failed: int
    ended: int = Field(description="Athletes whose plans ended before the day re-planned from")
    wording_only: int = Field(description="Changed sessions whose training is the same")


PREVIEW_EXAMPLE: dict[str, Any] = {
    "ruleset": {"name": "strideplan-base", "version": "draft"},
    "totals": {
        "athletes": 1,
        "added": 0,
        "removed": 0,
        "changed": 2,
        "caps_changed": 0,
        "status_changed": 0,
        "failed": 0,
        "ended": 0,
        "wording_only": 1,
    },
    "athletes": [
        {
            "athlete_id": "a1c3e1f2-7d4b-4a0e-8f7c-2b9d6e5f4a33",
            "plan_id": "0e8f4a8c-1c2b-4f7e-9d59-6b1f0f3c2d11",
            "status_before": "ok",
            "from": "2026-05-10",
            "status_after": "ok",
            "added": 0,
            "removed": 0,
            "changed": 2,
            "sessions": {
                "added": [],
                "removed": [],
                "changed": [
                    {
                        "before": {
                            "id": "5d1f…",
                            "date": "2026-05-11",
                            "kind": "activation",
                            "title": "Activation · 14 min",
                        },
                        "after": {
                            "id": "5d1f…",
                            "date": "2026-05-11",
                            "kind": "activation",
                            "title": "Activation · 16 min",
                        },
                        "fields": ["duration_minutes", "exercises", "title"],
                        "wording_only": False,
                        "exercises": {
                            "added": [
                                {
                                    "id": "half_kneeling_hip_flexor_stretch",
                                    "side": "both",
                                    "block": "morning",
                                    "sets": 1,
                                    "seconds": 30,
                                }
                            ],
                            "removed": [],
                            "changed": [
                                {
                                    "before": {"id": "clamshell", "side": "left", "sets": 2},
                                    "after": {"id": "clamshell", "side": "left", "sets": 3},
                                }
                            ],
                        },
                    },
                    {
                        "before": {
                            "id": "9a0b…",
                            "date": "2026-05-12",
                            "kind": "run",
                            "title": "Easy run · 5 km",
                            "distance": 5.0,
                        },
                        "after": {
                            "id": "9a0b…",
                            "date": "2026-05-12",
                            "kind": "run",
                            "title": "Easy run · 5 km",
                            "distance": 5.0,
                        },
                        "fields": ["notes"],
                        "wording_only": True,
                        "exercises": {"added": [], "removed": [], "changed": []},
                    },
                ],
                "unchanged": 41,
            },
            "caps_changed": [],
        }
    ],
}


class PreviewOut(BaseModel):
    """What a draft would change, athlete by athlete; nothing is stored."""

    model_config = ConfigDict(json_schema_extra={"examples": [PREVIEW_EXAMPLE]})

    ruleset: dict[str, str]
    totals: PreviewTotals
    athletes: list[AthletePreview]


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    version: Literal["base"] | Annotated[int, Field(ge=1, le=1_000_000)]


JOB_HINT = (
    "Some athletes could not be planned with these rules; each is listed in `failures` with "
    "the rule, week and message. They are on the shipped base rules (or keep the plan they had) "
    "and can still check in. To fix: create a draft from the active rules (POST "
    "/v1/rulesets/drafts), correct the named rule, validate, test and preview it on those "
    "athletes, then publish it. To undo: roll back (POST /v1/rulesets/rollback with "
    '{"version": <an earlier version>} or {"version": "base"}).'
)


class JobProblem(BaseModel):
    """One rule the new rules broke for an athlete, and the week, where the error names them."""

    rule: str | None = None
    week: date | None = None
    message: str


class JobFailure(BaseModel):
    """An athlete the job's rules could not plan: put on the shipped base rules
    (`base_rules`), or, when even those failed, left on the plan they had (`kept`)."""

    athlete_id: str | None
    plan_id: str
    outcome: Literal["base_rules", "kept"]
    rule: str | None = Field(default=None, description="The first broken rule, if named")
    week: date | None = Field(default=None, description="Its week, if named")
    message: str
    problems: list[JobProblem] = []


class JobStatus(StrEnum):
    """Where a plan re-generation is: `done_with_errors` when it went through every athlete
    but some could not be planned with the new rules (listed in `failures`)."""

    queued = "queued"
    running = "running"
    done = "done"
    done_with_errors = "done_with_errors"


class JobOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5b0c1f0e-8d1a-4c53-9a43-0d7f3b2f7a10",
                    "reason": "published version 3",
                    "status": "done_with_errors",
                    "total": 12,
                    "done": 11,
                    "failed": 1,
                    "errors": {
                        "0e8f4a8c-1c2b-4f7e-9d59-6b1f0f3c2d11": "week 2026-03-02 is above its "
                        "cap (rule load.pain_acceptable); the athlete's plan was made with the "
                        "shipped base rules instead"
                    },
                    "failures": [
                        {
                            "athlete_id": "a1c3e1f2-7d4b-4a0e-8f7c-2b9d6e5f4a33",
                            "plan_id": "0e8f4a8c-1c2b-4f7e-9d59-6b1f0f3c2d11",
                            "outcome": "base_rules",
                            "rule": "load.pain_acceptable",
                            "week": "2026-03-02",
                            "message": "week 2026-03-02 is above its cap (rule "
                            "load.pain_acceptable); the athlete's plan was made with the "
                            "shipped base rules instead",
                            "problems": [],
                        }
                    ],
                    "hint": JOB_HINT,
                    "created_at": "2026-03-01T09:00:00Z",
                    "finished_at": "2026-03-01T09:00:04Z",
                }
            ]
        }
    )

    id: str
    reason: str
    status: JobStatus = Field(
        description="queued, running, done, or done_with_errors (every athlete was seen to, "
        "some could not be planned with the new rules: see `failures` and `hint`)"
    )
    total: int
    done: int
    failed: int
    errors: dict[str, str] = Field(
        default={}, description="The failures' messages by plan id (see `failures`)"
    )
    failures: list[JobFailure] = Field(
        default=[], description="Each failed athlete (at most 500), with rule, week and message"
    )
    hint: str | None = Field(
        default=None,
        description="When some athlete failed: how to fix the rules or roll back",
    )
    created_at: datetime
    finished_at: datetime | None = None


class PublishOut(BaseModel):
    version: int | Literal["base"]
    job: JobOut


class VersionOut(BaseModel):
    number: int
    based_on: str
    digest: str | None
    published_at: datetime | None
    active: bool


class RuleSetsOut(BaseModel):
    active: dict[str, Any]
    versions: list[VersionOut]
    drafts: list[DraftOut]


class FileDiff(BaseModel):
    name: str
    change: Literal["added", "removed", "changed"]
    diff: str = Field(description="Unified diff of the file's text")


class ItemChange(BaseModel):
    id: str
    file: str
    change: Literal["added", "removed", "changed"]
    fields: list[str] = Field(description="The keys whose values differ (for a change)")


class DiffSummary(BaseModel):
    files_changed: int
    rules_added: int
    rules_removed: int
    rules_changed: int
    exercises_added: int
    exercises_removed: int
    exercises_changed: int


class RuleSetDiffOut(BaseModel):
    """What differs from one rule set to another."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "from": "base",
                    "to": "draft 8c2f41d0-5b7e-4d8a-9f0e-1a2b3c4d5e6f",
                    "files": [
                        {
                            "name": "findings.yaml",
                            "change": "changed",
                            "diff": "--- base/findings.yaml\n+++ draft 8c2f…/findings.yaml\n"
                            "@@ -12,7 +12,7 @@\n   - id: finding.weak_glute_med\n"
                            "-    why: A weak gluteus medius lets the pelvis drop.\n"
                            "+    why: A weak gluteus medius lets the pelvis drop on each step.\n",
                        },
                        {
                            "name": "catalog_hips.yaml",
                            "change": "added",
                            "diff": "--- /dev/null\n+++ draft 8c2f…/catalog_hips.yaml\n…",
                        },
                    ],
                    "rules": [
                        {
                            "id": "finding.weak_glute_med",
                            "file": "findings.yaml",
                            "change": "changed",
                            "fields": ["why"],
                        }
                    ],
                    "exercises": [
                        {
                            "id": "half_kneeling_hip_flexor_stretch",
                            "file": "catalog_hips.yaml",
                            "change": "added",
                            "fields": [],
                        }
                    ],
                    "unparsed": [],
                    "summary": {
                        "files_changed": 2,
                        "rules_added": 0,
                        "rules_removed": 0,
                        "rules_changed": 1,
                        "exercises_added": 1,
                        "exercises_removed": 0,
                        "exercises_changed": 0,
                    },
                }
            ]
        },
    )

    from_: str = Field(alias="from", description="The rule set compared from")
    to: str
    files: list[FileDiff]
    rules: list[ItemChange]
    exercises: list[ItemChange] = Field(description="Exercises of the catalog")
    unparsed: list[str] = Field(description="Files whose YAML does not parse (not summarised)")
    summary: DiffSummary


class TermOut(BaseModel):
    name: str
    label: str
    description: str = ""
    shipped: bool = Field(description="false for a term the organisation's rule set declares")


class VocabularyOut(BaseModel):
    """What intakes, check-ins and rules may name, for this organisation."""

    findings: list[TermOut]
    conditions: list[TermOut]
    restrictions: list[TermOut]
    red_flags: list[TermOut]
    red_s_signs: list[TermOut]
    gate_criteria: list[TermOut] = Field(
        description="What a gate may ask for, and a check-in's `tests_passed` may name"
    )
    exercise_tags: list[TermOut] = Field(
        default=[],
        description="Contraindication tags of catalog exercises (what restrictions and "
        "rules' `avoid: {tag: …}` rule out)",
    )
