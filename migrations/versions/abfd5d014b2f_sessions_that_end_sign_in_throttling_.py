"""Sessions that end, sign-in throttling, anonymisation, audit indexes

Revision ID: abfd5d014b2f
Revises: bd8ca766302b
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'abfd5d014b2f'
down_revision = 'bd8ca766302b'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('sign_in_throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', sa.DateTime(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_person_at', ['person_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_event_structure_at', ['structure_id', 'at'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))

    


def downgrade():
    
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_structure_at')
        batch_op.drop_index('ix_audit_event_person_at')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    op.drop_table('sign_in_throttle')
    
