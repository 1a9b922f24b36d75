"""What past check-ins mean for the plan: load adjustments from the week after each check-in,
and whether each phase's gate is met, pending (which delays the phase a week) or projected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise

from app.engine.decisions import Reason
from app.engine.verbs import CAUTION, GateCriterion
from app.intake.models import SymptomIn
from app.intake.vocabulary import Condition
from app.scheduler.calendar import monday_of
from app.scheduler.strength import StageClock

TENDINOPATHIES = frozenset(
    {
        Condition.achilles_tendinopathy,
        Condition.insertional_achilles_tendinopathy,
        Condition.proximal_hamstring_tendinopathy,
    }
)

GATE_DELAY_DAYS = 7
HOLD_PAIN_MAX = 5  # running pain of 4-5/10: "hold" (docs/evidence.md §2.1)
HOLD_WEEKS = 2  # stages wait this long when today's pain is in the hold zone


@dataclass(frozen=True, slots=True)
class CheckInRecord:
    """A stored check-in, with the verdict the pain-monitoring rules gave it."""

    day: date
    pain_during: int
    pain_next_morning: int | None
    morning_worse: bool
    verdict: str  # progress | hold | regress
    reasons: tuple[Reason, ...] = ()
    tests_passed: tuple[str, ...] = ()
    skipped_runs: tuple[date, ...] = ()  # days of runs the runner logged as skipped
    red_flags: tuple[str, ...] = ()  # warning signs reported: the plan stops from `day`
    limp: bool = False  # a limp lasting more than 24 hours: running pauses as for severe pain
    illness: tuple[str, ...] = ()  # fever or chest symptoms: no training for 48 hours

    @property
    def worst(self) -> int:
        """The worse of the pain while running and the next morning."""
        return max(self.pain_during, self.pain_next_morning or 0)

    @property
    def severe(self) -> bool:
        """Pain of 7/10 or more, or a limp: running pauses (docs/plan-shape.md §9)."""
        return self.worst >= SEVERE_CHECK_IN_PAIN or self.limp

    @property
    def settled(self) -> bool:
        """Back to 3/10 or less, without a limp."""
        return self.worst <= SETTLED_PAIN and not self.limp

    @property
    def effective_week(self) -> date:
        """A check-in changes the load from the Monday after it (whole weeks stay whole)."""
        return monday_of(self.day) + timedelta(days=7)

    def reason(self) -> Reason:
        morning = (
            f", next morning {self.pain_next_morning}/10"
            if self.pain_next_morning is not None
            else ""
        )
        because = (
            f"Your check-in on {self.day.isoformat()} (pain {self.pain_during}/10 while running"
            f"{morning}) means: {self.verdict} the load from the next week."
        )
        return Reason(f"check_in.{self.day.isoformat()}", because)


@dataclass(frozen=True, slots=True)
class Adjustment:
    action: str
    reasons: tuple[Reason, ...]


SEVERE_CHECK_IN_PAIN = 7  # docs/plan-shape.md §9: running pauses; not settled in 72 h → clinician
SETTLED_PAIN = 3
SETTLE_DAYS = 3  # 72 hours
UNSETTLED = Reason(
    "safety.unsettled_pain",
    "Pain of 7/10 or more, or a limp, that is not back to 3/10 or less within 72 hours needs "
    "a clinician before training goes on. This holds whatever the rules in use say.",
)


@dataclass(frozen=True, slots=True)
class Stop:
    """A check-in that stops the plan from its day and refers the runner: red flags it
    reported, or severe pain (or a limp) not settled within 72 hours (`referral` then says
    why, as the rules know nothing of it)."""

    day: date
    said: str
    referral: tuple[str, Reason] | None = None


def unsettled(check_ins: Iterable[CheckInRecord]) -> tuple[CheckInRecord, CheckInRecord] | None:
    """The first check-in 72 hours or more after one with severe pain (or a limp) that is not
    back to 3/10 or less, with no check-in in between that had settled: (severe, later)."""
    severe: CheckInRecord | None = None
    for record in sorted(check_ins, key=lambda r: r.day):
        if severe is not None and record.day > severe.day:
            if record.settled:
                severe = None
            elif (record.day - severe.day).days >= SETTLE_DAYS:
                return severe, record
            continue
        if record.severe:
            severe = record
    return None


def first_stop(check_ins: Iterable[CheckInRecord]) -> Stop | None:
    """The earliest check-in that stops the plan (the plan runs to the day before it)."""
    records = list(check_ins)
    stops = [
        Stop(c.day, f"Your check-in on {c.day.isoformat()} reported: {_listed(c.red_flags)}.")
        for c in records
        if c.red_flags
    ]
    late = unsettled(records)
    if late is not None:
        severe, record = late
        text = (
            f"Your check-in on {record.day.isoformat()} still had pain of {record.worst}/10"
            f"{' and a limp' if record.limp else ''}, {(record.day - severe.day).days} days "
            f"after the check-in on {severe.day.isoformat()}: severe pain that has not settled "
            "within 72 hours needs a clinician."
        )
        stops.append(Stop(record.day, text, (text, UNSETTLED)))
    return min(stops, key=lambda s: s.day) if stops else None


def _listed(flags: Iterable[str]) -> str:
    return ", ".join(flag.replace("_", " ") for flag in flags)


def adjustments(check_ins: list[CheckInRecord]) -> dict[date, Adjustment]:
    """Week start → the most cautious verdict among the check-ins of the week before it."""
    result: dict[date, Adjustment] = {}
    for record in sorted(check_ins, key=lambda r: r.day):
        week = record.effective_week
        reasons = (record.reason(), *record.reasons)
        current = result.get(week)
        if current is None or CAUTION[record.verdict] > CAUTION[current.action]:
            result[week] = Adjustment(record.verdict, reasons)
    return result


@dataclass
class GateEvidence:
    """Whether each criterion of a gate is met (True), not met (False) or unknown (None)."""

    met: dict[str, bool | None] = field(default_factory=dict)

    @property
    def status(self) -> str:
        values = list(self.met.values())
        if values and all(v is True for v in values):
            return "met"
        if any(v is False for v in values):
            return "pending"
        return "projected"


def judge_gate(
    criteria: list[str], phase_start: date, check_ins: list[CheckInRecord]
) -> GateEvidence:
    """Judge a gate from the check-ins before the phase starts (the latest one for pain)."""
    before = sorted((c for c in check_ins if c.day < phase_start), key=lambda c: c.day)
    latest = before[-1] if before else None
    passed = {test for c in before for test in c.tests_passed}
    evidence = GateEvidence()
    for criterion in criteria:
        if criterion in passed:
            evidence.met[criterion] = True
        elif latest is None:
            evidence.met[criterion] = None
        elif criterion == GateCriterion.pain_running_max_2:
            evidence.met[criterion] = latest.pain_during <= 2
        elif criterion == GateCriterion.pain_running_max_3:
            evidence.met[criterion] = latest.pain_during <= 3
        elif criterion == GateCriterion.no_morning_flare:
            evidence.met[criterion] = (
                None if latest.pain_next_morning is None else not latest.morning_worse
            )
        else:
            evidence.met[criterion] = None
    return evidence


def gate_delay(evidence: GateEvidence, phase_start: date, check_ins: list[CheckInRecord]) -> int:
    """Days to delay a phase whose gate is not met: a week, if the phase has not begun by the
    Monday after the latest check-in (the past is never moved)."""
    if evidence.status != "pending":
        return 0
    latest = max((c.day for c in check_ins if c.day < phase_start), default=None)
    if latest is None or phase_start < monday_of(latest) + timedelta(days=7):
        return 0
    return GATE_DELAY_DAYS


def intake_allows_intensity(symptoms: Iterable[SymptomIn]) -> bool:
    """Intensity waits while running pain is above 2/10 (3/10 for a tendinopathy)."""
    return all(s.pain_running <= (3 if s.condition in TENDINOPATHIES else 2) for s in symptoms)


def has_tendinopathy(symptoms: Iterable[SymptomIn]) -> bool:
    return any(s.condition in TENDINOPATHIES for s in symptoms)


def intensity_by_week(check_ins: list[CheckInRecord], tendinopathy: bool) -> dict[date, bool]:
    """From each check-in's next week on: whether running pain allows intensity (2/10 or less;
    3/10 that settles by morning, for tendinopathy). The latest check-in decides."""
    result: dict[date, bool] = {}
    for record in sorted(check_ins, key=lambda r: r.day):
        limit = 3 if tendinopathy and not record.morning_worse else 2
        result[record.effective_week] = record.pain_during <= limit
    return result


REGRESS_WINDOW_DAYS = 28
NO_PROGRESS_DAYS = 42  # docs/plan-shape.md §9: no progress in six weeks → see your clinician


def check_in_warnings(check_ins: Iterable[CheckInRecord]) -> list[dict[str, str]]:
    """'See your clinician' warnings from the numbers (docs/plan-shape.md §9): severe pain or a limp
    at a check-in, an illness, two regress verdicts in a row, three within four weeks, or no
    progress verdict in six weeks of check-ins."""
    records = sorted(check_ins, key=lambda r: r.day)
    warnings: list[dict[str, str]] = []
    for record in records:
        if record.severe:
            what = (
                f"Pain of {record.worst}/10"
                if record.worst >= SEVERE_CHECK_IN_PAIN
                else "A limp lasting more than a day"
            )
            warnings.append(
                {
                    "code": "check_in_severe_pain",
                    "message": f"{what} at the check-in on {record.day.isoformat()}: running "
                    "is paused for three days. Check in again within 72 hours: if the pain is "
                    "not back to 3/10 or less (and walking normally), the plan stops and refers "
                    "you to a clinician.",
                }
            )
        if record.illness:
            warnings.append(
                {
                    "code": "illness",
                    "message": f"{_listed(record.illness).capitalize()} at the check-in on "
                    f"{record.day.isoformat()}: no training for the next two days. Start again "
                    "only after 48 hours without a fever; check in again if it lasts.",
                }
            )
    regress = [r for r in records if r.verdict == "regress"]
    in_a_row = next(
        (b for a, b in pairwise(records) if a.verdict == b.verdict == "regress"),
        None,
    )
    crowded = next(
        (
            regress[k + 2]
            for k in range(len(regress) - 2)
            if (regress[k + 2].day - regress[k].day).days < REGRESS_WINDOW_DAYS
        ),
        None,
    )
    stalled = next(
        (
            later
            for later in records
            if (later.day - records[0].day).days >= NO_PROGRESS_DAYS
            and not any(
                r.verdict == "progress"
                for r in records
                if later.day - timedelta(days=NO_PROGRESS_DAYS) <= r.day <= later.day
            )
        ),
        None,
    )
    repeated = in_a_row or crowded
    if repeated is not None:
        warnings.append(
            {
                "code": "see_clinician",
                "message": "The load has had to step back again (check-in on "
                f"{repeated.day.isoformat()}): the injury is not settling under the plan; "
                "see your clinician before going on.",
            }
        )
    if stalled is not None and repeated is None:
        warnings.append(
            {
                "code": "see_clinician",
                "message": "No check-in in the six weeks up to "
                f"{stalled.day.isoformat()} has allowed the load to progress: the injury is "
                "not improving under the plan; see your clinician.",
            }
        )
    return warnings


def stage_clock(
    start: date, check_ins: Iterable[CheckInRecord], symptoms: Iterable[SymptomIn] = ()
) -> StageClock:
    """The rehab stage clock for a plan: it waits two weeks when running pain today is in the
    "hold" zone (4-5/10, docs/evidence.md §2.1), and each regress verdict holds it back a week from
    the week it applies to. A progress verdict ends the first wait early: the clock moves on
    from the week that verdict applies to."""
    records = list(check_ins)
    weeks = sorted({c.effective_week for c in records if c.verdict == "regress"})
    held = HOLD_WEEKS if any(4 <= s.pain_running <= HOLD_PAIN_MAX for s in symptoms) else 0
    progress = min((c.effective_week for c in records if c.verdict == "progress"), default=None)
    if held and progress is not None:
        applies = (progress - monday_of(start)).days // 7 + 1  # its week of the plan
        held = min(held, max(0, applies - 2))
    return StageClock(start, tuple(weeks), held)


PAUSE_DAYS = 3  # docs/plan-shape.md §9: running pauses; back to 3/10 or less within 72 hours
ILLNESS_DAYS = 2  # the two days after the check-in: 48 hours without fever first


def sick_days(check_ins: Iterable[CheckInRecord]) -> frozenset[date]:
    """Days without any training: the two after a check-in with a fever or chest symptoms
    (docs/plan-shape.md §9; the check-in's own day has been lived already)."""
    return frozenset(
        record.day + timedelta(days=k)
        for record in check_ins
        if record.illness
        for k in range(1, ILLNESS_DAYS + 1)
    )


def sore_days(check_ins: Iterable[CheckInRecord]) -> frozenset[date]:
    """The three days after a check-in with pain of 7/10 or more (during the run or the next
    morning) or a limp."""
    return frozenset(
        record.day + timedelta(days=k)
        for record in check_ins
        if record.severe
        for k in range(1, PAUSE_DAYS + 1)
    )


def paused_days(check_ins: Iterable[CheckInRecord]) -> frozenset[date]:
    """Days without running: those after severe pain or a limp, and the days of an illness."""
    records = list(check_ins)
    return sick_days(records) | sore_days(records)
