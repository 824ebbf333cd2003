"""Outbox index on (status, created_at): the oldest waiting or failed message in one index read

Revision ID: 2c7e5a9f0d41
Revises: 9b2f4e6a1c30
Create Date: 2026-12-01

"""
from alembic import op


revision = '2c7e5a9f0d41'
down_revision = '9b2f4e6a1c30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_status_created', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status_created')
