"""costs that stay flat as history grows: queued texts found by what they are about, indexes on
the time columns, open questions by (kind, ref_id), and daily counts of texts for the figures

Revision ID: 0019
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None

KEPT_TEXT = 'text IS NOT NULL'
QUEUED = "status = 'queued'"

# Every insert, change of status or site, and delete of a text adds a signed row to
# message_day_changes; the rollup job folds them into message_days. Appending never waits on
# another writer, so the counts stay exact without a hot counter row.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER messages_days_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_day_changes (day, site_id, direction, status, delta)
    VALUES (date(NEW.created_at), coalesce(NEW.site_id, 0), NEW.direction, NEW.status, 1); END""",
    """CREATE TRIGGER messages_days_update AFTER UPDATE OF status, site_id ON messages
    WHEN OLD.status IS NOT NEW.status OR OLD.site_id IS NOT NEW.site_id BEGIN
    INSERT INTO message_day_changes (day, site_id, direction, status, delta)
    VALUES (date(OLD.created_at), coalesce(OLD.site_id, 0), OLD.direction, OLD.status, -1),
           (date(NEW.created_at), coalesce(NEW.site_id, 0), NEW.direction, NEW.status, 1); END""",
    """CREATE TRIGGER messages_days_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_day_changes (day, site_id, direction, status, delta)
    VALUES (date(OLD.created_at), coalesce(OLD.site_id, 0), OLD.direction, OLD.status, -1); END""",
]
PG_FUNCTION = """
CREATE FUNCTION messages_days_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO message_day_changes (day, site_id, direction, status, delta)
    VALUES ((OLD.created_at AT TIME ZONE 'UTC')::date, coalesce(OLD.site_id, 0),
            OLD.direction, OLD.status, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO message_day_changes (day, site_id, direction, status, delta)
    VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, coalesce(NEW.site_id, 0),
            NEW.direction, NEW.status, 1);
  END IF;
  RETURN NULL;
END $$"""
PG_TRIGGERS = [
    "CREATE TRIGGER messages_days_insert AFTER INSERT ON messages "
    "FOR EACH ROW EXECUTE FUNCTION messages_days_change()",
    "CREATE TRIGGER messages_days_update AFTER UPDATE OF status, site_id ON messages "
    "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status "
    "OR OLD.site_id IS DISTINCT FROM NEW.site_id) EXECUTE FUNCTION messages_days_change()",
    "CREATE TRIGGER messages_days_delete AFTER DELETE ON messages "
    "FOR EACH ROW EXECUTE FUNCTION messages_days_change()",
]


def _ref(key: str) -> tuple[str, int] | None:
    """The same rule as handlers/outbox.py ``reference``: the words before the first number."""
    parts = key.split(':')
    for n, part in enumerate(parts):
        if part.isdigit() and n > 0:
            value = int(part)
            return (':'.join(parts[:n])[:40], value) if value < 2**31 else None
    return None


def upgrade() -> None:
    conn = op.get_bind()
    # Plain ADD COLUMN: messages is not rebuilt on SQLite (others reference it).
    op.add_column('messages', sa.Column('ref_kind', sa.String(length=40), nullable=True))
    op.add_column('messages', sa.Column('ref_id', sa.Integer(), nullable=True))
    queued = conn.execute(
        sa.text("SELECT id, idempotency_key FROM messages WHERE status = 'queued' "
                "AND idempotency_key IS NOT NULL")
    ).all()
    for row_id, key in queued:
        ref = _ref(key)
        if ref is not None:
            conn.execute(
                sa.text("UPDATE messages SET ref_kind = :k, ref_id = :r WHERE id = :id"),
                {'k': ref[0], 'r': ref[1], 'id': row_id},
            )
    op.create_index(
        'ix_messages_queued_ref', 'messages', ['ref_kind', 'ref_id'],
        postgresql_where=sa.text(QUEUED), sqlite_where=sa.text(QUEUED),
    )
    op.create_index('ix_messages_created_at', 'messages', ['created_at'])
    op.create_index('ix_messages_person_created', 'messages', ['person_id', 'created_at', 'id'])
    op.create_index(
        'ix_messages_text_kept', 'messages', ['created_at'],
        postgresql_where=sa.text(KEPT_TEXT), sqlite_where=sa.text(KEPT_TEXT),
    )
    op.create_index('ix_open_questions_kind_ref', 'open_questions', ['kind', 'ref_id'])
    op.create_table(
        'message_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'site_id', 'direction', 'status',
                                name=op.f('pk_message_days')),
    )
    op.create_table(
        'message_day_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_day_changes')),
    )
    day = ("date(created_at)" if conn.dialect.name == 'sqlite'
           else "(created_at AT TIME ZONE 'UTC')::date")
    conn.execute(sa.text(
        "INSERT INTO message_days (day, site_id, direction, status, count) "
        f"SELECT {day}, coalesce(site_id, 0), direction, status, count(*) FROM messages "
        f"GROUP BY {day}, coalesce(site_id, 0), direction, status"
    ))
    if conn.dialect.name == 'sqlite':
        for statement in SQLITE_TRIGGERS:
            conn.execute(sa.text(statement))
    else:
        conn.execute(sa.text(PG_FUNCTION))
        for statement in PG_TRIGGERS:
            conn.execute(sa.text(statement))


def downgrade() -> None:
    conn = op.get_bind()
    for name in ('messages_days_insert', 'messages_days_update', 'messages_days_delete'):
        on = '' if conn.dialect.name == 'sqlite' else ' ON messages'
        conn.execute(sa.text(f'DROP TRIGGER IF EXISTS {name}{on}'))
    if conn.dialect.name != 'sqlite':
        conn.execute(sa.text('DROP FUNCTION IF EXISTS messages_days_change()'))
    op.drop_table('message_day_changes')
    op.drop_table('message_days')
    op.drop_index('ix_open_questions_kind_ref', table_name='open_questions')
    op.drop_index('ix_messages_text_kept', table_name='messages')
    op.drop_index('ix_messages_person_created', table_name='messages')
    op.drop_index('ix_messages_created_at', table_name='messages')
    op.drop_index('ix_messages_queued_ref', table_name='messages')
    op.drop_column('messages', 'ref_id')
    op.drop_column('messages', 'ref_kind')
