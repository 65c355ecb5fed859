"""staff belong to sites

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_sites',
        sa.Column('staff_user_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_staff_sites_site_id_sites'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_staff_sites_staff_user_id_staff_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('staff_user_id', 'site_id', name=op.f('pk_staff_sites')),
    )
    # Coordinators made before sites were boundaries keep seeing what they saw: every site.
    op.execute(
        "INSERT INTO staff_sites (staff_user_id, site_id) "
        "SELECT staff_users.id, sites.id FROM staff_users, sites "
        "WHERE staff_users.role <> 'admin'"
    )


def downgrade() -> None:
    op.drop_table('staff_sites')
