"""Plan → SVG chart: weekly planned distance against the cap, phase bands and races.

Drawn with matplotlib (Agg, no display); deterministic bytes for the same plan.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from functools import cache

from app.plan.models import Plan

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


def _x(day: date) -> float:
    """A date as a matplotlib x coordinate."""
    from matplotlib.dates import date2num

    return float(date2num(day))  # type: ignore[no-untyped-call]


def to_svg(plan: Plan) -> bytes:
    """Weekly planned distance (bars; deload weeks hatched), the cap (a step line), phase bands
    and race markers, as an SVG document."""
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    _configure()
    # One figure per call and no pyplot: nothing is shared between threads.
    figure = Figure(figsize=(10, 4.2))
    axes = figure.subplots()
    try:
        for phase in plan.phases:
            axes.axvspan(
                _x(phase.start),
                _x(phase.end + timedelta(days=1)),
                color=PHASE_COLOURS[phase.name],
                alpha=0.6,
                linewidth=0,
            )
        starts = [_x(week.start) for week in plan.weeks]
        bars = axes.bar(
            starts,
            [w.planned_distance for w in plan.weeks],
            width=6,
            align="edge",
            color="#3b6ea5",
            label="planned",
        )
        for bar, week in zip(bars, plan.weeks, strict=True):
            if week.deload:
                bar.set_hatch("///")
                bar.set_facecolor("#7fa3c9")
        if plan.weeks:
            edges = [*starts, _x(plan.weeks[-1].start + timedelta(days=7))]
            caps = [w.cap for w in plan.weeks]
            axes.stairs(caps, edges, color="#b23a3a", linewidth=1.6, label="cap")
        top = max([w.cap for w in plan.weeks] + [1.0]) * 1.25
        goal_names = {goal.date: goal.goal for goal in plan.feasibility}
        for session in plan.sessions:
            raced = session.kind == "race"
            # a race the plan advises against is still marked, as not raced
            if raced or (session.run_type == "race_run" and session.date in goal_names):
                x = _x(session.date)
                axes.axvline(x, color="#222222", linestyle="--" if raced else ":", linewidth=1)
                axes.text(
                    x,
                    top * 0.97,
                    goal_names.get(session.date, session.title) + ("" if raced else " (not raced)"),
                    rotation=90,
                    va="top",
                    ha="right",
                    fontsize=8,
                )
        for phase in plan.phases:
            axes.text(
                _x(phase.start) + 1,
                top * 0.9,
                PHASE_LABELS[phase.name],
                fontsize=8,
                color="#444444",
                va="top",
            )
        axes.set_ylim(0, top)
        axes.set_ylabel(f"weekly distance ({plan.units})")
        axes.set_title(f"{plan.athlete.name}: planned distance and cap by week")
        axes.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
        axes.legend(loc="upper left", frameon=False)
        figure.autofmt_xdate()
        figure.tight_layout()
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
