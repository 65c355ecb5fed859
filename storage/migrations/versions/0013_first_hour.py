"""stable numbers in the "which question?" list; long lists continued with MER; an index
for "is anything of theirs open in the inbox?"

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: no table is rebuilt on SQLite (others reference contact_points).
    op.add_column('open_questions', sa.Column('list_number', sa.Integer(), nullable=True))
    op.add_column('contact_points', sa.Column('more_list', sa.String(length=20), nullable=True))
    op.add_column('contact_points', sa.Column('more_from', sa.Integer(), nullable=True))
    op.create_index(
        'ix_inbox_items_contact_status', 'inbox_items', ['contact_point_id', 'status']
    )


def downgrade() -> None:
    op.drop_index('ix_inbox_items_contact_status', table_name='inbox_items')
    # SQLite 3.35+ and PostgreSQL both drop a column in place.
    op.drop_column('contact_points', 'more_from')
    op.drop_column('contact_points', 'more_list')
    op.drop_column('open_questions', 'list_number')
