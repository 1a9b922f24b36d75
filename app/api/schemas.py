"""Request and response bodies of the API that are not part of the core contract."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, Strict, WithJsonSchema, field_validator
from pydantic.json_schema import SkipJsonSchema

from app.contract.entries import Block, SideOut, Why
from app.contract.served import SERVED, SERVED_WITHOUT_NULLS, served
from app.intake.models import IsoDate, Name, TimezoneName, UnitsField
from app.intake.vocabulary import Units
from app.plan.models import Plan, SessionKind, Status

# The closed sets of strings the API sends; app/api/openapi_extras.py names each in the document.
Role = Literal["admin", "coach", "app"]
JobStatus = Literal[
    "queued", "running", "done", "done_with_errors"
]  # as app/services/regeneration.py sets
Load = Literal["progress", "hold", "regress"]
Change = Literal["added", "removed", "changed"]
HealthStatus = Literal["ok", "unavailable"]
# A day as the API writes it (YYYY-MM-DD), for fields held as text.
DayText = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
# The stored intake, as it was posted (validated then).
IntakeBody = Annotated[dict[str, Any], WithJsonSchema({"x-ref": "Intake"})]


def closed(values: Any) -> WithJsonSchema:
    """A text field's schema as the closed set of values it takes (a Literal's)."""
    return WithJsonSchema({"type": "string", "enum": list(get_args(values))})


class FieldError(BaseModel):
    """One bad field of a request: where it is (`loc`), what is wrong and a stable type."""

    model_config = SERVED

    loc: list[str | int] = Field(examples=[["body", "goals", 0, "date"]])
    msg: str = Field(examples=["must be after the plan's start"])
    type: str = Field(examples=["goal_date"])


class RuleProblemOut(BaseModel):
    """One thing wrong with a rule file: the file, the line and the rule where known."""

    model_config = SERVED

    file: str
    line: int | None
    rule: str | None
    message: str


class OrphanedTerm(BaseModel):
    """An intake that names a term the new rules no longer declare."""

    model_config = SERVED

    athlete_id: str
    intake_id: str
    loc: list[str | int]
    name: str


class ErrorBody(BaseModel):
    """Every error: a stable code, a sentence, and the details. For a 422 `detail` lists each
    bad field (`FieldError`); a rule set that does not validate lists its problems; otherwise
    it repeats the sentence or lists the particulars as sentences."""

    model_config = SERVED

    error: str = Field(examples=["invalid_input"])
    message: str = Field(
        description="What went wrong, in a sentence (also when `detail` is a list)",
        examples=["invalid fields: body.name, body.timezone"],
    )
    detail: str | list[FieldError | RuleProblemOut | OrphanedTerm | str] = Field(
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
    model_config = SERVED

    id: str
    name: str
    timezone: str
    units: Annotated[str, closed(Literal[Units.km, Units.mi])]
    external_ref: str | None = None
    coach_id: str | None = None
    version: int = Field(description='Send it back as If-Match ("v<version>") to update')
    created_at: datetime


class IntakeOut(BaseModel):
    model_config = SERVED

    id: str
    athlete_id: str
    version: int
    created_at: datetime
    intake: IntakeBody


class PlanCreate(BaseModel):
    """Generate a plan from the athlete's latest intake (or the one named)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    intake_id: Annotated[str, Field(max_length=36)] | None = None
    start_date: IsoDate | None = None


class Health(BaseModel):
    model_config = SERVED

    status: Annotated[str, closed(HealthStatus)]
    checks: dict[str, str] = {}


class Verdict(BaseModel):
    """The pain-monitoring verdict on a check-in and the rules behind it."""

    model_config = SERVED

    load: Annotated[str, closed(Load)] = Field(examples=["regress"])
    why: list[Why]


class SessionChange(BaseModel):
    model_config = SERVED_WITHOUT_NULLS  # a run's distance only where it has one

    id: str
    date: DayText
    kind: Annotated[str, closed(SessionKind)]
    title: str
    distance: float | None = None


class ExerciseDose(BaseModel):
    """An exercise's dose in a session (its name is in the plan's `exercises` map)."""

    model_config = SERVED_WITHOUT_NULLS  # reps or seconds, side, load: where they apply

    id: str
    side: Annotated[str, closed(SideOut)] | None = None
    block: Annotated[str, closed(Block)] | None = None
    sets: int | None = None
    reps: int | None = None
    seconds: int | None = None
    distance_m: int | None = None
    load: str | None = None
    tempo: str | None = None


class DoseChange(BaseModel):
    model_config = SERVED

    before: ExerciseDose
    after: ExerciseDose


class ExerciseChanges(BaseModel):
    model_config = SERVED

    added: list[ExerciseDose] = []
    removed: list[ExerciseDose] = []
    changed: list[DoseChange] = []


class Changed(BaseModel):
    model_config = SERVED

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
    model_config = SERVED

    added: list[SessionChange]
    removed: list[SessionChange]
    changed: list[Changed]
    unchanged: int


class CheckInOut(BaseModel):
    model_config = SERVED

    id: str
    athlete_id: str
    plan_id: str
    date: DayText
    pain_during: int
    pain_next_morning: int | None = None
    created_at: datetime


class CheckInResponse(BaseModel):
    """A check-in's verdict, the re-planned plan (a new revision) and what changed."""

    model_config = SERVED

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

    model_config = SERVED

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
    model_config = SERVED

    id: str
    name: str
    can_publish: bool
    created_at: datetime


class ApiKeyCreate(BaseModel):
    """A new key: `admin` (everything), `coach` (the coach's own athletes and the rules) or
    `app` (all the organisation's athletes, no rules or keys)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    role: Role
    name: Annotated[str, Field(max_length=100)] = ""
    coach_id: Annotated[str, Field(max_length=36)] | None = None


class ApiKeyOut(BaseModel):
    model_config = SERVED

    id: str
    role: Annotated[str, closed(Role)]
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
    """A page of results; pass `next_cursor` as `cursor` for the next one (null on the last)."""

    model_config = SERVED

    items: list[Any]
    next_cursor: str | None = None


class AthletePage(Page):
    """A page of athletes; pass `next_cursor` as `cursor` for the next one (null on the last)."""

    items: list[AthleteOut]


class FeedTokenPage(Page):
    """A page of an athlete's feed tokens; pass `next_cursor` as `cursor` for the next one
    (null on the last)."""

    items: list[FeedTokenOut]


class CoachPage(Page):
    """A page of coaches; pass `next_cursor` as `cursor` for the next one (null on the last)."""

    items: list[CoachOut]


class ApiKeyPage(Page):
    """A page of API keys; pass `next_cursor` as `cursor` for the next one (null on the last)."""

    items: list[ApiKeyOut]


class DraftCreate(BaseModel):
    """A new draft: a copy of the shipped base, the active rules or a published version, with
    optional files added or replaced (file name → YAML text)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    based_on: Literal["base", "active"] | Annotated[int, Field(ge=1, le=1_000_000)] = "active"
    files: Annotated[
        dict[str, Annotated[str, Field(max_length=1024 * 1024)]], Field(max_length=50)
    ] = {}


class DraftOut(BaseModel):
    model_config = SERVED

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

    model_config = SERVED

    rule: str | None = None
    week: date | None = None
    message: str


class JobFailure(BaseModel):
    """An athlete the job's rules could not plan: put on the shipped base rules
    (`base_rules`), or, when even those failed, left on the plan they had (`kept`)."""

    model_config = SERVED

    athlete_id: str | None
    plan_id: str
    outcome: Literal["base_rules", "kept"]
    rule: str | None = Field(default=None, description="The first broken rule, if named")
    week: date | None = Field(default=None, description="Its week, if named")
    message: str
    problems: list[JobProblem] = []


class JobOut(BaseModel):
    model_config = served(
        examples=[
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
    )

    id: str
    reason: str
    status: Annotated[str, closed(JobStatus)] = Field(
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
    model_config = SERVED

    version: int | Literal["base"]
    job: JobOut


class VersionOut(BaseModel):
    model_config = SERVED

    number: int
    based_on: str
    digest: str | None
    published_at: datetime | None
    active: bool


class ActiveRuleSet(BaseModel):
    """The rules that plan the organisation's athletes now."""

    model_config = SERVED

    name: str
    version: str
    digest: str = Field(description="The first 16 hex digits of the rule set's digest")
    custom: bool = Field(description="false while the organisation uses the shipped base rules")


class RuleSetsOut(BaseModel):
    model_config = SERVED

    active: ActiveRuleSet
    versions: list[VersionOut]
    drafts: list[DraftOut]


class FileDiff(BaseModel):
    model_config = SERVED

    name: str
    change: Change
    diff: str = Field(description="Unified diff of the file's text")


class ItemChange(BaseModel):
    model_config = SERVED

    id: str
    file: str
    change: Change
    fields: list[str] = Field(description="The keys whose values differ (for a change)")


class DiffSummary(BaseModel):
    model_config = SERVED

    files_changed: int
    rules_added: int
    rules_removed: int
    rules_changed: int
    exercises_added: int
    exercises_removed: int
    exercises_changed: int


class RuleSetDiffOut(BaseModel):
    """What differs from one rule set to another."""

    model_config = served(
        populate_by_name=True,
        examples=[
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
        ],
    )

    from_: str = Field(alias="from", description="The rule set compared from")
    to: str
    files: list[FileDiff]
    rules: list[ItemChange]
    exercises: list[ItemChange] = Field(description="Exercises of the catalog")
    unparsed: list[str] = Field(description="Files whose YAML does not parse (not summarised)")
    summary: DiffSummary


class TermOut(BaseModel):
    model_config = SERVED

    name: str
    label: str
    description: str = ""
    shipped: bool = Field(description="false for a term the organisation's rule set declares")


class VocabularyOut(BaseModel):
    """What intakes, check-ins and rules may name, for this organisation."""

    model_config = SERVED

    findings: list[TermOut]
    conditions: list[TermOut]
    restrictions: list[TermOut]
    red_flags: list[TermOut]
    red_s_signs: list[TermOut]
    gate_criteria: list[TermOut] = Field(
        description="What a gate may ask for, and a check-in's `tests_passed` may name"
    )
    exercise_tags: list[TermOut] = Field(
        description="Contraindication tags of catalog exercises (what restrictions and "
        "rules' `avoid: {tag: …}` rule out)",
    )


# --- the draft's validate, test and preview answers (sent without the fields that do not apply)


class DraftValidateOut(BaseModel):
    """The same checks and messages as `strideplan rules check`; `rules` and `files` are
    counted when the draft compiles."""

    ok: bool
    problems: list[RuleProblemOut]
    warnings: list[RuleProblemOut] = Field(
        default=[], description="Likely mistakes that do not stop the draft (it stays `ok`)"
    )
    rules: int | None = None
    files: int | None = None


class CaseOut(BaseModel):
    """One case of the draft's rule files and whether the plan met it."""

    model_config = SERVED

    file: str
    line: int | None
    name: str
    passed: bool
    failures: list[str]


class Counterexample(BaseModel):
    """A random intake whose plan broke a safety rule, and how."""

    model_config = SERVED

    intake: IntakeBody
    problems: list[str]


class SafetyOut(BaseModel):
    """The safety rules and the pain model checked on `samples` random intakes."""

    model_config = SERVED

    samples: int
    ok: bool
    pain_model: list[str] = Field(description="Where the rules loosen the pain model")
    counterexample: Counterexample | None


class DraftTestOut(BaseModel):
    """The draft's cases and the safety check; a draft with problems runs neither (`cases`
    empty, `safety` null, and no counts)."""

    ok: bool
    problems: list[RuleProblemOut]
    warnings: list[RuleProblemOut] = Field(
        default=[], description="Likely mistakes that do not stop the draft (it stays `ok`)"
    )
    cases: list[CaseOut]
    passed: int | None = None
    failed: int | None = None
    safety: SafetyOut | None


class PreviewRuleSet(BaseModel):
    model_config = SERVED

    name: str
    version: Literal["draft"]


class PreviewTotals(BaseModel):
    """Sums over the athletes previewed."""

    model_config = SERVED

    athletes: int
    added: int
    removed: int
    changed: int
    caps_changed: int
    status_changed: int
    failed: int
    ended: int
    wording_only: int


class CapChange(BaseModel):
    """A week whose distance cap the draft changes (`before` null: a new week)."""

    model_config = SERVED

    week: DayText
    before: float | None
    after: float


class AthletePreview(BaseModel):
    """One athlete re-planned with the draft: the counts and sessions that would change, or
    the `error` the draft's rules raised (then nothing after `from`)."""

    model_config = ConfigDict(populate_by_name=True)

    athlete_id: str
    plan_id: str
    status_before: Annotated[str, closed(Status)]
    from_: DayText = Field(alias="from", description="The day re-planned from")
    note: str | None = None
    error: str | None = None
    status_after: Annotated[str, closed(Status)] | None = None
    added: int | None = None
    removed: int | None = None
    changed: int | None = None
    sessions: PlanChanges | None = None
    caps_changed: list[CapChange] | None = None


class DraftPreviewOut(BaseModel):
    """What the draft would change for each athlete; nothing is stored."""

    model_config = served(examples=[PREVIEW_EXAMPLE])

    ruleset: PreviewRuleSet
    totals: PreviewTotals
    athletes: list[AthletePreview]
