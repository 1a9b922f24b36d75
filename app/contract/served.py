"""What a response model promises in the API's JSON Schema: the fields it always sends are
`required`, so generated clients need no `?? []` on lists that are always there.

Two kinds of responses: most are sent whole (a field without a value is sent as null), and
plans are sent without their empty optional values (`exclude_none`), so there a field that
defaults to None may be absent and stays optional."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict


def _always_sent(nulls_sent: bool) -> Callable[[dict[str, Any], type[Any]], None]:
    def extra(schema: dict[str, Any], cls: type[Any]) -> None:
        assert issubclass(cls, BaseModel)
        required = set(schema.get("required", []))
        for name, field in cls.model_fields.items():
            if field.exclude:
                continue
            sent = (
                field.is_required()
                or nulls_sent
                or field.get_default(call_default_factory=True) is not None
            )
            if sent:
                required.add(field.serialization_alias or field.alias or name)
        order = list(schema.get("properties", {}))
        if required:
            schema["required"] = [key for key in order if key in required]

    return extra


SERVED = ConfigDict(json_schema_extra=_always_sent(nulls_sent=True))
"""Sent whole: every field is always in the JSON (null where it has no value)."""

SERVED_WITHOUT_NULLS = ConfigDict(json_schema_extra=_always_sent(nulls_sent=False))
"""Sent without None values: fields that default to None may be absent."""


def served(
    *, examples: list[dict[str, Any]] | None = None, nulls_sent: bool = True, **config: Any
) -> ConfigDict:
    """`SERVED` (or `SERVED_WITHOUT_NULLS`) with examples for the document, and other settings."""
    always = _always_sent(nulls_sent)

    def extra(schema: dict[str, Any], cls: type[Any]) -> None:
        always(schema, cls)
        if examples:
            schema["examples"] = examples

    settings = ConfigDict(json_schema_extra=extra)
    settings.update(config)  # type: ignore[typeddict-item]
    return settings
