"""Questions version per stored answers (issue 15): each interview and each saved version
records the questions version its answers were written for, so answers saved under an older
questions version are carried over when read rather than misread or dropped.

Rows saved before this migration were written for questions version 1.

Revision ID: 0005_questions_version
Revises: 0004_sign_in_attempts
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_questions_version'
down_revision = '0004_sign_in_attempts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questions_version', sa.Integer(), nullable=False,
                                      server_default='1'))
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questions_version', sa.Integer(), nullable=False,
                                      server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_column('questions_version')
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_column('questions_version')
