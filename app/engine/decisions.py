"""Decisions: what the fired rules mean for the plan, resolved by precedence.

Each verb has one handler here (a fixed registry): the rules supply data, never code.
Precedence is by domain (safety > injury > goal), then priority; ties go the conservative way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from app.engine.evaluate import Evaluation, Fired
from app.engine.verbs import (
    CAUTION,
    PARAMETERS,
    Avoid,
    Cap,
    Consequence,
    Derive,
    Gate,
    Note,
    Parameter,
    Prescribe,
    Refer,
    Respond,
    SetParameter,
    Substitute,
    Target,
    Window,
)
from app.facts.build import Fact

# The parts of the plan a prescription or note holds in: None for the whole plan, otherwise
# the windows of the rules that gave it (it holds where any of them does).
Windows = tuple[Window, ...] | None


def joined(first: Windows, second: Windows) -> Windows:
    """Where either of two prescriptions of one exercise holds (None: everywhere)."""
    if first is None or second is None:
        return None
    return first + tuple(w for w in second if w not in first)


# Which way is conservative for each parameter when rules of equal precedence disagree.
_CONSERVATIVE_MAX = {
    Parameter.activation_days,
    Parameter.strength_min_days,
    Parameter.deload_cut_pct,
    Parameter.walk_run,
    Parameter.activation_exercises,
    Parameter.min_runs_per_week,
    Parameter.b_race_taper_days,
    Parameter.easy_pace_slower_pct,
}


class Reason(NamedTuple):
    """Why something is in the plan: the rule and its plain-language explanation.

    A named tuple: reasons are hashed and compared very often while a plan is built.
    """

    rule: str
    because: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "because": self.because}


@dataclass
class Prescription:
    exercise: str
    phase: str
    sets: int | None
    reps: int | None
    seconds: int | None
    side: str | None
    extra_sets: int
    reasons: list[Reason]
    from_week: int | None = None  # a later stage: from this week of the plan
    last_week: int | None = None  # a stage that ends: up to and including this week
    per_week: int | None = None  # at least this many sessions a week…
    until_week: int | None = None  # …until this week
    windows: Windows = None  # the rules' windows (None: the whole plan)


@dataclass(frozen=True, slots=True)
class WindowedCap:
    """A weekly cap for a phase that holds only in the weeks a rule's window covers."""

    phase: str
    value: float  # km
    reason: Reason
    windows: Windows


@dataclass(frozen=True, slots=True)
class WindowedAvoid:
    """An exercise, or a contraindication tag, kept out of the sessions in a rule's window."""

    exercise: str | None
    tag: str | None
    reason: Reason
    windows: Windows


@dataclass(frozen=True, slots=True)
class Ranked:
    """A resolved value and the rule that set it."""

    value: float
    reason: Reason
    rank: tuple[int, int]


@dataclass(frozen=True, slots=True)
class CapCandidate:
    """One fired rule's cap on a phase, before the safest one is chosen."""

    value: float
    reason: Reason
    rank: tuple[int, int]
    replaces: frozenset[str]


@dataclass
class Decisions:
    """Everything the scheduler needs from the rules."""

    referrals: list[tuple[str, Reason]] = field(default_factory=list)
    prescriptions: dict[str, dict[str, Prescription]] = field(default_factory=dict)
    avoided_exercises: dict[str, list[Reason]] = field(default_factory=dict)
    avoided_tags: dict[str, list[Reason]] = field(default_factory=dict)
    substitutions: dict[str, tuple[str, Reason]] = field(default_factory=dict)
    caps: dict[str, Ranked] = field(default_factory=dict)
    # "exercise:<id>" or "tag:<tag>" → (the week it is allowed again, the rule)
    staged_avoids: dict[str, tuple[int, Reason]] = field(default_factory=dict)
    cap_candidates: dict[str, list[CapCandidate]] = field(default_factory=dict)
    windowed_avoids: list[WindowedAvoid] = field(default_factory=list)
    windowed_caps: list[WindowedCap] = field(default_factory=list)
    gates: dict[str, dict[str, Reason]] = field(default_factory=dict)  # phase → criterion
    parameters: dict[Parameter, Ranked] = field(default_factory=dict)
    notes: list[tuple[str, str, Reason, Windows]] = field(default_factory=list)
    derived: list[tuple[str, str | None]] = field(default_factory=list)
    targets: dict[int, dict[str, tuple[float | bool, Reason]]] = field(default_factory=dict)
    response: tuple[str, list[Reason]] | None = None  # the pain-monitoring verdict, with reasons
    fired: list[Fired] = field(default_factory=list)

    def parameter(self, name: Parameter) -> float:
        """A parameter's resolved value, or its default."""
        ranked = self.parameters.get(name)
        return ranked.value if ranked is not None else PARAMETERS[name][2]

    def parameter_reason(self, name: Parameter) -> Reason | None:
        ranked = self.parameters.get(name)
        return ranked.reason if ranked is not None else None


@dataclass(frozen=True, slots=True)
class Firing:
    """One fired rule as its consequences see it: the rule, its reason and the facts."""

    fired: Fired
    reason: Reason
    facts: Sequence[Fact]

    def side(self, choice: str | None) -> str | None:
        """Resolve a verb's side: `matched` takes the side of the fact that matched."""
        return self.fired.side(self.facts) if choice == "matched" else choice

    @property
    def rank(self) -> tuple[int, int]:
        return (self.fired.rule.domain.rank, -self.fired.rule.priority)

    @property
    def windows(self) -> Windows:
        window = self.fired.rule.window
        return None if window is None else (window,)


Handler = Callable[[Decisions, Any, Firing], None]
_CAP_PHASES = ("activation", "strength", "running_form", "taper")


def _current_km(facts: Sequence[Fact]) -> float:
    for fact in facts:
        if fact["t"] == "athlete":
            value = fact.get("weekly_km", 0)
            return float(value) if isinstance(value, int | float) else 0.0
    return 0.0


def _prescribe(d: Decisions, verb: Prescribe, f: Firing) -> None:
    side, reason = f.side(verb.side), f.reason
    by_exercise = d.prescriptions.setdefault(verb.phase, {})
    existing = by_exercise.get(verb.exercise)
    if existing is None:
        by_exercise[verb.exercise] = Prescription(
            verb.exercise,
            verb.phase,
            verb.sets,
            verb.reps,
            verb.seconds,
            side,
            verb.extra_sets,
            [reason],
            verb.from_week,
            verb.last_week,
            verb.per_week,
            verb.until_week,
            f.windows,
        )
        return
    # Rules arrive in precedence order: the first dose stands; sides and extra sets accumulate.
    if reason not in existing.reasons:
        existing.reasons.append(reason)
    existing.windows = joined(existing.windows, f.windows)
    # The earliest start, the latest end and the most frequent loading any rule asks for.
    if existing.from_week is not None:
        existing.from_week = (
            None if verb.from_week is None else min(existing.from_week, verb.from_week)
        )
    if existing.last_week is not None:
        existing.last_week = (
            None if verb.last_week is None else max(existing.last_week, verb.last_week)
        )
    if verb.per_week is not None and (existing.per_week or 0) < verb.per_week:
        existing.per_week, existing.until_week = verb.per_week, verb.until_week
    one_sided = ("left", "right")
    if verb.extra_sets and existing.extra_sets and {side, existing.side} == set(one_sided):
        # Two rules each want extra sets, on opposite sides (the weak left glute, the sore
        # right IT band): both sides get them.
        existing.side, existing.extra_sets = "both", max(existing.extra_sets, verb.extra_sets)
    elif verb.extra_sets > existing.extra_sets:
        existing.extra_sets = verb.extra_sets
        existing.side = side
    elif existing.side is None and side is not None:
        existing.side = side


def _avoid(d: Decisions, verb: Avoid, f: Firing) -> None:
    if f.windows is not None:  # only in the sessions of the rule's window
        d.windowed_avoids.append(WindowedAvoid(verb.exercise, verb.tag, f.reason, f.windows))
        return
    if verb.until_week is not None:  # early stages only: the latest week any rule asks for
        key = f"exercise:{verb.exercise}" if verb.exercise else f"tag:{verb.tag}"
        current = d.staged_avoids.get(key)
        if current is None or verb.until_week > current[0]:
            d.staged_avoids[key] = (verb.until_week, f.reason)
        return
    if verb.exercise is not None:
        d.avoided_exercises.setdefault(verb.exercise, []).append(f.reason)
    if verb.tag is not None:
        d.avoided_tags.setdefault(verb.tag, []).append(f.reason)


def _substitute(d: Decisions, verb: Substitute, f: Firing) -> None:
    d.substitutions.setdefault(verb.exercise, (verb.replacement, f.reason))


def _cap(d: Decisions, verb: Cap, f: Firing) -> None:
    raw = verb.limit_km(_current_km(f.facts))
    if raw is None:
        return
    candidate = CapCandidate(round(raw, 2), f.reason, f.rank, frozenset(verb.replaces))
    phases = _CAP_PHASES if verb.phase == "all" else (verb.phase,)
    for phase in phases:
        if f.windows is not None:  # only in the weeks of the rule's window
            d.windowed_caps.append(WindowedCap(phase, candidate.value, f.reason, f.windows))
        else:
            d.cap_candidates.setdefault(phase, []).append(candidate)


def _resolve_caps(d: Decisions) -> None:
    """The safest cap wins (docs/plan-shape.md §8): the lowest of every phase's caps, except caps of
    rules that another fired rule explicitly replaces. Ties go to the rule of higher
    precedence."""
    for phase, candidates in d.cap_candidates.items():
        replaced = {rule for c in candidates for rule in c.replaces if rule != c.reason.rule}
        standing = [c for c in candidates if c.reason.rule not in replaced] or candidates
        best = min(standing, key=lambda c: (c.value, c.rank))
        d.caps[phase] = Ranked(best.value, best.reason, best.rank)


def _gate(d: Decisions, verb: Gate, f: Firing) -> None:
    d.gates.setdefault(verb.phase, {}).setdefault(verb.criterion, f.reason)


def _refer(d: Decisions, verb: Refer, f: Firing) -> None:
    d.referrals.append((verb.reason, f.reason))


def _derive(d: Decisions, verb: Derive, f: Firing) -> None:
    side = f.side(verb.side)
    if (verb.name, side) not in d.derived:
        d.derived.append((verb.name, side))


def _note(d: Decisions, verb: Note, f: Firing) -> None:
    d.notes.append((verb.kind, verb.text, f.reason, f.windows))


def _set(d: Decisions, verb: SetParameter, f: Firing) -> None:
    current = d.parameters.get(verb.parameter)
    rank = f.rank
    if current is None or rank < current.rank:
        d.parameters[verb.parameter] = Ranked(verb.value, f.reason, rank)
    elif rank == current.rank:
        prefer_max = verb.parameter in _CONSERVATIVE_MAX
        better = verb.value > current.value if prefer_max else verb.value < current.value
        if better:
            d.parameters[verb.parameter] = Ranked(verb.value, f.reason, rank)


def _target(d: Decisions, verb: Target, f: Firing) -> None:
    """Targets belong to the goal(s) the rule matched; the first rule (by precedence) wins."""
    facts = f.facts
    goal_ordinals = [
        sum(1 for fact in facts[:index] if fact["t"] == "goal")
        for index in f.fired.matched
        if facts[index]["t"] == "goal"
    ]
    for ordinal in goal_ordinals:
        goal_targets = d.targets.setdefault(ordinal, {})
        for name in type(verb).model_fields:
            value = getattr(verb, name)
            if value is not None:
                goal_targets.setdefault(name, (value, f.reason))


def _respond(d: Decisions, verb: Respond, f: Firing) -> None:
    """The most conservative verdict wins; every rule that gave it is a reason."""
    if d.response is None or CAUTION[verb.load] > CAUTION[d.response[0]]:
        d.response = (verb.load, [f.reason])
    elif verb.load == d.response[0]:
        d.response[1].append(f.reason)


HANDLERS: dict[type[Consequence], Handler] = {
    Prescribe: _prescribe,
    Avoid: _avoid,
    Substitute: _substitute,
    Cap: _cap,
    Gate: _gate,
    Refer: _refer,
    Derive: _derive,
    Note: _note,
    Target: _target,
    Respond: _respond,
    SetParameter: _set,
}


def decide(evaluation: Evaluation) -> Decisions:
    """Apply every fired rule's consequences, in precedence order."""
    decisions = Decisions(fired=list(evaluation.fired))
    for fired in evaluation.fired:
        firing = Firing(fired, Reason(fired.rule.id, fired.rule.why), evaluation.facts)
        for consequence in fired.rule.consequences:
            HANDLERS[type(consequence)](decisions, consequence, firing)
    _resolve_caps(decisions)
    return decisions
