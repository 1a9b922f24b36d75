"""Which exercises each phase uses, after restrictions, avoidances and substitutions (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.catalog.models import Catalog, Exercise
from app.engine.decisions import Decisions, Prescription, Reason
from app.intake.vocabulary import RESTRICTION_TAGS, Restriction

LOAD_TEXT = "moderate: a weight you could lift 10-12 times; add 2-10% once 3 × 12 feels easy"


@dataclass
class Chosen:
    """An exercise resolved for the plan (after substitution), with its dose and reasons."""

    exercise: Exercise
    prescription: Prescription
    reasons: list[Reason]
    replaced: str | None = None  # the prescribed exercise this one stands in for
    core: bool = False  # from a condition- or finding-specific rule (shown every day)
    cache: dict[tuple[str | None, bool], list[Any]] = field(default_factory=dict)

    def entries(self, block: str | None, catalog: Catalog) -> list[dict[str, Any]]:
        """Contract entries: one per side when the weak side gets extra sets."""
        p, e = self.prescription, self.exercise
        sets = p.sets or e.dose.sets
        base: dict[str, Any] = {
            "id": e.id,
            "name": e.name,
            "sets": sets,
            "reps": p.reps if p.reps is not None else (None if p.seconds else e.dose.reps),
            "seconds": p.seconds if p.seconds is not None else (None if p.reps else e.dose.seconds),
            "distance_m": e.dose.distance_m,
            "tempo": e.dose.tempo,
            "load": LOAD_TEXT if e.loaded else None,
            "block": block,
        }
        weak = p.side if p.side in ("left", "right") else None
        if not e.unilateral:
            entries = [{**base, "side": None}]
            if weak and p.extra_sets and e.progression and e.progression in catalog:
                single = catalog[e.progression]
                if single.unilateral:
                    entries.append(
                        {
                            **base,
                            "id": single.id,
                            "name": single.name,
                            "side": weak,
                            "sets": p.extra_sets,
                            "reps": single.dose.reps,
                            "seconds": single.dose.seconds,
                        }
                    )
            return entries
        if weak and p.extra_sets:
            other = "right" if weak == "left" else "left"
            return [{**base, "side": weak, "sets": sets + p.extra_sets}, {**base, "side": other}]
        return [{**base, "side": weak or "both"}]


@dataclass
class PhaseExercises:
    activation: list[Chosen] = field(default_factory=list)
    strength: list[Chosen] = field(default_factory=list)
    running_form: list[Chosen] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def of(self, phase: str) -> list[Chosen]:
        chosen: list[Chosen] = getattr(self, phase)
        return chosen


def blocked(
    decisions: Decisions, restrictions: list[Restriction]
) -> tuple[frozenset[str], frozenset[str]]:
    """Exercises and contraindication tags ruled out (restrictions apply even without rules)."""
    tags = set(decisions.avoided_tags)
    for restriction in restrictions:
        tags |= RESTRICTION_TAGS[restriction]
    return frozenset(decisions.avoided_exercises), frozenset(tags)


def choose_exercises(
    decisions: Decisions, catalog: Catalog, restrictions: list[Restriction]
) -> PhaseExercises:
    """Resolve the prescriptions into exercises the runner can do, in a stable order."""
    blocked_ids, blocked_tags = blocked(decisions, restrictions)
    result = PhaseExercises()
    for phase in ("activation", "strength", "running_form"):
        chosen: dict[str, Chosen] = {}
        for prescription in decisions.prescriptions.get(phase, {}).values():
            wanted = prescription.exercise
            explicit = decisions.substitutions.get(wanted)
            candidate = explicit[0] if explicit else wanted
            final = catalog.allowed_substitute(candidate, blocked_ids, blocked_tags)
            if final is None or phase not in catalog[final].phases:
                result.notes.append(
                    f"{catalog[wanted].name} is left out: it and its easier versions are ruled "
                    "out for you."
                )
                continue
            reasons = list(prescription.reasons)
            if explicit:
                reasons.append(explicit[1])
            core = any(not r.rule.startswith("baseline.") for r in prescription.reasons)
            if final in chosen:
                existing = chosen[final]
                existing.reasons.extend(r for r in reasons if r not in existing.reasons)
                existing.core = existing.core or core
                continue
            chosen[final] = Chosen(
                catalog[final],
                prescription,
                reasons,
                replaced=wanted if final != wanted else None,
                core=core,
            )
            if final != wanted:
                result.notes.append(
                    f"{catalog[final].name} replaces {catalog[wanted].name}, which is ruled out "
                    "for you."
                )
        setattr(result, phase, list(chosen.values()))
    return result


def rotation(items: list[Chosen], count: int, day_index: int) -> list[Chosen]:
    """`count` exercises for a day: core exercises every day, the rest rotating."""
    core = [c for c in items if c.core]
    rest = [c for c in items if not c.core]
    if len(core) >= count:
        start = (day_index * count) % len(core)
        return [core[(start + k) % len(core)] for k in range(count)]
    if not rest:
        return core
    need = count - len(core)
    if len(rest) <= need:
        return core + rest
    start = (day_index * need) % len(rest)
    picked = [rest[(start + k) % len(rest)] for k in range(need)]
    return core + picked
