"""named API tokens, a column for button presses, CHECK constraints on every state

Revision ID: 0010
Revises: 0009

- ``api_tokens``: each staff user's tokens, named, revocable, with the last use; the one token
  each user had (``staff_users.token_hash``) becomes a token named "default".
- ``messages.button_answer``: a Telegram button press kept its question and answer in ``kind``
  ("button:<question id>:<answer>"); now ``kind`` is "button", the question is ``question_id``.
- A CHECK constraint per state column (the StrEnums in storage/models/states.py, copied here so
  that this migration stays as it is when the enums grow).
"""

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CHECKS = {
    'staff_users': ('role', ['admin', 'coordinator']),
    'person_roles': ('role', ['participant', 'volunteer', 'staff']),
    'people': ('status', ['active', 'paused']),
    'messages': ('status', ['received', 'queued', 'sending', 'sent', 'delivered', 'failed', 'skipped', 'cancelled', 'unknown', 'held']),
    'broadcasts': ('status', ['queued', 'cancelled']),
    'appointments': ('status', ['scheduled', 'confirmed', 'declined', 'cancelled', 'attended', 'missed']),
    'activities': ('status', ['planned', 'cancelled', 'held']),
    'activity_series': ('status', ['active', 'ended']),
    'activity_signups': ('status', ['signed_up', 'waitlisted', 'cancelled', 'attended', 'no_show', 'interested']),
    'shifts': ('status', ['open', 'done', 'cancelled']),
    'shift_assignments': ('status', ['offered', 'confirmed', 'declined', 'expired', 'cancelled', 'no_show']),
    'checkin_plans': ('status', ['active', 'paused', 'ended']),
    'open_questions': ('status', ['open', 'answered', 'expired', 'closed']),
    'inbox_items': ('status', ['open', 'resolved']),
}


def _condition(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_api_tokens_staff_user_id_staff_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    op.create_index(op.f('ix_api_tokens_staff_user_id'), 'api_tokens', ['staff_user_id'], unique=False)
    op.execute(
        "INSERT INTO api_tokens (staff_user_id, name, token_hash, created_at) "
        "SELECT id, 'default', token_hash, created_at FROM staff_users"
    )
    with op.batch_alter_table('staff_users') as batch:
        batch.drop_constraint('uq_staff_users_token_hash', type_='unique')
        batch.drop_column('token_hash')

    op.add_column('messages', sa.Column('button_answer', sa.String(length=20), nullable=True))
    conn = op.get_bind()
    presses = conn.execute(sa.text("SELECT id, kind FROM messages WHERE kind LIKE 'button:%'")).all()
    for message_id, kind in presses:
        _, question_id, answer = kind.split(':', 2)
        exists = conn.execute(
            sa.text("SELECT 1 FROM open_questions WHERE id = :q"), {'q': int(question_id)}
        ).first()
        conn.execute(
            sa.text("UPDATE messages SET kind = 'button', question_id = :q, button_answer = :a WHERE id = :id"),
            {'q': int(question_id) if exists else None, 'a': answer[:20], 'id': message_id},
        )

    for table, (column, values) in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(op.f(f'ck_{table}_{column}'), _condition(column, values))


def downgrade() -> None:
    for table, (column, _values) in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')

    conn = op.get_bind()
    presses = conn.execute(
        sa.text("SELECT id, question_id, button_answer FROM messages WHERE kind = 'button'")
    ).all()
    for message_id, question_id, answer in presses:
        conn.execute(
            sa.text("UPDATE messages SET kind = :k WHERE id = :id"),
            {'k': f'button:{question_id or 0}:{answer or ""}'[:40], 'id': message_id},
        )
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('button_answer')

    with op.batch_alter_table('staff_users') as batch:
        batch.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
    # Each user gets back its oldest live token; a user without one gets an unusable hash.
    op.execute(
        "UPDATE staff_users SET token_hash = COALESCE("
        "(SELECT t.token_hash FROM api_tokens t WHERE t.staff_user_id = staff_users.id "
        "AND t.revoked_at IS NULL ORDER BY t.id LIMIT 1), 'revoked-' || CAST(id AS VARCHAR(20)))"
    )
    with op.batch_alter_table('staff_users') as batch:
        batch.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint('uq_staff_users_token_hash', ['token_hash'])
    op.drop_index(op.f('ix_api_tokens_staff_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
