"""Progress on the plan's measures (issue 31): each measure's value by period (a month or a
quarter), and each measure's baseline and target, for one community.

Revision ID: 0010_progress
Revises: 0008_session_fresh_link
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_progress'
down_revision = '0008_session_fresh_link'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('progress_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('measure', sa.String(length=120), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('interview_id', 'period', 'measure')
    )
    with op.batch_alter_table('progress_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_entries_interview_id'), ['interview_id'],
                              unique=False)
    op.create_table('progress_goals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=120), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('interview_id', 'measure')
    )
    with op.batch_alter_table('progress_goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_goals_interview_id'), ['interview_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('progress_goals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_goals_interview_id'))
    op.drop_table('progress_goals')
    with op.batch_alter_table('progress_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_entries_interview_id'))
    op.drop_table('progress_entries')
