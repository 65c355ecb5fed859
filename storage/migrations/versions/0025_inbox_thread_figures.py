"""one inbox_threads row per thread with the figures the inbox list orders by (open and all
items, urgent, the newest item), filled from the items, and partial indexes in the list's order:
a page of the inbox read 1M items to rank 100k threads (issue 21)

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
ORDER = ['urgent', 'last_at', 'last_item_id']
INDEXES = {
    'ix_inbox_threads_open_order': "open_items > 0",
    'ix_inbox_threads_resolved_order': "open_items = 0 AND items > 0",
    'ix_inbox_threads_listed_order': "items > 0",
}

# The figures of the thread a row stands for, from its items; <match> picks them.
FIGURES = """
UPDATE inbox_threads SET
  items = (SELECT count(*) FROM inbox_items i WHERE <match>),
  open_items = (SELECT count(*) FROM inbox_items i WHERE <match> AND i.status = 'open'),
  urgent = EXISTS (SELECT 1 FROM inbox_items i WHERE <match> AND i.status = 'open' AND i.urgent),
  last_at = (SELECT max(i.created_at) FROM inbox_items i WHERE <match>),
  last_item_id = (SELECT max(i.id) FROM inbox_items i WHERE <match>),
  site_id = COALESCE((SELECT min(i.site_id) FROM inbox_items i WHERE <match>), site_id),
  other_sites = COALESCE(
    (SELECT min(i.site_id) <> max(i.site_id) FROM inbox_items i WHERE <match>), FALSE
  )
WHERE <which>
"""
PERSON = "i.person_id = inbox_threads.person_id"
CONTACT = "i.person_id IS NULL AND i.contact_point_id = inbox_threads.contact_point_id"

# A row for every other thread: the person; else the sender's number; else the item alone. A
# thread staff made a row for already is left out by its unique key (<or ignore>/<on conflict>:
# matching it in a NOT EXISTS reread the growing table for every row, hours at 1M items).
MISSING = """
INSERT <or ignore> INTO inbox_threads (site_id, other_sites, person_id, contact_point_id, item_id, items,
                           open_items, urgent, last_at, last_item_id, created_at)
SELECT site_id, other_sites, p, c, i, items, open_items, urgent, last_at, last_item_id, last_at
FROM (
  SELECT min(site_id) AS site_id, min(site_id) <> max(site_id) AS other_sites, p, c, i,
         count(*) AS items, sum(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open_items,
         max(CASE WHEN status = 'open' AND urgent THEN 1 ELSE 0 END) = 1 AS urgent,
         max(created_at) AS last_at, max(id) AS last_item_id
  FROM (
    SELECT site_id, status, urgent, created_at, id, person_id AS p,
           CASE WHEN person_id IS NULL THEN contact_point_id END AS c,
           CASE WHEN person_id IS NULL AND contact_point_id IS NULL THEN id END AS i
    FROM inbox_items
  ) items
  GROUP BY p, c, i
) threads
<on conflict>
"""


def upgrade() -> None:
    with op.batch_alter_table('inbox_threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('other_sites', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('staff_at', UTC_TIME, nullable=True))
        batch_op.add_column(sa.Column('items', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('open_items', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('last_at', UTC_TIME, nullable=True))
        batch_op.add_column(sa.Column('last_item_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_inbox_threads_item_id'), ['item_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_inbox_threads_item_id_inbox_items'), 'inbox_items', ['item_id'], ['id'],
            ondelete='CASCADE',
        )
    # The rows so far were made when staff first assigned a thread or wrote a note.
    op.execute("UPDATE inbox_threads SET staff_at = created_at")
    op.execute(FIGURES.replace('<match>', PERSON).replace('<which>', 'person_id IS NOT NULL'))
    op.execute(FIGURES.replace('<match>', CONTACT).replace('<which>', 'contact_point_id IS NOT NULL'))
    if op.get_bind().dialect.name == 'postgresql':
        # Group 1M items in memory (tens of MB, this transaction only): with the default 4 MB
        # PostgreSQL sorted them through the person index, page by random page.
        op.execute("SET LOCAL work_mem = '256MB'")
        op.execute(MISSING.replace('<or ignore> ', '').replace('<on conflict>', 'ON CONFLICT DO NOTHING'))
    else:
        op.execute(MISSING.replace('<or ignore>', 'OR IGNORE').replace('<on conflict>', ''))
    for name, where in INDEXES.items():
        op.create_index(
            name, 'inbox_threads', ORDER,
            postgresql_where=sa.text(where), sqlite_where=sa.text(where),
        )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name='inbox_threads')
    # Back to rows for staff's state only.
    op.execute("DELETE FROM inbox_threads WHERE staff_at IS NULL")
    with op.batch_alter_table('inbox_threads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inbox_threads_item_id_inbox_items'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_inbox_threads_item_id'), type_='unique')
        for column in ('last_item_id', 'last_at', 'urgent', 'open_items', 'items', 'staff_at',
                       'other_sites', 'item_id'):
            batch_op.drop_column(column)
