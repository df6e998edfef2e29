"""submission events: the steps of a submission's judging, streamed to its page and clients

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_submission_events_submission', 'submission_events', ['submission_id', 'id'])
    op.create_index('ix_submission_events_created', 'submission_events', ['created_at'])


def downgrade():
    op.drop_index('ix_submission_events_created', table_name='submission_events')
    op.drop_index('ix_submission_events_submission', table_name='submission_events')
    op.drop_table('submission_events')
