"""Plan renders (issue 16): each plan's PDF, rendered in the background and stored here, keyed
by a digest of the renderer and the plan's HTML, so every worker and host serves it and it
survives a restart. A row is a claim while it is rendered (kept alive by its heartbeat).

Revision ID: 0006_plan_renders
Revises: 0005_questions_version
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_plan_renders'
down_revision = '0005_questions_version'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plan_renders',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('plan_renders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_renders_interview_id'), ['interview_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plan_renders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_renders_interview_id'))
    op.drop_table('plan_renders')
