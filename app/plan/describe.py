"""Plain-language texts for plan elements: the facts a rule matched."""

from __future__ import annotations

from app.facts.build import Fact

_KEY_FIELD = {
    "symptom": "condition",
    "finding": "name",
    "restriction": "name",
    "red_flag": "name",
    "red_s": "name",
    "goal": "type",
    "derived": "name",
    "check_in": "pain_during_zone",
}


def describe_fact(fact: Fact) -> str:
    """A short text for a fact, e.g. 'symptom proximal_hamstring_tendinopathy (left)'."""
    kind = str(fact["t"])
    key = _KEY_FIELD.get(kind)
    if key is None:
        return kind
    text = f"{kind} {fact.get(key, '')}"
    if "side" in fact:
        text += f" ({fact['side']})"
    if kind == "symptom":
        text += f", running pain {fact.get('pain_running')}/10"
    if kind == "finding" and "grade" in fact:
        text += f", grade {fact['grade']}/5"
    if kind == "goal" and "team_format" in fact:
        text += f", {fact['team_format']} team"
    return text
