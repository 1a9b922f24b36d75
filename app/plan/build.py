"""build_plan: intake + rule set → a dated, explained, safety-checked Plan (pure)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.engine.decisions import Decisions, decide
from app.engine.evaluate import Evaluation, evaluate
from app.engine.model import RuleSet
from app.errors import InvalidInput
from app.facts.build import intake_facts
from app.intake.models import Intake
from app.plan.describe import describe_fact
from app.plan.lean import lean
from app.plan.models import DISCLAIMER, Plan
from app.plan.protect import protected_referrals
from app.plan.review import Finding, ReviewContext, raise_if_refused, review_plan
from app.scheduler.checkins import (
    CheckInRecord,
    Stop,
    check_in_warnings,
    first_stop,
)
from app.scheduler.exercises import (
    blocked,
    loading_prescriptions,
)
from app.scheduler.schedule import schedule
from app.scheduler.settings import ScheduleSettings

PLAN_NAMESPACE = uuid.UUID("0c6f7f4e-61a4-4b57-9d8e-2f7e4d7c9b21")
REFERRAL_MESSAGE = (
    "Some of what you told us needs a clinician's assessment before you train. "
    "No plan has been made; please see a doctor or physical therapist first."
)

CHECK_IN_REFERRAL_MESSAGE = (
    "A warning sign you reported needs a clinician's assessment before you train again. "
    "The plan stops from that day (what came before is kept); please see a doctor or physical "
    "therapist, then start a new plan with their advice."
)


def preview_lineage(intake: Intake) -> str:
    """The lineage of a plan made without a stored athlete (a preview, the CLI): from the
    athlete's details, so two athletes' calendars never share event UIDs while the same
    athlete's previews keep theirs."""
    athlete = intake.athlete.model_dump_json()
    return "preview:" + hashlib.sha256(athlete.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How to identify the plan and what to include."""

    lineage: str = "preview"
    plan_id: str | None = None
    revision: int = 1
    explain: bool = False
    check_ins: Sequence[CheckInRecord] = ()  # past check-ins with their verdicts


def _decisions_out(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [
        {
            "rule": fired.rule.id,
            "title": fired.rule.title,
            "because": fired.rule.why,  # listed once in `reasons` (app/plan/lean.py)
            "matched": [describe_fact(evaluation.facts[i]) for i in fired.matched][:10],
        }
        for fired in evaluation.fired
    ]


def _header(
    intake: Intake, ruleset: RuleSet, options: BuildOptions, evaluation: Evaluation
) -> dict[str, Any]:
    assert intake.start_date is not None
    plan_id = options.plan_id or str(uuid.uuid5(PLAN_NAMESPACE, options.lineage))
    header: dict[str, Any] = {
        "id": plan_id,
        "revision": options.revision,
        "ruleset": {
            "name": ruleset.name,
            "version": ruleset.version,
            "digest": ruleset.digest[:16],
        },
        "athlete": {
            "name": intake.athlete.name,
            "timezone": intake.athlete.timezone,
            "units": intake.athlete.units.value,
        },
        "units": intake.athlete.units.value,
        "start": intake.start_date,
        "decisions": _decisions_out(evaluation),
        "disclaimer": DISCLAIMER,
    }
    if options.explain:
        header["near_misses"] = [
            {"rule": m.rule.id, "title": m.rule.title, "missing": m.missing}
            for m in evaluation.near_misses
        ]
    return header


def _referral(
    header: dict[str, Any], decisions: Decisions, stop: Stop | None = None
) -> dict[str, Any]:
    reasons = list(dict.fromkeys(text for text, _ in decisions.referrals))
    message = REFERRAL_MESSAGE
    end = header["start"]
    if stop is not None:  # stopped by a check-in: the plan runs up to the day before it
        if stop.said not in reasons:
            reasons.insert(0, stop.said)
        message = CHECK_IN_REFERRAL_MESSAGE
        end = max(header["start"], stop.day - timedelta(days=1))
    return {
        **header,
        "status": "referral_required",
        "end": end,
        "referral": {
            "reasons": reasons,
            "message": message,
            "why": [
                r.as_dict() for r in dict.fromkeys(reason for _, reason in decisions.referrals)
            ],
        },
    }


def build_plan(intake: Intake, ruleset: RuleSet, options: BuildOptions = BuildOptions()) -> Plan:
    """Generate the plan for a finalised intake (its start date set), reviewed before it is
    returned: a plan that breaks a hard limit is refused. Pure and deterministic."""
    if intake.start_date is None:
        raise InvalidInput(
            "the intake has no start date",
            detail=[{"loc": ["start_date"], "msg": "required", "type": "missing"}],
        )
    stop = first_stop(options.check_ins)
    evaluation = evaluate(
        ruleset,
        intake_facts(
            intake,
            intake.start_date,
            red_flags=[flag for c in options.check_ins for flag in c.red_flags],
        ),
        explain=options.explain,
    )
    decisions = decide(evaluation)
    if not decisions.referrals:  # the protected core refers whatever the rules say
        reported = [flag for c in options.check_ins for flag in c.red_flags]
        decisions.referrals.extend(protected_referrals(intake, reported))
    if stop is not None and stop.referral is not None:  # numbers the rules do not see
        decisions.referrals.insert(0, stop.referral)
    header = _header(intake, ruleset, options, evaluation)
    if decisions.referrals:
        document = _referral(header, decisions, stop)
    else:
        document = {
            **header,
            **schedule(intake, ruleset, decisions, options.lineage, options.check_ins),
        }
        document["warnings"] = [*document["warnings"], *check_in_warnings(options.check_ins)]
    context = _review_context(intake, ruleset, decisions, options.check_ins)
    plan = Plan.model_validate(lean(document))
    findings = review_plan(plan, context)
    raise_if_refused(findings)
    return _with_review(document, findings) if findings else plan


def _with_review(document: dict[str, Any], findings: list[Finding]) -> Plan:
    """The plan carrying its review: the findings, and a `review.<rule>` warning for each
    (in place of an earlier review's)."""
    document["warnings"] = [
        *(w for w in document.get("warnings", []) if not w["code"].startswith("review.")),
        *({"code": f"review.{f.rule}", "message": f.text()} for f in findings),
    ]
    document["review"] = [f.as_dict() for f in findings]
    return Plan.model_validate(document)


def _review_context(
    intake: Intake, ruleset: RuleSet, decisions: Decisions, check_ins: Sequence[CheckInRecord]
) -> ReviewContext:
    blocked_ids, blocked_tags = blocked(decisions, [])
    return ReviewContext(
        intake=intake,
        catalog=ruleset.catalog,
        avoided_ids=blocked_ids,
        avoided_tags=blocked_tags,
        settings=ScheduleSettings.from_decisions(decisions),
        check_ins=tuple(check_ins),
        staged_avoids={key: until for key, (until, _) in decisions.staged_avoids.items()},
        loading=loading_prescriptions(decisions, ruleset.catalog, list(intake.restrictions)),
    )


def review_or_raise(
    plan: Plan, intake: Intake, ruleset: RuleSet, check_ins: Sequence[CheckInRecord] = ()
) -> Plan:
    """Review a plan assembled outside `build_plan` (a merged re-plan): refuse it on a hard
    failure, else return it carrying its review's warnings."""
    decisions = decide(evaluate(ruleset, intake_facts(intake, plan.start)))
    findings = review_plan(plan, _review_context(intake, ruleset, decisions, check_ins))
    raise_if_refused(findings)
    return _with_review(plan.model_dump(), findings)
