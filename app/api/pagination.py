"""Keyset pagination with a capped page size, and ETag preconditions for updates."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Query
from sqlalchemy import ColumnElement, and_, or_

from app.errors import InvalidInput, PreconditionFailed, PreconditionRequired
from app.storage.scope import Tenant
from app.storage.tables import Base

MAX_PAGE = 100
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")  # the ids this API hands out
T = TypeVar("T", bound=Base)

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE}")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of a page")]


def encode_cursor(created_at: datetime, object_id: str) -> str:
    raw = f"{created_at.isoformat()}|{object_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """A cursor made by `encode_cursor`: an aware time stamp and an id (anything else is a 422,
    never a database error)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, object_id = raw.partition("|")
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None or not _ID.fullmatch(object_id):
            raise ValueError("not a cursor of this API")
        return created_at, object_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "bad cursor",
            detail=[
                {"loc": ["query", "cursor"], "msg": "not a cursor from this API", "type": "cursor"}
            ],
        ) from exc


def paginate(
    tenant: Tenant,
    model: type[T],
    limit: int,
    cursor: str | None,
    where: ColumnElement[bool] | None = None,
) -> tuple[list[T], str | None]:
    """One page of the tenant's `model` rows (those matching `where`) by (created_at, id),
    starting after the cursor, and the cursor of the next page (None on the last)."""
    query = tenant.select(model)
    if where is not None:
        query = query.where(where)
    if cursor is not None:
        created_at, object_id = decode_cursor(cursor)
        query = query.where(
            or_(
                model.created_at > created_at,  # type: ignore[attr-defined]
                and_(model.created_at == created_at, model.id > object_id),  # type: ignore[attr-defined]
            )
        )
    ordered = query.order_by(model.created_at, model.id)  # type: ignore[attr-defined]
    rows = list(tenant.db.scalars(ordered.limit(limit + 1)))  # one more: is there a next page?
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)  # type: ignore[attr-defined]


def etags(header: str) -> set[str]:
    """The entity tags of an If-Match / If-None-Match header (weak ones compared as strong)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def etag_of(version: int) -> str:
    return f'"v{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """Optimistic concurrency: 428 without If-Match, 412 when it is not the current ETag."""
    if if_match is None:
        raise PreconditionRequired("send If-Match with the ETag you last read")
    tags = etags(if_match)
    if "*" not in tags and etag_of(version) not in tags:
        raise PreconditionFailed(f"the object changed; its ETag is now {etag_of(version)}")
