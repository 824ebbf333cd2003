"""Process owners' drafts, the change note of a published version, indexes for the map of waits

Revision ID: fac23bf6f401
Revises: abfd5d014b2f
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fac23bf6f401'
down_revision = 'abfd5d014b2f'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('definition_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('based_on_id', sa.Integer(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['based_on_id'], ['definition_version.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('definition_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_definition_draft_process_key'), ['process_key'], unique=False)

    with op.batch_alter_table('definition_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_note', sa.Text(), nullable=True))
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_heatmap', ['process_key', 'status', 'bpmn_id', 'created_at'], unique=False)
        batch_op.create_index('ix_human_task_done', ['process_key', 'status', 'completed_at'], unique=False)

    


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_done')
        batch_op.drop_index('ix_human_task_heatmap')
    
    with op.batch_alter_table('definition_version', schema=None) as batch_op:
        batch_op.drop_column('change_note')

    with op.batch_alter_table('definition_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_definition_draft_process_key'))

    op.drop_table('definition_draft')
    
