"""What each structure sees of a referred person, on the screens and through the API: the
receiver only the ticked fields, the sender everything, a third structure nothing; the local
coordinator's view of the territory and the reassignment of a stuck referral."""
import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from conftest import api_token, csrf_from, get_user, login
from sqlalchemy import select

from test_orientation import (METIER, RECEIVER, SENDER, accept, analysis, answer, do, messages, send,
                              start_referral, welcome,
                              structure, the_task)
from test_orientation_timers import MovableClock
from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, Journey, Person, Referral
from webapp.operations.journeys import start_journey
from webapp.operations.timers import fire_due_timers
from webapp.queries.referrals import path_of

SECRETS = ("Durand", "lea.durand@example.org", "06 11 22 33 44")
PARIS = ZoneInfo("Europe/Paris")


def referred(app, shared=("situation", "demande")) -> dict:
    """Léa Durand sent by the Mission Locale to the CIO d'Orléans, sharing `shared`; the ids."""
    with app.app_context():
        journey = start_referral()
        referral = send(journey, "cio-orleans", shared)
        task = the_task(journey, "traiter_orientation")
        sender_task = db.session.scalar(select(HumanTask).where(
            HumanTask.journey_id == journey.id, HumanTask.bpmn_id == "analyser_demande"))
        return {"journey": journey.id, "person": journey.person_id, "referral": referral.id,
                "task": task.id, "sender_task": sender_task.id,
                "informed_at": referral.informed_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)
                .strftime("%d/%m/%Y %H:%M")}


def structure_id(app, slug) -> int:
    with app.app_context():
        return structure(slug).id


def client_for(app, username):
    client = app.test_client()
    login(client, username)
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def timeline_items(page: str) -> list[str]:
    block = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li)).strip()
            for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_the_receiver_sees_only_the_ticked_fields(app):
    """Shared: situation and request, not identity. Does the CIO see the public, commune and
    themes but never the name, phone or e-mail, on its queue, task page, dossier and the API?"""
    ids = referred(app)
    isabelle = client_for(app, RECEIVER)
    anonymous_name = f"Personne orientée n°{ids['person']}"
    pages = {path: isabelle.get(path) for path in
             ("/taches?scope=queue", f"/taches/{ids['task']}", f"/personnes/{ids['person']}", "/")}
    for path, response in pages.items():
        assert response.status_code == 200, path
        for secret in SECRETS + ("Léa",):
            assert secret not in text(response), (path, secret)
    assert anonymous_name in text(pages["/taches?scope=queue"])
    dossier = text(pages[f"/personnes/{ids['person']}"])
    assert anonymous_name in dossier
    assert "<dd>Scolaire</dd>" in dossier and "<dd>Orléans</dd>" in dossier
    assert "Confirmer son choix de métier" in dossier and "Hésite entre deux métiers." in dossier
    assert "Année de naissance" not in dossier  # « naissance » was not ticked

    headers = api_token(isabelle, RECEIVER)
    person = isabelle.get(f"/api/v1/people/{ids['person']}", headers=headers)
    assert person.status_code == 200
    body = person.get_json()["person"]
    assert body["full_access"] is False and body["display_name"] == anonymous_name
    assert (body["public"], body["commune"], body["thematiques"]) == ("scolaire", "Orléans", [METIER])
    assert body["besoins"] == "Hésite entre deux métiers."
    assert [body[k] for k in ("prenom", "nom", "annee_naissance", "telephone", "email")] == [None] * 5
    for path in (f"/api/v1/people/{ids['person']}", "/api/v1/tasks?scope=queue", f"/api/v1/tasks/{ids['task']}"):
        raw = isabelle.get(path, headers=headers).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in raw, (path, secret)
    [item] = isabelle.get("/api/v1/tasks?scope=queue", headers=headers).get_json()["items"]
    assert item["id"] == ids["task"] and item["person_name"] == anonymous_name


def test_a_later_referral_sharing_identity_shows_the_name(app):
    """The CIO declines; the Mission Locale sends again to the CIO, this time with identity: does
    the CIO now see « Léa Durand » (and still not the unshared phone)?"""
    ids = referred(app)
    with app.app_context():
        journey = db.session.get(Journey, ids["journey"])
        answer(journey, {"reponse": "refuser", "motif_refus": "capacite"})
        send(journey, "cio-orleans", ("identite",))
        task_id = the_task(journey, "traiter_orientation").id
    isabelle = client_for(app, RECEIVER)
    assert "Léa Durand" in text(isabelle.get("/taches?scope=queue"))
    dossier = text(isabelle.get(f"/personnes/{ids['person']}"))
    assert "Dossier · Léa Durand" in dossier and "06 11 22 33 44" not in dossier
    headers = api_token(isabelle, RECEIVER)
    body = isabelle.get(f"/api/v1/people/{ids['person']}", headers=headers).get_json()["person"]
    assert (body["prenom"], body["nom"], body["telephone"], body["full_access"]) == ("Léa", "Durand", None, False)
    assert isabelle.get(f"/api/v1/tasks/{task_id}", headers=headers).get_json()["person_name"] == "Léa Durand"


def test_the_sender_keeps_its_full_view(app):
    """Does the Mission Locale still see everything of its own person, on screen and API?"""
    ids = referred(app)
    claire = client_for(app, SENDER)
    dossier = text(claire.get(f"/personnes/{ids['person']}"))
    assert "Dossier · Léa Durand" in dossier and "06 11 22 33 44" in dossier and "lea.durand@example.org" in dossier
    body = claire.get(f"/api/v1/people/{ids['person']}", headers=api_token(claire, SENDER)).get_json()["person"]
    assert body["full_access"] is True
    assert (body["nom"], body["telephone"], body["email"]) == ("Durand", "06 11 22 33 44", "lea.durand@example.org")


def test_who_informed_the_person_and_what_was_shared_is_on_both_dossiers(app):
    """Is the record « informed by whom, when, what was shared » on the dossier of both sides,
    on screen and in the API?"""
    ids = referred(app)
    for username in (SENDER, RECEIVER):
        client = client_for(app, username)
        dossier = text(client.get(f"/personnes/{ids['person']}"))
        assert "Parcours entre structures" in dossier
        assert f"Oui, par Claire Martin, le {ids['informed_at']}" in dossier, username
        assert "Situation (public, commune), Demande (thématiques, besoins)" in dossier, username
        body = client.get(f"/api/v1/people/{ids['person']}", headers=api_token(client, username)).get_json()
        [referral] = body["referrals"]
        assert (referral["person_informed"], referral["informed_by"], referral["information_mode"]) == \
            (True, SENDER, "entretien")
        assert referral["shared_fields"] == ["situation", "demande"] and referral["informed_at"]
        assert (referral["from_structure"], referral["to_structure"]) == \
            ("Mission Locale de l'Orléanais", "CIO d'Orléans")


def test_the_receivers_timeline_holds_only_entries_meant_for_it(app):
    """Does the CIO's timeline show the sending and its own steps, but none of the Mission
    Locale's internal steps; and does the Mission Locale see the CIO's answer?"""
    ids = referred(app)
    with app.app_context():
        accept(db.session.get(Journey, ids["journey"]))
    isabelle = client_for(app, RECEIVER)
    items = " | ".join(timeline_items(text(isabelle.get(f"/personnes/{ids['person']}"))))
    assert "Orientation envoyée : Mission Locale de l'Orléanais → CIO d'Orléans" in items
    assert "Orientation acceptée par CIO d'Orléans" in items
    assert "« Répondre à l'orientation reçue » terminée" in items
    for internal in ("« Analyser la demande » terminée", "« Accueillir la personne » terminée",
                     "Parcours « Accueil » démarré", "« Choisir le partenaire » terminée",
                     "Orientation vers un partenaire demandée"):
        assert internal not in items
    api = isabelle.get(f"/api/v1/people/{ids['person']}", headers=api_token(isabelle, RECEIVER)).get_json()
    summaries = [e["summary"] for e in api["timeline"]]
    assert "« Analyser la demande » terminée" not in summaries
    assert "Orientation envoyée : Mission Locale de l'Orléanais → CIO d'Orléans" in summaries
    claire_items = " | ".join(timeline_items(text(client_for(app, SENDER).get(f"/personnes/{ids['person']}"))))
    assert "« Analyser la demande » terminée" in claire_items
    assert "Orientation acceptée par CIO d'Orléans" in claire_items


def test_the_receiver_cannot_edit_identity(app):
    """Is an identity change by the receiving structure refused (403), with nothing changed?"""
    ids = referred(app)
    isabelle = client_for(app, RECEIVER)
    page = isabelle.get(f"/personnes/{ids['person']}")
    assert "Modifier l'identité" not in text(page)
    response = isabelle.post(f"/personnes/{ids['person']}/identite", data={
        "nom": "Autre", "public": "salarie", "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 403
    with app.app_context():
        person = db.session.get(Person, ids["person"])
        assert (person.nom, person.public) == ("Durand", "scolaire")


def test_the_receiver_cannot_gain_the_identity_by_starting_a_journey(app):
    """Is the CIO refused (403) a journey of its own on the referred person (it would give it the
    unshared identity), with no « Nouvel accueil » button offered and the name still hidden?"""
    ids = referred(app)
    isabelle = client_for(app, RECEIVER)
    page = isabelle.get(f"/personnes/{ids['person']}")
    assert "Nouvel accueil pour cette personne" not in text(page)
    response = isabelle.post("/parcours", data={"process_key": "accueil", "person_id": ids["person"],
                                                "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 403
    started = isabelle.post("/api/v1/journeys", json={"process_key": "accueil", "person_id": ids["person"]},
                            headers=api_token(isabelle, RECEIVER))
    assert started.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Journey).where(Journey.person_id == ids["person"])).all() == \
            [db.session.get(Journey, ids["journey"])]
    assert "Durand" not in text(isabelle.get(f"/personnes/{ids['person']}"))
    assert "Nouvel accueil pour cette personne" in text(client_for(app, SENDER).get(f"/personnes/{ids['person']}"))


def test_the_receiver_cannot_search_its_queue_by_an_unshared_name(app):
    """Does filtering the CIO's queue by « Durand » (not shared) find nothing, on screen and API,
    while the dossier number still finds the task and the sender still finds it by name?"""
    ids = referred(app)
    isabelle = client_for(app, RECEIVER)
    assert f"/taches/{ids['task']}" in text(isabelle.get(f"/taches?scope=queue&person={ids['person']}"))
    assert f"/taches/{ids['task']}" not in text(isabelle.get("/taches?scope=queue&person=Durand"))
    found = isabelle.get("/api/v1/tasks?scope=queue&person=durand", headers=api_token(isabelle, RECEIVER))
    assert found.status_code == 200 and found.get_json()["total"] == 0
    with app.app_context():
        journey = db.session.get(Journey, ids["journey"])
        answer(journey, {"reponse": "refuser", "motif_refus": "capacite"})
        choice = the_task(journey, "choisir_partenaire").id
    claire = client_for(app, SENDER)
    assert f"/taches/{choice}" in text(claire.get("/taches?scope=queue&person=Durand"))


def test_a_structure_not_involved_gets_404_everywhere(app):
    """Does the CIO de Bourges get 404 for the dossier and both sides' tasks, on screen and API?"""
    ids = referred(app)
    aurelie = client_for(app, "aurelie.fontaine")
    for path in (f"/personnes/{ids['person']}", f"/taches/{ids['task']}", f"/taches/{ids['sender_task']}"):
        assert aurelie.get(path).status_code == 404, path
    headers = api_token(aurelie, "aurelie.fontaine")
    for path in (f"/api/v1/people/{ids['person']}", f"/api/v1/tasks/{ids['task']}",
                 f"/api/v1/tasks/{ids['sender_task']}"):
        response = aurelie.get(path, headers=headers)
        assert response.status_code == 404 and response.is_json, path
    assert aurelie.post(f"/api/v1/tasks/{ids['task']}/complete", headers=headers, json={
        "data": {"reponse": "accepter", "date_premier_rdv": "2026-06-02"}}).status_code == 404
    assert aurelie.get("/api/v1/tasks?scope=queue", headers=headers).get_json()["total"] == 0
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == "ouverte"


# -- the local coordinator --------------------------------------------------------------------

def coordination_rows(page: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S) if "empty" not in row]


def test_coordinator_lists_the_territorys_referrals_with_filters(app, monkeypatch):
    """Does the Loiret's coordinator see the referral in progress, late once past the reminder
    date, escalated once the escalation fired; do others get 403 and another territory nothing?"""
    moving = MovableClock(datetime(2026, 4, 27, 9, 0))
    monkeypatch.setattr(clock, "now", moving)
    referred(app)
    signed_in = {"client": client_for(app, "olivier.lambert")}

    def rows(state):
        response = signed_in["client"].get(f"/coordination?etat={state}")
        assert response.status_code == 200
        return coordination_rows(text(response))

    [row] = rows("en_cours")
    assert "Mission Locale de l'Orléanais" in row and "CIO d'Orléans" in row and "Ouverte" in row
    assert rows("en_retard") == [] and rows("escaladees") == []
    assert "Durand" not in text(signed_in["client"].get("/coordination"))

    moving.current = datetime(2026, 5, 6, 10, 0)  # past the reminder (5 May), before escalation
    signed_in["client"] = client_for(app, "olivier.lambert")  # days later: a new session
    [late] = rows("en_retard")
    assert "En retard" in late
    assert rows("escaladees") == []
    moving.current = datetime(2026, 5, 13, 10, 0)
    with app.app_context():
        fire_due_timers()
    signed_in["client"] = client_for(app, "olivier.lambert")
    [escalated] = rows("escaladees")
    assert "Escaladée" in escalated
    assert len(rows("en_cours")) == 1

    with app.app_context():
        cio = structure("cio-orleans").id
    assert len(coordination_rows(text(signed_in["client"].get(f"/coordination?etat=en_cours&structure={cio}")))) == 1
    assert coordination_rows(text(signed_in["client"].get("/coordination?etat=en_cours&reseau=mission_locale"))) == []
    assert len(coordination_rows(text(signed_in["client"].get("/coordination?etat=en_cours&reseau=cio")))) == 1

    assert coordination_rows(text(client_for(app, "helene.garnier").get("/coordination?etat="))) == []
    for username in (RECEIVER, SENDER):
        assert client_for(app, username).get("/coordination").status_code == 403


def test_coordinator_reassigns_a_stuck_referral(app):
    """Does reassigning move the waiting task to the new structure's queue, out of the old one,
    with an audit entry and a message to both structures; can the new one then answer?"""
    ids = referred(app)
    olivier = client_for(app, "olivier.lambert")
    page = olivier.get("/coordination")
    with app.app_context():
        ft = structure("ft-orleans").id
    refused = olivier.post(f"/coordination/orientations/{ids['referral']}/reaffecter", data={
        "structure_id": ft, "motif": "  ", "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert refused.status_code == 303
    with app.app_context():
        assert db.session.get(HumanTask, ids["task"]).structure_id == structure("cio-orleans").id
    helene = client_for(app, "helene.garnier")
    helene_page = helene.get("/coordination").get_data(as_text=True)
    other = helene.post(f"/coordination/orientations/{ids['referral']}/reaffecter", data={
        "structure_id": ft, "motif": "Essai", "csrf_token": csrf_from(helene_page)})
    assert other.status_code == 404

    uninformed = olivier.post(f"/coordination/orientations/{ids['referral']}/reaffecter", data={
        "structure_id": ft, "motif": "CIO fermé.", "csrf_token": csrf_from(page.get_data(as_text=True))},
        follow_redirects=True)
    assert "La personne doit être informée" in text(uninformed)
    with app.app_context():
        assert db.session.get(HumanTask, ids["task"]).structure_id == structure("cio-orleans").id

    done = olivier.post(f"/coordination/orientations/{ids['referral']}/reaffecter", data={
        "structure_id": ft, "motif": "CIO fermé pendant les vacances.", "personne_informee": "oui",
        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 303
    with app.app_context():
        old_task = db.session.get(HumanTask, ids["task"])
        assert old_task.status == "annulee" and old_task.structure_id == structure("cio-orleans").id
        old = db.session.get(Referral, ids["referral"])
        assert old.status == "reaffectee" and old.closed_at is not None
        new = db.session.scalar(select(Referral).where(Referral.previous_id == old.id))
        assert (new.to_structure_id, new.from_structure_id, new.status) == (ft, old.from_structure_id, "ouverte")
        assert new.shared_data == old.shared_data and new.information_mode == "coordination"
        assert new.informed_by_id == get_user("olivier.lambert").id
        assert new.remind_at > old.remind_at and new.expire_at > old.expire_at  # fresh deadlines
        new_task = db.session.scalar(select(HumanTask).where(
            HumanTask.journey_id == ids["journey"], HumanTask.status == "ouverte"))
        assert (new_task.bpmn_id, new_task.structure_id, new_task.assignee_id) == ("traiter_orientation", ft, None)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.reassigned"))
        assert event.user_id == get_user("olivier.lambert").id
        assert "CIO fermé pendant les vacances." in event.summary
        assert [m.to_structure_id for m in messages("reaffectation")] == [structure("cio-orleans").id]
        assert [m.to_structure_id for m in messages("arrivee")][-1] == ft
        new_task_id = new_task.id
    lucas = client_for(app, "lucas.moreau")
    assert f"/taches/{new_task_id}" in text(lucas.get("/taches?scope=queue"))
    isabelle = client_for(app, RECEIVER)
    assert f"/taches/{new_task_id}" not in text(isabelle.get("/taches?scope=queue"))
    assert isabelle.get(f"/taches/{new_task_id}").status_code == 404
    with app.app_context():
        journey = db.session.get(Journey, ids["journey"])
        accept(journey, "lucas.moreau")
        assert the_task(journey, "confirmer_premier_contact").structure_id == ft
        assert db.session.scalar(select(Referral).where(Referral.previous_id == ids["referral"])).status == "acceptee"
    # a closed referral cannot be reassigned any more
    again = olivier.post(f"/coordination/orientations/{ids['referral']}/reaffecter", data={
        "structure_id": structure_id(app, "crij-orleans"), "motif": "Encore", "personne_informee": "oui",
        "csrf_token": csrf_from(page.get_data(as_text=True))}, follow_redirects=True)
    assert "déjà reçu une réponse ou est close" in text(again)


def test_reassignment_is_refused_to_non_coordinators(app):
    """Is the reassign action refused (403) to a counsellor, with nothing moved?"""
    ids = referred(app)
    claire = client_for(app, SENDER)
    page = claire.get("/")
    response = claire.post(f"/coordination/orientations/{ids['referral']}/reaffecter", data={
        "structure_id": structure_id(app, "ft-orleans"), "motif": "Essai",
        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(HumanTask, ids["task"]).structure_id == structure("cio-orleans").id


def test_the_path_shows_only_the_journeys_a_structure_takes_part_in(ctx):
    """A second journey of the same person referred to the CIDFF stays out of the CIO's path."""
    first = start_referral()
    send(first, "cio-orleans")
    second = start_journey(get_user("claire.martin"), "accueil", first.person_id)
    db.session.commit()
    do("claire.martin", the_task(second, "accueillir"), welcome())
    do("claire.martin", the_task(second, "analyser_demande"), analysis())
    send(second, "cidff-loiret")
    person = db.session.get(Person, first.person_id)
    cio = [r.to_structure.slug for r in path_of(get_user("isabelle.roux"), person)]
    sender = [r.to_structure.slug for r in path_of(get_user("claire.martin"), person)]
    assert cio == ["cio-orleans"] and sender == ["cio-orleans", "cidff-loiret"]
