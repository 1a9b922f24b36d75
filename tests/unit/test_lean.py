"""The served plan document states each reason once and loses none (app/plan/lean.py)."""

from __future__ import annotations

from typing import Any

from app.contract.entries import Why
from app.plan.lean import lean


def test_reasons_are_listed_once_and_parts_refer_to_rule_ids() -> None:
    shared = Why(rule="plan.deload", because="A lighter week.")
    document: dict[str, Any] = {
        "decisions": [{"rule": "finding.weak", "title": "Weak", "because": "Weak hips."}],
        "weeks": [{"why": [shared.model_dump()]}],
        "sessions": [{"why": [shared, Why(rule="finding.weak", because="Weak hips.")]}],
        "referral": None,
    }
    served = lean(document)
    assert served["reasons"] == {"finding.weak": "Weak hips.", "plan.deload": "A lighter week."}
    assert served["sessions"][0]["why"] == ["plan.deload", "finding.weak"]
    assert served["weeks"][0]["why"] == ["plan.deload"]
    assert "because" not in served["decisions"][0]
    assert served["decisions"][0]["rule"] == "finding.weak"


def test_a_rule_whose_text_differs_keeps_both_texts() -> None:
    document: dict[str, Any] = {
        "sessions": [
            {"why": [Why(rule="check_in.x", because="First text.")]},
            {"why": [Why(rule="check_in.x", because="Second text.")]},
            {"why": [Why(rule="check_in.x", because="Second text.")]},
        ]
    }
    served = lean(document)
    assert [s["why"] for s in served["sessions"]] == [
        ["check_in.x"],
        ["check_in.x#2"],
        ["check_in.x#2"],
    ]
    assert served["reasons"] == {"check_in.x": "First text.", "check_in.x#2": "Second text."}
