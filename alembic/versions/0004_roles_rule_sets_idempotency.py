"""roles rule sets idempotency

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import app.storage.tables

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('response_body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', app.storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_idempotency_keys'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)

    op.create_table('coaches',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', app.storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_coaches_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaches'))
    )
    with op.batch_alter_table('coaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaches_organization_id'), ['organization_id'], unique=False)

    op.create_table('regeneration_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('ruleset_id', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', app.storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', app.storage.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_regeneration_jobs_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regeneration_jobs'))
    )
    with op.batch_alter_table('regeneration_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regeneration_jobs_organization_id'), ['organization_id'], unique=False)

    op.create_table('rule_set_versions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('based_on', sa.String(length=40), nullable=False),
    sa.Column('files', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('etag', sa.Integer(), nullable=False),
    sa.Column('created_at', app.storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', app.storage.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_rule_set_versions_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_set_versions')),
    sa.UniqueConstraint('organization_id', 'number', name=op.f('uq_rule_set_versions_organization_id'))
    )
    with op.batch_alter_table('rule_set_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_set_versions_organization_id'), ['organization_id'], unique=False)

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coach_id', sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_api_keys_coach_id_coaches'), 'coaches', ['coach_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('athletes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coach_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_index(batch_op.f('ix_athletes_coach_id'), ['coach_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_athletes_coach_id_coaches'), 'coaches', ['coach_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active_ruleset_id', sa.String(length=36), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('active_ruleset_id')

    with op.batch_alter_table('athletes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_athletes_coach_id_coaches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_athletes_coach_id'))
        batch_op.drop_column('version')
        batch_op.drop_column('coach_id')

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_keys_coach_id_coaches'), type_='foreignkey')
        batch_op.drop_column('coach_id')

    with op.batch_alter_table('rule_set_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_set_versions_organization_id'))

    op.drop_table('rule_set_versions')
    with op.batch_alter_table('regeneration_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regeneration_jobs_organization_id'))

    op.drop_table('regeneration_jobs')
    with op.batch_alter_table('coaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coaches_organization_id'))

    op.drop_table('coaches')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))

    op.drop_table('idempotency_keys')
