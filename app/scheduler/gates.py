"""Phase gates: what each test asks, the test used instead when a restriction rules one out,
and the phases moved by the gates' verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from app.engine.decisions import Decisions, Reason
from app.engine.verbs import GateCriterion
from app.intake.vocabulary import RESTRICTION_TAGS, Term
from app.scheduler.checkins import (
    CheckInRecord,
    GateEvidence,
    gate_delay,
    judge_gate,
)
from app.scheduler.phases import PhasePlan, TaperSpan, plan_phases
from app.scheduler.settings import ScheduleSettings

GATE_TEXT: dict[str, str] = {
    GateCriterion.pain_running_max_2: "Pain while running stays at 2/10 or less",
    GateCriterion.pain_running_max_3: "Pain while running stays at 3/10 or less",
    GateCriterion.no_morning_flare: "No rise in pain or stiffness the next morning",
    GateCriterion.walk_30_min_pain_free: "Walk 30 minutes without pain or a limp",
    GateCriterion.single_leg_squat_no_valgus: (
        "10 single-leg squats a side with the knee tracking over the toes"
    ),
    GateCriterion.single_leg_bridge_20: "20 single-leg bridges a side with a level pelvis",
    GateCriterion.side_plank_60s: "Side plank for 60 seconds a side",
    GateCriterion.heel_raises_25: "25 single-leg heel raises a side",
    GateCriterion.hop_test_pain_free: "10-15 hops a leg with pain at 2/10 or less",
    GateCriterion.level_pelvis_single_leg: "Stand 30 seconds on one leg with a level pelvis",
}


def gate_text(criterion: str, declared: Mapping[str, Term]) -> str:
    """What a criterion asks, for the runner: the shipped text, or the organisation's label
    and description for one it declares."""
    shipped = GATE_TEXT.get(criterion)
    if shipped is not None:
        return shipped
    term = declared.get(criterion)
    if term is None:  # pragma: no cover - validated against the vocabulary
        return criterion.replace("_", " ").capitalize()
    return f"{term.label}: {term.description}" if term.description else term.label


# What a gate's test asks the runner to do (contraindication tags), and the test used instead
# when that is ruled out for them (a gate never asks for a forbidden test, docs/plan-shape.md §11).
GATE_NEEDS: dict[str, tuple[frozenset[str], str]] = {
    GateCriterion.single_leg_squat_no_valgus: (
        frozenset({"squat", "deep_knee_flexion"}),
        GateCriterion.level_pelvis_single_leg,
    ),
    GateCriterion.hop_test_pain_free: (frozenset({"jumping"}), GateCriterion.heel_raises_25),
}
# A stricter criterion makes a looser one of the same test redundant: the gate lists only it.
SUBSUMES: dict[str, str] = {
    GateCriterion.pain_running_max_2: GateCriterion.pain_running_max_3,
}


def allowed_gates(decisions: Decisions, restrictions: list[str]) -> tuple[Decisions, list[str]]:
    """Gates whose test the runner may do: a test that needs a movement the runner's
    restrictions rule out (a single-leg squat with `no_squat`) is replaced by its alternative,
    and the plan says so; a criterion a stricter one makes redundant (pain at most 3/10 beside
    at most 2/10) is left out."""
    ruled_out = frozenset(tag for r in restrictions for tag in RESTRICTION_TAGS.get(r, ()))
    gates: dict[str, dict[str, Reason]] = {}
    notes: list[str] = []
    for phase, criteria in decisions.gates.items():
        chosen: dict[str, Reason] = {}
        for criterion, reason in criteria.items():
            needs = GATE_NEEDS.get(criterion)
            if needs is not None and needs[0] & ruled_out:
                alternative = needs[1]
                chosen.setdefault(alternative, reason)
                notes.append(
                    f'Before {phase.replace("_", " ")}: "{GATE_TEXT[alternative]}" is the '
                    f'test instead of "{GATE_TEXT[criterion]}", which is ruled out for you.'
                )
            else:
                chosen.setdefault(criterion, reason)
        for stricter, looser in SUBSUMES.items():
            if stricter in chosen and looser in chosen:
                del chosen[looser]
        gates[phase] = chosen
    if not notes and gates == decisions.gates:
        return decisions, []
    return replace(decisions, gates=gates), notes


def phases_and_gates(
    start: date,
    end: date,
    tapers: list[TaperSpan],
    settings: ScheduleSettings,
    decisions: Decisions,
    check_ins: list[CheckInRecord],
) -> tuple[PhasePlan, dict[str, GateEvidence]]:
    """Phases, each gate judged from the check-ins; an unmet gate delays its phase a week."""
    projected = plan_phases(start, end, tapers, settings)
    evidence: dict[str, GateEvidence] = {}
    delays: dict[str, int] = {}
    for name in ("strength", "running_form"):
        span = next(s for s in projected.spans if s.name == name)
        criteria = sorted(decisions.gates.get(name, {}), key=str)
        evidence[name] = judge_gate(criteria, span.start, check_ins)
        delays[name] = gate_delay(evidence[name], span.start, check_ins)
    if not any(delays.values()):
        return projected, evidence
    return plan_phases(start, end, tapers, settings, delays), evidence
