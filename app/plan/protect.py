"""The protected safety core (docs/plan-shape.md §9, docs/evidence.md §5): referrals kept whatever a
rule set says. The shipped red-flag rules say the same with their own words; these apply when
a rule set stays silent, so a plan is never made for a runner who needs a clinician."""

from __future__ import annotations

from collections.abc import Iterable

from app.engine.decisions import Reason
from app.intake.models import Intake
from app.intake.vocabulary import Condition, Trend

PROTECTED = Reason(
    "safety.protected_referral",
    "Some answers always need a clinician before training: red flags, a RED-S sign, severe or "
    "worsening rest pain, severe running pain or shin pain at rest. This holds whatever the "
    "rules in use say.",
)
BONE_SITES = frozenset({Condition.medial_tibial_stress_syndrome})


def protected_referrals(intake: Intake, reported: Iterable[str] = ()) -> list[tuple[str, Reason]]:
    """The referral reasons the safety core finds in an intake (and red flags reported at
    check-ins), whatever the rules."""
    found: list[str] = []
    flags = list(dict.fromkeys([*(f.value for f in intake.red_flags), *reported]))
    if flags:
        found.append(f"Red flags ({', '.join(f.replace('_', ' ') for f in flags)}).")
    if intake.red_s_screen:
        signs = ", ".join(s.value.replace("_", " ") for s in intake.red_s_screen)
        found.append(f"Signs of low energy availability ({signs}).")
    for s in intake.symptoms:
        name = s.condition.replace("_", " ")
        if s.pain_rest >= 7:
            found.append(f"Pain at rest of {s.pain_rest}/10 ({name}).")
        elif s.pain_rest >= 5 and s.trend == Trend.worsening:
            found.append(f"Rest pain of {s.pain_rest}/10 that is getting worse ({name}).")
        if s.pain_running >= 8:
            found.append(f"Pain of {s.pain_running}/10 while running ({name}).")
        if s.condition in BONE_SITES and s.pain_rest >= 3:
            found.append(f"Pain at rest at a bone site ({name}).")
    return [(text, PROTECTED) for text in dict.fromkeys(found)]


PAIN_FLOOR = {
    "regress": Reason(
        "safety.pain_model",
        "Pain above 5/10, or worse the next morning, always steps the load back (the pain "
        "model's bound, which no rule set can loosen).",
    ),
    "hold": Reason(
        "safety.pain_model",
        "Pain of 4-5/10 never lets the load grow (the pain model's bound, which no rule set "
        "can loosen).",
    ),
}


def pain_floor(pain_during: int, morning_worse: bool) -> tuple[str, Reason]:
    """The least cautious verdict the pain model allows (docs/evidence.md §2.1)."""
    if pain_during > 5 or morning_worse:
        return "regress", PAIN_FLOOR["regress"]
    if pain_during >= 4:
        return "hold", PAIN_FLOOR["hold"]
    return "progress", NO_VERDICT


NO_VERDICT = Reason(
    "check_in.no_rule",
    "No pain-monitoring rule gave a verdict for this check-in, so the load is held for a week.",
)
