"""The `strideplan` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import EXAMPLES, RULES

runner = CliRunner()


def test_plan_prints_json_and_writes_ics(tmp_path: Path) -> None:
    ics = tmp_path / "plan.ics"
    result = runner.invoke(
        cli, ["plan", str(EXAMPLES / "weak_left_glute_hamstring.json"), "--ics", str(ics)]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["sessions"]
    assert plan["status"] in ("ok", "goal_at_risk")
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")


def test_plan_rejects_invalid_intake(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"athlete": {"name": "x"}}))
    result = runner.invoke(cli, ["plan", str(bad)])
    assert result.exit_code == 2
    assert "athlete.timezone" in result.stderr


def test_rules_check_and_test_pass_on_shipped_rules() -> None:
    checked = runner.invoke(cli, ["rules", "check", str(RULES)])
    assert checked.exit_code == 0
    assert "keep every safety rule" in checked.stdout
    tested = runner.invoke(cli, ["rules", "test", str(RULES)])
    assert tested.exit_code == 0
    assert "0 failed" in tested.stdout


def test_rules_check_reports_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text((RULES / "catalog.yaml").read_text())
    (tmp_path / "bad.yaml").write_text(
        "topic: Bad\nrules:\n  - id: b.one\n    title: Bad one\n    why: For a test only.\n"
        "    when: {fact: symptom, condition: sore_toe}\n    then: [{note: {text: hi there}}]\n"
    )
    result = runner.invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.yaml:6: [rule b.one]" in result.stdout


def test_rules_check_suggests_close_names(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text((RULES / "catalog.yaml").read_text())
    (tmp_path / "typo.yaml").write_text(
        "topic: Typos\nrules:\n  - id: t.one\n    title: Typo rule\n    why: For a test only.\n"
        "    when:\n      all:\n        - {fact: symptom, condition: plantar_fascitis}\n"
        "    then:\n      - prescribe: {exercise: quick_feets, phase: running_form}\n"
    )
    result = runner.invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert (
        "typo.yaml:8: [rule t.one] 'symptom.condition' is never 'plantar_fascitis' "
        "(did you mean 'plantar_fasciitis'?)" in result.stdout
    )
    assert (
        "typo.yaml:10: [rule t.one] unknown exercise 'quick_feets' "
        "(did you mean 'quick_feet'?)" in result.stdout
    )


def test_rules_check_reports_invalid_case_intakes(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text((RULES / "catalog.yaml").read_text())
    (tmp_path / "red_flags.yaml").write_text((RULES / "red_flags.yaml").read_text())
    (tmp_path / "cases.yaml").write_text(
        "topic: Cases\nrules:\n  - id: c.one\n    title: Case rule\n    why: For a test only.\n"
        "    when: {fact: athlete}\n    then: [{note: {text: hello}}]\n"
        "cases:\n  - name: four runs on three days\n"
        "    intake: {running: {weekly_distance: 30, longest_run: 10, runs_per_week: 4}}\n"
        "    expect: {fires: [c.one]}\n"
    )
    result = runner.invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert (
        "case 'four runs on three days': intake running.runs_per_week: is 4 but only 3"
        in result.stdout
    )


def test_plan_explain_and_chart(tmp_path: Path) -> None:
    chart = tmp_path / "plan.svg"
    result = runner.invoke(
        cli,
        [
            "plan",
            str(EXAMPLES / "weak_left_glute_hamstring.json"),
            "--explain",
            "--chart",
            str(chart),
            "--today",
            "2026-01-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rules fired" in result.stderr
    assert "condition.pht.protect_tendon" in result.stderr
    assert json.loads(result.stdout)["near_misses"] is not None
    assert chart.read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_db_upgrade_and_org_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    from app.config import get_settings

    monkeypatch.setenv("STRIDEPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        result = runner.invoke(cli, ["org", "create", "Harbour Runners"])
        assert result.exit_code == 0, result.output
        created = json.loads(result.stdout)
        assert set(created) == {"organization_id", "api_key"}
        assert created["api_key"].startswith("sp_live_")
    finally:
        get_settings.cache_clear()


def test_plan_review_passes_for_an_example_runner() -> None:
    result = runner.invoke(
        cli, ["plan", str(EXAMPLES / "novice_marathon.json"), "--review", "--today", "2026-03-02"]
    )
    assert result.exit_code == 0, result.output
    assert "plan review: passed" in result.stderr
    assert "warning(s)" not in result.stderr


def test_plan_review_lists_shape_warnings_with_rule_and_week(tmp_path: Path) -> None:
    # One run day, Thursday, before a Monday ultra: the last long run can only come 18 or 25
    # days out, not in the 19-23 days an ultra wants (a shape warning, not a refusal).
    intake = {
        "athlete": {"name": "T", "timezone": "UTC", "units": "km"},
        "start_date": "2026-03-02",
        "running": {"weekly_distance": 58, "longest_run": 58, "runs_per_week": 1},
        "availability": {"run_days": ["thu"], "long_run_day": "thu"},
        "goals": [{"name": "Winter 100K", "date": "2027-01-11", "type": "ultra", "priority": "A"}],
    }
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(intake))
    result = runner.invoke(cli, ["plan", str(path), "--review", "--today", "2026-03-02"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    rules = [finding["rule"] for finding in plan["review"]]
    assert rules, "expected at least one shape warning"
    assert f"plan review: passed with {len(rules)} warning(s)" in result.stderr
    for finding in plan["review"]:
        assert finding["rule"] in result.stderr
        assert f"week of {finding['week']}" in result.stderr


def test_rules_check_refuses_a_rule_set_without_the_safety_core(tmp_path: Path) -> None:
    for name in ("catalog.yaml", "baseline.yaml"):
        (tmp_path / name).write_text((RULES / name).read_text())
    result = runner.invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "no safety rule refers a runner with red_flag" in result.stdout
    assert "protected safety core" in result.stdout


def test_example_moves_the_dates_to_the_coming_season() -> None:
    from datetime import date

    result = runner.invoke(cli, ["example", "back_to_back_halves_healthy", "--today", "2027-12-01"])
    assert result.exit_code == 0, result.stdout
    moved = json.loads(result.stdout)
    original = json.loads((EXAMPLES / "back_to_back_halves_healthy.json").read_text())
    for before, after in zip(original["goals"], moved["goals"], strict=True):
        old, new = date.fromisoformat(before["date"]), date.fromisoformat(after["date"])
        assert new >= date(2027, 12, 1)
        assert (new - old).days % 364 == 0  # whole 52-week years: the same weekday
        assert new.weekday() == old.weekday()
    unknown = runner.invoke(cli, ["example", "nobody"])
    assert unknown.exit_code == 2
    assert "weak_left_glute_hamstring" in unknown.stderr + unknown.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STRIDEPLAN_DATABASE_URL": "sqlite:///w.db"}, "no job queue on this database"),
        (
            {
                "STRIDEPLAN_DATABASE_URL": "postgresql://127.0.0.1/x",
                "STRIDEPLAN_JOBS": "in_process",
            },
            "no job queue on this database",
        ),
        (
            {"STRIDEPLAN_DATABASE_URL": "sqlite:///w.db", "STRIDEPLAN_JOBS": "queue"},
            "needs PostgreSQL",
        ),
    ],
)
def test_worker_refuses_a_database_without_a_queue(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    """On SQLite (or with jobs in process) `serve` re-generates plans itself: a worker says so
    and exits 2 instead of waiting for tasks that never come."""
    from app.config import get_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["worker"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert message in result.output
