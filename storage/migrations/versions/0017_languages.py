"""languages: nine of them on people (a CHECK on PostgreSQL), the language an unknown number
chose, and which language each text went out in

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

LANGUAGES = ['nb', 'en', 'pl', 'lt', 'ro', 'uk', 'ru', 'ar', 'so']


def upgrade() -> None:
    # Plain ADD COLUMN: no table is rebuilt on SQLite (others reference both tables).
    op.add_column('contact_points', sa.Column('language', sa.String(length=5), nullable=True))
    op.add_column('messages', sa.Column('language', sa.String(length=5), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        # SQLite would rebuild people (referenced by most tables) for it: the API refuses there.
        values = ', '.join(f"'{code}'" for code in LANGUAGES)
        op.create_check_constraint(
            op.f('ck_people_language'), 'people', f'language IN ({values})'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('ck_people_language'), 'people', type_='check')
    op.drop_column('messages', 'language')
    op.drop_column('contact_points', 'language')
