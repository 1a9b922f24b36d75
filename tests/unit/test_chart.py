"""The plan's chart: races labelled with their goal's whole name and distance, no label
overprinted or clipped, every mark in the legend, no pyplot."""

from __future__ import annotations

import html
from datetime import date, timedelta

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import num2date
from matplotlib.figure import Figure
from matplotlib.text import Text

from app.cli import shifted_example
from app.engine.model import RuleSet
from app.export.chart import draw, to_svg
from app.intake.checks import finalize
from app.intake.models import Intake
from app.plan.build import build_plan
from app.plan.models import Plan
from tests.conftest import example_intake, load_example


def test_race_markers_carry_the_whole_goal_name(ruleset: RuleSet) -> None:
    intake = example_intake("weak_left_glute_hamstring")
    relay, *others = intake.goals
    named = relay.model_copy(update={"name": "Reach the Beach · New Hampshire"})
    plan = build_plan(intake.model_copy(update={"goals": [named, *others]}), ruleset)
    text = html.unescape(to_svg(plan).decode())
    assert "Reach the Beach · New Hampshire (not raced)" in text  # too far for her running
    assert "Fall marathon (not raced)" in text


def test_the_chart_never_touches_pyplot() -> None:
    """pyplot keeps global state that is not safe in a thread pool: the chart draws on a
    Figure of its own (checked in a fresh interpreter, where nothing else imported it)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tests.conftest import example_intake, load_ruleset, RULES\n"
        "from app.plan.build import build_plan\n"
        "from app.export.chart import to_svg\n"
        "svg = to_svg(build_plan(example_intake('novice_marathon'), load_ruleset(RULES)))\n"
        "assert svg.startswith(b'<?xml'), svg[:40]\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    from app.config import PROJECT_ROOT

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


# -- the chart a coach reads at a glance ---------------------------------------------------------


def _season_plan(ruleset: RuleSet, example: str, today: date) -> Plan:
    """An example moved to the coming season, starting this week."""
    data = shifted_example(load_example(example), today)
    data["start_date"] = (today - timedelta(days=today.weekday())).isoformat()
    data.pop("historical", None)
    return build_plan(finalize(Intake.model_validate(data), today), ruleset)


TODAY = date(2026, 12, 9)
CHECK_INS = [
    (TODAY - timedelta(days=2), "progress"),
    (TODAY - timedelta(days=1), "hold"),
    (TODAY, "regress"),
]


def _texts(figure: Figure) -> tuple[list[Text], list[Text], list[Text]]:
    """The chart's own labels (on the plot), the legend's, and the axes' (ticks, title, name)."""
    axes = figure.axes[0]
    labels = [t for t in axes.texts if t.get_text()]
    legend = [t for lg in figure.legends for t in lg.get_texts()]
    (x0, x1), (y0, y1) = axes.get_xlim(), axes.get_ylim()
    frame = [  # the tick labels drawn: those inside the view
        *[t for t in axes.get_xticklabels() if t.get_text() and x0 <= t.get_position()[0] <= x1],
        *[t for t in axes.get_yticklabels() if t.get_text() and y0 <= t.get_position()[1] <= y1],
        axes.title,
        axes.yaxis.label,
    ]
    return labels, legend, frame


@pytest.mark.parametrize(
    "example", ["weak_left_glute_hamstring", "novice_marathon", "itb_10k_soon", "couch_to_5k"]
)
def test_no_label_is_overprinted_or_clipped(ruleset: RuleSet, example: str) -> None:
    plan = _season_plan(ruleset, example, TODAY)
    figure = draw(plan, TODAY, CHECK_INS)
    FigureCanvasAgg(figure)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    figure.draw(renderer)
    page = figure.bbox
    labels, legend, frame = _texts(figure)
    boxes = {id(t): t.get_window_extent(renderer) for t in [*labels, *legend, *frame]}
    names = {id(t): t.get_text() for t in [*labels, *legend, *frame]}
    for text in [*labels, *legend, *frame]:  # nothing runs off the picture
        box = boxes[id(text)]
        inside = page.x0 <= box.x0 <= box.x1 <= page.x1 and page.y0 <= box.y0 <= box.y1 <= page.y1
        assert inside, names[id(text)]
    # no two labels on top of each other, and none under the legend or the axis labels
    written = [*labels, *legend]
    for i, first in enumerate(written):
        for second in [*written[i + 1 :], *frame]:
            assert not boxes[id(first)].overlaps(boxes[id(second)]), (
                names[id(first)],
                names[id(second)],
            )
    # no race or today line runs through a label
    axes = figure.axes[0]
    xs = [list(np.asarray(line.get_xdata(), dtype=float)) for line in axes.lines]
    verticals = [axes.transData.transform((x[0], 0.0))[0] for x in xs if len(set(x)) == 1]
    assert verticals
    for text in labels:
        box = boxes[id(text)]
        crossing = [x for x in verticals if box.x0 + 0.5 < x < box.x1 - 0.5]
        assert not crossing, names[id(text)]


def test_the_legend_names_every_mark(ruleset: RuleSet) -> None:
    plan = _season_plan(ruleset, "weak_left_glute_hamstring", TODAY)
    assert any(w.deload for w in plan.weeks)
    assert any(g.at_risk for g in plan.feasibility)
    figure = draw(plan, TODAY, CHECK_INS)
    legend = {t.get_text() for lg in figure.legends for t in lg.get_texts()}
    assert {
        "planned",
        "deload week",
        "cap",
        "long run",
        "race",
        "today",
        "peak needed (at risk)",
        "check-in: progress",
        "check-in: hold",
        "check-in: regress",
        "Activation",
    } <= legend
    # the deload entry is hatched like the deload bars
    entry = next(
        h
        for lg in figure.legends
        for h, t in zip(lg.legend_handles, lg.get_texts(), strict=True)
        if t.get_text() == "deload week"
    )
    assert entry.get_hatch() == "///"  # type: ignore[union-attr]


def test_races_today_long_run_and_needed_peak_are_drawn(ruleset: RuleSet) -> None:
    plan = _season_plan(ruleset, "relay_then_marathon", TODAY)
    text = html.unescape(to_svg(plan, TODAY, CHECK_INS).decode())
    race_day = next(g.date for g in plan.feasibility if g.goal == "Hartford Marathon")
    marathon = next(w for w in plan.weeks if w.start <= race_day < w.start + timedelta(days=7))
    assert marathon.race_distance == 26.2
    assert f"Hartford Marathon · {marathon.race_distance:g} mi" in text
    assert "today" in text
    at_risk = [g for g in plan.feasibility if g.at_risk]
    assert f"{at_risk[0].needed_peak:g} mi" in text
    assert "peak needed for" in text
    figure = draw(plan, TODAY, CHECK_INS)
    axes = figure.axes[0]
    (long_run,) = [line for line in axes.lines if line.get_label() == "long run"]
    assert list(long_run.get_ydata()) == [w.long_run for w in plan.weeks]  # type: ignore[arg-type]
    # a tick on every week's start (a dated one every fourth week)
    ticks = sorted([*axes.xaxis.get_minorticklocs(), *axes.xaxis.get_majorticklocs()])
    assert [num2date(t).date() for t in ticks] == [w.start for w in plan.weeks]  # type: ignore[no-untyped-call]
    # the race's distance is stacked in its week
    stacked = [p.get_height() for c in axes.containers if c.get_label() == "race" for p in c]
    assert any(abs(h - marathon.race_distance) < 1e-6 for h in stacked), stacked


def test_no_today_line_outside_the_plan(ruleset: RuleSet) -> None:
    plan = _season_plan(ruleset, "couch_to_5k", TODAY)
    text = html.unescape(to_svg(plan, plan.end + timedelta(days=30)).decode())
    assert ">today<" not in text.replace(" ", "")
    legend = {t.get_text() for lg in draw(plan).legends for t in lg.get_texts()}
    assert "today" not in legend
    assert not any(label.startswith("check-in") for label in legend)
