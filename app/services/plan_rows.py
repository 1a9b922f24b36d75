"""A plan stored as rows, the source of truth for every read of a plan.

- `session_versions`: one row per distinct content of a session (never updated). A re-plan
  writes a version only for a session whose content is new to the plan.
- `plan_sessions`: one row per session: its current version, place, calendar SEQUENCE and
  LAST-MODIFIED, and when it left the plan. A re-plan updates only the rows that changed, and
  never a row dated before the re-plan's cutoff: the past is kept by the database, not copied.
- `plan_parts`: the rest of the plan (weeks, reasons, exercises, warnings…), once per
  distinct content.
- `plan_revisions`: what each revision contained, as the numbers of its session versions.

A re-plan that changes no session therefore writes a revision row of a few hundred bytes per
hundred sessions, and nothing else of size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, insert, literal, null, select, union_all, update

from app.storage.scope import Tenant
from app.storage.tables import PlanPart, PlanRevision, SessionState, SessionVersion

NOT_IN_PARTS = ("sessions", "revision")  # the revision number lives on its row


def content_hash(body: Mapping[str, Any]) -> str:
    """A digest of JSON content, independent of key order and of how it was stored."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def session_hash(session: Mapping[str, Any]) -> str:
    """A digest of what a calendar shows of a session (its id excluded)."""
    return content_hash({key: value for key, value in session.items() if key != "id"})


class PastRewritten(RuntimeError):
    """A re-plan would change a session dated before its cutoff: a fault of the planner,
    never stored (the request's transaction is rolled back)."""


@dataclass(frozen=True)
class Written:
    header_digest: str
    versions: list[int]  # the plan's session versions, in plan order


_STATE = (
    "session_id",
    "day",
    "kind",
    "content_hash",
    "sequence",
    "modified_at",
    "removed_at",
    "version",
    "position",
)


def _states(tenant: Tenant, plan_id: str) -> dict[str, dict[str, Any]]:
    query = (
        tenant.select(SessionState)
        .with_only_columns(*(getattr(SessionState, name) for name in _STATE))
        .where(SessionState.plan_id == plan_id)
    )
    return {row.session_id: dict(row._mapping) for row in tenant.db.execute(query)}


def _known_versions(tenant: Tenant, plan_id: str) -> dict[tuple[str, str], int]:
    query = (
        tenant.select(SessionVersion)
        .with_only_columns(
            SessionVersion.session_id, SessionVersion.content_hash, SessionVersion.number
        )
        .where(SessionVersion.plan_id == plan_id)
    )
    return {(row.session_id, row.content_hash): row.number for row in tenant.db.execute(query)}


def _store_part(tenant: Tenant, plan_id: str, document: Mapping[str, Any]) -> str:
    part = {key: value for key, value in document.items() if key not in NOT_IN_PARTS}
    digest = content_hash(part)
    exists = tenant.db.scalar(
        tenant.select(PlanPart)
        .with_only_columns(PlanPart.digest)
        .where(PlanPart.plan_id == plan_id, PlanPart.digest == digest)
    )
    if exists is None:
        tenant.add(PlanPart(plan_id=plan_id, digest=digest, body=part))
    return digest


def write(
    tenant: Tenant,
    plan_id: str,
    document: Mapping[str, Any],
    now: datetime,
    *,
    carry_from: str | None = None,
    keep_before: date | None = None,
) -> Written:
    """Store `document` as the plan's current content; bump SEQUENCE for changed sessions and
    mark missing ones removed.

    A new plan for an athlete carries the calendar history of the plan it replaces
    (`carry_from`): its sessions have the same UIDs, so their SEQUENCE must go on, never reset.
    With `keep_before`, a change to any session dated before it is refused (PastRewritten).
    """
    history = _states(tenant, carry_from if carry_from is not None else plan_id)
    existing = set(history)
    fresh_plan = carry_from is not None or not history
    known = {} if carry_from is not None else _known_versions(tenant, plan_id)
    next_number = max(known.values(), default=0) + 1
    new_versions: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    places: dict[str, int] = {}
    for session in document["sessions"]:
        digest = session_hash(session)
        day = date.fromisoformat(session["date"])
        place = places[session["date"]] = places.get(session["date"], -1) + 1
        number = known.get((session["id"], digest))
        if number is None:
            number = known[(session["id"], digest)] = next_number
            next_number += 1
            new_versions.append(
                {
                    "number": number,
                    "session_id": session["id"],
                    "content_hash": digest,
                    "body": session,
                    "created_at": now,
                }
            )
        numbers.append(number)
        row: dict[str, Any] = {
            "session_id": session["id"],
            "day": day,
            "kind": session["kind"],
            "content_hash": digest,
            "sequence": 0,
            "modified_at": now,
            "removed_at": None,
            "version": number,
            "position": place,
        }
        old = history.pop(session["id"], None)
        if old is not None and old["content_hash"] == digest and old["removed_at"] is None:
            row.update(sequence=old["sequence"], modified_at=old["modified_at"])  # unchanged
        elif old is not None:
            row["sequence"] = old["sequence"] + 1  # changed, or back after a removal
        rows.append(row if fresh_plan or row != old else {})
    for old in history.values():  # no longer in the plan: cancelled in calendars
        if old["removed_at"] is None:
            rows.append({**old, "removed_at": now, "sequence": old["sequence"] + 1})
        elif fresh_plan:  # carried over: its content is not in this plan
            rows.append({**old, "version": None})
    changed = [row for row in rows if row]
    if keep_before is not None and not fresh_plan:
        past = sorted(row["day"] for row in changed if row["day"] < keep_before)
        if past:
            raise PastRewritten(
                f"the re-plan would change a session of {past[0].isoformat()}, before "
                f"{keep_before.isoformat()}: the past is kept"
            )
    owner = {"plan_id": plan_id, "organization_id": tenant.organization_id}
    if new_versions:
        tenant.db.execute(insert(SessionVersion), [{**v, **owner} for v in new_versions])
    if changed and fresh_plan:
        tenant.db.execute(insert(SessionState), [{**row, **owner} for row in changed])
    elif changed:
        added = [{**row, **owner} for row in changed if row["session_id"] not in existing]
        updated = [{**row, "plan_id": plan_id} for row in changed if row["session_id"] in existing]
        if added:
            tenant.db.execute(insert(SessionState), added)
        if updated:
            tenant.db.execute(update(SessionState), updated)
    return Written(_store_part(tenant, plan_id, document), numbers)


def add_revision(
    tenant: Tenant,
    revision_id: str,
    plan_id: str,
    revision: int,
    reason: str,
    written: Written,
    now: datetime,
) -> PlanRevision:
    return tenant.add(
        PlanRevision(
            id=revision_id,
            plan_id=plan_id,
            revision=revision,
            reason=reason,
            header_digest=written.header_digest,
            versions={"v": written.versions},
            created_at=now,
        )
    )


def read(tenant: Tenant, plan_id: str, header_digest: str, revision: int) -> dict[str, Any]:
    """The plan's current document, read in one query (its part and its current sessions)."""
    org = tenant.organization_id
    part = select(
        literal(0, Integer).label("k"),
        null().cast(Date).label("day"),
        literal(0, Integer).label("position"),
        PlanPart.body,
    ).where(
        PlanPart.organization_id == org,
        PlanPart.plan_id == plan_id,
        PlanPart.digest == header_digest,
    )
    sessions = (
        select(
            literal(1, Integer).label("k"),
            SessionState.day,
            SessionState.position,
            SessionVersion.body,
        )
        .join(
            SessionVersion,
            (SessionVersion.plan_id == SessionState.plan_id)
            & (SessionVersion.number == SessionState.version),
        )
        .where(
            SessionState.organization_id == org,
            SessionState.plan_id == plan_id,
            SessionState.removed_at.is_(None),
        )
    )
    query = union_all(part, sessions).order_by("k", "day", "position")
    rows = tenant.db.execute(query).all()
    if not rows or rows[0].k != 0:
        raise LookupError(f"plan {plan_id} has no stored content {header_digest}")
    return {**rows[0].body, "revision": revision, "sessions": [row.body for row in rows[1:]]}


def read_revision(tenant: Tenant, row: PlanRevision) -> dict[str, Any]:
    """The document of an earlier (or the current) revision, from the versions it lists."""
    part = tenant.db.scalar(
        tenant.select(PlanPart)
        .with_only_columns(PlanPart.body)
        .where(PlanPart.plan_id == row.plan_id, PlanPart.digest == row.header_digest)
    )
    if part is None:
        raise LookupError(f"plan {row.plan_id} has no stored content {row.header_digest}")
    numbers: list[int] = row.versions["v"]
    query = (
        tenant.select(SessionVersion)
        .with_only_columns(SessionVersion.number, SessionVersion.body)
        .where(SessionVersion.plan_id == row.plan_id, SessionVersion.number.in_(numbers))
    )
    bodies: dict[int, dict[str, Any]] = dict(tenant.db.execute(query).all())
    return {**part, "revision": row.revision, "sessions": [bodies[n] for n in numbers]}
