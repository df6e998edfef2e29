"""an index for the queue's fair order: each user's latest claim (max started_at) is one look-up

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_user_started', ['user_id', 'started_at'], unique=False)


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_user_started')
