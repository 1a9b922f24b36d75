"""The `when` language: conditions over facts, as typed values.

A condition is a *pattern* (one fact and tests on its fields) or a group (`all`, `any`,
`none`) of conditions. Field tests use an allow-listed set of operators.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError

from app.facts.schema import FACT_TYPES, Scalar

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "exists")
GROUPS = ("all", "any", "none")
MAX_GROUP_ITEMS = 50
MAX_IN_VALUES = 64


@dataclass(frozen=True, slots=True)
class Test:
    """One test on one field: `field op value` (for `in`/`not_in`, value is a tuple)."""

    field: str
    op: str
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class Pattern:
    """A fact of type `fact` whose fields pass every test (`path`: where it is in `when`)."""

    fact: str
    tests: tuple[Test, ...]
    path: tuple[str | int, ...] = dataclasses.field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Group:
    """`all`: every child holds; `any`: at least one; `none`: no child holds."""

    op: str
    children: tuple[Condition, ...]


Condition = Pattern | Group
Path = tuple[str | int, ...]


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and value is not None


def _parse_test(field: str, spec: Any) -> list[Test]:
    if _is_scalar(spec):
        return [Test(field, "eq", spec)]
    if isinstance(spec, list):
        return [_membership(field, "in", spec)]
    if not isinstance(spec, dict) or not spec:
        raise PydanticCustomError(
            "condition_test",
            "the test for '{field}' must be a value, a list of values, or operators such as "
            "{{gte: 4}}",
            {"field": field},
        )
    tests: list[Test] = []
    for op, value in spec.items():
        if op not in OPERATORS:
            raise PydanticCustomError(
                "condition_operator",
                "unknown operator '{op}' on '{field}'; operators are: {ops}",
                {"op": str(op), "field": field, "ops": ", ".join(OPERATORS)},
            )
        if op in ("in", "not_in"):
            tests.append(_membership(field, op, value))
        elif op == "exists":
            if not isinstance(value, bool):
                raise PydanticCustomError(
                    "condition_value", "'exists' on '{field}' takes true or false", {"field": field}
                )
            tests.append(Test(field, op, value))
        elif _is_scalar(value):
            tests.append(Test(field, op, value))
        else:
            raise PydanticCustomError(
                "condition_value",
                "'{op}' on '{field}' needs a single value",
                {"op": op, "field": field},
            )
    return tests


def _membership(field: str, op: str, values: Any) -> Test:
    if (
        not isinstance(values, list)
        or not values
        or len(values) > MAX_IN_VALUES
        or not all(_is_scalar(v) for v in values)
    ):
        raise PydanticCustomError(
            "condition_value",
            "'{op}' on '{field}' needs a list of 1 to {max} values",
            {"op": op, "field": field, "max": MAX_IN_VALUES},
        )
    return Test(field, op, tuple(values))


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a near miss of a known name, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _at(exc: PydanticCustomError, path: Path) -> PydanticCustomError:
    """The same error, remembering where inside the condition it is (for its line)."""
    context = dict(exc.context or {})
    context.setdefault("at", list(path))
    return PydanticCustomError(exc.type, exc.message_template, context)


def parse_condition(data: Any) -> Condition:
    """Turn the YAML form of a condition into typed values (structure only)."""
    return _parse(data, ())


def _group(op: str, children: Any, path: Path, children_path: Path) -> Group:
    """`op` over a list of 1 to MAX_GROUP_ITEMS conditions found at `children_path`."""
    if not isinstance(children, list) or not 1 <= len(children) <= MAX_GROUP_ITEMS:
        raise _at(
            PydanticCustomError(
                "condition_group",
                "'{op}' takes a list of 1 to {max} conditions",
                {"op": op, "max": MAX_GROUP_ITEMS},
            ),
            path,
        )
    return Group(op, tuple(_parse(child, (*children_path, i)) for i, child in enumerate(children)))


def _parse(data: Any, path: Path) -> Condition:
    if isinstance(data, list):  # a plain list is short for `all:` (the same limits)
        return _group("all", data, path, path)
    if not isinstance(data, dict):
        raise _at(
            PydanticCustomError(
                "condition", "a condition is a mapping with 'fact:' or one of all/any/none"
            ),
            path,
        )
    groups = [key for key in GROUPS if key in data]
    if groups:
        if len(data) != 1:
            raise _at(
                PydanticCustomError(
                    "condition_group",
                    "a group has exactly one key (all, any or none); found: {keys}",
                    {"keys": ", ".join(map(str, data))},
                ),
                path,
            )
        return _group(groups[0], data[groups[0]], path, (*path, groups[0]))
    fact = data.get("fact")
    if fact is None:
        named = next((key for key in data if key in FACT_TYPES), None)
        raise _at(
            PydanticCustomError(
                "condition_fact",
                "a condition names its fact type with 'fact:'{written}; fact types are: {types}",
                {
                    "written": f", e.g. {{fact: {named}, name: …}}" if named else "",
                    "types": ", ".join(FACT_TYPES),
                },
            ),
            path,
        )
    if fact not in FACT_TYPES:
        raise _at(
            PydanticCustomError(
                "condition_fact",
                "unknown fact type '{fact}'{hint}; fact types are: {types}",
                {
                    "fact": str(fact),
                    "types": ", ".join(FACT_TYPES),
                    "hint": suggest(str(fact), FACT_TYPES),
                },
            ),
            (*path, "fact"),
        )
    fields = FACT_TYPES[fact]
    tests: list[Test] = []
    for name, spec in data.items():
        if name == "fact":
            continue
        if name not in fields:
            raise _at(
                PydanticCustomError(
                    "condition_field",
                    "unknown field '{field}' for fact '{fact}'{hint}; fields are: {fields}",
                    {
                        "field": str(name),
                        "fact": fact,
                        "fields": ", ".join(fields),
                        "hint": suggest(str(name), fields),
                    },
                ),
                (*path, str(name)),
            )
        try:
            tests.extend(_parse_test(name, spec))
        except PydanticCustomError as exc:
            raise _at(exc, (*path, name)) from None
    return Pattern(fact, tuple(tests), path)


def condition_depth(condition: Condition) -> int:
    """Nesting depth of groups (a bare pattern is depth 0)."""
    if isinstance(condition, Pattern):
        return 0
    return 1 + max(condition_depth(child) for child in condition.children)


def patterns_of(condition: Condition) -> list[Pattern]:
    """Every pattern in a condition, depth first."""
    if isinstance(condition, Pattern):
        return [condition]
    return [p for child in condition.children for p in patterns_of(child)]


def condition_json_schema() -> dict[str, Any]:
    """A JSON Schema for conditions, one branch per fact type with its fields and values."""
    value_ops: dict[str, Any] = {op: {} for op in ("eq", "ne", "lt", "lte", "gt", "gte")}
    branches: list[dict[str, Any]] = []
    for fact, fields in FACT_TYPES.items():
        properties: dict[str, Any] = {"fact": {"const": fact}}
        for name, spec in fields.items():
            if spec.kind == "enum" and spec.values:
                scalar: dict[str, Any] = {"enum": list(spec.values)}
            elif spec.kind == "enum":
                scalar = {"type": "string"}
            elif spec.kind == "bool":
                scalar = {"type": "boolean"}
            else:
                scalar = {"type": "integer" if spec.kind == "int" else "number"}
                scalar |= {"minimum": spec.low, "maximum": spec.high}
            ops = dict.fromkeys(value_ops, scalar) | {
                "in": {"type": "array", "items": scalar, "minItems": 1},
                "not_in": {"type": "array", "items": scalar, "minItems": 1},
                "exists": {"type": "boolean"},
            }
            properties[name] = {
                "description": spec.doc or spec.describe(),
                "anyOf": [
                    scalar,
                    {"type": "array", "items": scalar, "minItems": 1},
                    {"type": "object", "properties": ops, "additionalProperties": False},
                ],
            }
        branches.append(
            {
                "type": "object",
                "properties": properties,
                "required": ["fact"],
                "additionalProperties": False,
            }
        )
    ref = {"$ref": "#/$defs/Condition"}
    for group in GROUPS:
        branches.append(
            {
                "type": "object",
                "properties": {group: {"type": "array", "items": ref, "minItems": 1}},
                "required": [group],
                "additionalProperties": False,
            }
        )
    return {"anyOf": branches}
