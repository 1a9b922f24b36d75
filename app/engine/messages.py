"""Plain-language messages for rule-file schema errors: where (`then, item 2, note`), what is
wrong, and what is allowed there (the keys, the values, an example), in words a coach reads."""

from __future__ import annotations

import re
import types
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from app.engine.conditions import suggest
from app.engine.verbs import WINDOW_EXAMPLE

# Examples a coach can copy, for the consequences whose fields alone do not say enough.
VERB_EXAMPLES = {
    "prescribe": "prescribe: {exercise: clamshell, phase: activation}",
    "avoid": "avoid: {tag: deep_hip_flexion, until_week: 8}",
    "substitute": "substitute: {exercise: goblet_squat, with: box_squat}",
    "cap": "cap: {phase: activation, km: 20}  (or mi: 12, or percent_of_current: 70)",
    "gate": "gate: {phase: strength, criterion: single_leg_bridge_20}",
    "refer": 'refer: {reason: "Night pain needs a clinician to look first."}',
    "derive": "derive: {name: needs_glute_med, side: matched}",
    "note": 'note: {kind: run, text: "Keep runs flat for now."}',
    "target": "target: {peak_km: 60, long_run_km: 30}",
    "respond": "respond: {load: hold}",
    "set": "set: {parameter: strides_per_week, value: 1}",
}
_TYPE_WORDS = (
    (re.compile(r"a valid dictionary( or instance of \w+)?"), "a mapping (key: value)"),
    (re.compile(r"a valid string"), "text"),
    (re.compile(r"a valid integer(, unable to parse string as an integer)?"), "a whole number"),
    (re.compile(r"a valid number(, unable to parse string as a number)?"), "a number"),
    (re.compile(r"a valid boolean(, unable to interpret input)?"), "true or false"),
    (re.compile(r"a valid list"), "a list"),
    (re.compile(r"a valid date(, [^;]*)?"), "a date (YYYY-MM-DD)"),
)


def where(loc: tuple[str | int, ...]) -> str:
    """`("then", 1, "note")` → `then, item 2, note` (items counted from 1, as a coach does)."""
    return ", ".join(f"item {part + 1}" if isinstance(part, int) else str(part) for part in loc)


def _bare(annotation: Any) -> Any:
    """The type inside Annotated[...] and Optional[...] (a union of several stays a union)."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    bare = _bare(annotation)
    return bare if isinstance(bare, type) and issubclass(bare, BaseModel) else None


def _field_type(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field.annotation
    return None


def type_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> Any:
    """The declared type at `loc` inside `root` (None where the walk leaves the models)."""
    current: Any = root
    for part in loc:
        bare = _bare(current)
        if isinstance(part, int):
            if get_origin(bare) not in (list, tuple):
                return None
            current = get_args(bare)[0]
            continue
        model = _model(bare)
        if model is None:
            return None
        current = _field_type(model, part)
        if current is None:
            return None
    return current


def keys_of(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _values(annotation: Any) -> list[str] | None:
    bare = _bare(annotation)
    if get_origin(bare) is Literal:
        return [str(v) for v in get_args(bare)]
    if isinstance(bare, type) and issubclass(bare, Enum):
        return [str(member.value) for member in bare]
    return None


def _placeholder(annotation: Any) -> str:
    values = _values(annotation)
    if values:
        return values[0]
    bare = _bare(annotation)
    if bare is bool:
        return "true"
    if bare in (int, float):
        return "1"
    if get_origin(bare) is list:
        return f"[{_placeholder(get_args(bare)[0])}]"
    if _model(bare) is not None:
        return "{…}"
    return '"…"'


def example(key: str | int | None, model: type[BaseModel]) -> str:
    """A small example of `model` written at `key`: its required keys (and choices)."""
    if isinstance(key, str) and key in VERB_EXAMPLES:
        return VERB_EXAMPLES[key]
    if key == "window":
        return WINDOW_EXAMPLE
    shown = [
        f"{field.alias or name}: {_placeholder(field.annotation)}"
        for name, field in model.model_fields.items()
        if field.is_required() or _values(field.annotation)
    ][:4]
    body = "{" + ", ".join(shown) + "}"
    return f"{key}: {body}" if isinstance(key, str) else body


def _plain(message: str) -> str:
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message.replace("Input should be", "must be").replace("Input should", "must")
    for pattern, words in _TYPE_WORDS:
        message = pattern.sub(words, message)
    return message


def plain_message(item: ErrorDetails, root: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """The message for one validation error at `loc` (inside `root`), in plain language."""
    kind = item["type"]
    last = loc[-1] if loc else None
    if kind == "extra_forbidden":
        parent = _model(type_at(root, loc[:-1]))
        if parent is None:
            return f"unknown key '{last}'"
        allowed = keys_of(parent)
        hint = suggest(str(last), allowed)
        return f"unknown key '{last}'{hint}; the keys here are: {', '.join(allowed)}"
    if kind == "missing":
        parent = _model(type_at(root, loc[:-1]))
        text = f"missing required key '{last}'"
        owner = loc[-2] if len(loc) > 1 else None
        if parent is not None and isinstance(owner, str) and owner in VERB_EXAMPLES:
            return f"{text}, e.g. {VERB_EXAMPLES[owner]}"
        field = parent.model_fields.get(str(last)) if parent is not None else None
        if field is not None and field.description:
            return f"{text} ({field.description[0].lower()}{field.description[1:].rstrip('.')})"
        return text
    target = type_at(root, loc)
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        model = _model(target)
        if model is not None:
            required = [k for k, f in model.model_fields.items() if f.is_required()]
            needs = f"needs {' and '.join(required)}" if required else "is a mapping"
            return f"{needs}, written as a mapping, e.g. {example(last, model)}"
    values = _values(target) if target is not None else None
    if values and kind in ("literal_error", "enum"):
        given = item.get("input")
        hint = suggest(str(given), values) if isinstance(given, str) else ""
        return f"{given!r} is not allowed here{hint}; choose one of: {', '.join(values)}"
    return _plain(item["msg"])
