"""broadcasts queued after the request answers: the states queueing, sending and sent, and how
far the queueing has come (``queued_through``, the last person id queued), so that a queueing
stopped by a restart goes on where it ended

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

OLD = ['queued', 'cancelled']
NEW = ['queued', 'queueing', 'sending', 'sent', 'cancelled']


def _condition(values: list[str]) -> str:
    return f"status IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('queued_through', sa.Integer(), nullable=True))
        batch.drop_constraint(op.f('ck_broadcasts_status'), type_='check')
        batch.create_check_constraint(op.f('ck_broadcasts_status'), _condition(NEW))


def downgrade() -> None:
    op.execute("UPDATE broadcasts SET status = 'queued' WHERE status NOT IN ('queued', 'cancelled')")
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_constraint(op.f('ck_broadcasts_status'), type_='check')
        batch.create_check_constraint(op.f('ck_broadcasts_status'), _condition(OLD))
        batch.drop_column('queued_through')
