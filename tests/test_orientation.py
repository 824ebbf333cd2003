"""The orientation journey (referral to a SPRO partner), every path, through the operations and
the screens: the sender (Mission Locale de l'Orléanais, claire.martin) chooses the partner and
informs the person; the receiver (CIO d'Orléans, isabelle.roux) answers in its own queue.

The helpers at the top are shared with test_orientation_timers.py and test_referral_visibility.py.
"""
import html
import re

import pytest
from conftest import csrf_from, get_user, login
from flask import current_app
from sqlalchemy import func, select

from webapp import clock
from webapp.errors import Conflict, InvalidData, NotFound
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, Journey, OutboxMessage, Referral, Structure
from webapp.operations.journeys import complete_task, start_journey
from webapp.queries.people import person_for
from webapp.queries.referrals import structures_involved
from webapp.queries.tasks import task_for, task_list
from webapp.workdays import add_working_days

METIER = "choisir-un-metier--confirmer-son-choix-de-metier"
SENDER, RECEIVER = "claire.martin", "isabelle.roux"


# -- helpers (operation level: every step commits, as a request would) ----------------------

def structure(slug: str) -> Structure:
    return db.session.scalar(select(Structure).where(Structure.slug == slug))


def welcome(**changes) -> dict:
    """A 16-year-old pupil from Orléans, named Léa Durand."""
    data = {"canal": "sur_place", "anonyme": False, "prenom": "Léa", "nom": "Durand",
            "annee_naissance": clock.now().year - 16, "telephone": "06 11 22 33 44",
            "email": "lea.durand@example.org", "public": "scolaire", "commune": "Orléans"}
    data.update(changes)
    return data


def analysis(reponse: str = "orientation", **changes) -> dict:
    return {"thematiques": [METIER], "besoins": "Hésite entre deux métiers.", "urgence": "normale",
            "reponse": reponse, **changes}


def open_tasks(journey, slug: str | None = None) -> list[HumanTask]:
    stmt = select(HumanTask).where(HumanTask.journey_id == journey.id, HumanTask.status == "ouverte")
    if slug is not None:
        stmt = stmt.where(HumanTask.structure_id == structure(slug).id)
    return db.session.scalars(stmt.order_by(HumanTask.id)).all()


def the_task(journey, bpmn_id: str) -> HumanTask:
    """The journey's only open task, which must be `bpmn_id`."""
    tasks = open_tasks(journey)
    assert [t.bpmn_id for t in tasks] == [bpmn_id]
    return tasks[0]


def do(username: str, task: HumanTask, data: dict) -> HumanTask:
    done = complete_task(get_user(username), task.id, data)
    db.session.commit()
    return done


def start_referral(username: str = SENDER, person: dict | None = None) -> Journey:
    """An accueil answered « orientation »: the journey waits at choisir_partenaire."""
    journey = start_journey(get_user(username), "accueil")
    db.session.commit()
    do(username, the_task(journey, "accueillir"), person or welcome())
    do(username, the_task(journey, "analyser_demande"), analysis())
    return journey


def choose(journey, slug: str, username: str = SENDER, motif: str = "Projet d'orientation scolaire."):
    return do(username, the_task(journey, "choisir_partenaire"),
              {"decision": "orienter", "partenaire_id": structure(slug).id, "motif": motif})


def inform(journey, shared=("situation", "demande"), username: str = SENDER, **extra):
    return do(username, the_task(journey, "informer_personne"),
              {"donnees_partagees": list(shared), "personne_informee": True,
               "mode_information": "entretien", **extra})


def send(journey, slug: str = "cio-orleans", shared=("situation", "demande"), username: str = SENDER) -> Referral:
    choose(journey, slug, username)
    inform(journey, shared, username)
    return latest_referral(journey)


def answer(journey, data: dict, username: str = RECEIVER) -> HumanTask:
    return do(username, the_task(journey, "traiter_orientation"), data)


def today() -> str:
    """Today on the application's clock: a first appointment cannot be set in the past, nor a
    first contact recorded in the future."""
    return clock.now().date().isoformat()


def accept(journey, username: str = RECEIVER, day: str | None = None):
    return answer(journey, {"reponse": "accepter", "date_premier_rdv": day or today()}, username)


def confirm(journey, username: str = RECEIVER, outcome: str = "confirme"):
    data = {"premier_contact": outcome}
    if outcome == "confirme":
        data["date_premier_contact"] = today()
    return do(username, the_task(journey, "confirmer_premier_contact"), data)


def referrals_of(journey) -> list[Referral]:
    db.session.expire_all()
    return db.session.scalars(select(Referral).where(Referral.journey_id == journey.id)
                              .order_by(Referral.id)).all()


def latest_referral(journey) -> Referral:
    return referrals_of(journey)[-1]


def messages(kind: str | None = None, slug: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage)
    if kind is not None:
        stmt = stmt.where(OutboxMessage.kind == kind)
    if slug is not None:
        stmt = stmt.where(OutboxMessage.to_structure_id == structure(slug).id)
    return db.session.scalars(stmt.order_by(OutboxMessage.id)).all()


def kinds_to(slug: str) -> list[str]:
    return [m.kind for m in messages(slug=slug)]


def queue_ids(username: str) -> set[int]:
    return {t.id for t in task_list(get_user(username), "queue", per_page=500).items}


# -- the paths ------------------------------------------------------------------------------

def test_accepted_then_first_contact_confirmed_ends_aboutie(ctx):
    """Accepted with a first appointment, then first contact confirmed: is the referral
    `aboutie` with every timestamp set, the journey ended at fin_orientation, and the sender
    told at each answer?"""
    journey = start_referral()
    choice = the_task(journey, "choisir_partenaire")
    assert choice.structure_id == structure("ml-orleans").id and choice.assignee_id == get_user(SENDER).id
    assert choice.due_at == add_working_days(choice.created_at, 2)

    referral = send(journey)
    cfg = current_app.config
    assert (referral.status, referral.from_structure.slug, referral.to_structure.slug, referral.previous_id) == \
        ("ouverte", "ml-orleans", "cio-orleans", None)
    assert referral.person_informed and referral.information_mode == "entretien"
    assert referral.informed_by_id == get_user(SENDER).id and referral.informed_at == referral.sent_at
    assert referral.motif == "Projet d'orientation scolaire."
    assert referral.shared_fields == ["situation", "demande"]
    assert referral.remind_at == add_working_days(referral.sent_at, cfg["REFERRAL_REMINDER_DAYS"])
    assert referral.escalate_at == add_working_days(referral.sent_at, cfg["REFERRAL_ESCALATION_DAYS"])
    assert referral.expire_at == add_working_days(referral.sent_at, cfg["REFERRAL_EXPIRY_DAYS"])
    assert referral.answered_at is None and referral.closed_at is None
    assert kinds_to("cio-orleans") == ["arrivee"]

    response = the_task(journey, "traiter_orientation")
    assert response.structure_id == structure("cio-orleans").id and response.assignee_id is None
    assert response.due_at == add_working_days(response.created_at, 5)
    db.session.refresh(journey)
    assert journey.next_timer_at == referral.remind_at  # the reminder is the first timer due

    accept(journey)
    referral = latest_referral(journey)
    assert referral.status == "acceptee" and referral.answered_at is not None
    assert referral.first_appointment_at.date().isoformat() == today()
    assert kinds_to("ml-orleans") == ["acceptation"]
    contact = the_task(journey, "confirmer_premier_contact")
    assert contact.structure_id == structure("cio-orleans").id
    db.session.refresh(journey)
    # answered: no reminder, escalation nor expiry left; only the first-contact reminder, 5 working
    # days after the appointment (or after the answer, for an appointment already past)
    start = max(referral.first_appointment_at, referral.answered_at)
    assert journey.next_timer_at == add_working_days(start, 5)

    confirm(journey)
    referral = latest_referral(journey)
    assert referral.status == "aboutie"
    assert referral.sent_at <= referral.answered_at <= referral.closed_at
    db.session.refresh(journey)
    assert (journey.status, journey.end_event, journey.incident) == ("terminee", "fin_orientation", None)
    assert journey.end_label == "Orientation aboutie"
    assert journey.ended_at is not None
    assert open_tasks(journey) == []
    [told] = messages("aboutie")
    assert told.to_structure_id == structure("ml-orleans").id
    assert told.to_address == structure("ml-orleans").email and told.referral_id == referral.id
    assert kinds_to("ml-orleans") == ["acceptation", "aboutie"]
    assert structures_involved(journey) == 2
    rows = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id)
                              .order_by(HumanTask.id)).all()
    assert [(r.bpmn_id, r.structure.slug, r.status) for r in rows] == [
        ("accueillir", "ml-orleans", "terminee"), ("analyser_demande", "ml-orleans", "terminee"),
        ("choisir_partenaire", "ml-orleans", "terminee"), ("informer_personne", "ml-orleans", "terminee"),
        ("traiter_orientation", "cio-orleans", "terminee"),
        ("confirmer_premier_contact", "cio-orleans", "terminee")]
    assert [r.completed_by.username for r in rows[-2:]] == [RECEIVER, RECEIVER]


def test_declined_with_a_reason_goes_back_to_the_sender(ctx):
    """A decline needs a coded reason; is the referral `refusee` with it, the sender told, and
    the sender's choisir_partenaire open again for a second attempt?"""
    journey = start_referral()
    first_choice = the_task(journey, "choisir_partenaire")
    send(journey)
    response = the_task(journey, "traiter_orientation")
    with pytest.raises(InvalidData) as refused:
        complete_task(get_user(RECEIVER), response.id, {"reponse": "refuser"})
    assert refused.value.fields == {"motif_refus": "Ce champ est obligatoire."}
    db.session.rollback()
    assert latest_referral(journey).status == "ouverte"

    answer(journey, {"reponse": "refuser", "motif_refus": "public_non_couvert",
                     "commentaire": "Nous ne recevons que sur rendez-vous académique."})
    referral = latest_referral(journey)
    assert (referral.status, referral.decline_reason) == ("refusee", "public_non_couvert")
    assert referral.answer_comment == "Nous ne recevons que sur rendez-vous académique."
    assert referral.answered_at is not None and referral.closed_at is not None
    assert kinds_to("ml-orleans") == ["refus"]
    second_choice = the_task(journey, "choisir_partenaire")
    assert second_choice.id != first_choice.id and second_choice.task_uuid != first_choice.task_uuid
    assert second_choice.structure_id == structure("ml-orleans").id
    db.session.refresh(journey)
    assert journey.status == "en_cours" and journey.next_timer_at is None

    second = send(journey, "crij-orleans")
    assert [(r.to_structure.slug, r.status, r.previous_id) for r in referrals_of(journey)] == \
        [("cio-orleans", "refusee", None), ("crij-orleans", "ouverte", None)]
    assert second.from_structure.slug == "ml-orleans"
    assert open_tasks(journey, "crij-orleans")[0].bpmn_id == "traiter_orientation"
    assert structures_involved(journey) == 3


def test_redirected_to_a_third_structure(ctx):
    """The CIO redirects to the CRIJ: is the first referral `redirigee`, a new one chained to it
    (previous_id, same shared data) in the CRIJ's queue, and nothing back at the sender?"""
    journey = start_referral()
    first = send(journey)
    response = the_task(journey, "traiter_orientation")
    redirect = {"reponse": "rediriger", "partenaire_redirection_id": structure("crij-orleans").id,
                "commentaire": "Le CRIJ a un atelier métiers cette semaine.", "personne_informee": True}
    with pytest.raises(InvalidData) as refused:  # the person must know where they are sent
        complete_task(get_user(RECEIVER), response.id, {k: v for k, v in redirect.items() if k != "personne_informee"})
    assert set(refused.value.fields) == {"personne_informee"}
    db.session.rollback()

    answer(journey, redirect)
    first, second = referrals_of(journey)
    assert first.status == "redirigee" and first.answered_at is not None
    assert first.answer_comment == "Le CRIJ a un atelier métiers cette semaine."
    assert second.previous_id == first.id and second.status == "ouverte"
    assert (second.from_structure.slug, second.to_structure.slug) == ("cio-orleans", "crij-orleans")
    assert (second.shared_fields, second.shared_data, second.motif) == \
        (first.shared_fields, first.shared_data, first.motif)
    assert second.person_informed and second.information_mode == "redirection"
    assert second.informed_by_id == get_user(RECEIVER).id
    assert second.sent_at >= first.answered_at
    task = the_task(journey, "traiter_orientation")
    assert task.structure_id == structure("crij-orleans").id
    assert task.id in queue_ids("olivier.lambert")
    assert task.id not in queue_ids(RECEIVER) and task.id not in queue_ids(SENDER)
    assert open_tasks(journey, "ml-orleans") == []  # no new choice asked of the sender
    assert kinds_to("crij-orleans") == ["arrivee"]
    assert "redirection" in kinds_to("ml-orleans")  # the structure in charge knows where it went
    assert structures_involved(journey) == 3

    accept(journey, "olivier.lambert")
    confirm(journey, "olivier.lambert")
    assert [r.status for r in referrals_of(journey)] == ["redirigee", "aboutie"]
    db.session.refresh(journey)
    assert (journey.status, journey.end_event) == ("terminee", "fin_orientation")


def test_after_a_redirection_the_original_sender_is_told_of_the_decline(ctx):
    """CIO redirects to the CRIJ, which declines: the journey goes back to the Mission Locale's
    choisir_partenaire. Is the Mission Locale told (it has to choose again)?"""
    journey = start_referral()
    send(journey)
    answer(journey, {"reponse": "rediriger", "partenaire_redirection_id": structure("crij-orleans").id,
                     "commentaire": "Plus adapté.", "personne_informee": True})
    answer(journey, {"reponse": "refuser", "motif_refus": "capacite"}, "olivier.lambert")
    assert the_task(journey, "choisir_partenaire").structure_id == structure("ml-orleans").id
    assert "refus" in kinds_to("ml-orleans")


def test_abandonment_by_the_sender(ctx):
    """Does abandoning at the choice end the journey at once (with its reason recorded), and
    abandoning after a decline keep the declined referral as it was?"""
    journey = start_referral()
    task = the_task(journey, "choisir_partenaire")
    with pytest.raises(InvalidData) as refused:
        complete_task(get_user(SENDER), task.id, {"decision": "abandonner"})
    assert refused.value.fields == {"motif_abandon": "Ce champ est obligatoire."}
    db.session.rollback()
    do(SENDER, task, {"decision": "abandonner", "motif_abandon": "La personne a trouvé un stage seule."})
    db.session.refresh(journey)
    assert (journey.status, journey.end_event, journey.end_label) == \
        ("terminee", "fin_orientation_abandonnee", "Orientation abandonnée")
    assert referrals_of(journey) == [] and open_tasks(journey) == []
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.journey_id == journey.id,
                                                       AuditEvent.action == "referral.abandoned"))
    assert "La personne a trouvé un stage seule." in event.summary
    assert event.structure_id == structure("ml-orleans").id

    later = start_referral()
    send(later)
    answer(later, {"reponse": "refuser", "motif_refus": "capacite"})
    do(SENDER, the_task(later, "choisir_partenaire"), {"decision": "abandonner", "motif_abandon": "Plus de besoin."})
    db.session.refresh(later)
    assert (later.status, later.end_label) == ("terminee", "Orientation abandonnée")
    assert [(r.status, r.decline_reason) for r in referrals_of(later)] == [("refusee", "capacite")]


def test_first_contact_missed_goes_back_to_the_sender(ctx):
    """Accepted, but the person never came: is the referral `refusee` (injoignable), the sender
    told and asked to choose again?"""
    journey = start_referral()
    send(journey)
    accept(journey)
    confirm(journey, outcome="non_venue")
    referral = latest_referral(journey)
    assert (referral.status, referral.decline_reason) == ("refusee", "injoignable")
    assert referral.answered_at is not None and referral.closed_at is not None
    assert referral.first_appointment_at is not None
    assert kinds_to("ml-orleans") == ["acceptation", "refus"]
    assert the_task(journey, "choisir_partenaire").structure_id == structure("ml-orleans").id
    db.session.refresh(journey)
    assert journey.status == "en_cours"


def test_each_structure_works_only_its_own_steps(ctx):
    """Is the receiver's task in the receiver's queue only, out of reach of the sender, and
    is every step out of reach of a structure that is not involved (404)?"""
    journey = start_referral()
    choose(journey, "cio-orleans")
    sender_task = the_task(journey, "informer_personne")
    inform(journey)
    receiver_task = the_task(journey, "traiter_orientation")
    assert receiver_task.id in queue_ids(RECEIVER) and receiver_task.id in queue_ids("mathieu.girard")
    assert receiver_task.id not in queue_ids(SENDER) and receiver_task.id not in queue_ids("karim.benali")
    claire, aurelie = get_user(SENDER), get_user("aurelie.fontaine")
    with pytest.raises(NotFound):
        task_for(claire, receiver_task.id)
    with pytest.raises(NotFound):
        complete_task(claire, receiver_task.id, {"reponse": "accepter", "date_premier_rdv": today()})
    with pytest.raises(NotFound):
        task_for(get_user(RECEIVER), sender_task.id)
    for task in (sender_task, receiver_task):
        with pytest.raises(NotFound):
            task_for(aurelie, task.id)
    with pytest.raises(NotFound):
        complete_task(aurelie, receiver_task.id, {"reponse": "accepter", "date_premier_rdv": today()})
    with pytest.raises(NotFound):
        person_for(aurelie, journey.person_id)
    assert person_for(get_user(RECEIVER), journey.person_id).id == journey.person_id
    db.session.rollback()
    assert latest_referral(journey).status == "ouverte"


def test_the_same_flow_from_prise_en_charge(ctx):
    """Does a personalised follow-up whose outcome is « orientation » run the same referral,
    and end the accueil journey at the prise_en_charge end event?"""
    journey = start_journey(get_user(SENDER), "accueil")
    db.session.commit()
    do(SENDER, the_task(journey, "accueillir"), welcome())
    do(SENDER, the_task(journey, "analyser_demande"), analysis("prise_en_charge"))
    do(SENDER, the_task(journey, "entretien_information"),
       {"date_entretien": "2026-03-02", "notes": "Premier entretien.", "releve_du_champ": False,
        "conseil_approfondi": False})
    do(SENDER, the_task(journey, "plan_action"), {"plan_action": "Rencontrer le CIO.", "issue": "orientation"})
    assert the_task(journey, "choisir_partenaire").structure_id == structure("ml-orleans").id
    referral = send(journey)
    assert (referral.from_structure.slug, referral.to_structure.slug) == ("ml-orleans", "cio-orleans")
    assert referral.shared_data["thematiques"] == [METIER]
    accept(journey)
    confirm(journey)
    db.session.refresh(journey)
    assert (journey.status, journey.end_event) == ("terminee", "fin_prise_en_charge")
    assert latest_referral(journey).status == "aboutie"
    assert kinds_to("ml-orleans") == ["acceptation", "aboutie"]


def test_number_of_structures_involved(ctx):
    """Is the count of structures one before any referral, two with one partner, and does a
    partner chosen twice still count once?"""
    journey = start_referral()
    assert structures_involved(journey) == 1
    send(journey)
    assert structures_involved(journey) == 2
    answer(journey, {"reponse": "refuser", "motif_refus": "capacite"})
    send(journey, "cio-orleans")  # the same partner, asked again
    assert len(referrals_of(journey)) == 2
    assert structures_involved(journey) == 2
    answer(journey, {"reponse": "rediriger", "partenaire_redirection_id": structure("crij-orleans").id,
                     "commentaire": "Atelier au CRIJ.", "personne_informee": True})
    assert structures_involved(journey) == 3


# -- the screens ----------------------------------------------------------------------------

def _post(client, path, data):
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def _task_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(response.location.rsplit("/", 1)[1])


def _to_choice_page(client) -> int:
    """Nouvel accueil → welcome → analysis « orientation » through the screens; the choice task id."""
    home = client.get("/")
    started = client.post("/parcours", data={"process_key": "accueil",
                                             "csrf_token": csrf_from(home.get_data(as_text=True))})
    task_id = _task_id(started)
    person = welcome()
    form = {**{k: str(v) for k, v in person.items() if k != "anonyme"}, "anonyme": "false"}
    task_id = _task_id(_post(client, f"/taches/{task_id}", form))
    return _task_id(_post(client, f"/taches/{task_id}", {
        "thematiques": METIER, "besoins": "Hésite entre deux métiers.", "urgence": "normale",
        "reponse": "orientation"}))


def _suggestions(page: str) -> list[tuple[str, list[str]]]:
    """[(structure name, [reasons])] of the ranked suggestions, in order."""
    block = re.search(r'<ol class="suggestions"[^>]*>(.*?)</ol>', page, re.S)
    assert block, "no suggestions on the page"
    ranked = []
    for item in block.group(1).split("<li data-search=")[1:]:
        name = re.search(r"<strong>(.*?)</strong>", item, re.S).group(1)
        reasons = re.search(r'<ul class="reasons">(.*?)</ul>', item, re.S)
        ranked.append((html.unescape(name), [html.unescape(r) for r in
                                             re.findall(r"<li>(.*?)</li>", reasons.group(1) if reasons else "")]))
    return ranked


def test_choice_page_suggests_the_cio_first_with_its_reasons(client, app):
    """For a 16-year-old pupil from Orléans choosing a job, does the choice page rank the CIO
    d'Orléans first, with the decision table's reason and the others, and never the sender?"""
    login(client, SENDER)
    task_id = _to_choice_page(client)
    page = client.get(f"/taches/{task_id}").get_data(as_text=True)
    assert "Choisir le partenaire" in page
    ranked = _suggestions(page)
    assert len(ranked) >= 3
    name, reasons = ranked[0]
    assert name == "CIO d'Orléans"
    assert reasons == ["Public scolaire qui choisit un métier : le CIO est le premier interlocuteur.",
                       "Accueille le public « Scolaire »", "Thématiques : Choisir un métier",
                       "Dans la commune de la personne"]
    names = [n for n, _r in ranked]
    assert "Mission Locale de l'Orléanais" not in names
    with app.app_context():
        own_id = structure("ml-orleans").id
    assert f'name="partenaire_id" value="{own_id}"' not in page  # not offered at all
    assert 'name="partenaire_id" value="' in page


@pytest.mark.parametrize("partner", ["own", "unknown"])
def test_choosing_own_structure_or_an_unknown_id_is_refused(client, app, partner):
    """Is the sender's own structure, or an id that is no structure, refused on the field, with
    nothing stored?"""
    login(client, SENDER)
    task_id = _to_choice_page(client)
    with app.app_context():
        value = structure("ml-orleans").id if partner == "own" else \
            db.session.scalar(select(func.max(Structure.id))) + 1000
    response = _post(client, f"/taches/{task_id}", {"decision": "orienter", "partenaire_id": str(value),
                                                     "motif": "Essai."})
    assert response.status_code == 422
    assert re.search(r'id="erreur-partenaire_id"[^>]*>Choisissez une structure de la liste',
                     response.get_data(as_text=True))
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        assert task.status == "ouverte" and task.data is None
        assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
        assert [t.bpmn_id for t in open_tasks(task.journey)] == ["choisir_partenaire"]
        with pytest.raises(InvalidData) as refused:
            complete_task(get_user(SENDER), task_id, {"decision": "orienter", "partenaire_id": value, "motif": "m"})
        assert refused.value.fields == {"partenaire_id": "Choisissez une structure de la liste."}
        db.session.rollback()


def test_receiver_answers_from_its_task_page(client, app):
    """Does the CIO's counsellor find the referral in her queue, see who sends it and why, and
    accept it from the task page?"""
    with app.app_context():
        journey = start_referral()
        send(journey)
        task_id = the_task(journey, "traiter_orientation").id
        journey_id = journey.id
    login(client, RECEIVER)
    assert f"/taches/{task_id}" in client.get("/taches?scope=queue").get_data(as_text=True)
    page = html.unescape(client.get(f"/taches/{task_id}").get_data(as_text=True))
    assert "Répondre à l'orientation reçue" in page
    assert "Mission Locale de l'Orléanais → CIO d'Orléans" in page
    assert "Motif : Projet d'orientation scolaire." in page
    response = _post(client, f"/taches/{task_id}", {"reponse": "accepter", "date_premier_rdv": today()})
    next_id = _task_id(response)
    assert "Confirmer le premier contact" in client.get(f"/taches/{next_id}").get_data(as_text=True)
    with app.app_context():
        journey = db.session.get(Journey, journey_id)
        assert latest_referral(journey).status == "acceptee"
        assert db.session.get(HumanTask, next_id).structure_id == structure("cio-orleans").id


def test_a_second_attempt_shares_only_what_is_ticked_again(ctx):
    """Attempt 1 shares identity and contact details; the CIO declines with a comment; attempt 2
    ticks nothing: the next partner gets nothing, and no earlier comment or message."""
    journey = start_referral()
    choose(journey, "cio-orleans")
    inform(journey, ("identite", "coordonnees", "demande"), message_partenaire="Message pour le CIO.")
    answer(journey, {"reponse": "refuser", "motif_refus": "capacite", "commentaire": "Complet jusqu'en juin."})
    choose(journey, "crij-orleans")
    inform(journey, ())
    second = latest_referral(journey)
    assert second.to_structure.slug == "crij-orleans"
    assert second.shared_fields == [] and second.shared_data == {}
    assert "Message pour le CIO" not in (second.motif or "")
    answer(journey, {"reponse": "refuser", "motif_refus": "hors_champ"}, username="olivier.lambert")
    assert latest_referral(journey).answer_comment is None


def test_a_task_handed_to_another_structure_cannot_be_answered_by_the_first(ctx, monkeypatch):
    """The coordinator hands the referral on after the CIO's answer read the task, before it is
    written: the answer is refused, the task stays the other structure's."""
    import webapp.operations.journeys as journeys
    journey = start_referral()
    send(journey, "cio-orleans")
    task = the_task(journey, "traiter_orientation")
    original = journeys._lock_for_completion

    def reassigned_meanwhile(actor, task_id):
        found = original(actor, task_id)
        db.session.execute(db.update(HumanTask).where(HumanTask.id == task.id)
                           .values(structure_id=structure("crij-orleans").id)
                           .execution_options(synchronize_session=False))
        return found
    monkeypatch.setattr(journeys, "_lock_for_completion", reassigned_meanwhile)
    with pytest.raises(Conflict, match="confiée à une autre structure"):
        complete_task(get_user(RECEIVER), task.id, {"reponse": "accepter", "date_premier_rdv": today()})


def test_a_partner_deactivated_after_being_chosen_sends_the_sender_back_to_the_choice(ctx):
    journey = start_referral()
    choose(journey, "cio-orleans")
    cio = structure("cio-orleans")
    cio.active = False
    db.session.commit()
    try:
        inform(journey)
        assert referrals_of(journey) == []
        [waiting] = open_tasks(journey)
        assert waiting.bpmn_id == "choisir_partenaire"
        assert waiting.assignee_id == get_user(SENDER).id  # in the sender's « Mes tâches »
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.unavailable")) is not None
    finally:
        cio.active = True
        db.session.commit()


def test_after_a_refusal_the_refusing_structure_is_no_longer_suggested(ctx):
    from webapp.queries.referrals import tried_partners
    from webapp.queries.suggestions import suggest_partners
    journey = start_referral()
    send(journey, "cio-orleans")
    answer(journey, {"reponse": "refuser", "motif_refus": "capacite"})
    person = db.session.get(Journey, journey.id).person
    data = {"thematiques": ["choisir-un-metier--confirmer-son-choix-de-metier"]}
    before = [s.structure.slug for s in suggest_partners(get_user(SENDER), person, data)]
    after = [s.structure.slug for s in suggest_partners(get_user(SENDER), person, data,
                                                          exclude=tried_partners(journey.id))]
    assert before[0] == "cio-orleans" and "cio-orleans" not in after and after


def test_the_redirection_confirmation_does_not_block_an_acceptance(ctx):
    journey = start_referral()
    send(journey, "cio-orleans")
    answer(journey, {"reponse": "accepter", "date_premier_rdv": today(), "personne_informee": False})
    assert latest_referral(journey).status == "acceptee"
