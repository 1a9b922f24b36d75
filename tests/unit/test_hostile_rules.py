"""Hostile rule sets are rejected quickly, clearly, and without hanging or crashing the engine."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from app.engine.compile import MAX_TOTAL_BYTES, compile_sources
from app.engine.problems import RuleSetRejected
from tests.conftest import RULES

CATALOG = (RULES / "catalog.yaml").read_text()


def _rule(index: int, when: str) -> str:
    return (
        f"  - id: h.r{index}\n    title: Rule {index}\n    why: Generated for a hostile test.\n"
        f"    when: {when}\n    then: [{{note: {{text: hello there}}}}]\n"
    )


def sibling_values() -> str:
    """600 rules testing 600 different values of one field (the engine hangs past 512)."""
    return "topic: Siblings\nrules:\n" + "".join(
        _rule(i, f"{{fact: finding, value: {i}}}") for i in range(600)
    )


def many_properties() -> str:
    """A condition naming 300 fact properties (the engine segfaults past 255)."""
    fields = ", ".join(f"p{i}: 1" for i in range(300))
    return "topic: Properties\nrules:\n" + _rule(0, f"{{fact: symptom, {fields}}}")


def deep_nesting() -> str:
    """Conditions nested 20 levels deep."""
    when = "{fact: athlete}"
    for _ in range(20):
        when = f"{{all: [{when}]}}"
    return "topic: Nesting\nrules:\n" + _rule(0, when)


def ten_thousand_rules() -> str:
    """10,000 rules in one file, written compactly so the file stays under the size limit."""
    return "topic: Many\nrules:\n" + "".join(
        f"- {{id: h.{i}, title: R {i}, why: Generated., when: {{fact: athlete}}, "
        "then: [{note: {text: hi!}}]}\n"
        for i in range(10_000)
    )


def alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "topic: Bomb\n" + "\n".join(lines) + "\n"


def ten_megabytes() -> str:
    return "topic: Huge\ndescription: " + "x" * (10 * 1024 * 1024) + "\n"


HOSTILE: dict[str, tuple[Callable[[], str], str]] = {
    "600 sibling values": (sibling_values, "different tests on 'value'"),
    "300 fact properties": (many_properties, "unknown field 'p0'"),
    "20 levels of nesting": (deep_nesting, "nested 20 levels deep"),
    "10,000 rules in one file": (ten_thousand_rules, "'rules' holds more than 2500 items"),
    "YAML alias bomb": (alias_bomb, "aliases"),
    "10 MB file": (ten_megabytes, "the limit is"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_rule_set_is_rejected_fast(name: str) -> None:
    make, expected = HOSTILE[name]
    text = make()
    started = time.perf_counter()
    with pytest.raises(RuleSetRejected) as caught:
        compile_sources({"catalog.yaml": CATALOG, "hostile.yaml": text})
    elapsed = time.perf_counter() - started
    messages = " | ".join(str(p) for p in caught.value.problems)
    assert expected in messages, messages[:500]
    assert all(p.file == "hostile.yaml" for p in caught.value.problems)
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"


def test_a_rule_set_over_the_size_limit_is_refused_from_its_size_alone() -> None:
    """25,000 rules over ten files (4.4 MB, each file under the per-file limit): refused
    before any file is parsed, in well under 100 ms (it took about 9 s to parse and refuse)."""
    sources: dict[str, str] = {"catalog.yaml": CATALOG}
    for f in range(10):
        sources[f"clinic{f}.yaml"] = "topic: Many\nrules:\n" + "".join(
            f"- {{id: c{f}.{i}, title: Rule number {i}, why: A generated clinic rule., "
            f"when: {{fact: symptom, pain_running: {{gte: {i % 10}}}}}, "
            f"then: [{{note: {{kind: plan, text: 'Note {f} {i}'}}}}]}}\n"
            for i in range(2500)
        )
    assert sum(len(text) for text in sources.values()) > MAX_TOTAL_BYTES
    started = time.perf_counter()
    with pytest.raises(RuleSetRejected) as caught:
        compile_sources(sources)
    elapsed = time.perf_counter() - started
    assert [p.file for p in caught.value.problems] == ["(rule set)"]
    assert "the limit is 2,097,152" in str(caught.value.problems[0])
    assert elapsed < 0.1, f"{elapsed:.3f} s"
