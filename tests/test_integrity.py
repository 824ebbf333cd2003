"""`spro check` and `queries.integrity.journey_differences`: journeys driven through their real paths
(referrals answered every way, timers fired, a coordinator's reassignment, a CEP with parallel funding
requests, the demo people) show no difference; each kind of corruption is reported in French; the check
changes nothing and never runs a service."""
import uuid
from datetime import datetime, timedelta

from cep_steps import decide, level1, level2, open_cep, plan, submit_all, validate_project
from conftest import get_user, statements_of
from sqlalchemy import delete, func, select, update
from test_orientation import (accept, answer, confirm, do, inform, choose, latest_referral, send, start_referral,
                              structure, the_task)
from test_orientation_timers import MONDAY, fire_at, now  # noqa: F401  (the movable clock fixture)

from webapp.cli import main
from webapp.extensions import db
from webapp.models import AuditEvent, DefinitionVersion, HumanTask, Journey, OutboxMessage, Referral
from webapp.operations import audit
from webapp.operations.referrals import reassign_referral
from webapp.operations.retention import anonymise_person
from webapp.queries.integrity import journey_differences


def lines(journey) -> list[str]:
    return [d.what for d in journey_differences([journey.id])]


def corrupt(statement) -> None:
    db.session.execute(statement)
    db.session.commit()


def waiting_referral() -> tuple[Journey, Referral]:
    """Mission Locale -> CIO d'Orléans, sent on Monday 27 April 2026 09:00 UTC, unanswered."""
    journey = start_referral()
    return journey, send(journey)


# -- real paths: no difference ----------------------------------------------------------------------

def test_referrals_driven_through_every_path_show_no_difference(now):
    """Accepted then confirmed; refused then sent elsewhere; redirected; reminded, escalated and
    expired by the timers; reassigned by the coordinator; missed first contact; abandoned: does the
    check find every journey consistent, whatever the batch size?"""
    aboutie = start_referral()
    send(aboutie)
    accept(aboutie)
    confirm(aboutie)

    refused = start_referral()
    send(refused)
    answer(refused, {"reponse": "refuser", "motif_refus": "capacite"})
    send(refused, "ft-orleans")
    accept(refused, username="lucas.moreau")  # waits for the first contact

    redirected = start_referral()
    send(redirected)
    answer(redirected, {"reponse": "rediriger", "partenaire_redirection_id": structure("crij-orleans").id,
                        "commentaire": "Atelier métiers au CRIJ.", "personne_informee": True})

    expired, first = waiting_referral()
    fire_at(now, datetime(2026, 5, 5, 9, 1))  # reminder
    fire_at(now, datetime(2026, 5, 13, 9, 1))  # escalation
    assert lines(expired) == []
    fire_at(now, datetime(2026, 6, 12, 9, 1))  # expiry: the sender chooses again
    assert db.session.get(Referral, first.id).status == "expiree"
    the_task(expired, "choisir_partenaire")

    reassigned, stuck = waiting_referral()
    reassign_referral(get_user("olivier.lambert"), stuck.id, structure("ft-orleans").id, "CIO fermé.", True)
    db.session.commit()

    missed = start_referral()
    send(missed)
    accept(missed)
    confirm(missed, outcome="non_venue")

    abandoned = start_referral()
    do("claire.martin", the_task(abandoned, "choisir_partenaire"),
       {"decision": "abandonner", "motif_abandon": "La personne a trouvé un stage seule."})

    journeys = [aboutie, refused, redirected, expired, reassigned, missed, abandoned]
    statuses = {db.session.get(Journey, j.id).status for j in journeys}
    assert statuses == {"en_cours", "terminee"}
    assert {r.status for r in db.session.scalars(select(Referral))} >= {
        "aboutie", "acceptee", "refusee", "redirigee", "ouverte", "expiree", "reaffectee"}
    assert list(journey_differences()) == []
    counted = []
    assert list(journey_differences(batch=2, progress=counted.append)) == []
    assert sum(counted) == db.session.scalar(select(func.count(Journey.id))) and len(counted) >= 4


def test_a_cep_with_parallel_funding_requests_and_a_revised_plan_shows_no_difference(ctx):
    """A CEP journey through a partial grant (multi-instance requests, a second plan): consistent?"""
    journey = open_cep()
    level1(journey)
    level2(journey)
    validate_project(journey)
    plan(journey, {"cpf": "3200", "transitions_pro": "5200"})
    submit_all(journey)
    decide(journey, "CPF", "accorde")
    assert list(journey_differences()) == []  # one request decided, the other still waiting
    decide(journey, "Transitions", "partiel", "4 000")
    plan(journey, {"cpf": "3200", "transitions_pro": "4000", "abondement_region": "1200"})
    assert list(journey_differences()) == []


def test_the_demo_people_show_no_difference(ctx):
    """The demo (people at every stage, dated over months) passes the check."""
    from webapp.demo_people import seed_demo_people
    seed_demo_people()
    db.session.commit()
    assert db.session.scalar(select(func.count(Journey.id))) > 50
    assert list(journey_differences()) == []


# -- each kind of difference ------------------------------------------------------------------------

def test_an_open_task_the_engine_does_not_wait_for_and_a_waited_step_without_task(ctx):
    journey = start_referral()
    choice = the_task(journey, "choisir_partenaire")
    corrupt(update(HumanTask).where(HumanTask.id == choice.id).values(task_uuid=str(uuid.uuid4())))
    assert lines(journey) == [
        "tâche « Choisir le partenaire » ouverte dans la file mais le moteur ne l'attend pas",
        "le moteur attend « Choisir le partenaire » mais aucune tâche n'est ouverte dans la file"]


def test_a_waited_step_whose_task_is_marked_cancelled(ctx):
    journey = start_referral()
    choice = the_task(journey, "choisir_partenaire")
    corrupt(update(HumanTask).where(HumanTask.id == choice.id).values(status="annulee", completed_at=MONDAY))
    assert lines(journey) == [
        "le moteur attend « Choisir le partenaire » mais sa tâche est marquée annulée dans la file"]


def test_an_open_task_of_another_step_or_another_version(ctx):
    journey = start_referral()
    choice = the_task(journey, "choisir_partenaire")
    corrupt(update(HumanTask).where(HumanTask.id == choice.id).values(bpmn_id="informer_personne"))
    assert lines(journey) == ["tâche « Choisir le partenaire » ouverte dans la file pour l'étape « informer_personne » "
                              "mais le moteur attend l'étape « choisir_partenaire »"]
    other = db.session.scalar(select(DefinitionVersion).where(DefinitionVersion.process_key == "cep"))
    corrupt(update(HumanTask).where(HumanTask.id == choice.id)
            .values(bpmn_id="choisir_partenaire", definition_version_id=other.id))
    mine = db.session.get(Journey, journey.id).definition
    assert lines(journey) == [f"tâche « Choisir le partenaire » ouverte sur « {other.name} » version {other.version} "
                              f"alors que le parcours est sur « {mine.name} » version {mine.version}"]


def test_an_ended_journey_marked_in_progress(ctx):
    journey = start_referral()
    do("claire.martin", the_task(journey, "choisir_partenaire"),
       {"decision": "abandonner", "motif_abandon": "Plus de besoin."})
    assert lines(journey) == []
    corrupt(update(Journey).where(Journey.id == journey.id).values(status="en_cours"))
    [first, second] = lines(journey)
    assert first == "le parcours est marqué en cours mais le moteur l'a fini"
    assert second.startswith("le parcours est marqué en cours mais une fin est enregistrée le ")


def test_a_waiting_journey_marked_ended_with_its_task_still_open(ctx):
    journey = start_referral()
    corrupt(update(Journey).where(Journey.id == journey.id).values(status="terminee", ended_at=MONDAY))
    assert lines(journey) == ["le parcours est marqué terminé mais le moteur ne l'a pas fini",
                              "1 tâche(s) encore ouverte(s) dans la file alors que le parcours est terminé"]


def test_an_incident_without_its_reason(ctx):
    journey = start_referral()
    corrupt(update(Journey).where(Journey.id == journey.id).values(status="incident", incident="Le moteur a refusé."))
    assert lines(journey) == []  # an incident is not compared with the engine's progress
    corrupt(update(Journey).where(Journey.id == journey.id).values(incident=None))
    assert lines(journey) == ["le parcours est marqué en incident sans motif enregistré"]


def test_a_next_timer_that_differs_from_the_engine_is_given_in_paris_time(now):
    journey, referral = waiting_referral()
    assert referral.remind_at == datetime(2026, 5, 5, 9, 0)  # 11:00 in Paris (summer time)
    corrupt(update(Journey).where(Journey.id == journey.id).values(next_timer_at=datetime(2026, 5, 5, 10, 0)))
    assert lines(journey) == ["prochaine échéance enregistrée le 05/05/2026 à 12:00:00 mais le moteur attend "
                              "le 05/05/2026 à 11:00:00"]
    corrupt(update(Journey).where(Journey.id == journey.id).values(next_timer_at=None))
    assert lines(journey) == [
        "aucune prochaine échéance enregistrée mais le moteur attend le 05/05/2026 à 11:00:00"]
    # the same instant with a different fraction of a second is the same timer
    corrupt(update(Journey).where(Journey.id == journey.id).values(next_timer_at=datetime(2026, 5, 5, 9, 0, 0, 4200)))
    assert lines(journey) == []


def test_a_timer_recorded_on_a_journey_that_waits_for_none(ctx):
    journey = start_referral()  # « Choisir le partenaire » has no timer
    corrupt(update(Journey).where(Journey.id == journey.id).values(next_timer_at=datetime(2026, 1, 15, 12, 0)))
    assert lines(journey) == ["prochaine échéance enregistrée le 15/01/2026 à 13:00:00 mais le moteur n'attend "
                              "aucune échéance"]


def test_a_referral_whose_state_does_not_match_the_step_waiting_on_it(ctx):
    journey, referral = waiting_referral()
    cio = structure("cio-orleans").name
    corrupt(update(Referral).where(Referral.id == referral.id).values(status="acceptee", answered_at=MONDAY))
    assert lines(journey) == [
        f"tâche « Répondre à l'orientation reçue » ouverte dans la file de {cio} sans orientation ouverte vers "
        "cette structure",
        f"orientation n°{referral.id} vers {cio} acceptée mais aucune tâche ouverte ne l'attend dans la file "
        "de cette structure"]


def test_an_open_referral_nobody_is_asked_to_answer(ctx):
    journey, referral = waiting_referral()
    response = the_task(journey, "traiter_orientation")
    corrupt(update(HumanTask).where(HumanTask.id == response.id)
            .values(structure_id=structure("ml-orleans").id))  # in the sender's queue instead
    cio, ml = structure("cio-orleans").name, structure("ml-orleans").name
    assert lines(journey) == [
        f"orientation n°{referral.id} vers {cio} ouverte mais aucune tâche ouverte ne l'attend dans la file "
        "de cette structure",
        f"tâche « Répondre à l'orientation reçue » ouverte dans la file de {ml} sans orientation ouverte vers "
        "cette structure"]


def test_a_closed_referral_without_its_closing_date(ctx):
    journey, referral = waiting_referral()
    accept(journey)
    confirm(journey)
    corrupt(update(Referral).where(Referral.id == referral.id).values(closed_at=None))
    assert lines(journey) == [f"orientation n°{referral.id} aboutie sans date de clôture"]


def test_a_completed_step_without_its_audit_entry(ctx):
    journey = start_referral()
    welcome = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == journey.id,
                                                        HumanTask.bpmn_id == "accueillir"))
    events = [e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "task.completed"))
              if e.detail == {"task_id": welcome.id}]
    assert len(events) == 1
    corrupt(delete(AuditEvent).where(AuditEvent.id == events[0].id))
    [line] = lines(journey)
    assert line.startswith(f"tâche « {welcome.title} » terminée le ")
    assert line.endswith(" sans son entrée « Étape enregistrée » dans le journal d'audit")


def test_steps_older_than_the_audit_retention_or_of_an_anonymised_person_need_no_entry(now, app):
    """The worker purges events past AUDIT_RETENTION_DAYS and anonymisation empties their details:
    neither is a difference."""
    old = start_referral()
    now.current = MONDAY + timedelta(days=app.config["AUDIT_RETENTION_DAYS"] + 2)
    assert audit.purge_expired(now.current) > 0
    db.session.commit()
    anonymous = start_referral()
    anonymise_person(anonymous.person_id, now.current)
    db.session.commit()
    assert all(e.detail is None for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.person_id == anonymous.person_id)))
    assert lines(old) == [] and lines(anonymous) == []


def test_a_state_the_engine_cannot_read(ctx):
    journey = start_referral()
    corrupt(update(Journey).where(Journey.id == journey.id).values(state='{"tasks": '))
    [line] = lines(journey)
    assert line.startswith("l'état du moteur ne peut pas être relu (")


# -- read-only -------------------------------------------------------------------------------------

def test_the_check_writes_nothing_and_fires_no_due_timer(now, app):
    """A referral past its expiry that no worker has fired yet: the check reports nothing (the stored
    next timer is the engine's), writes no row and sends no message."""
    journey, referral = waiting_referral()
    now.current = datetime(2026, 7, 1, 9, 0)
    row_version = db.session.get(Journey, journey.id).row_version
    messages = db.session.scalar(select(func.count(OutboxMessage.id)))
    found, statements = statements_of(app, lambda: list(journey_differences()))
    assert found == []
    assert not [s for s in statements if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert db.session.get(Referral, referral.id).status == "ouverte"
    assert db.session.get(Journey, journey.id).row_version == row_version
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == messages


# -- the command -----------------------------------------------------------------------------------

def test_spro_check_exit_codes_lines_and_summary(app):
    runner = app.test_cli_runner()
    with app.app_context():
        good, bad = start_referral(), start_referral()
        corrupt(update(Journey).where(Journey.id == bad.id).values(next_timer_at=datetime(2026, 1, 15, 12, 0)))
        good_id, bad_id = good.id, bad.id
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        f"Parcours {bad_id} : prochaine échéance enregistrée le 15/01/2026 à 13:00:00 mais le moteur n'attend "
        "aucune échéance",
        "2 parcours vérifié(s), 1 incohérent(s)."]

    result = runner.invoke(main, ["check", "--parcours", str(good_id)])
    assert (result.exit_code, result.output) == (0, "1 parcours vérifié(s), 0 incohérent(s).\n")

    result = runner.invoke(main, ["check", "--parcours", str(good_id), "--parcours", str(bad_id + 1000)])
    assert result.exit_code == 1
    assert f"Parcours {bad_id + 1000} : introuvable dans la base (vérifiez le numéro)." in result.output
    assert "1 parcours vérifié(s), 0 incohérent(s), 1 introuvable(s)." in result.output

