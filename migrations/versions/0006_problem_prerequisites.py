"""problem prerequisites: the problems to solve first, for the problem list's suggested order

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Existing problems have none until their package is imported again.
    op.add_column('problems', sa.Column('prerequisites', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table('problems') as batch:
        batch.drop_column('prerequisites')
