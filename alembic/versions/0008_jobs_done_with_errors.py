"""jobs done with errors

A re-generation that went through every athlete but could not plan some of them with the new
rules ends `done_with_errors` (it was `failed`, which read as if nothing had happened).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_jobs = sa.table("regeneration_jobs", sa.column("status", sa.String(16)))


def upgrade() -> None:
    op.execute(
        _jobs.update().where(_jobs.c.status == "failed").values(status="done_with_errors")
    )


def downgrade() -> None:
    op.execute(
        _jobs.update().where(_jobs.c.status == "done_with_errors").values(status="failed")
    )
