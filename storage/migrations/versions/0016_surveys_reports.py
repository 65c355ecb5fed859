"""surveys by text (anonymous answers kept as tallies and shuffled lists), activity types per
site, and the optional report fields on people (gender, municipality, intake outcome)

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SURVEY_STATUSES = "'draft', 'open', 'closed'"
RECIPIENT_STATUSES = "'asked', 'answered', 'stopped', 'expired'"


def upgrade() -> None:
    op.create_table(
        'surveys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('anonymous', sa.Boolean(), nullable=False),
        sa.Column('template', sa.String(length=20), nullable=True),
        sa.Column('trigger', sa.String(length=30), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f'status IN ({SURVEY_STATUSES})', name=op.f('ck_surveys_status')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_surveys_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    )
    op.create_index(op.f('ix_surveys_site_id'), 'surveys', ['site_id'])
    op.create_table(
        'survey_questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ['survey_id'], ['surveys.id'],
            name=op.f('fk_survey_questions_survey_id_surveys'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_questions')),
    )
    op.create_index(
        'ix_survey_questions_survey', 'survey_questions', ['survey_id', 'position']
    )
    op.create_table(
        'survey_recipients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('reminded', sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            f'status IN ({RECIPIENT_STATUSES})', name=op.f('ck_survey_recipients_status')
        ),
        sa.ForeignKeyConstraint(
            ['survey_id'], ['surveys.id'],
            name=op.f('fk_survey_recipients_survey_id_surveys'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['person_id'], ['people.id'],
            name=op.f('fk_survey_recipients_person_id_people'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_recipients')),
    )
    op.create_index(
        op.f('ix_survey_recipients_person_id'), 'survey_recipients', ['person_id']
    )
    op.create_index(
        'ix_survey_recipients_survey', 'survey_recipients', ['survey_id', 'status']
    )
    op.create_table(
        'survey_tallies',
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.String(length=10), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['question_id'], ['survey_questions.id'],
            name=op.f('fk_survey_tallies_question_id_survey_questions'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('question_id', 'value', name=op.f('pk_survey_tallies')),
    )
    op.create_table(
        'survey_free_texts',
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ['question_id'], ['survey_questions.id'],
            name=op.f('fk_survey_free_texts_question_id_survey_questions'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('question_id', name=op.f('pk_survey_free_texts')),
    )
    op.create_table(
        'survey_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['question_id'], ['survey_questions.id'],
            name=op.f('fk_survey_answers_question_id_survey_questions'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['recipient_id'], ['survey_recipients.id'],
            name=op.f('fk_survey_answers_recipient_id_survey_recipients'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    )
    op.create_index(op.f('ix_survey_answers_recipient_id'), 'survey_answers', ['recipient_id'])
    op.create_table(
        'activity_types',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ['site_id'], ['sites.id'], name=op.f('fk_activity_types_site_id_sites')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_types')),
    )
    op.create_index(op.f('ix_activity_types_site_id'), 'activity_types', ['site_id'])
    # Plain ADD COLUMN: neither people nor activities is rebuilt on SQLite.
    op.add_column('people', sa.Column('gender', sa.String(length=10), nullable=True))
    op.add_column('people', sa.Column('municipality', sa.String(length=80), nullable=True))
    op.add_column('people', sa.Column('intake_outcome', sa.String(length=12), nullable=True))
    op.add_column('people', sa.Column('intake_on', sa.Date(), nullable=True))
    op.add_column('activities', sa.Column('activity_type', sa.String(length=40), nullable=True))
    op.add_column(
        'activity_series', sa.Column('activity_type', sa.String(length=40), nullable=True)
    )


def downgrade() -> None:
    op.drop_column('activity_series', 'activity_type')
    op.drop_column('activities', 'activity_type')
    op.drop_column('people', 'intake_on')
    op.drop_column('people', 'intake_outcome')
    op.drop_column('people', 'municipality')
    op.drop_column('people', 'gender')
    op.drop_index(op.f('ix_activity_types_site_id'), table_name='activity_types')
    op.drop_table('activity_types')
    op.drop_index(op.f('ix_survey_answers_recipient_id'), table_name='survey_answers')
    op.drop_table('survey_answers')
    op.drop_table('survey_free_texts')
    op.drop_table('survey_tallies')
    op.drop_index('ix_survey_recipients_survey', table_name='survey_recipients')
    op.drop_index(op.f('ix_survey_recipients_person_id'), table_name='survey_recipients')
    op.drop_table('survey_recipients')
    op.drop_index('ix_survey_questions_survey', table_name='survey_questions')
    op.drop_table('survey_questions')
    op.drop_index(op.f('ix_surveys_site_id'), table_name='surveys')
    op.drop_table('surveys')
