"""How strength progresses (docs/plan-shape.md §7, docs/evidence.md §6): a ladder of doses, learn
→ build → strength → heavy, lighter in deload and taper weeks, a step back after a regress
verdict, and held with a set fewer once running form begins (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from app.engine.decisions import Reason
from app.scheduler.calendar import monday_of


@dataclass(frozen=True, slots=True)
class Rung:
    """One step of the strength ladder: the dose for loaded work (reps) and for holds
    (seconds); body-weight exercises keep their reps and get harder by tempo and added weight."""

    name: str
    weeks: int | None  # how long the rung lasts (None: the top rung)
    sets: int
    reps: int
    seconds: int
    load: str  # the load cue for loaded exercises
    word: str  # one word for titles and notes
    body: str | None  # the cue for body-weight exercises (None: as the catalog says)


RUNGS = (
    Rung(
        "learn",
        2,
        2,
        12,
        20,
        "light: learn the movement and stop each set with 3-4 reps to spare",
        "light",
        None,
    ),
    Rung(
        "build",
        3,
        3,
        10,
        30,
        "moderate: a weight you could lift about 12 times",
        "moderate",
        "body weight: lower slowly, 3 seconds down",
    ),
    Rung(
        "strength",
        3,
        3,
        8,
        40,
        "heavier: a weight you could lift about 10 times",
        "heavier",
        "3 seconds down; hold a light weight once every rep is clean",
    ),
    Rung(
        "heavy",
        None,
        4,
        6,
        45,
        "heavy: a weight you could lift about 8 times; add 2-10% once every rep is clean",
        "heavy",
        "add weight (a dumbbell or a loaded backpack) until the last reps are hard",
    ),
)
# Body-weight work when weights are ruled out, and band work: harder by tempo or band.
NO_WEIGHTS_CUE = "body weight: 3 seconds down and a pause at the bottom as it gets easier"
BAND_CUE = "move to a stronger band once every rep is clean"
ASSIST_CUE = "take less help from the band or partner once every rep is clean"
BODY_WEIGHT_NAMES = {"strength": "harder", "heavy": "hardest"}  # rung names without weights
BODY_WEIGHT_WORDS = {"heavier": "harder (slower, with pauses)", "heavy": "hardest (slowest)"}
LIGHTER = ("deload", "taper", "regress")  # kinds of session lighter than the ladder's
CLIMB_RUNG = 2  # from this rung, body-weight exercises move up their catalog ladder

STRENGTH_LADDER = Reason(
    "plan.strength_ladder",
    "Strength is built in steps: two weeks learning each movement with light loads, then "
    "three sets with load, then heavier sets of fewer reps; body-weight exercises move on to "
    "their harder version once the basic one is easy.",
)
STRENGTH_REGRESS = Reason(
    "plan.strength_regress",
    "After a check-in that says the load was too much, strength steps back too: one step down "
    "the ladder and a set fewer for a week, and the harder versions wait.",
)


def rung_of(strength_week: int) -> int:
    """The rung for the n-th week of strength (0 is the first)."""
    week, index = strength_week, 0
    for index, rung in enumerate(RUNGS):
        if rung.weeks is None or week < rung.weeks:
            return index
        week -= rung.weeks
    return index


@dataclass(frozen=True, slots=True)
class Dose:
    """A strength session's dose: the rung, the sets, and why it differs from the ladder."""

    rung: int
    sets: int
    why: str  # ladder | deload | taper | regress | maintenance
    weights: bool = True  # false when the runner's restrictions rule out external load

    @property
    def step(self) -> Rung:
        return RUNGS[self.rung]

    def describe(self) -> str:
        """E.g. "3 sets, heavier" (the load cue of each exercise says how heavy)."""
        word = (
            self.step.word
            if self.weights
            else BODY_WEIGHT_WORDS.get(self.step.word, self.step.word)
        )
        return f"{self.sets} {'set' if self.sets == 1 else 'sets'}, {word}"

    @property
    def label(self) -> str:
        """E.g. "build, 3 sets" (for titles; without weights the top rungs say "harder" and
        "hardest": every exercise is body weight)."""
        name = (
            self.step.name
            if self.weights
            else BODY_WEIGHT_NAMES.get(self.step.name, self.step.name)
        )
        return f"{name}, {self.sets} {'set' if self.sets == 1 else 'sets'}"


def dose_for(
    strength_week: int,
    why: str,
    maintenance: bool = False,
    weights: bool = True,
    highest: int | None = None,
) -> Dose:
    """The dose of a session `strength_week` weeks into strength: the ladder's (held with a set
    fewer in `maintenance`; never above the `highest` rung), then lighter for the kind of week
    (`why`)."""
    rung = rung_of(max(0, strength_week))
    if highest is not None:
        rung = max(0, min(rung, highest))
    sets = RUNGS[rung].sets
    if maintenance:
        sets = max(2, sets - 1)
    if why == "deload":  # a set fewer at the loads you know, with the running's lighter week
        sets = max(1, sets - 1)
    elif why == "regress":  # one rung down and a set fewer
        rung = max(0, rung - 1)
        sets = max(1, min(sets, RUNGS[rung].sets) - 1)
    elif why == "taper":  # the loads you know, half the sets
        sets = max(1, (sets + 1) // 2)
    return Dose(rung, sets, "maintenance" if maintenance and why == "ladder" else why, weights)


REINTRODUCE_DAYS = 21  # an exercise away this long comes back at the rung it had, no higher
DETRAINED_DAYS = 42  # ... and one away this long a rung below it


def weeks_before(rung: int) -> int:
    """Weeks of the ladder before `rung` begins."""
    return sum(r.weeks or 0 for r in RUNGS[:rung])


@dataclass
class ExerciseLadder:
    """Each exercise climbs the ladder on its own, never above the session's dose: one that
    joins later (a later stage's exercise, a harder version, a tendon's heavy loading) starts
    light and climbs as the ladder does from its first week (two weeks light, three moderate,
    three heavier, then heavy), at most a rung from one week to the next; one away for three
    to six weeks comes back at the rung it had and climbs on from there, one away for longer a
    rung below it (docs/plan-shape.md §7)."""

    seen: dict[str, tuple[date, int]] = field(default_factory=dict)  # last day and its rung
    start: dict[str, date] = field(default_factory=dict)  # the Monday its climb counts from

    def _returning(self, exercise: str, day: date) -> bool:
        last = self.seen.get(exercise)
        return last is not None and (day - last[0]).days >= REINTRODUCE_DAYS

    def _start(self, exercise: str, day: date) -> date:
        """The Monday the exercise's climb counts from on `day`: its first week, or for one
        back after a rest, as far back as the rung it comes back at needs."""
        last = self.seen.get(exercise)
        if last is None:
            return monday_of(day)
        if self._returning(exercise, day):
            return monday_of(day) - timedelta(weeks=weeks_before(self._back_at(exercise, day)))
        return self.start[exercise]

    def _back_at(self, exercise: str, day: date) -> int:
        """The rung of an exercise back after a rest: where it was after three to six weeks
        away (strength built over weeks is not lost in a few), a rung below after longer."""
        last_day, rung = self.seen[exercise]
        return max(0, rung - 1) if (day - last_day).days >= DETRAINED_DAYS else rung

    def dose(self, exercise: str, day: date, session: Dose) -> Dose:
        last = self.seen.get(exercise)
        monday = monday_of(day)
        if last is None:
            own = 0
        elif self._returning(exercise, day):  # back after a rest: no new rung that day
            own = self._back_at(exercise, day)
        elif session.why not in ("ladder", "maintenance") or monday == monday_of(last[0]):
            own = last[1]  # the same week, or a lighter session: no new rung
        else:
            by_ladder = rung_of((monday - self._start(exercise, day)).days // 7)
            own = max(last[1], min(last[1] + 1, by_ladder))
        if own >= session.rung:
            return session
        return replace(session, rung=own, sets=min(session.sets, RUNGS[own].sets))

    def record(self, exercise: str, day: date, dose: Dose) -> None:
        """`exercise` was done on `day` at `dose` (once the session is settled)."""
        self.start[exercise] = self._start(exercise, day)
        self.seen[exercise] = (day, dose.rung)


@dataclass(frozen=True, slots=True)
class StageClock:
    """Weeks of rehab progress: the plan's week number (1 for the week of the start), held
    back a week by each regress verdict (a stage is earned, not only waited for)."""

    start: date
    regress_weeks: tuple[date, ...] = ()  # Mondays from which a regress verdict applies
    held_at_start: int = 0  # weeks the clock waits first (pain in the "hold" zone today)

    _weeks: dict[int, int] = field(default_factory=dict, compare=False, repr=False)

    def week(self, day: date) -> int:
        """The stage week of `day` (remembered per week: plans ask for every session)."""
        ordinal = day.toordinal() - day.weekday()  # its Monday
        known = self._weeks.get(ordinal)
        if known is None:
            monday = date.fromordinal(ordinal)
            elapsed = (monday - monday_of(self.start)).days // 7 + 1
            held = sum(1 for w in self.regress_weeks if w <= monday) + self.held_at_start
            known = self._weeks[ordinal] = max(1, elapsed - held)
        return known
