"""The network's own duties: the follow-up after a service (follow-ups, anonymous answers, opt-out
links, the person's consent and refusal), the documentation library (resources, resources given), the
support programme (events, registrations), the public page's contact requests, the regional identity,
and the indicators' indexes (journeys by start and, index-only, by person and by id; referrals by
sending and by journey; the person's public by id)

Revision ID: 4caba4b694cc
Revises: 6d1f3b8e2a57
Create Date: 2026-12-01 18:34:53.940549

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4caba4b694cc'
down_revision = '6d1f3b8e2a57'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('followup_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=80), nullable=False),
    sa.Column('service_end_month', sa.String(length=7), nullable=False),
    sa.Column('found', sa.String(length=20), nullable=False),
    sa.Column('structure_fit', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('followup_answer', schema=None) as batch_op:
        batch_op.create_index('ix_followup_answer_month', ['service_end_month', 'structure_id'], unique=False)

    op.create_table('documentation_resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('publisher', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('publics', sa.JSON(), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('file_key', sa.String(length=64), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('file_type', sa.String(length=100), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=True),
    sa.Column('owner_structure_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('departement', sa.String(length=3), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('overdue_notified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['owner_structure_id'], ['structure.id'], ),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_key')
    )
    with op.batch_alter_table('documentation_resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documentation_resource_departement'), ['departement'], unique=False)
        batch_op.create_index(batch_op.f('ix_documentation_resource_owner_structure_id'), ['owner_structure_id'], unique=False)
        batch_op.create_index('ix_documentation_resource_review', ['review_on', 'overdue_notified_at'], unique=False)

    op.create_table('followup_opt_out_link',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('digest')
    )
    with op.batch_alter_table('followup_opt_out_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_opt_out_link_person_id'), ['person_id'], unique=False)

    op.create_table('regional_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('short_name', sa.String(length=40), nullable=False),
    sa.Column('primary_color', sa.String(length=7), nullable=False),
    sa.Column('accent_color', sa.String(length=7), nullable=False),
    sa.Column('header_text_color', sa.String(length=7), nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_type', sa.String(length=20), nullable=True),
    sa.Column('logo_sha256', sa.String(length=64), nullable=True),
    sa.Column('logo_width', sa.Integer(), nullable=True),
    sa.Column('logo_height', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('support_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=250), nullable=True),
    sa.Column('online_url', sa.String(length=500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('registered_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('networks', sa.JSON(), nullable=False),
    sa.Column('registration_deadline', sa.DateTime(), nullable=False),
    sa.Column('departement', sa.String(length=3), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reminder_sent_at', sa.DateTime(), nullable=True),
    sa.Column('attendance_recorded_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('support_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_event_departement'), ['departement'], unique=False)
        batch_op.create_index('ix_support_event_starts', ['starts_at'], unique=False)

    op.create_table('support_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['support_event.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'user_id', name='uq_support_registration_event_user')
    )
    with op.batch_alter_table('support_registration', schema=None) as batch_op:
        batch_op.create_index('ix_support_registration_event_status', ['event_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_registration_structure_id'), ['structure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_registration_user_id'), ['user_id'], unique=False)

    op.create_table('contact_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('public', sa.String(length=40), nullable=True),
    sa.Column('theme', sa.String(length=80), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('consent_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_request_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_request_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_request_structure_id'), ['structure_id'], unique=False)

    op.create_table('followup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('journey_id', sa.Integer(), nullable=True),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=80), nullable=False),
    sa.Column('service_end_month', sa.String(length=7), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('journey_id'),
    sa.UniqueConstraint('token_digest')
    )
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.create_index('ix_followup_due', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_person_id'), ['person_id'], unique=False)

    op.create_table('resource_given',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('given_at', sa.DateTime(), nullable=False),
    sa.Column('given_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['given_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['documentation_resource.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('resource_id', 'task_id', name='uq_resource_given_task')
    )
    with op.batch_alter_table('resource_given', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_given_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_given_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_given_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.create_index('ix_journey_started', ['process_key', 'started_at', 'structure_id'], unique=False)
        batch_op.create_index('ix_journey_reception_person', ['process_key', 'person_id'], unique=False,
                              postgresql_include=['started_at', 'structure_id'])
        batch_op.create_index('ix_journey_reception_id', ['process_key', 'id'], unique=False,
                              postgresql_include=['started_at', 'structure_id'])

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_consent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('contact_refused_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_person_public', ['id'], unique=False, postgresql_include=['public'])

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_sent', ['sent_at', 'to_structure_id', 'status'], unique=False)
        batch_op.create_index('ix_referral_journey_to', ['journey_id', 'to_structure_id'], unique=False,
                              postgresql_include=['sent_at'])



def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_journey_to')
        batch_op.drop_index('ix_referral_sent')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_public')
        batch_op.drop_column('contact_refused_at')
        batch_op.drop_column('contact_consent_at')

    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_reception_id')
        batch_op.drop_index('ix_journey_reception_person')
        batch_op.drop_index('ix_journey_started')

    with op.batch_alter_table('resource_given', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_given_task_id'))
        batch_op.drop_index(batch_op.f('ix_resource_given_resource_id'))
        batch_op.drop_index(batch_op.f('ix_resource_given_journey_id'))

    op.drop_table('resource_given')
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_person_id'))
        batch_op.drop_index('ix_followup_due')

    op.drop_table('followup')
    with op.batch_alter_table('contact_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_request_structure_id'))
        batch_op.drop_index(batch_op.f('ix_contact_request_person_id'))
        batch_op.drop_index(batch_op.f('ix_contact_request_journey_id'))

    op.drop_table('contact_request')
    with op.batch_alter_table('support_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_registration_user_id'))
        batch_op.drop_index(batch_op.f('ix_support_registration_structure_id'))
        batch_op.drop_index('ix_support_registration_event_status')

    op.drop_table('support_registration')
    with op.batch_alter_table('support_event', schema=None) as batch_op:
        batch_op.drop_index('ix_support_event_starts')
        batch_op.drop_index(batch_op.f('ix_support_event_departement'))

    op.drop_table('support_event')
    op.drop_table('regional_identity')
    with op.batch_alter_table('followup_opt_out_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_opt_out_link_person_id'))

    op.drop_table('followup_opt_out_link')
    with op.batch_alter_table('documentation_resource', schema=None) as batch_op:
        batch_op.drop_index('ix_documentation_resource_review')
        batch_op.drop_index(batch_op.f('ix_documentation_resource_owner_structure_id'))
        batch_op.drop_index(batch_op.f('ix_documentation_resource_departement'))

    op.drop_table('documentation_resource')
    with op.batch_alter_table('followup_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_answer_month')

    op.drop_table('followup_answer')
