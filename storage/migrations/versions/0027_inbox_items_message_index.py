"""open inbox items by their message: retention asks of each old text whether an open item
still holds it

Revision ID: 0027
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op


revision = '0027'
down_revision = '0025'
branch_labels = None
depends_on = None


# Open items only: most items hold no text, and SQLite's planner, counting those, preferred the
# index on status and read every open item for each text.
OPEN_WITH_TEXT = "status = 'open' AND message_id IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        'ix_inbox_items_message', 'inbox_items', ['message_id'],
        postgresql_where=sa.text(OPEN_WITH_TEXT), sqlite_where=sa.text(OPEN_WITH_TEXT),
    )


def downgrade() -> None:
    op.drop_index('ix_inbox_items_message', table_name='inbox_items')
