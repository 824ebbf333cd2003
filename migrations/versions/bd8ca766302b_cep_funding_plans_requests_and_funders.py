"""CEP funding plans, requests and funders; the purpose of a referral (to a CEP operator)

Revision ID: bd8ca766302b
Revises: ae0bfe7df127
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bd8ca766302b'
down_revision = 'ae0bfe7df127'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('funder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('needs_request', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('funding_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('training_title', sa.String(length=300), nullable=False),
    sa.Column('training_organisation', sa.String(length=300), nullable=True),
    sa.Column('certification', sa.String(length=20), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('duration_hours', sa.Integer(), nullable=True),
    sa.Column('cost_teaching', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('cost_other', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('total_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('cpf_balance', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('journey_id', 'number')
    )
    with op.batch_alter_table('funding_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funding_plan_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_funding_plan_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_funding_plan_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_funding_plan_structure_id'), ['structure_id'], unique=False)

    op.create_table('funding_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('funder_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('amount_requested', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount_granted', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=True),
    sa.Column('submitted_at', sa.Date(), nullable=True),
    sa.Column('remind_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.Date(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('carried_from_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['carried_from_id'], ['funding_request.id'], ),
    sa.ForeignKeyConstraint(['funder_id'], ['funder.id'], ),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['funding_plan.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('funding_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funding_request_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_funding_request_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_funding_request_remind_at'), ['remind_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_funding_request_status'), ['status'], unique=False)

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('purpose')
    with op.batch_alter_table('funding_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funding_request_status'))
        batch_op.drop_index(batch_op.f('ix_funding_request_remind_at'))
        batch_op.drop_index(batch_op.f('ix_funding_request_plan_id'))
        batch_op.drop_index(batch_op.f('ix_funding_request_journey_id'))
    op.drop_table('funding_request')
    with op.batch_alter_table('funding_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funding_plan_structure_id'))
        batch_op.drop_index(batch_op.f('ix_funding_plan_status'))
        batch_op.drop_index(batch_op.f('ix_funding_plan_person_id'))
        batch_op.drop_index(batch_op.f('ix_funding_plan_journey_id'))

    op.drop_table('funding_plan')
    op.drop_table('funder')
