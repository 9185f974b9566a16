"""Organizations set up from the web (issue 31): a membership is an invitation until the
consultant accepts it (`organization_members.joined`; every membership made before is
joined), and each organization's audit trail (`organization_events`).

Revision ID: 0012_organization_setup
Revises: 0011_portfolio
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012_organization_setup'
down_revision = '0011_portfolio'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organization_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.create_table('organization_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('organization_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_events_organization_id'),
                              ['organization_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('organization_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_events_organization_id'))
    op.drop_table('organization_events')
    with op.batch_alter_table('organization_members', schema=None) as batch_op:
        batch_op.drop_column('joined')
