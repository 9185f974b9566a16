"""A TTA provider's portfolio (issue 31): organizations, each consultant's place in one (a
consultant or a supervisor), and each community's state answer stored beside its dashboard
line (`interviews.list_state`, filled here from the stored answers) for the filter and map.

Revision ID: 0011_portfolio
Revises: 0010_progress
Create Date: 2026-12-04
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0011_portfolio'
down_revision = '0010_progress'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_state', sa.String(length=10), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.create_index('ix_interviews_portfolio',
                              ['owner_id', 'parent_id', 'archived', 'list_state'], unique=False)
    interviews = sa.table('interviews', sa.column('id', sa.Integer()),
                          sa.column('answers_json', sa.Text()),
                          sa.column('list_state', sa.String()))
    connection = op.get_bind()
    for row_id, stored in connection.execute(sa.select(interviews.c.id,
                                                       interviews.c.answers_json)):
        try:
            found = json.loads(stored or '{}').get('state')
        except (ValueError, AttributeError):
            continue
        if isinstance(found, str) and found:
            connection.execute(interviews.update().where(interviews.c.id == row_id)
                               .values(list_state=found[:10]))
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('organization_members',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    with op.batch_alter_table('organization_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_members_organization_id'),
                              ['organization_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('organization_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_members_organization_id'))
    op.drop_table('organization_members')
    op.drop_table('organizations')
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_index('ix_interviews_portfolio')
        batch_op.drop_column('list_state')
