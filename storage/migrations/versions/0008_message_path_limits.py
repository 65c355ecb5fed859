"""message path limits: outbox priorities, reply budgets, worker heartbeats, shared provider limits

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

PENDING = "direction = 'in' AND processed_at IS NULL"


def upgrade() -> None:
    # add_column and create_index never rebuild the messages table, on SQLite either.
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('priority', sa.SmallInteger(), server_default='2', nullable=False)
        )
        batch_op.create_index(
            'ix_messages_outbox_claim', ['status', 'priority', 'send_after', 'id'], unique=False
        )
        batch_op.create_index(
            'ix_messages_inbound_pending', ['id'], unique=False,
            postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING),
        )
    # Rows already queued keep their meaning: broadcasts last, answers before reminders.
    op.execute(
        "UPDATE messages SET priority = 3 WHERE broadcast_id IS NOT NULL OR kind = 'broadcast'"
    )
    op.execute(
        "UPDATE messages SET priority = 1 "
        "WHERE priority = 2 AND (urgent = TRUE OR kind = 'staff_reply')"
    )

    op.create_table(
        'reply_budgets',
        sa.Column('contact_point_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('last_answer_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_inbound_digest', sa.String(length=16), nullable=True),
        sa.Column('robot_signs', sa.Integer(), nullable=False),
        sa.Column('muted_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withheld', sa.Integer(), nullable=False),
        sa.Column('flood_noticed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('crisis_answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['contact_point_id'], ['contact_points.id'],
            name=op.f('fk_reply_budgets_contact_point_id_contact_points'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('contact_point_id', name=op.f('pk_reply_budgets')),
    )
    op.create_table(
        'workers',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('heartbeat', sa.Float(), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workers')),
    )
    op.create_table(
        'provider_limits',
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('next_slot', sa.Float(), nullable=False),
        sa.Column('held_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('channel', name=op.f('pk_provider_limits')),
    )


def downgrade() -> None:
    op.drop_table('provider_limits')
    op.drop_table('workers')
    op.drop_table('reply_budgets')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_inbound_pending')
        batch_op.drop_index('ix_messages_outbox_claim')
        batch_op.drop_column('priority')
