"""staff app: sign-in (password, TOTP, lockout, set-up link), sessions, inbox threads and notes

Revision ID: 0011
Revises: 0010

Columns are only added to staff_users (no table rebuild on SQLite); the new tables stand alone.
"""

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column('staff_users', sa.Column('password_hash', sa.String(length=200), nullable=True))
    op.add_column('staff_users', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('staff_users', sa.Column('totp_enrolled_at', UTC_TIME, nullable=True))
    op.add_column('staff_users', sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.add_column(
        'staff_users',
        sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'),
    )
    op.add_column('staff_users', sa.Column('locked_until', UTC_TIME, nullable=True))
    op.add_column('staff_users', sa.Column('setup_token_hash', sa.String(length=64), nullable=True))
    op.add_column('staff_users', sa.Column('setup_expires_at', UTC_TIME, nullable=True))
    op.add_column(
        'staff_users',
        sa.Column('language', sa.String(length=5), nullable=False, server_default='nb'),
    )
    op.create_index(
        op.f('ix_staff_users_setup_token_hash'), 'staff_users', ['setup_token_hash'], unique=True
    )
    op.create_table(
        'staff_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('stage', sa.String(length=10), nullable=False),
        sa.Column('created_at', UTC_TIME, nullable=False),
        sa.Column('last_seen_at', UTC_TIME, nullable=False),
        sa.Column('ended_at', UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_staff_sessions_staff_user_id_staff_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_staff_sessions_token_hash')),
    )
    op.create_index(op.f('ix_staff_sessions_staff_user_id'), 'staff_sessions', ['staff_user_id'], unique=False)
    op.create_table(
        'inbox_threads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('contact_point_id', sa.Integer(), nullable=True),
        sa.Column('assigned_staff_id', sa.Integer(), nullable=True),
        sa.Column('assigned_at', UTC_TIME, nullable=True),
        sa.Column('created_at', UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(['assigned_staff_id'], ['staff_users.id'], name=op.f('fk_inbox_threads_assigned_staff_id_staff_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['contact_point_id'], ['contact_points.id'], name=op.f('fk_inbox_threads_contact_point_id_contact_points'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_inbox_threads_person_id_people'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_inbox_threads_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_threads')),
        sa.UniqueConstraint('contact_point_id', name=op.f('uq_inbox_threads_contact_point_id')),
        sa.UniqueConstraint('person_id', name=op.f('uq_inbox_threads_person_id')),
    )
    op.create_index(op.f('ix_inbox_threads_assigned_staff_id'), 'inbox_threads', ['assigned_staff_id'], unique=False)
    op.create_index(op.f('ix_inbox_threads_site_id'), 'inbox_threads', ['site_id'], unique=False)
    op.create_table(
        'inbox_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('at', UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_inbox_notes_staff_user_id_staff_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['thread_id'], ['inbox_threads.id'], name=op.f('fk_inbox_notes_thread_id_inbox_threads'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_notes')),
    )
    op.create_index(op.f('ix_inbox_notes_thread_id'), 'inbox_notes', ['thread_id'], unique=False)
    # Threads are listed by the person's or sender's items, newest first.
    op.create_index('ix_inbox_items_person_created', 'inbox_items', ['person_id', 'created_at'])
    op.create_index(
        'ix_inbox_items_contact_created', 'inbox_items', ['contact_point_id', 'created_at']
    )


def downgrade() -> None:
    op.drop_index('ix_inbox_items_contact_created', table_name='inbox_items')
    op.drop_index('ix_inbox_items_person_created', table_name='inbox_items')
    op.drop_index(op.f('ix_inbox_notes_thread_id'), table_name='inbox_notes')
    op.drop_table('inbox_notes')
    op.drop_index(op.f('ix_inbox_threads_site_id'), table_name='inbox_threads')
    op.drop_index(op.f('ix_inbox_threads_assigned_staff_id'), table_name='inbox_threads')
    op.drop_table('inbox_threads')
    op.drop_index(op.f('ix_staff_sessions_staff_user_id'), table_name='staff_sessions')
    op.drop_table('staff_sessions')
    op.drop_index(op.f('ix_staff_users_setup_token_hash'), table_name='staff_users')
    for column in (
        'language', 'setup_expires_at', 'setup_token_hash', 'locked_until', 'failed_sign_ins',
        'totp_last_step', 'totp_enrolled_at', 'totp_secret', 'password_hash',
    ):
        op.drop_column('staff_users', column)
