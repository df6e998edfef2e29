"""submission show_hidden: an admin's submission whose report shows hidden cases like samples

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Submissions judged before this revision showed no hidden case.
    op.add_column('submissions', sa.Column('show_hidden', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('show_hidden')
