"""Referral journeys: the fixes of issue 6 point 3 (reassignment after a redirection, comments
carried to the sender, urgency, anonymous birth year, the re-choice assigned to the sender,
abandoned outcomes and dated timeline entries)."""
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from conftest import get_user
from flask import current_app
from sqlalchemy import select

from test_orientation import (RECEIVER, SENDER, accept, analysis, answer, choose, confirm, do, inform,
                              latest_referral, messages, open_tasks, referrals_of, send, start_referral,
                              structure, the_task, today, welcome)
from test_orientation_timers import fire_at, now  # noqa: F401  (the movable clock fixture)
from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEvent, Person
from webapp.operations.definitions import current_version, publish, read_folder
from webapp.operations.journeys import start_journey
from webapp.operations.referrals import reassign_referral
from webapp.operations.tasks import reassign_task
from webapp.queries.tasks import task_list


def test_reassigning_a_redirected_referral_reaches_the_structure_the_coordinator_chose(ctx):
    """Mission Locale -> CIO, which redirects to the APEC; the Loiret coordinator hands it to
    France Travail: does France Travail get « Répondre à l'orientation reçue », sent from the
    CIO's redirection chain, and nothing go back to the CIO?"""
    journey = start_referral()
    send(journey)
    answer(journey, {"reponse": "rediriger", "partenaire_redirection_id": structure("apec-orleans").id,
                     "commentaire": "L'APEC suit les cadres.", "personne_informee": True})
    stuck = latest_referral(journey)
    assert stuck.to_structure.slug == "apec-orleans"
    new = reassign_referral(get_user("olivier.lambert"), stuck.id, structure("ft-orleans").id,
                            "APEC injoignable.", True)
    db.session.commit()
    assert new.to_structure.slug == "ft-orleans" and new.previous_id == stuck.id
    assert new.from_structure.slug == "cio-orleans"
    task = the_task(journey, "traiter_orientation")
    assert task.structure_id == structure("ft-orleans").id
    accept(journey, "lucas.moreau")
    assert [r.status for r in referrals_of(journey)] == ["redirigee", "reaffectee", "acceptee"]


def test_a_second_reassignment_carries_its_own_reason_and_structure(ctx):
    """Reassigned twice by the coordination: does the second one go to the structure chosen the
    second time, with the second reason, not the first one's left in the journey's data?"""
    journey = start_referral()
    first = send(journey)
    coordinator = get_user("olivier.lambert")
    second = reassign_referral(coordinator, first.id, structure("ft-orleans").id, "CIO fermé.", True)
    db.session.commit()
    third = reassign_referral(coordinator, second.id, structure("apec-orleans").id, "Agence en travaux.", True)
    db.session.commit()
    assert (second.to_structure.slug, third.to_structure.slug) == ("ft-orleans", "apec-orleans")
    assert the_task(journey, "traiter_orientation").structure_id == structure("apec-orleans").id
    last = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.reassigned")
                              .order_by(AuditEvent.id.desc())).first()
    assert last.summary == ("Orientation retirée à France Travail Orléans Madeleine par la coordination "
                            "locale : Agence en travaux.")


# -- 2. the receiver's comment reaches the sender ---------------------------------------------

def body_to(kind: str, slug: str = "ml-orleans") -> str:
    [message] = [m for m in messages(kind) if m.to_structure_id == structure(slug).id]
    return message.body


def test_the_acceptance_and_first_contact_comments_are_kept_and_sent_to_the_sender(ctx):
    """The CIO accepts with a word for the Mission Locale, then confirms the first contact with
    another: are both kept on the referral, with the date of the first contact, and quoted in the
    messages the Mission Locale receives?"""
    journey = start_referral()
    send(journey)
    answer(journey, {"reponse": "accepter", "date_premier_rdv": today(),
                     "commentaire": "Rendez-vous avec Mme Roux, apporter le dernier bulletin."})
    referral = latest_referral(journey)
    assert referral.answer_comment == "Rendez-vous avec Mme Roux, apporter le dernier bulletin."
    assert "Rendez-vous avec Mme Roux, apporter le dernier bulletin." in body_to("acceptation")
    do(RECEIVER, the_task(journey, "confirmer_premier_contact"),
       {"premier_contact": "confirme", "date_premier_contact": today(),
        "commentaire": "Venue avec sa mère ; stage de découverte prévu."})
    referral = latest_referral(journey)
    assert referral.contact_comment == "Venue avec sa mère ; stage de découverte prévu."
    assert referral.first_contact_at.date().isoformat() == today()
    assert referral.answer_comment == "Rendez-vous avec Mme Roux, apporter le dernier bulletin."
    assert "Venue avec sa mère ; stage de découverte prévu." in body_to("aboutie")


def test_refusal_and_redirection_comments_are_quoted_to_the_sender(ctx):
    """Are the refusing and the redirecting partners' comments in the messages to the sender?"""
    journey = start_referral()
    send(journey)
    answer(journey, {"reponse": "refuser", "motif_refus": "capacite",
                     "commentaire": "Plus de place avant mars, essayez le CRIJ."})
    assert latest_referral(journey).answer_comment == "Plus de place avant mars, essayez le CRIJ."
    assert "Plus de place avant mars, essayez le CRIJ." in body_to("refus")

    later = start_referral()
    send(later)
    answer(later, {"reponse": "rediriger", "partenaire_redirection_id": structure("crij-orleans").id,
                   "commentaire": "Le CRIJ a un atelier métiers jeudi.", "personne_informee": True})
    assert "Le CRIJ a un atelier métiers jeudi." in body_to("redirection")


def test_a_missed_first_contact_keeps_the_acceptance_comment(ctx):
    """Accepted with a comment, then « not come » with another: is the acceptance's comment kept
    and the second one stored as the first-contact comment, quoted to the sender?"""
    journey = start_referral()
    send(journey)
    answer(journey, {"reponse": "accepter", "date_premier_rdv": today(), "commentaire": "Mardi 10 h."})
    do(RECEIVER, the_task(journey, "confirmer_premier_contact"),
       {"premier_contact": "non_venue", "commentaire": "Trois appels sans réponse."})
    referral = latest_referral(journey)
    assert (referral.answer_comment, referral.contact_comment) == ("Mardi 10 h.", "Trois appels sans réponse.")
    assert "Trois appels sans réponse." in body_to("refus")


# -- 3. urgency ---------------------------------------------------------------------------------

def urgent_referral(urgence: str = "prioritaire"):
    journey = start_journey(get_user(SENDER), "accueil")
    db.session.commit()
    do(SENDER, the_task(journey, "accueillir"), welcome())
    do(SENDER, the_task(journey, "analyser_demande"), analysis(urgence=urgence))
    return journey


def test_an_urgent_request_is_sent_urgent_and_listed_first(ctx):
    """A request judged « prioritaire » at reception: is the referral marked urgent, the arrival
    message headed « Urgent », and the partner's task listed before an older ordinary one?"""
    ordinary = urgent_referral("normale")
    send(ordinary)
    journey = urgent_referral()
    assert the_task(journey, "choisir_partenaire").priority == 1
    referral = send(journey)
    assert referral.urgent is True and latest_referral(ordinary).urgent is False
    [plain, urgent] = messages("arrivee")
    assert urgent.subject.startswith("Urgent") and "Urgent" in urgent.body
    assert "Urgent" not in plain.subject and "urgent" not in plain.body.lower()
    task = the_task(journey, "traiter_orientation")
    old = the_task(ordinary, "traiter_orientation")
    assert (task.priority, old.priority) == (1, 0)
    queue = [t.id for t in task_list(get_user(RECEIVER), "queue", per_page=500).items]
    assert queue.index(task.id) < queue.index(old.id)


def test_my_tasks_list_urgent_ones_first_then_by_due_date(ctx):
    """« Mes tâches »: is an urgent task above ordinary ones even when they are due sooner?"""
    ordinary = urgent_referral("normale")
    journey = urgent_referral()
    mine = [t.id for t in task_list(get_user(SENDER), "mine", per_page=500).items]
    urgent, plain = the_task(journey, "choisir_partenaire"), the_task(ordinary, "choisir_partenaire")
    plain.due_at = urgent.due_at - timedelta(days=1)
    db.session.commit()
    mine = [t.id for t in task_list(get_user(SENDER), "mine", per_page=500).items]
    assert mine.index(urgent.id) < mine.index(plain.id)


def test_a_redirected_urgent_referral_stays_urgent(ctx):
    journey = urgent_referral()
    send(journey)
    answer(journey, {"reponse": "rediriger", "partenaire_redirection_id": structure("crij-orleans").id,
                     "commentaire": "Plus adapté.", "personne_informee": True})
    assert [r.urgent for r in referrals_of(journey)] == [True, True]
    assert the_task(journey, "traiter_orientation").priority == 1


# -- 4. anonymous people keep their year of birth -------------------------------------------------

def test_an_anonymous_person_keeps_the_year_of_birth_but_no_identity(ctx):
    claire = get_user(SENDER)
    journey = start_journey(claire, "accueil")
    db.session.commit()
    do(SENDER, the_task(journey, "accueillir"),
       {"canal": "telephone", "anonyme": True, "public": "salarie", "annee_naissance": 1984,
        "nom": "Quennehen", "prenom": "Léocadie", "telephone": "06 12 34 56 78", "email": "l.q@example.org"})
    person = db.session.get(Person, journey.person_id)
    assert person.annee_naissance == 1984
    assert (person.nom, person.prenom, person.telephone, person.email) == (None, None, None, None)
    db.session.refresh(journey)
    # the year as a JSON value: the state's random task ids may hold the digits « 1984 » by chance
    assert "Quennehen" not in journey.state and not re.search(r':\s*"?1984"?\s*[,}\]]', journey.state)


# -- 5. the re-choice goes back to the counsellor who sent the referral ---------------------------

def mine(username: str) -> list[str]:
    return [t.bpmn_id for t in task_list(get_user(username), "mine", per_page=500).items]


def handed_to_karim():
    """Claire received the person, then handed the choice of the partner to Karim (« Réaffecter »)."""
    journey = start_referral()
    reassign_task(get_user(SENDER), the_task(journey, "choisir_partenaire").id, get_user("karim.benali").id)
    db.session.commit()
    return journey


def test_after_a_refusal_the_choice_is_assigned_to_the_sending_counsellor(ctx):
    """Sent by Karim (Mission Locale), refused by the CIO: is « Choisir le partenaire » in
    Karim's « Mes tâches », not Claire's, who only received the person?"""
    journey = handed_to_karim()
    choose(journey, "cio-orleans", "karim.benali")
    inform(journey, username="karim.benali")
    answer(journey, {"reponse": "refuser", "motif_refus": "capacite"})
    choice = the_task(journey, "choisir_partenaire")
    assert choice.assignee_id == get_user("karim.benali").id
    assert "choisir_partenaire" in mine("karim.benali") and "choisir_partenaire" not in mine(SENDER)


def test_a_sender_who_left_is_skipped_for_a_colleague_who_worked_the_journey(ctx):
    """Karim sent it but has left (deactivated): does the choice go to Claire, who received the
    person, and to nobody when no active colleague of the structure worked the journey?"""
    journey = handed_to_karim()
    choose(journey, "cio-orleans", "karim.benali")
    inform(journey, username="karim.benali")
    karim = get_user("karim.benali")
    karim.active = False
    db.session.commit()
    try:
        answer(journey, {"reponse": "refuser", "motif_refus": "capacite"})
        assert the_task(journey, "choisir_partenaire").assignee_id == get_user(SENDER).id
    finally:
        karim.active = True
        db.session.commit()


def test_after_an_expiry_the_choice_is_assigned_to_the_sender(now):
    journey = start_referral()
    send(journey)
    fire_at(now, datetime(2026, 6, 12, 9, 1))
    assert latest_referral(journey).status == "expiree"
    assert the_task(journey, "choisir_partenaire").assignee_id == get_user(SENDER).id
    assert "choisir_partenaire" in mine(SENDER)


def test_a_partners_first_task_is_left_in_its_queue(ctx):
    """Nobody of the CIO has worked this journey yet: its answer waits unassigned in its queue;
    after a refusal and a new choice of the CIO, it goes to whoever answered the first time."""
    journey = start_referral()
    send(journey)
    assert the_task(journey, "traiter_orientation").assignee_id is None
    answer(journey, {"reponse": "refuser", "motif_refus": "capacite"}, "mathieu.girard")
    send(journey)
    assert the_task(journey, "traiter_orientation").assignee_id == get_user("mathieu.girard").id


# -- 6. outcomes and dated timeline entries -------------------------------------------------------

def test_an_abandoned_referral_reads_abandoned_and_an_achieved_one_achieved(ctx):
    journey = start_referral()
    send(journey)
    answer(journey, {"reponse": "refuser", "motif_refus": "capacite"})
    do(SENDER, the_task(journey, "choisir_partenaire"), {"decision": "abandonner", "motif_abandon": "Plus de besoin."})
    db.session.refresh(journey)
    assert (journey.status, journey.end_label) == ("terminee", "Orientation abandonnée")

    achieved = start_referral()
    send(achieved)
    accept(achieved)
    confirm(achieved)
    db.session.refresh(achieved)
    assert (achieved.status, achieved.end_label) == ("terminee", "Orientation aboutie")


def test_a_journey_started_before_the_outcomes_keeps_its_own_ending(ctx, tmp_path, restore_versions):
    """A journey started on the accueil version without the outcome gateway, then a new version
    published: does it still end on its own version's end event when the orientation is abandoned?"""
    processes = Path(current_app.root_path).parent / "processes"
    forms = tmp_path / "forms"  # the shipped forms, and the one that old version's CEP wait used
    shutil.copytree(processes.parent / "forms", forms)
    for old_form in (Path(__file__).parent / "fixtures" / "accueil_before_cep").glob("*.json"):
        shutil.copy(old_form, forms)
    forms = str(forms)
    files = read_folder(str(processes))
    old = {**files, "accueil.bpmn": (Path(__file__).parent / "fixtures" / "accueil_before_outcomes.bpmn").read_bytes()}
    publish(old, forms)
    db.session.commit()
    journey = start_referral()
    old_version = journey.definition_version_id
    publish(files, forms)
    db.session.commit()
    assert current_version("accueil").id != old_version
    do(SENDER, the_task(journey, "choisir_partenaire"), {"decision": "abandonner", "motif_abandon": "Plus de besoin."})
    db.session.refresh(journey)
    assert (journey.status, journey.end_event, journey.incident) == ("terminee", "fin_orientation", None)
    assert journey.definition_version_id == old_version


def timeline(journey) -> list[str]:
    return [e.summary for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.journey_id == journey.id, AuditEvent.action == "task.completed").order_by(AuditEvent.id))]


def test_timeline_entries_give_the_date_the_step_took_place(ctx):
    """An interview and two sessions dated in the past, recorded today: does each entry say when
    it took place; and a step whose only date is an appointment to come stays « terminée »?"""
    journey = start_journey(get_user(SENDER), "accueil")
    db.session.commit()
    do(SENDER, the_task(journey, "accueillir"), welcome())
    do(SENDER, the_task(journey, "analyser_demande"), analysis("prise_en_charge"))
    do(SENDER, the_task(journey, "entretien_information"),
       {"date_entretien": "2026-03-02", "notes": "Premier entretien.", "releve_du_champ": True,
        "conseil_approfondi": True})
    for day, again in (("2026-03-09", True), ("2026-03-16", False)):
        do(SENDER, open_tasks(journey)[0], {"date_seance": day, "notes": "Travail sur le projet.",
                                            "autre_seance": again})
    assert timeline(journey) == [
        "« Accueillir la personne » terminée", "« Analyser la demande » terminée",
        "« Entretien individuel d'information » du 02/03/2026 enregistrée",
        "« Séance de conseil n°1 » du 09/03/2026 enregistrée",
        "« Séance de conseil n°2 » du 16/03/2026 enregistrée"]

    referred = start_referral()
    send(referred)
    accept(referred)
    confirm(referred)
    entries = timeline(referred)
    assert "« Répondre à l'orientation reçue » terminée" in entries
    assert f"« Confirmer le premier contact » du {clock.now():%d/%m/%Y} enregistrée" in entries
