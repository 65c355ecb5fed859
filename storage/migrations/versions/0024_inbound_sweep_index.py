"""the inbound sweep's rows also in an index led by the columns it matches (processed_at,
direction, id): SQLite's planner passed over the one on id and sorted every incoming text

Revision ID: 0024
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op


revision = '0024'
down_revision = '0021'
branch_labels = None
depends_on = None

PENDING = "direction = 'in' AND processed_at IS NULL"


def upgrade() -> None:
    op.create_index(
        'ix_messages_inbound_unhandled', 'messages', ['processed_at', 'direction', 'id'],
        postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING),
    )


def downgrade() -> None:
    op.drop_index('ix_messages_inbound_unhandled', table_name='messages')
