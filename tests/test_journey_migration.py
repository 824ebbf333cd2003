"""Moving waiting journeys to a newer version: the preview (who can move, why the others cannot,
nothing written), the run journey by journey (task index and timers follow, the journey goes on to
its end on the new version), an interrupted run resumed, a failure on one journey, the audit. A step
and the migration at once, the screens, and the CEP's loops are in test_journey_migration_*.py.

The new versions change the `orientation` journey that `accueil` calls: publishing it gives
`accueil` version 2 as well; the referrals waiting on `accueil` version 1 are the ones migrated."""
import os
from pathlib import Path

import pytest
from conftest import get_user, statements_of
from sqlalchemy import select
from test_orientation import accept, confirm, do, open_tasks, send, start_referral, the_task

from webapp import clock
from webapp.errors import Conflict, InvalidData
from webapp.extensions import db
from webapp.models import AuditEvent, DefinitionVersion, HumanTask, Journey, JourneyMigration
from webapp.operations import journey_migrations as migration_ops
from webapp.operations.studio import publish_draft, save_draft
from webapp.queries import journey_migrations as migration_q
from webapp.queries.heatmap import ElementLoad, element_load
from webapp.workdays import add_working_days
from webapp.workflow import VersionDiff

ROOT = Path(__file__).resolve().parent.parent
ORIENTATION = (ROOT / "processes" / "orientation.bpmn").read_text()
PILOTE, ADVISER = "julien.mercier", "claire.martin"
CONFIRM_DUE = ('value="orientation_premier_contact.schema.json" /><spiffworkflow:property name="structureFromData" '
               'value="envoi[&quot;destinataire_id&quot;]" />'
               '<spiffworkflow:property name="dueInWorkingDays" value="{}" />')
CONFIRM_CHANGED = "attend à « Confirmer le premier contact », modifiée dans la version 2"
WAIT = 20


def acceptance() -> dict:
    """The receiver's answer « accepter », first appointment today."""
    return {"reponse": "accepter", "date_premier_rdv": clock.now().date().isoformat()}
ON_POSTGRES = (os.environ.get("SPRO_TEST_DATABASE_URL") or "").startswith("postgres")


def confirmation_due_in(days: int) -> str:
    """orientation.bpmn where « Confirmer le premier contact » is due in `days` working days (10 shipped)."""
    xml = ORIENTATION.replace(CONFIRM_DUE.format(10), CONFIRM_DUE.format(days))
    assert xml != ORIENTATION
    return xml


def without_contact_reminder() -> str:
    """orientation.bpmn without the reminder attached to « Confirmer le premier contact »."""
    gone = ("relance_contact", "relancer_contact", "fin_relance_contact", "t_relc", "t_relc2")
    lines = [line for line in ORIENTATION.splitlines()
             if not any(f'id="{g}"' in line or f'bpmnElement="{g}"' in line for g in gone)]
    xml = "\n".join(lines)
    for element in gone:
        xml = xml.replace(f"<bpmn:flowNodeRef>{element}</bpmn:flowNodeRef>", "")
    assert "relance_contact" not in xml.replace("orientation.relancer_contact", "")
    return xml


def with_a_step_before_the_first_contact() -> str:
    """orientation.bpmn with « Préparer le premier rendez-vous » between the acceptance and
    « Confirmer le premier contact », in the receiving structure's queue."""
    confirm_line = next(line for line in ORIENTATION.splitlines() if 'userTask id="confirmer_premier_contact"' in line)
    step = ('<bpmn:userTask id="preparer_rdv" name="Préparer le premier rendez-vous"><bpmn:extensionElements>'
            '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
            'value="orientation_premier_contact.schema.json" /><spiffworkflow:property name="structureFromData" '
            'value="envoi[&quot;destinataire_id&quot;]" /></spiffworkflow:properties></bpmn:extensionElements>'
            '<bpmn:incoming>t_acc2</bpmn:incoming><bpmn:outgoing>t_prep</bpmn:outgoing></bpmn:userTask>\n'
            '<bpmn:sequenceFlow id="t_prep" sourceRef="preparer_rdv" targetRef="confirmer_premier_contact" />')
    xml = ORIENTATION.replace(confirm_line, step + "\n" + confirm_line.replace(
        "<bpmn:incoming>t_acc2</bpmn:incoming>", "<bpmn:incoming>t_prep</bpmn:incoming>"))
    xml = xml.replace('sourceRef="accepter" targetRef="confirmer_premier_contact"',
                      'sourceRef="accepter" targetRef="preparer_rdv"')
    ref = "<bpmn:flowNodeRef>confirmer_premier_contact</bpmn:flowNodeRef>"
    xml = xml.replace(ref, ref + "<bpmn:flowNodeRef>preparer_rdv</bpmn:flowNodeRef>")
    assert xml.count("preparer_rdv") == 4
    return xml


def publish_orientation(xml: str) -> int:
    """Publish a new orientation; returns the number of the accueil version that follows it."""
    pilote = get_user(PILOTE)
    save_draft(pilote, "orientation", "bpmn", "orientation.bpmn", xml)
    publish_draft(pilote, "orientation", "bpmn", "Essai de migration")
    db.session.commit()
    current = db.session.scalar(select(DefinitionVersion).where(
        DefinitionVersion.process_key == "accueil", DefinitionVersion.is_current.is_(True)))
    return current.version


def waiting_for_answer() -> Journey:
    """A referral sent to the CIO, waiting at « Répondre à l'orientation reçue »."""
    journey = start_referral()
    send(journey)
    return journey


def waiting_for_contact() -> Journey:
    journey = waiting_for_answer()
    accept(journey)
    return journey


def version_of(journey_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Journey, journey_id).definition.version


def open_rows(journey_id: int) -> list[tuple]:
    rows = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey_id,
                                                      HumanTask.status == "ouverte").order_by(HumanTask.id))
    return [(r.id, r.task_uuid, r.bpmn_id, r.title, r.due_at, r.structure_id, r.form_key) for r in rows]


def start_and_run(batch: int = 200) -> JourneyMigration:
    migration = migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2)
    db.session.commit()
    migration_ops.run_batch(migration.id, batch)
    db.session.expire_all()
    return db.session.get(JourneyMigration, migration.id)


# -- eligibility and preview -----------------------------------------------------------------

def test_preview_says_who_can_move_and_why_the_others_cannot_writing_nothing(app, ctx, restore_versions):
    movable = waiting_for_answer()
    at_changed_step = waiting_for_contact()
    in_incident = waiting_for_answer()
    in_incident.status, in_incident.incident = "incident", "Essai"
    db.session.commit()
    assert publish_orientation(confirmation_due_in(8)) == 2

    found, statements = statements_of(app, lambda: migration_q.preview("accueil", "1", "2"))
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert (found["total"], found["movable"], found["kept"]) == (3, 1, 2)
    assert found["reasons"] == [(CONFIRM_CHANGED, 1), (migration_q.INCIDENT, 1)]
    assert [e["id"] for e in found["movable_examples"]] == [movable.id]
    assert {e["id"]: e["reason"] for e in found["kept_examples"]} == {
        at_changed_step.id: CONFIRM_CHANGED, in_incident.id: migration_q.INCIDENT}
    assert found["waiting"] == {1: 3}
    assert db.session.scalar(select(JourneyMigration.id)) is None


def test_a_journey_waiting_where_a_step_was_removed_stays_with_its_reason(ctx, restore_versions):
    movable = waiting_for_answer()
    kept = waiting_for_contact()
    publish_orientation(without_contact_reminder())
    found = migration_q.preview("accueil")  # by default: to the current version, from the one before
    assert (found["source"].version, found["target"].version) == (1, 2)
    assert [e["id"] for e in found["movable_examples"]] == [movable.id]
    # the reminder is gone and the step it was attached to changed with it: the step is named
    assert found["reasons"] == [(CONFIRM_CHANGED, 1)]
    assert [e["id"] for e in found["kept_examples"]] == [kept.id]
    old, new = (db.session.scalar(select(DefinitionVersion).where(
        DefinitionVersion.process_key == "accueil", DefinitionVersion.version == n)) for n in (1, 2))
    diff = VersionDiff(old.spec_json, new.spec_json)
    removed = diff.obstacle("tentative", "relance_contact", 8)  # 8: waiting
    assert (removed.name, removed.change, removed.waiting) == ("Relance du premier contact", "supprimée", True)
    assert migration_q.reason_for(removed, 2) == \
        "attend à « Relance du premier contact », supprimée dans la version 2"
    assert diff.obstacle("tentative", "relance_contact", 4) is None  # 4: predicted, not reached


def test_the_check_from_the_stored_state_and_from_the_restored_journey_agree(ctx, restore_versions):
    journeys = [waiting_for_answer(), waiting_for_contact()]
    publish_orientation(confirmation_due_in(8))
    from webapp.workflow import Instance
    old, new = (db.session.scalar(select(DefinitionVersion).where(
        DefinitionVersion.process_key == "accueil", DefinitionVersion.version == n)) for n in (1, 2))
    diff = VersionDiff(old.spec_json, new.spec_json)
    for journey in journeys:
        assert diff.obstacle_in_state(journey.state) == diff.obstacle_in(Instance.restore(old.spec_json, journey.state))
    assert VersionDiff(old.spec_json, old.spec_json).obstacle_in_state(journeys[1].state) is None


def test_versions_asked_must_exist_and_go_forward(ctx, restore_versions):
    waiting_for_answer()
    publish_orientation(confirmation_due_in(8))
    with pytest.raises(InvalidData, match="plus ancienne"):
        migration_q.preview("accueil", "2", "1")
    for wrong in ("un", "0", "-1", str(10**20)):
        with pytest.raises(InvalidData, match="nombre entier positif"):
            migration_q.preview("accueil", wrong, "2")
    with pytest.raises(Exception, match="n'existe pas"):
        migration_q.preview("accueil", "1", "9")
    with pytest.raises(InvalidData, match="n'a qu'une version"):
        migration_q.preview("cep")


def test_a_step_added_after_where_the_journey_waits_comes_after_the_move(ctx, restore_versions):
    """What is still to come is predicted again from the new version: the step added after the
    acceptance comes, then the journey ends as before."""
    journey = waiting_for_answer()
    kept = waiting_for_contact()
    publish_orientation(with_a_step_before_the_first_contact())
    found = migration_q.preview("accueil", 1, 2)
    # the one already past the acceptance stays: the acceptance's way out changed
    assert (found["movable"], found["reasons"]) == (
        1, [("a passé l'étape « Enregistrer l'acceptation », modifiée dans la version 2", 1)])
    start_and_run()
    moved = db.session.get(Journey, journey.id)
    accept(moved)
    step = the_task(moved, "preparer_rdv")
    receiver = the_task(kept, "confirmer_premier_contact").structure_id
    assert (step.title, step.structure_id) == ("Préparer le premier rendez-vous", receiver)
    do("isabelle.roux", step, {"premier_contact": "confirme", "date_premier_contact": clock.now().date().isoformat()})
    confirm(moved)
    db.session.expire_all()
    assert db.session.get(Journey, journey.id).end_label == "Orientation aboutie"


# -- the run ------------------------------------------------------------------------------

def test_a_moved_journey_keeps_its_tasks_and_timers_and_ends_on_the_new_version(ctx, restore_versions):
    journey = waiting_for_answer()
    kept = waiting_for_contact()
    rows_before, timer_before = open_rows(journey.id), journey.next_timer_at
    kept_rows = open_rows(kept.id)
    publish_orientation(confirmation_due_in(8))

    migration = start_and_run()
    assert (migration.status, migration.total, migration.moved, migration.kept) == ("terminee", 2, 1, 1)
    assert migration.kept_reasons == {CONFIRM_CHANGED: 1}
    assert migration.last_journey_id == max(journey.id, kept.id) and migration.finished_at is not None
    assert version_of(journey.id) == 2 and version_of(kept.id) == 1
    moved = db.session.get(Journey, journey.id)
    assert open_rows(journey.id) == rows_before  # same task (uuid kept), title, due date, queue
    assert moved.next_timer_at == timer_before is not None  # the reminder keeps its date
    assert open_rows(kept.id) == kept_rows

    accept(moved)  # the next step comes from version 2: due in 8 working days, not 10
    task = the_task(moved, "confirmer_premier_contact")
    assert task.due_at == add_working_days(task.created_at, 8)
    confirm(moved)
    db.session.expire_all()
    moved = db.session.get(Journey, journey.id)
    assert (moved.status, moved.end_label) == ("terminee", "Orientation aboutie")
    assert open_tasks(moved) == []

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "journeys.migrated")
                                .order_by(AuditEvent.id)).all()
    assert [e.user_id for e in events] == [get_user(PILOTE).id] * 2
    assert events[0].summary.endswith("lancée : 2 parcours « Accueil » en attente sur la "
                                      "version 1, vers la version 2")
    assert events[1].summary.endswith("terminée : parcours « Accueil », 1 passé(s) de la "
                                      "version 1 à la version 2, 1 resté(s) sur la version 1")
    assert events[1].detail["kept_reasons"] == {CONFIRM_CHANGED: 1}


def test_a_kept_journey_goes_on_on_its_own_version(ctx, restore_versions):
    kept = waiting_for_contact()
    publish_orientation(confirmation_due_in(8))
    start_and_run()
    confirm(db.session.get(Journey, kept.id))
    db.session.expire_all()
    journey = db.session.get(Journey, kept.id)
    assert (journey.status, journey.definition.version) == ("terminee", 1)


def test_the_map_of_waits_counts_a_moved_journey_on_its_new_version_and_its_done_steps_on_the_old(ctx, restore_versions):
    moved, kept = waiting_for_answer(), waiting_for_contact()
    first = moved.definition_version_id
    publish_orientation(confirmation_due_in(8))
    start_and_run()
    second = db.session.get(Journey, moved.id).definition_version_id
    assert second != first

    def waiting(version_id):
        return {step: load.waiting for step, load in element_load("accueil", version_id).items() if load.waiting}

    def completed(version_id, step):
        return element_load("accueil", version_id).get(step, ElementLoad(step)).completed

    assert waiting(second) == {"traiter_orientation": 1}  # the moved journey waits on version 2 now
    assert waiting(first) == {"confirmer_premier_contact": 1}  # the kept one only
    # the steps done before the move stay on the version they were done on
    assert completed(first, "accueillir") == 2 and completed(second, "accueillir") == 0
    assert completed(first, "traiter_orientation") == 1  # the kept journey's acceptance
    accept(db.session.get(Journey, moved.id))
    assert completed(second, "traiter_orientation") == 1 and completed(first, "traiter_orientation") == 1
    assert waiting(second) == {"confirmer_premier_contact": 1}
    assert element_load("accueil")["confirmer_premier_contact"].waiting == 2


def test_a_second_run_of_the_same_journey_is_refused_while_one_runs(ctx, restore_versions):
    waiting_for_answer()
    publish_orientation(confirmation_due_in(8))
    first = migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2)
    db.session.commit()
    with pytest.raises(Conflict, match=f"déjà en cours \\(n°{first.id}\\)"):
        migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2)
    db.session.rollback()
    assert migration_q.preview("accueil", 1, 2)["running"].id == first.id


def test_an_interrupted_run_resumes_from_its_cursor_and_moves_each_journey_once(ctx, restore_versions, monkeypatch):
    journeys = [waiting_for_answer().id for _ in range(5)]
    publish_orientation(confirmation_due_in(8))
    original, calls = VersionDiff.migrate, []

    def killed_at_the_third(self, instance, services=None):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the process stops in the middle of the third journey
        return original(self, instance, services)

    monkeypatch.setattr(VersionDiff, "migrate", killed_at_the_third)
    migration = migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2)
    db.session.commit()
    with pytest.raises(KeyboardInterrupt):
        migration_ops.run_batch(migration.id)
    db.session.rollback()
    db.session.expire_all()
    migration = db.session.get(JourneyMigration, migration.id)
    assert (migration.status, migration.moved, migration.kept) == ("en_cours", 2, 0)
    assert migration.last_journey_id == journeys[1]
    assert [version_of(j) for j in journeys] == [2, 2, 1, 1, 1]

    monkeypatch.setattr(VersionDiff, "migrate", original)
    rows_before = {j: open_rows(j) for j in journeys}
    assert migration_ops.run_batch(migration.id, batch=2) == 2  # one more batch, stopped after it
    db.session.expire_all()
    assert db.session.get(JourneyMigration, migration.id).last_journey_id == journeys[3]
    assert migration_ops.run_pending_migrations(batch=200) == 1  # the worker's pass ends it
    db.session.expire_all()
    migration = db.session.get(JourneyMigration, migration.id)
    assert (migration.status, migration.total, migration.moved, migration.kept) == ("terminee", 5, 5, 0)
    assert [version_of(j) for j in journeys] == [2] * 5
    assert {j: open_rows(j) for j in journeys} == rows_before  # one open task each, unchanged
    assert migration_ops.run_pending_migrations() == 0
    ends = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "journeys.migrated",
                                                       AuditEvent.summary.contains("terminée"))).all()
    assert len(ends) == 1


def test_a_failure_on_one_journey_rolls_back_that_journey_only(ctx, restore_versions, monkeypatch):
    journeys = [waiting_for_answer() for _ in range(3)]
    states = {j.id: (j.state, j.row_version) for j in journeys}
    publish_orientation(confirmation_due_in(8))
    original, calls = VersionDiff.migrate, []

    def failing_second(self, instance, services=None):
        calls.append(1)
        moved = original(self, instance, services)
        if len(calls) == 2:
            raise RuntimeError("panne")
        return moved

    monkeypatch.setattr(VersionDiff, "migrate", failing_second)
    migration = start_and_run()
    assert (migration.status, migration.moved, migration.kept) == ("terminee", 2, 1)
    assert migration.kept_reasons == {migration_ops.FAILED: 1}
    failed = db.session.get(Journey, journeys[1].id)
    assert (failed.state, failed.row_version) == states[failed.id] and failed.definition.version == 1
    assert [version_of(j.id) for j in journeys] == [2, 1, 2]


def test_one_pass_of_the_worker_runs_a_batch_of_the_pending_migration(app, ctx, restore_versions):
    from webapp.cli import main
    journeys = [waiting_for_answer().id for _ in range(2)]
    publish_orientation(confirmation_due_in(8))
    migration_id = migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2).id
    db.session.commit()
    result = app.test_cli_runner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    migration = db.session.get(JourneyMigration, migration_id)
    assert (migration.status, migration.moved) == ("terminee", 2)
    assert [version_of(j) for j in journeys] == [2, 2]
