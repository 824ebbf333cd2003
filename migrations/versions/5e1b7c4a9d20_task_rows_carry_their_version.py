"""Each task row carries its journey's definition version, so the map of waits of one version reads the
task index alone (the heatmap index includes the version instead of the journey on PostgreSQL)

Revision ID: 5e1b7c4a9d20
Revises: c3d9a1e7b5f2
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1b7c4a9d20'
down_revision = 'c3d9a1e7b5f2'
branch_labels = None
depends_on = None

FOREIGN_KEY = 'human_task_definition_version_id_fkey'  # the name PostgreSQL gives it from the models


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('definition_version_id', sa.Integer(), nullable=True))
    # every row takes its journey's current version (a correlated subquery: SQLite and PostgreSQL alike)
    op.execute("UPDATE human_task SET definition_version_id = "
               "(SELECT journey.definition_version_id FROM journey WHERE journey.id = human_task.journey_id)")
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.alter_column('definition_version_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(FOREIGN_KEY, 'definition_version', ['definition_version_id'], ['id'])
        batch_op.drop_index('ix_human_task_heatmap')
        batch_op.create_index('ix_human_task_heatmap', ['process_key', 'status', 'bpmn_id', 'created_at'],
                              unique=False, postgresql_include=['definition_version_id'])


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_heatmap')
        batch_op.create_index('ix_human_task_heatmap', ['process_key', 'status', 'bpmn_id', 'created_at'],
                              unique=False, postgresql_include=['journey_id'])
        batch_op.drop_constraint(FOREIGN_KEY, type_='foreignkey')
        batch_op.drop_column('definition_version_id')
