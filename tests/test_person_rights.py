"""The person's rights (RGPD): anonymisation after two years without contact (controllable clock),
the list of dossiers soon anonymised, the access export (JSON and PDF, audited), rectification
audited, the end of a former receiver's access to a referral's snapshot, no-store API answers and
the worker's retention pass."""
import io
import json
from datetime import datetime, timedelta

import pytest
from conftest import api_token, csrf_from, get_user, login
from pypdf import PdfReader
from sqlalchemy import func, select

from test_orientation import (RECEIVER, SENDER, analysis, do, send, start_referral, structure, the_task,
                              welcome)
from test_orientation_timers import MovableClock
from webapp import clock
from webapp.cli import main
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, Journey, OutboxMessage, Person, PersonAccess, Referral
from webapp.operations.journeys import start_journey
from webapp.operations.people import update_identity
from webapp.operations.person_index import prune_ended_snapshots
from webapp.operations.referrals import reassign_referral
from webapp.operations.retention import anonymise_inactive
from webapp.queries.people_search import search_people
from webapp.queries.person_export import soon_anonymised
from webapp.queries.referrals import person_view

START = datetime(2026, 4, 27, 9, 0)
SECRET_NEED = "Léa Durand hésite entre deux métiers, sa mère travaille à la boulangerie Martin."


@pytest.fixture
def movable(monkeypatch):
    moving = MovableClock(START)
    monkeypatch.setattr(clock, "now", moving)
    return moving


def documented(username: str = SENDER) -> int:
    """Léa Durand welcomed and given documentation: a finished journey; returns the person id."""
    journey = start_journey(get_user(username), "accueil")
    db.session.commit()
    do(username, the_task(journey, "accueillir"), welcome())
    do(username, the_task(journey, "analyser_demande"),
       analysis("documentation", besoins=SECRET_NEED, documentation_remise="Fiches métiers pour Léa."))
    db.session.refresh(journey)
    assert journey.status == "terminee"
    return journey.person_id


def all_recorded_text(person_id: int) -> str:
    """Every place free text about the person could remain, as one string."""
    parts = [json.dumps(t.data, ensure_ascii=False) for t in db.session.scalars(
        select(HumanTask).where(HumanTask.person_id == person_id))]
    parts += [j.state for j in db.session.scalars(select(Journey).where(Journey.person_id == person_id))]
    parts += [json.dumps(r.shared_data, ensure_ascii=False) + str(r.motif) + str(r.answer_comment)
              for r in db.session.scalars(select(Referral).where(Referral.person_id == person_id))]
    parts += [m.subject + m.body for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.person_id == person_id))]
    parts += [e.summary + json.dumps(e.detail, ensure_ascii=False) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.person_id == person_id))]
    return "\n".join(parts)


def test_anonymised_after_two_years_without_contact_and_not_before(ctx, movable):
    """A day short of 730 days nothing happens; past it the identity and every free text go, the
    public, commune code, dates, states and steps stay; search no longer finds the name; the run
    is audited once with its count, and a second run does nothing."""
    person_id = documented()
    tasks_before = db.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.person_id == person_id))
    assert "Durand" in all_recorded_text(person_id) and "boulangerie" in all_recorded_text(person_id)
    movable.current = START + timedelta(days=729)
    assert anonymise_inactive(clock.now()) == 0
    assert search_people(get_user(SENDER), "durand")[0]

    movable.current = START + timedelta(days=731)
    assert anonymise_inactive(clock.now()) == 1
    db.session.commit()
    db.session.expire_all()
    person = db.session.get(Person, person_id)
    assert (person.prenom, person.nom, person.telephone, person.email, person.annee_naissance,
            person.commune) == (None,) * 6
    assert person.public == "scolaire" and person.commune_code == "45234"
    assert person.anonymised_at == movable.current and person.display_name == f"Personne anonyme n°{person_id}"
    recorded = all_recorded_text(person_id)
    for secret in ("Durand", "Léa", "boulangerie", "Fiches métiers", "06 11 22 33 44", "lea.durand"):
        assert secret not in recorded, (secret, recorded[max(0, recorded.find(secret) - 900):recorded.find(secret) + 100])
    analysed = db.session.scalar(select(HumanTask).where(HumanTask.person_id == person_id,
                                                         HumanTask.bpmn_id == "analyser_demande"))
    assert analysed.data["reponse"] == "documentation" and analysed.data["urgence"] == "normale"
    assert analysed.data["thematiques"] and "besoins" not in analysed.data
    journey = db.session.scalar(select(Journey).where(Journey.person_id == person_id))
    assert journey.status == "terminee" and journey.end_label and journey.started_at == START
    assert db.session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.person_id == person_id)) == tasks_before
    assert search_people(get_user(SENDER), "durand")[0] == []
    assert search_people(get_user(SENDER), "06 11")[0] == []
    [run] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.anonymised")).all()
    assert run.detail == {"count": 1} and run.kind == "write"
    assert anonymise_inactive(clock.now()) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "retention.anonymised")) == 1


def test_a_journey_in_progress_holds_anonymisation_back(ctx, movable):
    journey = start_referral()  # waits at the choice of partner
    movable.current = START + timedelta(days=3 * 365)
    assert anonymise_inactive(clock.now()) == 0
    assert db.session.get(Person, journey.person_id).nom == "Durand"


def test_a_new_contact_postpones_it_and_the_soon_list_follows(ctx, movable):
    """The person is listed 20 days before the date, with that date; a correction of the dossier
    (a contact) takes them off the list and off the next run."""
    person_id = documented()
    claire = get_user(SENDER)
    movable.current = START + timedelta(days=690)
    assert soon_anonymised(claire) == []
    movable.current = START + timedelta(days=710)
    [(listed, due)] = soon_anonymised(claire)
    assert listed.id == person_id and due == START + timedelta(days=730)
    assert soon_anonymised(get_user(RECEIVER)) == []  # another structure's people are not listed
    update_identity(claire, person_id, {**{k: v for k, v in welcome().items() if k in (
        "prenom", "nom", "annee_naissance", "telephone", "email", "public", "commune")}, "telephone": "06 99 88 77 66"})
    db.session.commit()
    assert soon_anonymised(claire) == []
    movable.current = START + timedelta(days=731)
    assert anonymise_inactive(clock.now()) == 0
    movable.current = START + timedelta(days=710 + 731)
    assert anonymise_inactive(clock.now()) == 1


def test_the_soon_list_screen(app, movable):
    with app.app_context():
        person_id = documented()
    movable.current = START + timedelta(days=720)
    client = app.test_client()
    login(client, SENDER)
    people = client.get("/personnes").get_data(as_text=True)
    assert "/personnes/a-anonymiser" in people
    page = client.get("/personnes/a-anonymiser").get_data(as_text=True)
    assert "Léa Durand" in page and f"/personnes/{person_id}" in page and "26/04/2028" in page  # 730 days, 2028 being a leap year


def test_access_export_as_json_and_pdf_each_audited(app):
    """The sender's export holds the identity, the steps with what was recorded, the referral with
    its receiver and the fields shared, the messages; each download is an audited read; the
    receiver, who only sees a snapshot, cannot export."""
    with app.app_context():
        journey = start_referral()
        send(journey, "cio-orleans", ("situation", "demande"))
        person_id = journey.person_id
    claire = app.test_client()
    login(claire, SENDER)
    dossier = claire.get(f"/personnes/{person_id}").get_data(as_text=True)
    assert "Exporter les données de la personne" in dossier
    assert claire.get(f"/personnes/{person_id}/donnees").status_code == 200
    answer = claire.get(f"/personnes/{person_id}/donnees.json")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    data = json.loads(answer.data)
    assert data["personne"]["nom"] == "Durand" and data["personne"]["telephone"] == "06 11 22 33 44"
    steps = [s for j in data["parcours"] for s in j["etapes"]]
    recorded = {row["champ"]: row["valeur"] for s in steps for row in s["donnees"]}
    assert recorded["Besoins identifiés"] == "Hésite entre deux métiers."
    [referral] = data["orientations"]
    assert referral["vers"] == "CIO d'Orléans" and referral["valeurs_partagees"]["commune"] == "Orléans"
    assert referral["donnees_partagees"] == ["Situation (public, commune)", "Demande (thématiques, besoins)"]
    assert any(m["destinataire"] == "CIO d'Orléans" for m in data["messages"])
    assert any(e["type"] == "Consultation" and e["par"] for e in data["acces_et_modifications"])

    pdf = claire.get(f"/personnes/{person_id}/donnees.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for expected in ("Données détenues sur la personne", "Durand", "Hésite entre deux métiers.",
                     "CIO d'Orléans", "Situation (public, commune)", "Qui a consulté ou modifié le dossier"):
        assert expected in text, expected
    with app.app_context():
        exports = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.exported")
                                     .order_by(AuditEvent.id)).all()
        assert [(e.kind, e.person_id, e.user_id) for e in exports] == [("read", person_id, get_user(SENDER).id)] * 2
    isabelle = app.test_client()
    login(isabelle, RECEIVER)
    assert isabelle.get(f"/personnes/{person_id}/donnees.json").status_code == 404
    assert isabelle.get(f"/personnes/{person_id}/donnees.pdf").status_code == 404


def test_rectification_is_audited(app):
    with app.app_context():
        person_id = documented()
    client = app.test_client()
    login(client, SENDER)
    page = client.get(f"/personnes/{person_id}").get_data(as_text=True)
    values = {**{k: str(v) for k, v in welcome().items() if k in (
        "prenom", "nom", "annee_naissance", "telephone", "email", "public", "commune")}, "nom": "Durand-Petit"}
    answer = client.post(f"/personnes/{person_id}/identite", data={**values, "csrf_token": csrf_from(page)})
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.get(Person, person_id).nom == "Durand-Petit"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.updated"))
        assert event.person_id == person_id and event.user_id == get_user(SENDER).id
        assert event.detail["fields"] == ["nom"]
        assert (event.detail["before"], event.detail["after"]) == ({"nom": "Durand"}, {"nom": "Durand-Petit"})


def _receiver_sees(person_id: int) -> bool:
    view = person_view(get_user(RECEIVER), db.session.get(Person, person_id))
    return bool(view.fields)


@pytest.mark.parametrize("ending", ["expiree", "reaffectee"])
def test_a_former_receiver_loses_the_snapshot_after_the_delay(app, movable, ending):
    """Expired, or reassigned away by the coordinator: the CIO still sees the shared fields for
    30 days after the referral closed, then no longer: not on the dossier, nor in its search,
    nor in its people index."""
    with app.app_context():
        journey = start_referral()
        referral = send(journey, "cio-orleans", ("identite", "situation", "demande"))
        person_id, cio = journey.person_id, structure("cio-orleans").id
        if ending == "expiree":
            from webapp.operations.timers import fire_due_timers
            movable.current = referral.expire_at + timedelta(minutes=1)
            fire_due_timers()
        else:
            reassign_referral(get_user("olivier.lambert"), referral.id, structure("ft-orleans").id,
                              "CIO fermé.", True)
            db.session.commit()
        closed = db.session.get(Referral, referral.id)
        assert closed.status == ending and closed.closed_at == movable.current
        movable.current = closed.closed_at + timedelta(days=29)
        assert _receiver_sees(person_id) and search_people(get_user(RECEIVER), "durand")[0]
        assert prune_ended_snapshots(db.session) == 0
        db.session.commit()
    isabelle = app.test_client()
    login(isabelle, RECEIVER)
    before = isabelle.get(f"/personnes/{person_id}")
    assert before.status_code == 200 and "Durand" in before.get_data(as_text=True)

    movable.current = movable.current + timedelta(days=2)
    with app.app_context():
        assert not _receiver_sees(person_id)
        assert prune_ended_snapshots(db.session) == 1
        db.session.commit()
        assert db.session.get(PersonAccess, (person_id, cio)) is None
        assert search_people(get_user(RECEIVER), "durand")[0] == []
        assert search_people(get_user(SENDER), "durand")[0]  # the sender keeps its dossier
        assert prune_ended_snapshots(db.session) == 0
    isabelle = app.test_client()  # signed in again: the session's idle timeout follows the clock
    login(isabelle, RECEIVER)
    dossier = isabelle.get(f"/personnes/{person_id}")
    assert dossier.status_code in (200, 404)  # 404 once person_for applies the same rule
    assert "Durand" not in dossier.get_data(as_text=True)


def test_api_answers_are_never_cached(app, client):
    headers = api_token(client, SENDER)
    for path in ("/api/v1/people?q=durand", "/api/v1/tasks", "/api/v1/people/999999999"):
        answer = client.get(path, headers=headers)
        assert answer.headers["Cache-Control"] == "no-store", path


def test_the_worker_pass_anonymises_and_says_so(app, movable):
    with app.app_context():
        person_id = documented()
    movable.current = START + timedelta(days=800)
    result = app.test_cli_runner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 dossier(s) anonymisé(s)" in result.output and "du journal d'audit supprimée(s)" in result.output
    with app.app_context():
        assert db.session.get(Person, person_id).anonymised_at == movable.current


def test_the_former_receiver_gets_404_on_the_dossier_after_the_delay(app, movable):
    with app.app_context():
        journey = start_referral()
        referral = send(journey, "cio-orleans", ("identite", "situation", "demande"))
        person_id = journey.person_id
        movable.current = referral.expire_at + timedelta(minutes=1)
        from webapp.operations.timers import fire_due_timers
        fire_due_timers()
        db.session.commit()
    movable.current = movable.current + timedelta(days=31)
    isabelle = app.test_client()
    login(isabelle, RECEIVER)
    assert isabelle.get(f"/personnes/{person_id}").status_code == 404
    headers = api_token(isabelle, RECEIVER)
    assert isabelle.get(f"/api/v1/people/{person_id}", headers=headers).status_code == 404
