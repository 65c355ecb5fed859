"""job runs: the last run and last success of every periodic job, shared by all processes

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import storage.models.base


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'job_runs',
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('every_seconds', sa.Integer(), nullable=False),
        sa.Column('last_run_at', storage.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column('last_success_at', storage.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('worker', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_runs')),
    )


def downgrade() -> None:
    op.drop_table('job_runs')
