"""A private link just made is held on the signed-in session's row (issue 27) until its page
shows it once, instead of in the session cookie (signed, not encrypted).

Revision ID: 0008_session_fresh_link
Revises: 0007_plan_render_source
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_session_fresh_link'
down_revision = '0007_plan_render_source'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fresh_link', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('fresh_link')
