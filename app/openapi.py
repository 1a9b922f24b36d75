"""Print the OpenAPI document (`python -m app.openapi > openapi/openapi.json`)."""

from __future__ import annotations

import json
from typing import Any

from app.main import create_app


def spec() -> dict[str, Any]:
    """The app's OpenAPI document, as checked in."""
    document: dict[str, Any] = create_app().openapi()
    return document


if __name__ == "__main__":
    print(json.dumps(spec(), indent=2, sort_keys=True))
