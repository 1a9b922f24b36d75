"""Which exercises each phase uses, after restrictions, avoidances and substitutions (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.catalog.models import Catalog, Exercise
from app.engine.decisions import Decisions, Prescription, Reason, Windows, joined
from app.intake.vocabulary import RESTRICTION_TAGS
from app.scheduler.strength import ASSIST_CUE, BAND_CUE, LIGHTER, NO_WEIGHTS_CUE, Dose

LOAD_TEXT = "moderate: a weight you could lift 10-12 times; add 2-10% once 3 × 12 feels easy"


@dataclass
class Chosen:
    """An exercise resolved for the plan (after substitution), with its dose and reasons."""

    exercise: Exercise
    prescription: Prescription
    reasons: list[Reason]
    replaced: str | None = None  # the prescribed exercise this one stands in for
    core: bool = False  # from a condition- or finding-specific rule (shown every day)
    # the rules whose prescriptions chose it (not a substitution's or an early-stage limit's)
    prescribed_by: frozenset[str] = frozenset()
    windows: Windows = None  # the days it holds in (None: every day of its stage)
    cache: dict[tuple[str | None, bool, Dose | None], list[Any]] = field(default_factory=dict)

    @property
    def laddered(self) -> bool:
        """Whether the strength ladder sets the dose (the rules gave none of their own)."""
        p = self.prescription
        return (
            self.exercise.kind not in ("drill", "mobility")
            and p.sets is p.reps is p.seconds is None
        )

    def entries(
        self, block: str | None, catalog: Catalog, dose: Dose | None = None
    ) -> list[dict[str, Any]]:
        """Contract entries: one per side when the weak side gets extra sets. With a strength
        `dose`, the ladder's sets, reps (or seconds) and load cue replace the catalog's."""
        p, e = self.prescription, self.exercise
        sets = p.sets or e.dose.sets
        reps = p.reps if p.reps is not None else (None if p.seconds else e.dose.reps)
        seconds = p.seconds if p.seconds is not None else (None if p.reps else e.dose.seconds)
        load = LOAD_TEXT if e.loaded else None
        if dose is not None and e.kind == "drill" and dose.why in LIGHTER:
            sets = max(1, sets - 1) if dose.why == "deload" else max(1, (sets + 1) // 2)
        if dose is not None and self.laddered:
            rung = dose.step
            sets = dose.sets
            if seconds is not None:
                seconds = max(seconds // 2, min(rung.seconds, seconds + 15))
            if e.loaded:
                reps = rung.reps if reps is not None else None
                load = rung.load
            elif reps is not None and rung.body is not None:  # body weight: same reps, harder
                if e.name.lower().startswith("assisted"):
                    load = ASSIST_CUE
                elif any("band" in item for item in e.equipment):
                    load = BAND_CUE
                elif dose.weights:
                    load = rung.body
                else:
                    load = NO_WEIGHTS_CUE
        base: dict[str, Any] = {
            "id": e.id,
            "sets": sets,
            "reps": reps,
            "seconds": seconds,
            "distance_m": e.dose.distance_m,
            "tempo": e.dose.tempo,
            "load": load,
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
        if p.side == "both" and p.extra_sets:  # extra sets wanted on each side
            return [{**base, "side": "both", "sets": sets + p.extra_sets}]
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
    decisions: Decisions, restrictions: list[str], week: int | None = None
) -> tuple[frozenset[str], frozenset[str]]:
    """Exercises and contraindication tags ruled out (restrictions apply even without rules);
    with `week` (of the stage clock), the early-stage avoidances still in force that week."""
    tags = set(decisions.avoided_tags)
    ids = set(decisions.avoided_exercises)
    for restriction in restrictions:
        tags |= RESTRICTION_TAGS.get(restriction, frozenset())
    if week is not None:
        for key, (until, _) in decisions.staged_avoids.items():
            if week < until:
                kind, _, name = key.partition(":")
                (tags if kind == "tag" else ids).add(name)
    return frozenset(ids), frozenset(tags)


def staged_keys(exercise: Exercise) -> list[str]:
    """The keys an early-stage avoidance of `exercise` is filed under (`Decisions.
    staged_avoids`): the exercise itself and each of its contraindication tags."""
    return [f"exercise:{exercise.id}", *(f"tag:{t}" for t in exercise.contraindications)]


def _staged_reasons(
    decisions: Decisions, exercise: Exercise, week: int
) -> list[tuple[int, Reason]]:
    """The early-stage avoidances that keep `exercise` out in `week`, as (until, rule)."""
    keys = staged_keys(exercise)
    return [
        decisions.staged_avoids[k]
        for k in keys
        if k in decisions.staged_avoids and week < decisions.staged_avoids[k][0]
    ]


def loading_prescriptions(
    decisions: Decisions, catalog: Catalog, restrictions: list[str]
) -> dict[str, tuple[int, int]]:
    """Exercise (as the plan shows it, after substitution) → (sessions a week, until week)
    for strength prescriptions that ask for a loading frequency."""
    blocked_ids, blocked_tags = blocked(decisions, restrictions)
    result: dict[str, tuple[int, int]] = {}
    for p in decisions.prescriptions.get("strength", {}).values():
        if p.per_week is None or p.until_week is None:
            continue
        final = catalog.allowed_substitute(p.exercise, blocked_ids, blocked_tags)
        if final is not None and "strength" in catalog[final].phases:
            result[final] = max(result.get(final, (0, 0)), (p.per_week, p.until_week))
    return result


def later_stage_exercises(decisions: Decisions, week: int) -> frozenset[str]:
    """Exercises the rules start in a later stage than `week` (nothing climbs to them early)."""
    return frozenset(
        p.exercise
        for by_exercise in decisions.prescriptions.values()
        for p in by_exercise.values()
        if p.from_week is not None and p.from_week > week
    )


def stage_starts(decisions: Decisions) -> list[int]:
    """The weeks of the stage clock where the chosen exercises can change: week 1, each later
    stage's first week, the week after each stage that ends and each early-stage avoidance's
    end."""
    weeks = {1}
    weeks.update(until for until, _ in decisions.staged_avoids.values())
    for by_exercise in decisions.prescriptions.values():
        weeks.update(p.from_week for p in by_exercise.values() if p.from_week is not None)
        weeks.update(p.last_week + 1 for p in by_exercise.values() if p.last_week is not None)
    return sorted(weeks)


def in_stage(prescription: Prescription, week: int) -> bool:
    """Whether `prescription` is in force in `week` of the stage clock: from its `from_week`
    up to and including its `last_week`."""
    p = prescription
    return (p.from_week is None or p.from_week <= week) and (
        p.last_week is None or week <= p.last_week
    )


def choose_exercises(
    decisions: Decisions,
    catalog: Catalog,
    restrictions: list[str],
    week: int = 1,
    also: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> PhaseExercises:
    """Resolve the prescriptions into exercises the runner can do in `week` of the stage
    clock, in a stable order; `also` rules out more exercises and tags (windowed
    avoidances in force)."""
    blocked_ids, blocked_tags = blocked(decisions, restrictions, week)
    always_ids, always_tags = blocked(decisions, restrictions)
    blocked_ids, blocked_tags = blocked_ids | also[0], blocked_tags | also[1]
    always_ids, always_tags = always_ids | also[0], always_tags | also[1]
    result = PhaseExercises()
    for phase in ("activation", "strength", "running_form"):
        chosen: dict[str, Chosen] = {}
        for prescription in decisions.prescriptions.get(phase, {}).values():
            if not in_stage(prescription, week):
                continue  # a later stage, or one that has ended
            wanted = prescription.exercise
            explicit = decisions.substitutions.get(wanted)
            candidate = explicit[0] if explicit else wanted
            final = catalog.allowed_substitute(candidate, blocked_ids, blocked_tags)
            if final is None or phase not in catalog[final].phases:
                waits = _staged_reasons(decisions, catalog[candidate], week)
                later = catalog.allowed_substitute(candidate, always_ids, always_tags)
                if waits and later is not None and phase in catalog[later].phases:
                    result.notes.append(
                        f"{catalog[wanted].name} waits until week "
                        f"{max(u for u, _ in waits)} of the plan (an early-stage limit)."
                    )
                else:
                    result.notes.append(
                        f"{catalog[wanted].name} is left out: it and its easier versions are "
                        "ruled out by your restrictions or by a rule for your injury."
                    )
                continue
            reasons = list(prescription.reasons)
            if explicit:
                reasons.append(explicit[1])
            staged = (
                _staged_reasons(decisions, catalog[candidate], week)
                if catalog.allowed_substitute(candidate, always_ids, always_tags) == candidate
                else []
            )
            if final != wanted and staged:
                reasons.extend(r for _, r in staged)
            core = any(not r.rule.startswith("baseline.") for r in prescription.reasons)
            by = frozenset(r.rule for r in prescription.reasons)
            if final in chosen:
                existing = chosen[final]
                existing.reasons.extend(r for r in reasons if r not in existing.reasons)
                existing.core = existing.core or core
                existing.prescribed_by |= by
                existing.windows = joined(existing.windows, prescription.windows)
                continue
            chosen[final] = Chosen(
                catalog[final],
                prescription,
                reasons,
                replaced=wanted if final != wanted else None,
                core=core,
                prescribed_by=by,
                windows=prescription.windows,
            )
            if final != wanted and staged:
                result.notes.append(
                    f"{catalog[final].name} stands in for {catalog[wanted].name} until week "
                    f"{max(u for u, _ in staged)} of the plan (an early-stage limit)."
                )
            elif final != wanted:
                result.notes.append(
                    f"{catalog[final].name} replaces {catalog[wanted].name}, which is ruled out "
                    "by your restrictions or by a rule for your injury."
                )
        setattr(result, phase, list(chosen.values()))
    return result


def rotation(
    items: list[Chosen], count: int, day_index: int, own_rules: frozenset[str] = frozenset()
) -> list[Chosen]:
    """`count` exercises for a day: core exercises every day, the rest rotating (loaded lifts
    kept while they fit, the body-weight ones taking turns). When the core
    exercises overflow the day, those prescribed by `own_rules` (the rules about the runner's
    symptoms: the injury's own loading, stage by stage) come first, every day, and the other
    core exercises take turns in the slots left. The picks repeat with the day index, so each
    distinct pick is worked out once per list."""
    core = [c for c in items if c.core]
    rest = [c for c in items if not c.core]
    if len(core) > count:
        own = [c for c in core if c.prescribed_by & own_rules]
        general = [c for c in core if not c.prescribed_by & own_rules]
        if own and general and len(own) < count:
            core, rest = own, general
    if len(core) >= count:
        start = (day_index * count) % len(core)
        return [core[(start + k) % len(core)] for k in range(count)]
    if not rest:
        return core
    need = count - len(core)
    if len(rest) <= need:
        return core + rest
    # Loaded lifts stay from block to block, so they climb the ladder (a lift that keeps
    # leaving starts over light); the body-weight accessories take turns in the slots left.
    loaded = [c for c in rest if c.exercise.loaded]
    if 0 < len(loaded) < need:
        others = [c for c in rest if not c.exercise.loaded]
        left = need - len(loaded)
        start = (day_index * left) % len(others)
        turn = {id(others[(start + k) % len(others)]) for k in range(left)}
        return core + [c for c in rest if c.exercise.loaded or id(c) in turn]
    start = (day_index * need) % len(rest)
    picked = [rest[(start + k) % len(rest)] for k in range(need)]
    return core + picked


class Rotations:
    """`rotation` remembered: a plan asks the same few lists for hundreds of days, and the
    answer depends only on the day index modulo the list's cycle."""

    def __init__(self, own_rules: frozenset[str] = frozenset()) -> None:
        self.own_rules = own_rules
        self._cache: dict[tuple[int, int, int], list[Chosen]] = {}
        self._cycles: dict[int, int] = {}

    def pick(self, items: list[Chosen], count: int, day_index: int) -> list[Chosen]:
        cycle = self._cycles.get(id(items))
        if cycle is None:  # the own, the other core and the rest each repeat with their length
            core = [c for c in items if c.core]
            own = sum(1 for c in core if c.prescribed_by & self.own_rules)
            cycle = self._cycles[id(items)] = (
                max(1, len(core)) * max(1, len(items) - len(core)) * max(1, len(core) - own)
            )
        key = (id(items), count, day_index % cycle)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = rotation(items, count, day_index % cycle, self.own_rules)
        return found
