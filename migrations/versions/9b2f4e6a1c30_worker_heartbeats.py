"""Worker heartbeats: each running worker refreshes its row at every pass

Revision ID: 9b2f4e6a1c30
Revises: 5e1b7c4a9d20
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = '9b2f4e6a1c30'
down_revision = '5e1b7c4a9d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'worker_heartbeat',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('beat_at', sa.DateTime(), nullable=False),
        sa.Column('passes', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade():
    op.drop_table('worker_heartbeat')
