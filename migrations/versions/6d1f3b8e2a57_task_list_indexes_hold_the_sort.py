"""The task lists' indexes hold every column the lists sort on (and the queue's filter columns on
PostgreSQL), so that a long queue is counted and paged from the index alone

Revision ID: 6d1f3b8e2a57
Revises: 2c7e5a9f0d41
Create Date: 2026-12-01

"""
from alembic import op


revision = '6d1f3b8e2a57'
down_revision = '2c7e5a9f0d41'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_queue')
        batch_op.drop_index('ix_human_task_assignee')
        batch_op.create_index('ix_human_task_queue', ['status', 'structure_id', 'role', 'priority', 'due_at',
                                                      'created_at', 'id'],
                              unique=False, postgresql_include=['process_key', 'bpmn_id'])
        batch_op.create_index('ix_human_task_assignee', ['status', 'assignee_id', 'priority', 'due_at', 'created_at',
                                                         'id'], unique=False)


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_assignee')
        batch_op.drop_index('ix_human_task_queue')
        batch_op.create_index('ix_human_task_assignee', ['status', 'assignee_id', 'due_at'], unique=False)
        batch_op.create_index('ix_human_task_queue', ['status', 'structure_id', 'role', 'priority', 'due_at'],
                              unique=False)
