"""follow-up over months: volunteer assignments and their meetings, matching profiles, signs of
life, consent, everyday reminder series, phones shared by several people

Revision ID: 0015
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def _check(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f'ck_{table}_{column}'))


def upgrade() -> None:
    # New tables only: nothing that others reference is rebuilt.
    op.create_table(
        'volunteer_assignments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('goal', sa.Text(), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('review_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('taken_over_by', sa.Integer(), nullable=True),
        sa.Column('last_review_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_volunteer_assignments_site_id_sites')),
        sa.ForeignKeyConstraint(['volunteer_id'], ['people.id'], name=op.f('fk_volunteer_assignments_volunteer_id_people'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['people.id'], name=op.f('fk_volunteer_assignments_participant_id_people'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['taken_over_by'], ['people.id'], name=op.f('fk_volunteer_assignments_taken_over_by_people'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_assignments')),
        _check('volunteer_assignments', 'status', ('active', 'paused', 'ended', 'handed_over')),
    )
    op.create_index(op.f('ix_volunteer_assignments_site_id'), 'volunteer_assignments', ['site_id'])
    op.create_index('ix_volunteer_assignments_volunteer', 'volunteer_assignments', ['volunteer_id', 'status'])
    op.create_index('ix_volunteer_assignments_participant', 'volunteer_assignments', ['participant_id', 'status'])
    op.create_table(
        'assignment_meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('met_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['volunteer_assignments.id'], name=op.f('fk_assignment_meetings_assignment_id_volunteer_assignments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_meetings')),
    )
    op.create_index(op.f('ix_assignment_meetings_assignment_id'), 'assignment_meetings', ['assignment_id'])
    op.create_table(
        'matching_profiles',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('area', sa.String(length=80), nullable=True),
        sa.Column('age_band', sa.String(length=10), nullable=True),
        sa.Column('gender', sa.String(length=10), nullable=True),
        sa.Column('gender_wish', sa.String(length=10), nullable=True),
        sa.Column('interests', sa.String(length=400), nullable=True),
        sa.Column('languages', sa.String(length=200), nullable=True),
        sa.Column('max_assignments', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_matching_profiles_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_matching_profiles')),
    )
    op.create_table(
        'signs_of_life',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_signal', sa.String(length=20), nullable=True),
        sa.Column('staff_seen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('threshold_days', sa.Integer(), server_default='14', nullable=False),
        sa.Column('step', sa.Integer(), server_default='0', nullable=False),
        sa.Column('step_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_signs_of_life_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_signs_of_life')),
    )
    op.create_table(
        'consents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=12), nullable=False),
        sa.Column('party', sa.String(length=120), nullable=True),
        sa.Column('how', sa.String(length=10), nullable=False),
        sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_consents_person_id_people'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by'], ['staff_users.id'], name=op.f('fk_consents_recorded_by_staff_users')),
        sa.ForeignKeyConstraint(['withdrawn_by'], ['staff_users.id'], name=op.f('fk_consents_withdrawn_by_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
        _check('consents', 'scope', ('texts', 'partner', 'relative', 'photos')),
    )
    op.create_index(op.f('ix_consents_person_id'), 'consents', ['person_id'])
    op.create_table(
        'reminder_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('text_nb', sa.String(length=300), nullable=False),
        sa.Column('text_en', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_reminder_templates_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_templates')),
        sa.UniqueConstraint('site_id', 'kind', name=op.f('uq_reminder_templates_site_id_kind')),
    )
    op.create_table(
        'reminder_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('text', sa.String(length=300), nullable=True),
        sa.Column('every_days', sa.Integer(), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('day_of_month', sa.Integer(), nullable=True),
        sa.Column('weekday', sa.Integer(), nullable=True),
        sa.Column('at', sa.String(length=5), nullable=False),
        sa.Column('missed_to_inbox', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_reminder_series_person_id_people'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_reminder_series_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_series')),
        _check('reminder_series', 'status', ('active', 'paused', 'ended')),
    )
    op.create_index(op.f('ix_reminder_series_person_id'), 'reminder_series', ['person_id'])
    op.create_index(op.f('ix_reminder_series_next_due_at'), 'reminder_series', ['next_due_at'])
    op.create_table(
        'reminder_occurrences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('series_id', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('missed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['series_id'], ['reminder_series.id'], name=op.f('fk_reminder_occurrences_series_id_reminder_series'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_occurrences')),
        sa.UniqueConstraint('series_id', 'due_at', name=op.f('uq_reminder_occurrences_series_id_due_at')),
    )
    op.create_index(op.f('ix_reminder_occurrences_series_id'), 'reminder_occurrences', ['series_id'])
    op.create_table(
        'phone_sharers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contact_point_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('code_word', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['contact_point_id'], ['contact_points.id'], name=op.f('fk_phone_sharers_contact_point_id_contact_points'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_phone_sharers_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_sharers')),
        sa.UniqueConstraint('contact_point_id', 'person_id', name=op.f('uq_phone_sharers_contact_point_id_person_id')),
    )
    op.create_index(op.f('ix_phone_sharers_contact_point_id'), 'phone_sharers', ['contact_point_id'])
    # "Hvem svarer?": the answer a shared phone sent that waits for a name (plain ADD COLUMN).
    op.add_column('contact_points', sa.Column('who_pending', sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column('contact_points', 'who_pending')
    for table in (
        'phone_sharers',
        'reminder_occurrences',
        'reminder_series',
        'reminder_templates',
        'consents',
        'signs_of_life',
        'matching_profiles',
        'assignment_meetings',
        'volunteer_assignments',
    ):
        op.drop_table(table)
