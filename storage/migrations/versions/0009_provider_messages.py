"""attachments, edits and delivery failures: every message the providers can send

Revision ID: 0009
Revises: 0008

Only new tables, new nullable columns and an index: nothing is rebuilt on SQLite on the way up.
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UtcDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'message_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=True),
        sa.Column('provider_ref', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_attachments_message_id_messages'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachments')),
        sa.UniqueConstraint('message_id', 'position', name=op.f('uq_message_attachments_message_id_position')),
    )
    op.create_index(op.f('ix_message_attachments_message_id'), 'message_attachments', ['message_id'], unique=False)
    op.add_column('messages', sa.Column('provider_ref', sa.String(length=64), nullable=True))
    op.add_column('messages', sa.Column('edited_at', UtcDateTime(), nullable=True))
    op.create_index('ix_messages_provider_ref', 'messages', ['channel', 'provider_ref'], unique=False)
    op.add_column('contact_points', sa.Column('failed_in_row', sa.Integer(), server_default='0', nullable=False))
    op.add_column('contact_points', sa.Column('suspect_at', UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.drop_column('suspect_at')
        batch_op.drop_column('failed_in_row')
    op.drop_index('ix_messages_provider_ref', table_name='messages')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
        batch_op.drop_column('provider_ref')
    op.drop_index(op.f('ix_message_attachments_message_id'), table_name='message_attachments')
    op.drop_table('message_attachments')
