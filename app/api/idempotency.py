"""Idempotency-Key on POST: the same key with the same body replays the first response; with a
different body it is a 422; while the first is still running, a 409. Keys are per caller (the
Authorization header) and path, kept for 24 hours; server errors are not kept, so a retry runs.
Stored responses never keep secrets (a replay shows them `[redacted]`), and a caller whose key
has been revoked gets a 401, never a replay.
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.asgi import Answer, json_error, send_answer
from app.errors import Unauthorized
from app.logs import redact
from app.services.organizations import authenticate
from app.storage.tables import IdempotencyRecord, utcnow

HEADER = b"idempotency-key"
KEEP = timedelta(hours=24)
STALE = timedelta(minutes=5)
MAX_KEY = 200
REPLAYED_HEADERS = {"content-type", "location", "etag"}


class IdempotencyMiddleware:
    """ASGI middleware; the database is reached through the app's session factory."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        key = headers.get(HEADER)
        if scope["type"] != "http" or scope["method"] != "POST" or key is None:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= MAX_KEY:
            detail = f"Idempotency-Key must be 1 to {MAX_KEY} characters"
            await send_answer(send, json_error(422, "invalid_input", detail))
            return
        body = await _read_body(receive)
        sessions: sessionmaker[Session] = scope["app"].state.services.sessions
        who = headers.get(b"authorization", b"")
        scope_key = hashlib.sha256(who + b"\n" + key + b"\n" + scope["path"].encode()).hexdigest()
        body_hash = hashlib.sha256(body).hexdigest()
        early = await run_in_threadpool(_claim, sessions, scope_key, body_hash, who)
        if early is not None:
            await send_answer(send, early)
            return
        captured: dict[str, Any] = {"body": b""}

        async def replay_receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"], captured["headers"] = message["status"], message["headers"]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            await run_in_threadpool(_settle, sessions, scope_key, captured)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _claim(
    sessions: sessionmaker[Session], scope_key: str, body_hash: str, who: bytes
) -> Answer | None:
    """Mark the key in flight, or say what to answer instead of running the request (a
    replay only for a caller whose key still works: a revoked key never replays)."""
    now = utcnow()
    with sessions() as db:
        record = db.get(IdempotencyRecord, scope_key)
        if record is not None and (
            now - record.created_at > KEEP
            or (record.status == "in_flight" and now - record.created_at > STALE)
        ):
            db.delete(record)
            db.flush()
            record = None
        if record is not None:
            if record.body_hash != body_hash:
                return json_error(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with a different body",
                )
            if record.status == "in_flight":
                return json_error(409, "conflict", "a request with this Idempotency-Key is running")
            try:
                authenticate(db, who.decode("latin-1"))
            except Unauthorized as exc:
                db.rollback()
                return json_error(401, exc.code, exc.message)
            stored = [(k.encode(), v.encode()) for k, v in record.response_headers["h"]]
            return (
                record.response_status or 200,
                [*stored, (b"idempotent-replayed", b"true")],
                record.response_body or b"",
            )
        db.add(
            IdempotencyRecord(
                scope=scope_key,
                body_hash=body_hash,
                status="in_flight",
                response_headers={"h": []},
                created_at=now,
            )
        )
        if random.random() < 0.01:  # now and then, forget keys older than a day
            db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - KEEP))
        try:
            db.commit()
        except IntegrityError:
            return json_error(409, "conflict", "a request with this Idempotency-Key is running")
    return None


def _settle(sessions: sessionmaker[Session], scope_key: str, captured: dict[str, Any]) -> None:
    """Keep the response for replays (not server errors: those may be retried)."""
    with sessions() as db:
        record = db.get(IdempotencyRecord, scope_key)
        if record is None:
            return
        status = captured.get("status")
        if status is None or status >= 500:
            db.delete(record)
        else:
            record.status, record.response_status = "done", status
            record.response_headers = {
                "h": [
                    [k.decode(), v.decode()]
                    for k, v in captured["headers"]
                    if k.decode().lower() in REPLAYED_HEADERS
                ]
            }
            # Secrets (API keys, calendar URLs) are shown once: a replay says so instead.
            record.response_body = redact(captured["body"].decode("utf-8", "replace")).encode()
        db.commit()
