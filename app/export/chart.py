"""Plan → SVG chart: weekly planned distance against the cap, phase bands and races — the one
picture a coach reads at a glance, the same in the studio, the API's `chart.svg` and the CLI.

Drawn on a matplotlib `Figure` of its own (Agg, no pyplot, nothing shared between threads);
deterministic bytes for the same plan, day and check-ins. The legend sits below the plot and
race names beside their line on a white ground, so no label is overprinted or clipped (the
unit tests measure every label).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from app.plan.models import Plan

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PHASE_COLOURS = {
    "activation": "#cfe8d5",
    "strength": "#d6e4f5",
    "running_form": "#f7e3c4",
    "taper": "#ead7f2",
}
PHASE_LABELS = {
    "activation": "Activation",
    "strength": "Strength",
    "running_form": "Running form",
    "taper": "Taper",
}
BAR = "#3b6ea5"
DELOAD = "#7fa3c9"
CAP = "#b23a3a"
LONG_RUN = "#1f7a3a"
RACE = "#d9822b"
TODAY = "#6a1b9a"
NEEDED = "#8a1c1c"
VERDICT_COLOURS = {"progress": "#1f7a3a", "hold": "#c99a06", "regress": "#b23a3a"}
VERDICT_MARKERS = {"progress": "^", "hold": "s", "regress": "v"}
LABEL_GROUND = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5}


def _x(day: date) -> float:
    """A date as a matplotlib x coordinate."""
    from matplotlib.dates import date2num

    return float(date2num(day))  # type: ignore[no-untyped-call]


def draw(
    plan: Plan,
    today: date | None = None,
    check_ins: Sequence[tuple[date, str]] = (),
) -> Figure:
    """The chart as a Figure: weekly planned distance (bars; deload weeks hatched; the race's
    distance stacked in its week), the cap (a step line), the long run (a line), phase bands,
    race lines with their goal's name and distance, a today line, check-ins by verdict, and the
    peak a goal at risk would need."""
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator

    _configure()
    figure = Figure(figsize=(10, 4.8))
    axes = figure.subplots()
    handles: list[Any] = []
    for phase in plan.phases:
        axes.axvspan(
            _x(phase.start),
            _x(phase.end + timedelta(days=1)),
            color=PHASE_COLOURS[phase.name],
            alpha=0.6,
            linewidth=0,
        )
    for name in dict.fromkeys(p.name for p in plan.phases):
        handles.append(Patch(facecolor=PHASE_COLOURS[name], alpha=0.6, label=PHASE_LABELS[name]))
    starts = [_x(week.start) for week in plan.weeks]
    planned = [w.planned_distance for w in plan.weeks]
    bars = axes.bar(starts, planned, width=6, align="edge", color=BAR, label="planned")
    handles.append(bars)
    deloads = False
    for bar, week in zip(bars, plan.weeks, strict=True):
        if week.deload:
            deloads = True
            bar.set_hatch("///")
            bar.set_facecolor(DELOAD)
    if deloads:
        handles.append(Patch(facecolor=DELOAD, hatch="///", label="deload week"))
    raced = [(x, w) for x, w in zip(starts, plan.weeks, strict=True) if w.race_distance]
    if raced:
        handles.append(
            axes.bar(
                [x for x, _ in raced],
                [w.race_distance for _, w in raced],
                bottom=[w.planned_distance for _, w in raced],
                width=6,
                align="edge",
                color=RACE,
                label="race",
            )
        )
    if plan.weeks:
        edges = [*starts, _x(plan.weeks[-1].start + timedelta(days=7))]
        handles.append(
            axes.stairs([w.cap for w in plan.weeks], edges, color=CAP, linewidth=1.6, label="cap")
        )
        if any(w.long_run for w in plan.weeks):
            (line,) = axes.plot(
                [x + 3 for x in starts],
                [w.long_run for w in plan.weeks],
                color=LONG_RUN,
                linewidth=1.3,
                marker="o",
                markersize=2.5,
                label="long run",
            )
            handles.append(line)
    highest = max(
        [w.cap for w in plan.weeks]
        + [w.planned_distance + w.race_distance for w in plan.weeks]
        + [g.needed_peak for g in plan.feasibility if g.at_risk]
        + [1.0]
    )
    top = highest * 1.3
    units = plan.units
    goal_names = {goal.date: goal.goal for goal in plan.feasibility}
    race_week = {
        session.date: next(
            (w for w in plan.weeks if w.start <= session.date < w.start + timedelta(days=7)), None
        )
        for session in plan.sessions
        # a race the plan advises against is still marked, as not raced
        if session.kind == "race" or (session.run_type == "race_run" and session.date in goal_names)
    }
    raced_days = {s.date for s in plan.sessions if s.kind == "race"}
    for day, in_week in sorted(race_week.items()):
        x = _x(day)
        is_raced = day in raced_days
        axes.axvline(x, color="#222222", linestyle="--" if is_raced else ":", linewidth=1)
        race_name = goal_names.get(day) or next(
            s.title for s in plan.sessions if s.kind == "race" and s.date == day
        )
        distance = (
            f" · {in_week.race_distance:g} {units}" if in_week and in_week.race_distance else ""
        )
        if not is_raced:
            distance = " (not raced)"
        axes.text(
            x - 1.5,
            top * 0.97,
            f"{race_name}{distance}",
            rotation=90,
            va="top",
            ha="right",
            fontsize=7.5,
            bbox=LABEL_GROUND,
            gid="race-label",
        )
    if today is not None and plan.start <= today <= plan.end:
        axes.axvline(_x(today), color=TODAY, linewidth=1.6)
        axes.text(
            _x(today) + 1.5,
            top * 0.97,
            "today",
            color=TODAY,
            va="top",
            ha="left",
            fontsize=7.5,
            bbox=LABEL_GROUND,
            gid="today-label",
        )
        handles.append(Line2D([], [], color=TODAY, linewidth=1.6, label="today"))
    at_risk = [g for g in plan.feasibility if g.at_risk and g.needed_peak > 0]
    peaks: dict[float, list[str]] = {}
    for goal in at_risk:
        peaks.setdefault(round(goal.needed_peak, 1), []).append(goal.goal)
    previous: float | None = None
    left = _x(plan.start)
    # the label goes in the widest stretch between the race and today lines
    if starts:
        walls = sorted(
            {
                starts[0],
                edges[-1],
                *[_x(day) for day in race_week],
                *([_x(today)] if today is not None and plan.start <= today <= plan.end else []),
            }
        )
        left = max(pairwise(walls), key=lambda pair: pair[1] - pair[0])[0] + 1.5
    for peak, names in sorted(peaks.items()):
        axes.axhline(peak, color=NEEDED, linestyle=":", linewidth=1.3)
        # a label close above the one before goes under its own line instead
        below = previous is not None and peak - previous < top * 0.08
        axes.text(
            left,
            peak,
            f"peak needed for {' and '.join(dict.fromkeys(names))}: {peak:g} {units}",
            color=NEEDED,
            va="top" if below else "bottom",
            ha="left",
            fontsize=7.5,
            bbox=LABEL_GROUND,
            gid="needed-label",
        )
        previous = peak
    if at_risk:
        handles.append(Line2D([], [], color=NEEDED, linestyle=":", label="peak needed (at risk)"))
    shown = sorted({verdict for _, verdict in check_ins if verdict in VERDICT_COLOURS})
    for verdict in shown:
        days = [day for day, v in check_ins if v == verdict]
        axes.scatter(
            [_x(day) for day in days],
            [top * 0.03] * len(days),
            marker=VERDICT_MARKERS[verdict],
            color=VERDICT_COLOURS[verdict],
            s=28,
            zorder=5,
            clip_on=False,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=VERDICT_MARKERS[verdict],
                color=VERDICT_COLOURS[verdict],
                label=f"check-in: {verdict}",
            )
        )
    axes.set_ylim(0, top)
    if plan.weeks:
        axes.set_xlim(starts[0] - 1, edges[-1] + 1)
        # a tick on every week's Monday, a date on every fourth
        axes.xaxis.set_minor_locator(FixedLocator(starts))
        axes.xaxis.set_major_locator(FixedLocator(starts[::4]))
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    axes.tick_params(axis="x", labelsize=8)
    axes.set_ylabel(f"weekly distance ({units})")
    axes.set_title(f"{plan.athlete.name}: planned distance and cap by week")
    figure.legend(
        handles=handles,
        loc="lower center",
        ncol=min(7, len(handles)),
        frameon=False,
        fontsize=8,
    )
    rows = -(-len(handles) // 7)
    figure.subplots_adjust(left=0.07, right=0.98, top=0.93, bottom=0.1 + 0.05 * rows)
    return figure


def to_svg(
    plan: Plan, today: date | None = None, check_ins: Sequence[tuple[date, str]] = ()
) -> bytes:
    """The chart (see `draw`) as an SVG document."""
    figure = draw(plan, today, check_ins)
    try:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        figure.clear()
    return buffer.getvalue()


@cache
def _configure() -> None:
    """matplotlib's settings for the chart, set once for the process (the same every time,
    so no call changes them under another)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {"svg.hashsalt": "strideplan", "svg.fonttype": "none", "font.size": 9}
    )
