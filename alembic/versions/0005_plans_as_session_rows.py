"""plans as session rows

A plan's content moves from whole documents (on `plans` and on every `plan_revisions` row)
to rows: one `session_versions` row per distinct content of a session, the current version and
place of each session on `plan_sessions`, the rest of the plan once per distinct content in
`plan_parts`, and each revision as the list of the session versions it contains.

Content hashes become a digest of the session's canonical JSON (sorted keys), the same on
both databases; the upgrade recomputes them for every current session, so the first re-plan
after it re-sends nothing to calendars. After a downgrade the earlier code hashes sessions its
own way: its first re-plan of each plan sends every session once more (SEQUENCE + 1).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.storage.tables

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NOT_IN_PARTS = ("sessions", "revision")

plans = sa.table(
    "plans",
    sa.column("id", sa.String),
    sa.column("organization_id", sa.String),
    sa.column("revision", sa.Integer),
    sa.column("document", JSON),
    sa.column("header_digest", sa.String),
    sa.column("updated_at", app.storage.tables.UTCDateTime(timezone=True)),
)
revisions = sa.table(
    "plan_revisions",
    sa.column("id", sa.String),
    sa.column("plan_id", sa.String),
    sa.column("revision", sa.Integer),
    sa.column("document", JSON),
    sa.column("header_digest", sa.String),
    sa.column("versions", JSON),
    sa.column("created_at", app.storage.tables.UTCDateTime(timezone=True)),
)
states = sa.table(
    "plan_sessions",
    sa.column("plan_id", sa.String),
    sa.column("session_id", sa.String),
    sa.column("day", sa.Date),
    sa.column("content_hash", sa.String),
    sa.column("removed_at", app.storage.tables.UTCDateTime(timezone=True)),
    sa.column("version", sa.Integer),
    sa.column("position", sa.Integer),
)
parts = sa.table(
    "plan_parts",
    sa.column("plan_id", sa.String),
    sa.column("digest", sa.String),
    sa.column("organization_id", sa.String),
    sa.column("body", JSON),
)
versions = sa.table(
    "session_versions",
    sa.column("plan_id", sa.String),
    sa.column("number", sa.Integer),
    sa.column("session_id", sa.String),
    sa.column("organization_id", sa.String),
    sa.column("content_hash", sa.String),
    sa.column("body", JSON),
    sa.column("created_at", app.storage.tables.UTCDateTime(timezone=True)),
)


def _digest(body: Mapping[str, Any]) -> str:  # as app.services.plan_rows.content_hash
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _session_digest(session: Mapping[str, Any]) -> str:
    return _digest({key: value for key, value in session.items() if key != "id"})


def upgrade() -> None:
    op.create_table(
        "plan_parts",
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_plan_parts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_parts_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", "digest", name=op.f("pk_plan_parts")),
    )
    with op.batch_alter_table("plan_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_parts_organization_id"), ["organization_id"], unique=False
        )
    op.create_table(
        "session_versions",
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column(
            "created_at", app.storage.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_session_versions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_session_versions_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "number", name=op.f("pk_session_versions")),
    )
    with op.batch_alter_table("session_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_session_versions_content",
            ["plan_id", "session_id", "content_hash"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_session_versions_organization_id"), ["organization_id"], unique=False
        )
    with op.batch_alter_table("plan_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("header_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("versions", JSON, nullable=True))
    with op.batch_alter_table("plan_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("position", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("header_digest", sa.String(length=64), nullable=True))

    connection = op.get_bind()
    for plan in connection.execute(
        sa.select(plans.c.id, plans.c.organization_id, plans.c.document, plans.c.updated_at)
    ).all():
        _rows_of(connection, plan)

    with op.batch_alter_table("plan_revisions", schema=None) as batch_op:
        batch_op.alter_column("header_digest", existing_type=sa.String(64), nullable=False)
        batch_op.alter_column("versions", existing_type=JSON, nullable=False)
        batch_op.drop_column("document")
    with op.batch_alter_table("plan_sessions", schema=None) as batch_op:
        batch_op.alter_column("position", existing_type=sa.Integer(), server_default=None)
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.alter_column("header_digest", existing_type=sa.String(64), nullable=False)
        batch_op.drop_column("document")


def _rows_of(connection: sa.Connection, plan: Any) -> None:
    """One plan's documents (its revisions', then its current one) as rows."""
    numbers: dict[tuple[str, str], int] = {}
    stored_parts: set[str] = set()
    owner = {"plan_id": plan.id, "organization_id": plan.organization_id}

    def store(document: Mapping[str, Any], created_at: Any) -> tuple[str, list[int]]:
        part = {k: v for k, v in document.items() if k not in NOT_IN_PARTS}
        digest = _digest(part)
        if digest not in stored_parts:
            stored_parts.add(digest)
            connection.execute(sa.insert(parts).values(digest=digest, body=part, **owner))
        listed: list[int] = []
        for session in document.get("sessions", []):
            key = (session["id"], _session_digest(session))
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                connection.execute(
                    sa.insert(versions).values(
                        number=numbers[key],
                        session_id=key[0],
                        content_hash=key[1],
                        body=session,
                        created_at=created_at,
                        **owner,
                    )
                )
            listed.append(numbers[key])
        return digest, listed

    for row in connection.execute(
        sa.select(revisions.c.id, revisions.c.document, revisions.c.created_at)
        .where(revisions.c.plan_id == plan.id)
        .order_by(revisions.c.revision)
    ).all():
        digest, listed = store(row.document, row.created_at)
        connection.execute(
            sa.update(revisions)
            .where(revisions.c.id == row.id)
            .values(header_digest=digest, versions={"v": listed})
        )
    digest, _ = store(plan.document, plan.updated_at)
    connection.execute(
        sa.update(plans).where(plans.c.id == plan.id).values(header_digest=digest)
    )
    latest = {key[0]: number for key, number in sorted(numbers.items(), key=lambda kv: kv[1])}
    places: dict[str, int] = {}
    current = {}
    for session in plan.document.get("sessions", []):
        places[session["date"]] = places.get(session["date"], -1) + 1
        current[session["id"]] = (session, places[session["date"]])
    for state in connection.execute(
        sa.select(states.c.session_id).where(states.c.plan_id == plan.id)
    ).all():
        values: dict[str, Any]
        if state.session_id in current:
            session, place = current[state.session_id]
            digest = _session_digest(session)
            values = {
                "content_hash": digest,
                "version": numbers[(state.session_id, digest)],
                "position": place,
            }
        else:  # left the plan: its last content, if this plan ever had it
            values = {"version": latest.get(state.session_id)}
        connection.execute(
            sa.update(states)
            .where(states.c.plan_id == plan.id, states.c.session_id == state.session_id)
            .values(**values)
        )


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", JSON, nullable=True))
    with op.batch_alter_table("plan_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", JSON, nullable=True))

    connection = op.get_bind()
    for plan in connection.execute(
        sa.select(plans.c.id, plans.c.revision, plans.c.header_digest)
    ).all():
        bodies = {
            number: body
            for number, body in connection.execute(
                sa.select(versions.c.number, versions.c.body).where(versions.c.plan_id == plan.id)
            ).all()
        }
        part_of = {
            digest: body
            for digest, body in connection.execute(
                sa.select(parts.c.digest, parts.c.body).where(parts.c.plan_id == plan.id)
            ).all()
        }
        current = connection.execute(
            sa.select(states.c.version)
            .where(states.c.plan_id == plan.id, states.c.removed_at.is_(None))
            .order_by(states.c.day, states.c.position)
        ).scalars()
        document = {
            **part_of[plan.header_digest],
            "revision": plan.revision,
            "sessions": [bodies[number] for number in current],
        }
        connection.execute(
            sa.update(plans).where(plans.c.id == plan.id).values(document=document)
        )
        for row in connection.execute(
            sa.select(
                revisions.c.id, revisions.c.revision, revisions.c.header_digest, revisions.c.versions
            ).where(revisions.c.plan_id == plan.id)
        ).all():
            earlier = {
                **part_of[row.header_digest],
                "revision": row.revision,
                "sessions": [bodies[number] for number in row.versions["v"]],
            }
            connection.execute(
                sa.update(revisions).where(revisions.c.id == row.id).values(document=earlier)
            )

    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.alter_column("document", existing_type=JSON, nullable=False)
        batch_op.drop_column("header_digest")
    with op.batch_alter_table("plan_sessions", schema=None) as batch_op:
        batch_op.drop_column("position")
        batch_op.drop_column("version")
    with op.batch_alter_table("plan_revisions", schema=None) as batch_op:
        batch_op.alter_column("document", existing_type=JSON, nullable=False)
        batch_op.drop_column("versions")
        batch_op.drop_column("header_digest")
    with op.batch_alter_table("session_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_versions_organization_id"))
        batch_op.drop_index("ix_session_versions_content")
    op.drop_table("session_versions")
    with op.batch_alter_table("plan_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_parts_organization_id"))
    op.drop_table("plan_parts")
