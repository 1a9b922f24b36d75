"""The Plan contract (docs/architecture.md §5.2): what every plan endpoint returns.

Field names here are the public contract; add fields freely, never rename these.
Distances are in the athlete's units (`units`).
"""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.contract.entries import ExerciseOut as ExerciseOut
from app.contract.entries import SideOut as SideOut
from app.contract.served import SERVED_WITHOUT_NULLS

Status = Literal["ok", "goal_at_risk", "referral_required"]
PhaseName = Literal["activation", "strength", "running_form", "taper"]
SessionKind = Literal["activation", "strength", "run", "drills", "rest", "race"]
WeekKind = Literal["base", "build", "peak", "deload", "taper", "race", "recovery", "walk_run"]
RunType = Literal[
    "easy", "long", "quality", "double", "shake_out", "walk_run", "recovery", "race_run"
]
BlockKind = Literal["base", "build", "peak", "taper", "race", "recovery"]

DISCLAIMER = (
    "StridePlan is a training aid, not medical advice. It does not diagnose or treat injury. "
    "Stop and see a clinician if pain rises above 5/10, lasts into the next day, or you notice "
    "any warning sign such as numbness, night pain or swelling."
)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", **SERVED_WITHOUT_NULLS)


class ExerciseInfo(_Out):
    """How to do an exercise that appears in the plan, stated once in the plan's `exercises`
    map and referred to by id from the sessions: `cue` is the main coaching cue, `cues` all."""

    name: str
    kind: Literal["activation", "strength", "drill", "mobility"]
    cue: str
    cues: list[str]
    targets: list[str]
    equipment: list[str] = []


class Interval(_Out):
    """A walk-run block: `repeats` × (run `run_minutes`, walk `walk_minutes`)."""

    repeats: int
    run_minutes: float
    walk_minutes: float


class WorkoutOut(_Out):
    """What to do in a run beyond easy running (strides, a quality session, a shake-out)."""

    kind: str
    detail: str
    hard: bool = False


class SessionOut(_Out):
    id: str
    date: date
    kind: SessionKind
    title: str
    phase: PhaseName
    distance: float | None = None
    start_time: time | None = None
    duration_minutes: int | None = None
    exercises: list[ExerciseOut] = []
    drills: list[ExerciseOut] = []
    intervals: list[Interval] = []
    notes: list[str] = []
    why: list[str] = Field(default=[], description="Rule ids; their reasons are in `reasons`.")
    run_type: RunType | None = None
    workout: WorkoutOut | None = None


class GateCriterionOut(_Out):
    id: str
    description: str
    met: bool | None = None
    why: str | None = Field(default=None, description="The rule id; its reason is in `reasons`.")


class GateOut(_Out):
    """What must be true before a phase starts, and when it is projected to be."""

    criteria: list[GateCriterionOut]
    projected: date
    status: Literal["projected", "met", "pending"]


class PhaseOut(_Out):
    name: PhaseName
    start: date
    end: date
    gate: GateOut | None = None
    goal: str | None = None


class WeekOut(_Out):
    start: date
    planned_distance: float
    cap: float
    deload: bool
    race_distance: float = 0
    phase: PhaseName
    walk_run: bool = False
    why: list[str] = Field(default=[], description="Rule ids; their reasons are in `reasons`.")
    kind: WeekKind = "build"
    long_run: float = 0


class BlockOut(_Out):
    """A stretch of the season: base, build, peak, taper, race or recovery."""

    kind: BlockKind
    start: date
    end: date
    goal: str | None = None


class ReviewFinding(_Out):
    """A plan-review check the plan did not pass: `hard` ones refuse the plan, `warn` ones
    travel with it."""

    rule: str
    level: Literal["hard", "warn"]
    week: date | None = None
    message: str


class Warning(_Out):
    code: str
    message: str


class Referral(_Out):
    reasons: list[str]
    message: str
    why: list[str] = Field(default=[], description="Rule ids; their reasons are in `reasons`.")


class Alternative(_Out):
    code: str
    message: str


class Feasibility(_Out):
    """Whether a goal can be reached safely under the caps, with the numbers."""

    goal: str
    date: date
    priority: Literal["A", "B", "C"]
    needed_peak: float
    reachable_peak: float
    needed_long_run: float
    reachable_long_run: float
    weeks_short: int
    at_risk: bool
    alternatives: list[Alternative] = []
    reasons: list[str] = []


class RulesetRef(_Out):
    name: str
    version: str
    digest: str | None = None


class Decision(_Out):
    """A rule that fired, with the facts that made it fire (its reason is in `reasons`)."""

    rule: str
    title: str
    matched: list[str] = []


class NearMissOut(_Out):
    rule: str
    title: str
    missing: str


class PlanAthlete(_Out):
    name: str
    timezone: str
    units: Literal["km", "mi"]


class Plan(_Out):
    """A dated, explained training plan."""

    id: str
    revision: int = 1
    status: Status
    ruleset: RulesetRef
    athlete: PlanAthlete
    units: Literal["km", "mi"]
    start: date
    end: date
    phases: list[PhaseOut] = []
    weeks: list[WeekOut] = []
    sessions: list[SessionOut] = []
    warnings: list[Warning] = []
    referral: Referral | None = None
    feasibility: list[Feasibility] = []
    notes: list[str] = []
    exercises: dict[str, ExerciseInfo] = Field(
        default={}, description="Every exercise the sessions refer to, by id."
    )
    reasons: dict[str, str] = Field(
        default={},
        description="Each rule's plain-language reason, by rule id, stated once: sessions, "
        "weeks, gates, referrals and decisions refer to these ids.",
    )
    decisions: list[Decision] = []
    near_misses: list[NearMissOut] | None = None
    disclaimer: str = Field(default=DISCLAIMER)
    blocks: list[BlockOut] = []
    review: list[ReviewFinding] = []
