"""Plan renders found by their source (issue 16): a digest of everything the plan's HTML is made
from, so a download finds its stored render without building the plan.

Revision ID: 0007_plan_render_source
Revises: 0006_plan_renders
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_plan_render_source'
down_revision = '0006_plan_renders'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plan_renders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=64), server_default='',
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_plan_renders_source'), ['source'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plan_renders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_renders_source'))
        batch_op.drop_column('source')
