"""The plan document in its served form: each rule's reason stated once.

The scheduler attaches reasons (rule id + plain-language text) to sessions, weeks, gates and
referrals; the served plan carries every text once in `reasons: {rule_id: text}` and the
parts refer to rule ids. A rule whose text reads differently in two places (which the shipped
rules never do) keeps both texts, the second under `<rule id>#2`, so no reason is lost.
Reasons and notes read in the athlete's units ("16-18 km" is "10-11 mi" for a runner in miles).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.contract.entries import Why
from app.scheduler.units import text_in_units


class _Reasons:
    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def key(self, rule: str, because: str) -> str:
        known = self.texts.get(rule)
        if known is None or known == because:
            self.texts[rule] = because
            return rule
        n = 2
        while (alias := f"{rule}#{n}") in self.texts and self.texts[alias] != because:
            n += 1
        self.texts[alias] = because
        return alias

    def ids(self, items: Iterable[Why | dict[str, str]]) -> list[str]:
        keys = (
            self.key(w.rule, w.because) if isinstance(w, Why) else self.key(w["rule"], w["because"])
            for w in items
        )
        return list(dict.fromkeys(keys))


def lean(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (changed in place) with reasons referred to by rule id and listed once."""
    reasons = _Reasons()
    for decision in document.get("decisions", []):
        if "because" in decision:
            decision["rule"] = reasons.key(decision["rule"], decision.pop("because"))
    for phase in document.get("phases", []):
        for criterion in (phase.get("gate") or {}).get("criteria", []):
            if isinstance(criterion.get("why"), dict):
                criterion["why"] = reasons.ids([criterion["why"]])[0]
    units = document.get("units", "km")
    for part in ("weeks", "sessions"):
        for item in document.get(part, []):
            item["why"] = reasons.ids(item.get("why", []))
            if units == "mi" and item.get("notes"):
                item["notes"] = [text_in_units(note, units) for note in item["notes"]]
    referral = document.get("referral")
    if referral is not None:
        referral["why"] = reasons.ids(referral.get("why", []))
    texts = {**document.get("reasons", {}), **reasons.texts}
    document["reasons"] = {rule: text_in_units(texts[rule], units) for rule in sorted(texts)}
    if units == "mi":
        document["notes"] = [text_in_units(note, units) for note in document.get("notes", [])]
    return document
