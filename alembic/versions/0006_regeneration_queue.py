"""regeneration on a durable queue: one item per athlete and job; procrastinate's schema

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08

On PostgreSQL the job queue (procrastinate) lives in the same database: its schema, as the
installed procrastinate ships it (`procrastinate/sql/schema.sql`), is applied here, so that
`strideplan db upgrade` is the one step that prepares a database. procrastinate is pinned to
3.10.x in pyproject.toml; moving to a release whose schema changed needs a migration that runs
its `sql/migrations/*.sql` deltas. SQLite has no queue (re-generation runs in the API process).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import app.storage.tables

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table, routine and type procrastinate made (all named procrastinate_…), dropped.
DROP_PROCRASTINATE = r"""
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables
           WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\_%' LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS routine FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\_%' LOOP
    EXECUTE 'DROP ROUTINE IF EXISTS ' || r.routine::text || ' CASCADE';
  END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t
           JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\_%'
             AND (t.typtype = 'e' OR (t.typtype = 'c' AND EXISTS (
                  SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))) LOOP
    EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
  END LOOP;
END $$;
"""


def _raw_execute(sql: str) -> None:
    """Run SQL text as it is (no parameter markers read), in the migration's transaction."""
    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    raw.execute(sql)


def upgrade() -> None:
    op.create_table('regeneration_items',
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('plan_id', sa.String(length=36), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('athlete_id', sa.String(length=36), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.Column('error', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', app.storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['regeneration_jobs.id'], name=op.f('fk_regeneration_items_job_id_regeneration_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_regeneration_items_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'plan_id', name=op.f('pk_regeneration_items'))
    )
    with op.batch_alter_table('regeneration_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regeneration_items_organization_id'), ['organization_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        from procrastinate.schema import SchemaManager

        _raw_execute(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _raw_execute(DROP_PROCRASTINATE)
    with op.batch_alter_table('regeneration_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regeneration_items_organization_id'))

    op.drop_table('regeneration_items')
