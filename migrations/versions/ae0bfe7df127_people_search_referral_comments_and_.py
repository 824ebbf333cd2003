"""people search, referral comments and urgency, unread messages

Revision ID: ae0bfe7df127
Revises: ff1e5e92098d
Create Date: 2026-12-01 05:57:18.634038

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ae0bfe7df127'
down_revision = 'ff1e5e92098d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('person_access',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('last_contact_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('person_id', 'structure_id')
    )
    with op.batch_alter_table('person_access', schema=None) as batch_op:
        batch_op.create_index('ix_person_access_recent', ['structure_id', 'last_contact_at'], unique=False)

    op.create_table('person_search_term',
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=80).with_variant(sa.String(length=80, collation='C'), 'postgresql'), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('structure_id', 'term', 'person_id')
    )
    with op.batch_alter_table('person_search_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_search_term_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('previous_login_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('messages_seen_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_index(batch_op.f('ix_human_task_queue'))
        batch_op.create_index('ix_human_task_queue', ['status', 'structure_id', 'role', 'priority', 'due_at'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_outbox_message_person_id_person', 'person', ['person_id'], ['id'])

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_person_merged_into_id_person', 'person', ['merged_into_id'], ['id'])

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.alter_column('decline_comment', new_column_name='answer_comment', existing_type=sa.Text())
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('first_contact_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('contact_comment', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('contact_comment')
        batch_op.drop_column('first_contact_at')
        batch_op.drop_column('urgent')
        batch_op.alter_column('answer_comment', new_column_name='decline_comment', existing_type=sa.Text())

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_constraint('fk_person_merged_into_id_person', type_='foreignkey')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_message_person_id_person', type_='foreignkey')
        batch_op.drop_column('person_id')

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_queue')
        batch_op.create_index(batch_op.f('ix_human_task_queue'), ['status', 'structure_id', 'role', 'due_at'], unique=False)
        batch_op.drop_column('priority')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('messages_seen_at')
        batch_op.drop_column('previous_login_at')
        batch_op.drop_column('last_login_at')

    with op.batch_alter_table('person_search_term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_search_term_person_id'))

    op.drop_table('person_search_term')
    with op.batch_alter_table('person_access', schema=None) as batch_op:
        batch_op.drop_index('ix_person_access_recent')

    op.drop_table('person_access')
