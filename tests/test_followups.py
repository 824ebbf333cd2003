"""The follow-up after a service: scheduled when a journey ends, sent months later by the worker to
a person who agreed and has an e-mail, answered once through a random link (no account) and stored
without identity; the person can refuse any further contact in one click."""
import re
from datetime import date, datetime, timedelta

import pytest
from conftest import csrf_from, get_user, login
from sqlalchemy import func, inspect, select
from test_orientation import do, the_task, welcome
from test_processes import analyse

from webapp import clock
from webapp.cli import main
from webapp.extensions import db, limiter
from webapp.models import Followup, FollowupAnswer, Journey, OutboxMessage, Person, Structure
from webapp.operations.followups import add_months, worker_pass
from webapp.operations.journeys import start_journey
from webapp.queries.followups import satisfaction_counts

CLAIRE = "claire.martin"  # Mission Locale d'Orléans
LINK = re.compile(r"/suivi/([A-Za-z0-9_-]{32,64})\n")


@pytest.fixture(autouse=True)
def public_url(app, monkeypatch):
    """Links in messages to people need the public address (the worker waits without it)."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://spro.example.org")


def ended_reception(username: str = CLAIRE, consent: bool = True, **identity) -> Journey:
    """A reception answered with documentation (the journey ends at once), the person having agreed
    (or not) to be asked for their opinion."""
    journey = start_journey(get_user(username), "accueil")
    db.session.commit()
    data = {k: v for k, v in welcome(**identity).items() if v is not None}  # None: not given
    do(username, the_task(journey, "accueillir"), data)
    do(username, the_task(journey, "analyser_demande"), analyse("documentation"))
    if consent:
        db.session.get(Person, journey.person_id).contact_consent_at = clock.now()
        db.session.commit()
    return db.session.get(Journey, journey.id)


def later(monkeypatch, days: int):
    """Move the application's clock `days` ahead of now."""
    moment = datetime.utcnow() + timedelta(days=days)
    monkeypatch.setattr(clock, "now", lambda: moment)


def followup_messages() -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "suivi")
                              .order_by(OutboxMessage.id)).all()


def sent_token(app, monkeypatch, **identity) -> tuple[str, int]:
    """A reception ended, 6 months and a day later the worker queued its questionnaire: the link's
    token (read from the message before it is sent) and the person's id."""
    with app.app_context():
        journey = ended_reception(**identity)
        later(monkeypatch, 190)
        assert worker_pass() == 1
        message = followup_messages()[-1]
        return LINK.search(message.body).group(1), journey.person_id


def answer_form(client, token, **values) -> dict:
    page = client.get(f"/suivi/{token}")
    return {"csrf_token": csrf_from(page.get_data(as_text=True)), **values}


# -- scheduling ----------------------------------------------------------------------------------

def test_a_reception_ended_with_documentation_schedules_one_followup_six_months_later(ctx):
    journey = ended_reception()
    assert journey.status == "terminee"
    followup = db.session.scalar(select(Followup).where(Followup.journey_id == journey.id))
    assert followup.status == "prevu" and followup.person_id == journey.person_id
    assert followup.process_key == "accueil" and followup.structure_id == get_user(CLAIRE).structure_id
    assert followup.service_end_month == journey.ended_at.strftime("%Y-%m")
    assert followup.due_at == add_months(journey.ended_at, 6)
    assert followup.token_digest is None  # no link before it is due
    assert db.session.scalar(select(func.count()).select_from(Followup)) == 1


def test_a_reception_handing_over_to_a_cep_waits_for_the_cep_journeys_end(ctx):
    from cep_steps import level1, open_cep
    cep = open_cep()  # the reception ends « CEP engagé »: the person's service goes on in the CEP journey
    assert db.session.scalar(select(func.count()).select_from(Followup)) == 0
    level1(cep, suite="fin")  # first-level information was enough: the CEP journey ends
    followup = db.session.scalar(select(Followup))
    assert (followup.journey_id, followup.process_key) == (cep.id, "cep")
    assert db.session.get(Journey, cep.id).status == "terminee"


def test_months_are_added_with_the_day_clamped():
    assert add_months(datetime(2026, 8, 31, 9), 6) == datetime(2027, 2, 28, 9)
    assert add_months(datetime(2026, 3, 15), 6) == datetime(2026, 9, 15)


def test_nothing_is_sent_before_the_due_date(ctx, monkeypatch):
    ended_reception()
    later(monkeypatch, 150)
    assert worker_pass() == 0
    assert followup_messages() == []
    assert db.session.scalar(select(Followup.status)) == "prevu"


# -- the worker ----------------------------------------------------------------------------------

def test_without_a_public_address_the_worker_waits(app, ctx, monkeypatch):
    ended_reception()
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    later(monkeypatch, 190)
    assert worker_pass() == 0 and followup_messages() == []
    assert db.session.scalar(select(Followup.status)) == "prevu"
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://spro.example.org")
    assert worker_pass() == 1
    assert "https://spro.example.org/suivi/" in followup_messages()[0].body


def test_the_worker_writes_only_to_people_who_agreed_and_have_an_email_and_only_once(app, ctx, monkeypatch):
    agreed = ended_reception(email="lea.durand@example.org")
    ended_reception(consent=False, prenom="Hugo", nom="Petit", email="hugo.petit@example.org")
    ended_reception(prenom="Inès", nom="Dupuis", email=None, telephone="06 99 88 77 66")
    later(monkeypatch, 190)
    from webapp.operations import notifications
    delivered = []
    monkeypatch.setattr(notifications, "page_sender", lambda m: delivered.append(m.to_address))
    runner = app.test_cli_runner()
    for _ in range(3):  # three passes of `spro worker`: queued, then sent, then nothing more
        result = runner.invoke(main, ["worker", "--once"])
        assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert delivered == ["lea.durand@example.org"]
    messages = followup_messages()
    assert [m.status for m in messages] == ["envoye"]
    assert messages[0].to_structure_id is None  # a message to the person, not to a structure's page
    assert (messages[0].to_address, messages[0].person_id) == ("", None), "the sent message still says whom it went to"
    assert "Mission Locale" in messages[0].body
    assert "/suivi/" not in messages[0].body, "the link stays in the stored message after sending"
    assert messages[0].body.count("(lien retiré après l'envoi)") == 2
    states = dict(db.session.execute(select(Followup.person_id, Followup.status)).all())
    assert states.pop(agreed.person_id) == "envoye"
    assert sorted(states.values()) == ["sans_contact", "sans_contact"]
    followup = db.session.scalar(select(Followup).where(Followup.person_id == agreed.person_id))
    assert len(followup.token_digest) == 64 and followup.expires_at > clock.now() + timedelta(days=29)


def test_a_person_who_refused_is_not_written_to_even_with_consent(ctx, monkeypatch):
    journey = ended_reception()
    db.session.get(Person, journey.person_id).contact_refused_at = clock.now()
    db.session.commit()
    later(monkeypatch, 190)
    assert worker_pass() == 0 and followup_messages() == []


# -- the questionnaire ---------------------------------------------------------------------------

def test_the_link_answers_once_and_the_answer_carries_no_identity(app, client, monkeypatch):
    token, person_id = sent_token(app, monkeypatch)
    page = client.get(f"/suivi/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Avez-vous trouvé ce dont vous aviez besoin" in html and "Mission Locale" in html
    assert "Durand" not in html and "lea.durand" not in html
    assert client.post(f"/suivi/{token}", data={"trouve": "oui", "adaptee": "4"}).status_code == 400  # no CSRF
    bad = client.post(f"/suivi/{token}", data=answer_form(client, token, adaptee="9", commentaire="x" * 1001))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Choisissez une réponse : oui, en partie ou non." in text and "Choisissez une note de 1 à 5." in text
    assert "dépasse 1000 caractères" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FollowupAnswer)) == 0
    good = client.post(f"/suivi/{token}", data=answer_form(client, token, trouve="partiellement", adaptee="4",
                                                            commentaire="Accueil très clair."))
    assert good.status_code == 303 and good.headers["Location"].endswith("/suivi/merci")
    assert "Merci pour votre réponse" in client.get("/suivi/merci").get_data(as_text=True)
    with app.app_context():
        answer = db.session.scalar(select(FollowupAnswer))
        assert (answer.found, answer.structure_fit, answer.comment) == ("partiellement", 4, "Accueil très clair.")
        assert answer.structure_id == get_user(CLAIRE).structure_id and answer.process_key == "accueil"
        columns = {c.key for c in inspect(FollowupAnswer).columns}
        assert columns == {"id", "structure_id", "process_key", "service_end_month", "found", "structure_fit", "comment"}
        followup = db.session.scalar(select(Followup))  # looks unanswered until its link's end (test_followups_privacy.py)
        assert followup.status == "envoye" and followup.person_id == person_id
    again = client.get(f"/suivi/{token}")
    assert again.status_code == 410 and "déjà répondu" in again.get_data(as_text=True)
    replay = client.post(f"/suivi/{token}", data={"csrf_token": csrf_from(html), "trouve": "non", "adaptee": "1"})
    assert replay.status_code == 410
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FollowupAnswer)) == 1


def test_an_expired_link_is_refused_with_a_clear_page(app, client, monkeypatch):
    token, _ = sent_token(app, monkeypatch)
    form = answer_form(client, token, trouve="oui", adaptee="5")
    later(monkeypatch, 190 + 31)
    page = client.get(f"/suivi/{token}")
    assert page.status_code == 410 and "Lien expiré" in page.get_data(as_text=True)
    assert client.post(f"/suivi/{token}", data=form).status_code == 410
    with app.app_context():
        assert worker_pass() == 0
        assert db.session.scalar(select(Followup.status)) == "expire"
        assert db.session.scalar(select(func.count()).select_from(FollowupAnswer)) == 0


def test_an_unknown_or_malformed_link_is_a_french_404(client):
    for token in ("x" * 43, "abc", "%00" * 40, "é" * 40):
        response = client.get(f"/suivi/{token}")
        assert response.status_code == 404 and "Lien inconnu" in response.get_data(as_text=True)
    assert client.get(f"/suivi/{'y' * 43}/refus").status_code == 404


# -- refusing ------------------------------------------------------------------------------------

def test_refusing_in_one_click_stops_every_further_contact(app, client, monkeypatch):
    with app.app_context():
        first = ended_reception()
        person_id = first.person_id
        # the same person comes back for a second service, ended later: another follow-up waits
        second = start_journey(get_user(CLAIRE), "accueil", person_id=person_id)
        db.session.commit()
        do(CLAIRE, the_task(second, "accueillir"), welcome())
        do(CLAIRE, the_task(second, "analyser_demande"), analyse("documentation"))
        assert db.session.scalar(select(func.count()).select_from(Followup)) == 2
        later(monkeypatch, 190)
        assert worker_pass() == 1  # one questionnaire at a time per person
        assert sorted(db.session.scalars(select(Followup.status))) == ["envoye", "prevu"]  # the other one waits
        token = LINK.search(followup_messages()[-1].body).group(1)
    confirm = client.get(f"/suivi/{token}/refus")
    assert confirm.status_code == 200 and "Confirmer : ne plus me contacter" in confirm.get_data(as_text=True)
    with app.app_context():  # a GET changes nothing (mail scanners open links)
        assert db.session.get(Person, person_id).contact_refused_at is None
    done = client.post(f"/suivi/{token}/refus", data={"csrf_token": csrf_from(confirm.get_data(as_text=True))})
    assert done.status_code == 200 and "ne vous contactera plus" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, person_id).contact_refused_at is not None
        assert set(db.session.scalars(select(Followup.status))) == {"annule"}
    closed = client.get(f"/suivi/{token}")
    assert closed.status_code == 410 and "ne plus être contacté" in closed.get_data(as_text=True)
    with app.app_context():
        later(monkeypatch, 400)
        worker_pass()
        assert len(followup_messages()) == 1  # nothing more was written


def test_the_opt_out_link_still_works_after_answering(app, client, monkeypatch):
    token, person_id = sent_token(app, monkeypatch)
    client.post(f"/suivi/{token}", data=answer_form(client, token, trouve="oui", adaptee="5"))
    page = client.get(f"/suivi/{token}/refus")
    client.post(f"/suivi/{token}/refus", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    with app.app_context():
        assert db.session.get(Person, person_id).contact_refused_at is not None


# -- consent on the dossier ----------------------------------------------------------------------

def test_a_counsellor_records_consent_and_another_structure_cannot(app, client):
    with app.app_context():
        journey = ended_reception(consent=False)
        person_id = journey.person_id
    login(client, CLAIRE)
    page = client.get(f"/personnes/{person_id}").get_data(as_text=True)
    assert "Suivi de satisfaction" in page and "Aucun accord recueilli" in page
    response = client.post(f"/personnes/{person_id}/suivi-satisfaction",
                           data={"csrf_token": csrf_from(page), "accord": "oui"})
    assert response.status_code == 303
    page = client.get(f"/personnes/{person_id}").get_data(as_text=True)
    assert "accepte de recevoir un questionnaire" in page and "Prochain envoi prévu vers le" in page
    assert client.post(f"/personnes/{person_id}/suivi-satisfaction", data={"accord": "oui"}).status_code == 400
    other = app.test_client()
    login(other, "isabelle.roux")  # CIO d'Orléans: has never seen this person
    token = csrf_from(other.get("/").get_data(as_text=True))
    denied = other.post(f"/personnes/{person_id}/suivi-satisfaction", data={"csrf_token": token, "accord": "non"})
    assert denied.status_code == 404 and "Durand" not in denied.get_data(as_text=True)
    signed_out = app.test_client().post(f"/personnes/{person_id}/suivi-satisfaction", data={"accord": "non"})
    assert signed_out.status_code in (302, 400)
    with app.app_context():
        assert db.session.get(Person, person_id).contact_consent_at is not None


# -- indicators ----------------------------------------------------------------------------------

def test_satisfaction_counts_by_period_and_structure(app, client, monkeypatch):
    token, _ = sent_token(app, monkeypatch)
    client.post(f"/suivi/{token}", data=answer_form(client, token, trouve="non", adaptee="2"))
    with app.app_context():
        mine = get_user(CLAIRE).structure_id
        other = db.session.scalar(select(Structure.id).where(Structure.id != mine))
        month = db.session.scalar(select(FollowupAnswer.service_end_month))
        db.session.add_all([FollowupAnswer(structure_id=mine, process_key="cep", service_end_month=month,
                                           found="oui", structure_fit=5, comment="Bien."),
                            FollowupAnswer(structure_id=other, process_key="accueil", service_end_month=month,
                                           found="oui", structure_fit=3)])
        db.session.commit()
        year, number = map(int, month.split("-"))
        start, end = date(year, number, 1), date(year, number, 28)
        counts = satisfaction_counts(start, end, [mine])
        assert counts == {"sent": 1, "answers": 2, "found": {"oui": 1, "partiellement": 0, "non": 1},
                          "fit": {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}, "comments": 1}
        assert satisfaction_counts(start, end, None)["answers"] == 3
        assert satisfaction_counts(start, end, [])["answers"] == 0
        before = date(year - 1, number, 1)
        assert satisfaction_counts(before, before, None)["answers"] == 0


def test_the_questionnaire_has_a_flood_guard(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "FOLLOWUP_RATE_LIMIT", "3 per minute")
    try:
        codes = [client.get(f"/suivi/{'z' * 43}").status_code for _ in range(4)]
        assert codes == [404, 404, 404, 429]
    finally:
        limiter.reset()


@pytest.fixture
def phone_browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield browser
        browser.close()


def test_the_questionnaire_in_a_phone_browser(app, server, phone_browser, monkeypatch):
    """At 390 px: no sideways scroll, a missing answer is named, then the answer is thanked."""
    token, _ = sent_token(app, monkeypatch)
    monkeypatch.undo()  # the server thread reads the real clock again: the link is 190 days "old" only for the worker
    page = phone_browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{server}/suivi/{token}")
    assert page.get_by_role("heading", name="Votre avis sur l'accompagnement reçu").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("En partie").check()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    assert page.get_by_role("alert").inner_text().count("Choisissez une note de 1 à 5.") == 1
    assert page.get_by_label("En partie").is_checked()  # what was typed is kept
    page.get_by_label("4", exact=True).check()
    page.get_by_label("3. Un commentaire, une suggestion ? (facultatif)").fill("Merci pour les fiches métiers.")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    assert page.get_by_role("heading", name="Merci pour votre réponse").is_visible()
    with app.app_context():
        assert db.session.scalar(select(FollowupAnswer.comment)) == "Merci pour les fiches métiers."


def test_a_receiving_structure_cannot_record_consent_and_the_export_shows_it(app, client):
    from test_orientation import send, start_referral
    with app.app_context():
        journey = start_referral()
        send(journey)  # Claire's Mission Locale refers Léa to the CIO d'Orléans (situation and request shared)
        person_id = journey.person_id
    receiver = app.test_client()
    login(receiver, "isabelle.roux")
    page = receiver.get(f"/personnes/{person_id}").get_data(as_text=True)
    assert "Suivi de satisfaction" not in page  # a receiver sees the shared snapshot only
    denied = receiver.post(f"/personnes/{person_id}/suivi-satisfaction",
                           data={"csrf_token": csrf_from(page), "accord": "oui"})
    assert denied.status_code == 403
    login(client, CLAIRE)
    page = client.get(f"/personnes/{person_id}").get_data(as_text=True)
    client.post(f"/personnes/{person_id}/suivi-satisfaction", data={"csrf_token": csrf_from(page), "accord": "oui"})
    exported = client.get(f"/personnes/{person_id}/donnees.json").get_data(as_text=True)
    assert re.search(r'"accord_questionnaire_suivi_le": ?"\d', exported)
    assert re.search(r'"refus_de_tout_contact_le": ?null', exported)
    with app.app_context():
        assert db.session.get(Person, person_id).contact_consent_at is not None


def test_hostile_answers_are_refused_in_french_and_store_nothing(app, client, monkeypatch):
    token, _ = sent_token(app, monkeypatch)
    form = answer_form(client, token)
    for values in ({"trouve": "oui\x00", "adaptee": "5"}, {"trouve": "oui", "adaptee": "18446744073709551617"},
                   {"trouve": "oui", "adaptee": "٥"}, {"trouve": "oui", "adaptee": "5", "commentaire": "a\x00b"},
                   {"trouve": "x" * 100_000, "adaptee": "-1", "commentaire": "\ud7ff\ufffe" * 600},
                   {"autre": "champ"}):
        response = client.post(f"/suivi/{token}", data={**form, **values})
        assert response.status_code == 422, values
        assert 'role="alert"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FollowupAnswer)) == 0
        assert db.session.scalar(select(Followup.status)) == "envoye"


def test_two_workers_at_once_send_each_questionnaire_once(app, ctx, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor
    people = [ended_reception(prenom=f"Personne{n}", nom="Suivi", email=f"p{n}@example.org").person_id
              for n in range(6)]
    later(monkeypatch, 190)
    db.session.remove()

    def work():
        with app.app_context():
            return worker_pass()
    with ThreadPoolExecutor(2) as pool:
        results = [f.result(timeout=60) for f in [pool.submit(work) for _ in range(2)]]
    assert sum(results) == 6, results
    addresses = sorted(m.to_address for m in followup_messages())
    assert addresses == sorted(f"p{n}@example.org" for n in range(6))
    assert sorted(db.session.scalars(select(Followup.person_id).where(Followup.status == "envoye"))) == sorted(people)
