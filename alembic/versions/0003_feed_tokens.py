"""feed tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.storage.tables

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feed_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('athlete_id', sa.String(length=36), nullable=False),
    sa.Column('lookup', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('alarm_minutes', sa.Integer(), nullable=True),
    sa.Column('created_at', app.storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', app.storage.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', app.storage.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['athlete_id'], ['athletes.id'], name=op.f('fk_feed_tokens_athlete_id_athletes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_feed_tokens_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_tokens')),
    sa.UniqueConstraint('lookup', name=op.f('uq_feed_tokens_lookup'))
    )
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_tokens_athlete_id'), ['athlete_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feed_tokens_organization_id'), ['organization_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_tokens_organization_id'))
        batch_op.drop_index(batch_op.f('ix_feed_tokens_athlete_id'))

    op.drop_table('feed_tokens')
