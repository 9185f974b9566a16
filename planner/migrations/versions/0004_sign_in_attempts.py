"""Sign-in attempts per account, counted in the database (issue 13, found by a tester: an
in-memory count per worker let each gunicorn worker allow its own five guesses, and a burst
of parallel guesses got past a check-then-count).

Revision ID: 0004_sign_in_attempts
Revises: 0003_security
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_sign_in_attempts'
down_revision = '0003_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=254), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_attempts_account'), ['account'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_attempts_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_attempts_at'))
        batch_op.drop_index(batch_op.f('ix_sign_in_attempts_account'))
    op.drop_table('sign_in_attempts')
