"""Check-ins: the pain-monitoring verdict, then a re-plan from the next day (the past kept)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from app.engine.decisions import Reason, decide
from app.engine.evaluate import evaluate
from app.engine.model import RuleSet
from app.engine.verbs import CAUTION
from app.errors import Conflict, InvalidInput
from app.facts.build import CheckInFacts, intake_facts
from app.intake.checkin import CheckInIn
from app.intake.checks import Problem
from app.intake.models import Intake
from app.plan.build import BuildOptions, build_plan, review_or_raise
from app.plan.models import Plan
from app.plan.protect import NO_VERDICT, pain_floor
from app.plan.replan import changes, merge
from app.scheduler.checkins import UNSETTLED, CheckInRecord, unsettled
from app.services.plans import read_intake, save_revision, stored_plan
from app.storage.scope import Tenant
from app.storage.tables import Athlete, CheckIn, IntakeRecord, PlanRecord, utcnow


@dataclass(frozen=True)
class CheckInResult:
    check_in: CheckIn
    plan: Plan
    document: dict[str, Any]  # the plan as stored (and served)
    verdict: str
    reasons: list[Reason]
    changes: dict[str, Any]


def _invalid(loc: list[str | int], msg: str, kind: str) -> InvalidInput:
    return InvalidInput(msg, detail=[{"loc": loc, "msg": msg, "type": kind}])


def current_plan(tenant: Tenant, athlete: Athlete) -> PlanRecord:
    """The athlete's most recent plan (the one check-ins and feeds follow)."""
    record = tenant.db.scalars(
        tenant.select(PlanRecord)
        .where(PlanRecord.athlete_id == athlete.id)
        .order_by(PlanRecord.created_at.desc(), PlanRecord.id)
    ).first()
    if record is None:
        raise _invalid(["path", "athlete_id"], "the athlete has no plan yet", "no_plan")
    return record


def _validate(body: CheckInIn, plan: Plan, today: date) -> None:
    """Every problem of the check-in against its plan and today, in one 422."""
    problems: list[Problem] = []
    if body.date > today:
        problems.append(Problem(("body", "date"), f"{body.date} is in the future", "future_date"))
    elif not plan.start <= body.date <= plan.end:
        problems.append(
            Problem(
                ("body", "date"),
                f"{body.date} is outside the plan ({plan.start} to {plan.end})",
                "outside_plan",
            )
        )
    known = {s.id for s in plan.sessions}
    for field in ("completed", "skipped"):
        for index, session_id in enumerate(getattr(body, field)):
            if session_id not in known:
                problems.append(
                    Problem(
                        ("body", field, index),
                        f"no session {session_id} in the plan",
                        "unknown_session",
                    )
                )
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(
            problems[0].msg + more, detail=[problem.as_dict() for problem in problems]
        )


def records_for(tenant: Tenant, plan_id: str, plan: Plan | None = None) -> list[CheckInRecord]:
    """The plan's check-ins with their verdicts, oldest first; with the plan, the days of the
    runs each check-in reports as skipped (re-plans grow from what was run)."""
    run_days = {s.id: s.date for s in plan.sessions if s.kind == "run"} if plan else {}
    rows = tenant.db.scalars(
        tenant.select(CheckIn)
        .where(CheckIn.plan_id == plan_id)
        .order_by(CheckIn.day, CheckIn.created_at)
    )
    return [
        CheckInRecord(
            day=row.day,
            pain_during=row.pain_during,
            pain_next_morning=row.pain_next_morning,
            morning_worse=bool(row.body.get("morning_worse")),
            verdict=row.verdict,
            reasons=tuple(Reason(r["rule"], r["because"]) for r in row.reasons["reasons"]),
            tests_passed=tuple(row.body.get("tests_passed", [])),
            skipped_runs=tuple(run_days[i] for i in row.body.get("skipped", []) if i in run_days),
            red_flags=tuple(row.body.get("red_flags", [])),
            limp=bool(row.body.get("limp")),
            illness=tuple(row.body.get("illness", [])),
        )
        for row in rows
    ]


def stored_intake(tenant: Tenant, record: PlanRecord, ruleset: RuleSet) -> Intake:
    """The intake a stored plan was made from, with the plan's start date, read with the
    rule set's vocabulary (a name it no longer knows is a 409 naming it)."""
    intake_record = tenant.get(IntakeRecord, record.intake_id, what="intake")
    intake = read_intake(intake_record.body, ruleset.vocabulary)
    return intake.model_copy(update={"start_date": record.start_date})


class Replanned(NamedTuple):
    plan: Plan
    keep_before: date | None  # sessions before this day are the stored ones, unchanged


def replan(
    tenant: Tenant,
    record: PlanRecord,
    ruleset: RuleSet,
    today: date,
    *,
    intake: Intake | None = None,
    previous: Plan | None = None,
) -> Replanned:
    """The stored plan made again with `ruleset` and its check-ins from `today` on, the past
    kept as it was (not stored). `intake` and `previous` save reading them again."""
    intake = intake or stored_intake(tenant, record, ruleset)
    previous = previous or stored_plan(tenant, record)
    check_ins = records_for(tenant, record.id, previous)
    fresh = build_plan(
        intake,
        ruleset,
        BuildOptions(
            lineage=record.athlete_id,
            plan_id=record.id,
            revision=record.revision + 1,
            check_ins=check_ins,
        ),
    )
    stopped = fresh.status == "referral_required"  # from the reported day, not `today`
    cutoff = fresh.end if stopped else min(max(today, previous.start), previous.end)
    if today < previous.start or (stopped and fresh.end <= previous.start):  # no past to keep
        return Replanned(review_or_raise(fresh, intake, ruleset, check_ins), None)
    merged = merge(previous, fresh, cutoff)
    return Replanned(review_or_raise(merged, intake, ruleset, check_ins), cutoff)


ILLNESS_HOLD = Reason(
    "safety.illness",
    "After a fever or chest symptoms the load holds for a week instead of stepping up.",
)


def _unsettled_by(tenant: Tenant, plan_id: str, body: CheckInIn, morning_worse: bool) -> bool:
    """Whether this check-in finds severe pain (or a limp) from an earlier one not settled
    within 72 hours: the plan then stops from its day."""
    this = CheckInRecord(
        day=body.date,
        pain_during=body.pain_during,
        pain_next_morning=body.pain_next_morning,
        morning_worse=morning_worse,
        verdict="hold",
        limp=body.limp,
    )
    late = unsettled([*records_for(tenant, plan_id), this])
    return late is not None and late[1] is this


def record_check_in(
    tenant: Tenant, athlete: Athlete, body: CheckInIn, ruleset: RuleSet, today: date
) -> CheckInResult:
    """Judge the check-in with the pain-monitoring rules, store it, and re-plan from the next
    day. Any failure stores nothing (the request's transaction is rolled back)."""
    record = current_plan(tenant, athlete)
    previous = stored_plan(tenant, record)
    _validate(body, previous, today)
    later = tenant.db.scalars(
        tenant.select(CheckIn)
        .where(CheckIn.plan_id == record.id, CheckIn.day > body.date)
        .order_by(CheckIn.day.desc())
    ).first()
    if later is not None:  # the weeks after it were judged with what that check-in knew
        raise Conflict(
            f"a check-in for {later.day.isoformat()} is already recorded; a check-in about an "
            "earlier day would rewrite weeks it already judged",
            detail=[
                {
                    "loc": ["body", "date"],
                    "msg": f"on or after {later.day.isoformat()} (check-in {later.id})",
                    "type": "back_dated",
                }
            ],
        )
    intake = stored_intake(tenant, record, ruleset)
    facts = intake_facts(
        intake,
        record.start_date,
        [
            CheckInFacts(
                body.pain_during, body.pain_next_morning, len(body.skipped), len(body.completed)
            )
        ],
        red_flags=[flag.value for flag in body.red_flags],
    )
    check_fact = next(f for f in facts if f["t"] == "check_in")
    decisions = decide(evaluate(ruleset, facts))
    verdict, reasons = decisions.response or ("hold", [NO_VERDICT])
    floor = pain_floor(body.pain_during, bool(check_fact["morning_worse"]))
    if CAUTION[floor[0]] > CAUTION[verdict]:  # the pain model's bounds hold whatever the rules
        verdict, reasons = floor[0], [floor[1], *reasons]
    if body.red_flags:  # the plan stops from the check-in's day: the most cautious verdict
        verdict = "regress"
        reasons = list(dict.fromkeys([*(r for _, r in decisions.referrals), *reasons]))
    elif _unsettled_by(tenant, record.id, body, bool(check_fact["morning_worse"])):
        verdict, reasons = "regress", [UNSETTLED, *reasons]
    elif body.illness and verdict == "progress":  # no step up straight after an illness
        verdict, reasons = "hold", [ILLNESS_HOLD, *reasons]
    row = tenant.add(
        CheckIn(
            id=str(uuid.uuid4()),
            athlete_id=athlete.id,
            plan_id=record.id,
            day=body.date,
            pain_during=body.pain_during,
            pain_next_morning=body.pain_next_morning,
            body={**body.model_dump(mode="json"), "morning_worse": check_fact["morning_worse"]},
            verdict=verdict,
            reasons={"reasons": [r.as_dict() for r in reasons]},
            plan_revision=record.revision + 1,
        )
    )
    # The check-in date lies within the plan (validated above): the plan changes from it on.
    merged, keep_before = replan(
        tenant, record, ruleset, body.date, intake=intake, previous=previous
    )
    document = save_revision(
        tenant,
        record,
        merged,
        f"check-in {body.date.isoformat()}: {verdict}",
        utcnow(),
        keep_before=keep_before,
    )
    changed = changes(previous, merged)
    return CheckInResult(row, merged, document, verdict, list(reasons), changed)
