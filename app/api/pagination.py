"""Keyset pagination with a capped page size, and ETag preconditions for updates."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import Select, and_, or_

from app.errors import InvalidInput, PreconditionFailed, PreconditionRequired

MAX_PAGE = 100
T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE}")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of a page")]


def encode_cursor(created_at: datetime, object_id: str) -> str:
    raw = f"{created_at.isoformat()}|{object_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, object_id = raw.partition("|")
        return datetime.fromisoformat(stamp), object_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "bad cursor",
            detail=[
                {"loc": ["query", "cursor"], "msg": "not a cursor from this API", "type": "cursor"}
            ],
        ) from exc


def page(query: Select[Any], model: Any, limit: int, cursor: str | None) -> Select[Any]:
    """Order by (created_at, id) and start after the cursor; one row more tells if there is
    a next page."""
    if cursor is not None:
        created_at, object_id = decode_cursor(cursor)
        query = query.where(
            or_(
                model.created_at > created_at,
                and_(model.created_at == created_at, model.id > object_id),
            )
        )
    return query.order_by(model.created_at, model.id).limit(limit + 1)


def next_cursor(rows: list[Any], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(last.created_at, last.id)


def etag_of(version: int) -> str:
    return f'"v{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """Optimistic concurrency: 428 without If-Match, 412 when it is not the current ETag."""
    if if_match is None:
        raise PreconditionRequired("send If-Match with the ETag you last read")
    tags = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in tags and etag_of(version) not in tags:
        raise PreconditionFailed(f"the object changed; its ETag is now {etag_of(version)}")
