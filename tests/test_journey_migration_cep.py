"""Moving waiting journeys inside loops, multi-instances and sub-processes: the CEP journey."""
from conftest import get_user
from test_journey_migration import PILOTE, ROOT, open_rows, version_of
from test_orientation import the_task

from webapp import clock
from webapp.extensions import db
from webapp.models import Journey, JourneyMigration
from webapp.operations import journey_migrations as migration_ops
from webapp.operations.studio import publish_draft, save_draft
from webapp.queries import journey_migrations as migration_q
from webapp.workdays import add_working_days

# -- loops, multi-instances and sub-processes: the CEP ---------------------------------------------

CEP = (ROOT / "processes" / "cep.bpmn").read_text()
ENTRY_FORM = '<spiffworkflow:property name="formJsonSchemaFilename" value="cep_entree_formation.schema.json"/>'


def test_cep_journeys_inside_loops_and_parallel_requests_move_and_end_on_the_new_version(ctx, restore_versions):
    """A CEP waiting for a funder's decision (a parallel request inside the funding loop) and one at
    its second counselling session (a loop task) move when only the training entry step changed; the
    first then revises its plan and ends on the new version, whose entry step is due in 5 working days."""
    from cep_steps import ADVISER as SOPHIE
    from cep_steps import decide, level1, level2, open_cep, plan, request_tasks, submit_all, validate_project
    from test_orientation import do
    funding = open_cep()
    level1(funding, suite="validation")
    validate_project(funding)
    plan(funding, {"cpf": "3200", "transitions_pro": "5200"})
    submit_all(funding)
    decide(funding, "CPF", "accorde")
    session = open_cep()
    level1(session)
    level2(session, suite="poursuivre")
    rows = {j.id: open_rows(j.id) for j in (funding, session)}
    assert [r[3] for r in rows[session.id]] == ["Accompagnement personnalisé (niveau 2) n°2"]
    xml = CEP.replace(ENTRY_FORM, ENTRY_FORM + '<spiffworkflow:property name="dueInWorkingDays" value="5"/>')
    assert xml != CEP
    pilote = get_user(PILOTE)
    save_draft(pilote, "cep", "bpmn", "cep.bpmn", xml)
    publish_draft(pilote, "cep", "bpmn", "Échéance de l'entrée en formation")
    db.session.commit()

    assert migration_q.preview("cep", 1, 2)["movable"] == 2
    migration = migration_ops.start_migration(pilote, "cep", 1, 2)
    db.session.commit()
    migration_ops.run_batch(migration.id)
    db.session.expire_all()
    assert db.session.get(JourneyMigration, migration.id).moved == 2
    assert (version_of(funding.id), version_of(session.id)) == (2, 2)
    assert {j: open_rows(j) for j in rows} == rows  # same tasks, titles (n°2) and deadlines

    funding = db.session.get(Journey, funding.id)
    decide(funding, "Transitions", "partiel", "4 000")
    plan(funding, {"cpf": "3200", "transitions_pro": "4000", "abondement_region": "1200"})
    assert list(request_tasks(funding, "preparer_demande")) == ["Région Centre-Val de Loire"]
    submit_all(funding)
    decide(funding, "Région", "accorde")
    entry = the_task(funding, "confirmer_entree")
    assert entry.due_at == add_working_days(entry.created_at, 5)
    do(SOPHIE, entry, {"entree": "confirmee", "date_entree": clock.now().date().isoformat()})
    db.session.expire_all()
    funding = db.session.get(Journey, funding.id)
    assert (funding.status, funding.end_event) == ("terminee", "fin_entree_formation")

    session = db.session.get(Journey, session.id)
    level2(session)
    assert the_task(session, "valider_projet").title == "Valider le projet"
