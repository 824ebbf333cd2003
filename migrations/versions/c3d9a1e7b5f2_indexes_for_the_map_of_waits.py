"""Indexes for the map of waits at scale: steps entered and journeys ended over a period, the journey
of each waiting task in the heatmap index (PostgreSQL)

Revision ID: c3d9a1e7b5f2
Revises: a18143c56643
Create Date: 2026-12-01

"""
from alembic import op


revision = 'c3d9a1e7b5f2'
down_revision = 'a18143c56643'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_heatmap')
        batch_op.create_index('ix_human_task_heatmap', ['process_key', 'status', 'bpmn_id', 'created_at'],
                              unique=False, postgresql_include=['journey_id'])
        batch_op.create_index('ix_human_task_entered', ['process_key', 'created_at'], unique=False)
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.create_index('ix_journey_ended', ['process_key', 'ended_at'], unique=False)


def downgrade():
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_ended')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_entered')
        batch_op.drop_index('ix_human_task_heatmap')
        batch_op.create_index('ix_human_task_heatmap', ['process_key', 'status', 'bpmn_id', 'created_at'], unique=False)
