"""voice reminders: how each person gets reminders and check-ins (texts, a call, or both)

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

CHOICES = ['sms', 'call', 'both']


def upgrade() -> None:
    # Plain ADD COLUMN with a default: people is not rebuilt on SQLite (most tables refer to it).
    op.add_column(
        'people',
        sa.Column('reminders_by', sa.String(length=5), nullable=False, server_default='sms'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        values = ', '.join(f"'{choice}'" for choice in CHOICES)
        op.create_check_constraint(
            op.f('ck_people_reminders_by'), 'people', f'reminders_by IN ({values})'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('ck_people_reminders_by'), 'people', type_='check')
    op.drop_column('people', 'reminders_by')
