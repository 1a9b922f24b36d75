"""Idempotency-Key on POST: the same key with the same body replays the first response; with a
different body it is a 422. Keys are per caller (the Authorization header) and path, kept for
24 hours; server errors are not kept, so a retry runs.

Crash-safe: the stored response commits in the same transaction as the request's effect (the
request's session is handed to this middleware instead of being committed by the route), so
a crash leaves either both or neither, never an effect without its record. Two requests with
the same key at once may both run, but only the first commits: the second's effect is rolled
back when its record collides, and it answers with the first one's response.

Stored responses never keep secrets (a replay shows them `[redacted]`), and a caller whose key
has been revoked gets a 401, never a replay. A response that carries a plan (a created plan, a
check-in's re-plan) is stored as a reference to the plan's revision, not as a copy: revisions
never change, so the replay reads back the same plan.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.asgi import Answer, json_error, send_answer
from app.api.deps import HELD_SESSION, IDEMPOTENT, PLAN_REFERENCE, commit_and_close
from app.errors import Unauthorized
from app.logs import redact
from app.plan.models import Plan
from app.services import plan_rows
from app.services.organizations import authenticate
from app.storage.scope import Tenant
from app.storage.tables import IdempotencyRecord, PlanRevision, utcnow

HEADER = b"idempotency-key"
KEEP = timedelta(hours=24)
MAX_KEY = 200
REPLAYED_HEADERS = {"content-type", "location", "etag"}


@dataclass
class Captured:
    """The response the app sent, held back until its record has committed."""

    messages: list[Message] = field(default_factory=list)
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    plan: dict[str, Any] | None = None  # the plan revision the body carries (deps.refer_to_plan)


@dataclass(frozen=True)
class Request:
    scope_key: str
    body_hash: str
    who: bytes


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
        request = Request(
            hashlib.sha256(who + b"\n" + key + b"\n" + scope["path"].encode()).hexdigest(),
            hashlib.sha256(body).hexdigest(),
            who,
        )
        early = await run_in_threadpool(_lookup, sessions, request)
        if early is not None:
            await send_answer(send, early)
            return
        state = scope.setdefault("state", {})
        state[IDEMPOTENT] = request.scope_key
        captured = Captured()

        async def replay_receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status, captured.headers = message["status"], message["headers"]
            elif message["type"] == "http.response.body":
                captured.body += message.get("body", b"")
            captured.messages.append(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            failed: Session | None = state.pop(HELD_SESSION, None)
            if failed is not None:
                await run_in_threadpool(_discard, failed)
            raise
        finally:
            state.pop(IDEMPOTENT, None)
        held: Session | None = state.pop(HELD_SESSION, None)
        captured.plan = state.pop(PLAN_REFERENCE, None)
        answer = await run_in_threadpool(_settle, sessions, held, request, captured)
        if answer is not None:
            await send_answer(send, answer)
            return
        for message in captured.messages:
            await send(message)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _lookup(sessions: sessionmaker[Session], request: Request) -> Answer | None:
    """What to answer instead of running the request: the stored response (only for a caller
    whose key still works: a revoked key never replays), or a 422 for another body."""
    now = utcnow()
    with sessions() as db:
        record = db.get(IdempotencyRecord, request.scope_key)
        if record is not None and (
            now - record.created_at > KEEP or record.status != "done"  # expired, or a claim
        ):  # left by an earlier version of the service, which claimed keys before running
            db.delete(record)
            record = None
        if random.random() < 0.01:  # now and then, forget keys older than a day
            db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - KEEP))
        db.commit()
        if record is None:
            return None
        if record.body_hash != request.body_hash:
            return json_error(
                422, "idempotency_key_reused", "this Idempotency-Key was used with a different body"
            )
        try:
            authenticate(db, request.who.decode("latin-1"))
        except Unauthorized as exc:
            db.rollback()
            return json_error(401, exc.code, exc.message)
        stored = [(k.encode(), v.encode()) for k, v in record.response_headers["h"]]
        body = record.response_body or b""
        reference = record.response_headers.get("plan")
        if reference is not None:
            plan = _plan_revision(db, reference)
            if plan is None:
                return json_error(404, "not_found", "the plan this request made no longer exists")
            body = _with_plan(body, reference.get("field"), plan)
        return (
            record.response_status or 200,
            [*stored, (b"idempotent-replayed", b"true")],
            body,
        )


def _plan_revision(db: Session, reference: dict[str, Any]) -> Plan | None:
    row = db.scalars(
        select(PlanRevision).where(
            PlanRevision.plan_id == reference["plan_id"],
            PlanRevision.revision == reference["revision"],
        )
    ).first()
    if row is None:
        return None
    return Plan.model_validate(plan_rows.read_revision(Tenant(db, row.organization_id), row))


def _with_plan(body: bytes, field: str | None, plan: Plan) -> bytes:
    """The stored body with the plan put back where the response carried it."""
    if field is None:
        return plan.model_dump_json(exclude_none=True).encode()
    document = json.loads(body)
    document[field] = plan.model_dump(mode="json", exclude_none=True)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _without_plan(body: bytes, field: str | None) -> bytes:
    if field is None:
        return b""
    document = json.loads(body)
    document[field] = None
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _record(request: Request, captured: Captured) -> IdempotencyRecord:
    # Secrets (API keys, calendar URLs) are shown once: a replay says so instead.
    headers: dict[str, Any] = {
        "h": [
            [k.decode(), v.decode()]
            for k, v in captured.headers
            if k.decode().lower() in REPLAYED_HEADERS
        ]
    }
    body = captured.body
    ok = captured.status is not None and 200 <= captured.status < 300
    if captured.plan is not None and ok:
        headers["plan"] = captured.plan
        body = _without_plan(body, captured.plan.get("field"))
    return IdempotencyRecord(
        scope=request.scope_key,
        body_hash=request.body_hash,
        status="done",
        response_status=captured.status,
        response_headers=headers,
        response_body=redact(body.decode("utf-8", "replace")).encode(),
        created_at=utcnow(),
    )


def _settle(
    sessions: sessionmaker[Session],
    held: Session | None,
    request: Request,
    captured: Captured,
) -> Answer | None:
    """Commit the request's effect with its stored response (not for server errors: those
    may be retried). None: send the captured response; else what to send in its place."""
    keep = captured.status is not None and captured.status < 500
    if held is None:  # nothing to commit (the route failed, or wrote nothing): store alone
        if keep:
            with sessions() as db:
                db.add(_record(request, captured))
                try:
                    db.commit()
                except IntegrityError:  # another request with the key got there first
                    db.rollback()
        return None
    if not keep:
        _discard(held)
        return None
    held.add(_record(request, captured))
    try:
        commit_and_close(held)
    except IntegrityError:  # the same key committed meanwhile: undo ours, answer with theirs
        theirs = _lookup(sessions, request)
        if theirs is None:
            raise
        return theirs
    return None


def _discard(session: Session) -> None:
    session.rollback()
    session.close()
