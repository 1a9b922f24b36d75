"""coaches can publish

Publishing and rolling back rules re-plan every athlete of an organisation: an admin's action,
or a coach's the admin granted it to (`coaches.can_publish`, false for every existing coach).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coaches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("can_publish", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("coaches", schema=None) as batch_op:
        batch_op.drop_column("can_publish")
