"""The intake vocabulary (docs/architecture.md §5).

Values are part of the public contract: add new ones freely, never rename.
Unknown values are rejected with a 422, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field


class Units(StrEnum):
    km = "km"
    mi = "mi"


KM_PER_MILE = 1.609344


class Side(StrEnum):
    left = "left"
    right = "right"
    both = "both"


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"

    @property
    def number(self) -> int:
        """Monday is 0, as in `date.weekday()`."""
        return list(Weekday).index(self)


class Trend(StrEnum):
    improving = "improving"
    stable = "stable"
    worsening = "worsening"


class Condition(StrEnum):
    proximal_hamstring_tendinopathy = "proximal_hamstring_tendinopathy"
    it_band_syndrome = "it_band_syndrome"
    patellofemoral_pain = "patellofemoral_pain"
    achilles_tendinopathy = "achilles_tendinopathy"
    insertional_achilles_tendinopathy = "insertional_achilles_tendinopathy"
    plantar_fasciitis = "plantar_fasciitis"
    medial_tibial_stress_syndrome = "medial_tibial_stress_syndrome"
    low_back_pain = "low_back_pain"
    sciatic_irritation = "sciatic_irritation"
    hip_pain = "hip_pain"
    knee_pain = "knee_pain"
    ankle_pain = "ankle_pain"


class Finding(StrEnum):
    trendelenburg = "trendelenburg"
    knee_valgus = "knee_valgus"
    anterior_pelvic_tilt = "anterior_pelvic_tilt"
    lumbar_hyperlordosis = "lumbar_hyperlordosis"
    quad_dominance = "quad_dominance"
    hamstring_dominance = "hamstring_dominance"
    weak_glute_med = "weak_glute_med"
    weak_glute_max = "weak_glute_max"
    leg_crossing_midline = "leg_crossing_midline"
    pelvic_rotation = "pelvic_rotation"
    backward_lean = "backward_lean"
    low_cadence = "low_cadence"
    limited_ankle_dorsiflexion = "limited_ankle_dorsiflexion"


class Restriction(StrEnum):
    no_squat = "no_squat"
    no_lunge = "no_lunge"
    no_deep_hip_flexion = "no_deep_hip_flexion"
    no_jumping = "no_jumping"
    no_kneeling = "no_kneeling"
    no_weights = "no_weights"


class RedFlag(StrEnum):
    saddle_numbness = "saddle_numbness"
    bladder_or_bowel_change = "bladder_or_bowel_change"
    progressive_weakness = "progressive_weakness"
    night_pain = "night_pain"
    unexplained_weight_loss = "unexplained_weight_loss"
    fever = "fever"
    focal_bone_pain = "focal_bone_pain"
    pain_at_rest_severe = "pain_at_rest_severe"
    recent_trauma = "recent_trauma"
    groin_pain_on_hopping = "groin_pain_on_hopping"
    calf_swelling_or_redness = "calf_swelling_or_redness"
    menstrual_change = "menstrual_change"


class Illness(StrEnum):
    """Signs of an illness at a check-in: no training until 48 hours without fever."""

    fever = "fever"
    chest_symptoms = "chest_symptoms"


class Sex(StrEnum):
    female = "female"
    male = "male"
    other = "other"


class RedSSign(StrEnum):
    """Screening answers for relative energy deficiency in sport (RED-S)."""

    under_fuelling = "under_fuelling"
    low_bmi = "low_bmi"
    missed_periods = "missed_periods"
    unintended_weight_loss = "unintended_weight_loss"
    repeated_bone_stress = "repeated_bone_stress"


MASTERS_AGE = 50


class GoalType(StrEnum):
    five_k = "5k"
    ten_k = "10k"
    half = "half"
    marathon = "marathon"
    ultra = "ultra"
    relay = "relay"


class TeamFormat(StrEnum):
    regular = "regular"
    ultra = "ultra"


class Terrain(StrEnum):
    """The course's profile: hills shape the quality sessions of a build."""

    flat = "flat"
    rolling = "rolling"
    hilly = "hilly"
    mountain = "mountain"
    downhill = "downhill"


class Priority(StrEnum):
    A = "A"
    B = "B"
    C = "C"


# Which exercise contraindication tags each restriction rules out. The safety check uses this
# table directly, so a restriction holds even if a rule set forgets to mention it.
RESTRICTION_TAGS: dict[str, frozenset[str]] = {
    Restriction.no_squat: frozenset({"squat"}),
    Restriction.no_lunge: frozenset({"lunge"}),
    Restriction.no_deep_hip_flexion: frozenset({"deep_hip_flexion"}),
    Restriction.no_jumping: frozenset({"jumping"}),
    Restriction.no_kneeling: frozenset({"kneeling"}),
    Restriction.no_weights: frozenset({"external_load"}),
}


# Shared by the rule language, the catalog and the intake (kept here, where every package may
# import it without a cycle).
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
TrainingPhase = Literal["activation", "strength", "running_form"]


class GateCriterion(StrEnum):
    """Criteria a runner must meet before a phase starts (docs/evidence.md §2.2)."""

    pain_running_max_2 = "pain_running_max_2"
    pain_running_max_3 = "pain_running_max_3"
    no_morning_flare = "no_morning_flare"
    walk_30_min_pain_free = "walk_30_min_pain_free"
    single_leg_squat_no_valgus = "single_leg_squat_no_valgus"
    single_leg_bridge_20 = "single_leg_bridge_20"
    side_plank_60s = "side_plank_60s"
    heel_raises_25 = "heel_raises_25"
    hop_test_pain_free = "hop_test_pain_free"
    level_pelvis_single_leg = "level_pelvis_single_leg"


class ExerciseTag(StrEnum):
    """The shipped contraindication tags of catalog exercises (restrictions rule them out and
    rules `avoid` them); an organisation may declare its own in `vocabulary.yaml`."""

    squat = "squat"
    lunge = "lunge"
    deep_hip_flexion = "deep_hip_flexion"
    deep_knee_flexion = "deep_knee_flexion"
    loaded_hip_flexion = "loaded_hip_flexion"
    jumping = "jumping"
    kneeling = "kneeling"
    external_load = "external_load"
    speed = "speed"


@dataclass(frozen=True, slots=True)
class Term:
    """A name an intake may use: shipped with the product or declared by an organisation."""

    name: str
    label: str
    description: str = ""
    shipped: bool = True


VOCABULARY_KINDS = ("findings", "conditions", "restrictions")
# The names rules use beyond the intake's: what gates test, and what exercises are tagged with.
RULE_KINDS = ("gate_criteria", "exercise_tags")
OWN_KINDS = (*VOCABULARY_KINDS, *RULE_KINDS)  # every kind an organisation may declare
# Where each kind is used in an intake, and which fact field holds it in the rules.
VOCABULARY_FIELDS = {
    "findings": ("finding", "name"),
    "conditions": ("symptom", "condition"),
    "restrictions": ("restriction", "name"),
}


@dataclass(frozen=True)
class Vocabulary:
    """The findings, conditions and restrictions intakes may name, the gate criteria rules and
    check-ins may name and the exercise tags: the shipped ones and an organisation's own
    (declared in its rule set's `vocabulary.yaml`)."""

    findings: tuple[Term, ...]
    conditions: tuple[Term, ...]
    restrictions: tuple[Term, ...]
    gate_criteria: tuple[Term, ...] = ()
    exercise_tags: tuple[Term, ...] = ()

    def terms(self, kind: str) -> tuple[Term, ...]:
        terms: tuple[Term, ...] = getattr(self, kind)
        return terms

    def names(self, kind: str) -> frozenset[str]:
        return frozenset(term.name for term in self.terms(kind))

    def declared(self) -> dict[str, tuple[Term, ...]]:
        """The organisation's own terms, by kind."""
        return {kind: tuple(t for t in self.terms(kind) if not t.shipped) for kind in OWN_KINDS}

    def extended(self, kind: str, terms: tuple[Term, ...]) -> Vocabulary:
        return replace(self, **{kind: (*self.terms(kind), *terms)})


def shipped_terms(values: type[StrEnum]) -> tuple[Term, ...]:
    """The terms of a shipped vocabulary list, labelled from their names."""
    return tuple(Term(v.value, v.value.replace("_", " ").capitalize()) for v in values)


BASE_VOCABULARY = Vocabulary(
    shipped_terms(Finding),
    shipped_terms(Condition),
    shipped_terms(Restriction),
    shipped_terms(GateCriterion),
    shipped_terms(ExerciseTag),
)


# The vocabulary intakes are checked against while one is validated: the organisation's (set
# per request by the API and around re-reading a stored intake), else the shipped one.
ACTIVE_VOCABULARY: ContextVar[Vocabulary] = ContextVar("vocabulary", default=BASE_VOCABULARY)


@contextmanager
def vocabulary_in_use(vocabulary: Vocabulary) -> Iterator[None]:
    token = ACTIVE_VOCABULARY.set(vocabulary)
    try:
        yield
    finally:
        ACTIVE_VOCABULARY.reset(token)
