"""Dashboard summaries (issue 16): each community's name, status and top pathway, stored on
save, and an index for listing a consultant's communities a page at a time.

Existing communities start with their stored name and no status; the dashboard computes the
rest the first time it shows them (planner.web.summaries).

Revision ID: 0003_dashboard_summary
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_dashboard_summary'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_name', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('list_status', sa.String(length=80), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('list_top', sa.String(length=300), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('list_kb', sa.String(length=16), nullable=False,
                                      server_default=''))
        batch_op.create_index('ix_interviews_dashboard',
                              ['owner_id', 'parent_id', 'archived', 'updated_at', 'id',
                               'list_name'],
                              unique=False)
    op.execute("UPDATE interviews SET list_name = name")


def downgrade() -> None:
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_index('ix_interviews_dashboard')
        batch_op.drop_column('list_kb')
        batch_op.drop_column('list_top')
        batch_op.drop_column('list_status')
        batch_op.drop_column('list_name')
