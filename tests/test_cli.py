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
    assert "ok" in checked.stderr
    tested = runner.invoke(cli, ["rules", "test", str(RULES)])
    assert tested.exit_code == 0
    assert "0 failed" in tested.stderr


def test_rules_check_reports_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text((RULES / "catalog.yaml").read_text())
    (tmp_path / "bad.yaml").write_text(
        "topic: Bad\nrules:\n  - id: b.one\n    title: Bad one\n    why: For a test only.\n"
        "    when: {fact: symptom, condition: sore_toe}\n    then: [{note: {text: hi there}}]\n"
    )
    result = runner.invoke(cli, ["rules", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.yaml:6: [rule b.one]" in result.stderr


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
