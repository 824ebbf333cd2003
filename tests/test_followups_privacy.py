"""The follow-up questionnaire keeps its promise « vos réponses sont enregistrées sans votre nom »:
nobody reading the rows left (follow-ups, opt-out links, outbox) can tell who answered, the link's
token never reaches the request log, and the e-mail speaks in the regional identity's name."""
import logging
import re
from datetime import timedelta

import pytest
from conftest import csrf_from
from sqlalchemy import select
from test_followups import ended_reception, followup_messages, later

from webapp import clock
from webapp.extensions import db
from webapp.models import Followup, FollowupAnswer, OutboxMessage
from webapp.models.followups import FollowupOptOutLink
from webapp.models.identity import RegionalIdentity
from webapp.operations import notifications
from webapp.operations.followups import worker_pass
from webapp.queries import identity as identity_query
from webapp.request_log import logged_path

LINK = re.compile(r"/suivi/([A-Za-z0-9_-]{32,64})\n")


@pytest.fixture(autouse=True)
def public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://spro.example.org")


def guess_who_answered() -> set[int]:
    """The attack: people written to (outbox, opt-out links) minus people a sent follow-up still names.
    It fails when it names the answerer and the others alike."""
    written_to = set(db.session.scalars(select(OutboxMessage.person_id).where(
        OutboxMessage.kind == "suivi", OutboxMessage.person_id.is_not(None))))
    written_to |= set(db.session.scalars(select(FollowupOptOutLink.person_id)))
    still_named = set(db.session.scalars(select(Followup.person_id).where(
        Followup.status.in_(("envoye", "repondu", "expire")), Followup.person_id.is_not(None))))
    return written_to - still_named


def traces(person_id: int) -> tuple:
    """What the rows left say about one person, with the values that differ between any two people
    (ids, digests, address) reduced to whether they are there."""
    followups = sorted((f.status, f.structure_id, f.process_key, f.service_end_month, f.sent_at, f.expires_at,
                        f.due_at is None, f.journey_id is None, f.token_digest is None)
                       for f in db.session.scalars(select(Followup).where(Followup.person_id == person_id)))
    links = sorted(link.created_at for link in db.session.scalars(
        select(FollowupOptOutLink).where(FollowupOptOutLink.person_id == person_id)))
    messages = sorted((m.status, m.subject, bool(m.to_address)) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.person_id == person_id)))
    return followups, links, messages


def test_who_answered_cannot_be_recovered_from_the_rows_left(app, client, monkeypatch):
    with app.app_context():
        lea = ended_reception(email="lea.durand@example.org").person_id
        hugo = ended_reception(prenom="Hugo", nom="Petit", email="hugo.petit@example.org").person_id
        later(monkeypatch, 190)
        assert worker_pass() == 2
        tokens = {m.person_id: LINK.search(m.body).group(1) for m in followup_messages()}
        assert notifications.send_pending() == 2
        worker_pass()  # the links leave the sent messages
    page = client.get(f"/suivi/{tokens[lea]}")
    answered = client.post(f"/suivi/{tokens[lea]}", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                          "trouve": "oui", "adaptee": "5"})
    assert answered.status_code == 303
    with app.app_context():  # while the links live: Léa answered, Hugo did not, the rows say the same of both
        assert db.session.scalar(select(FollowupAnswer.found)) == "oui"
        assert guess_who_answered() == set()  # Léa is not singled out
        assert traces(lea) == traces(hugo) and traces(lea)[0], traces(lea)
        month_start = clock.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        assert traces(lea)[1] == [month_start]  # the opt-out link is not dated finer than the month
    later(monkeypatch, 190 + 31)
    with app.app_context():  # after the links' end: nothing names either of them any more
        worker_pass()
        assert guess_who_answered() == {lea, hugo}  # both were written to, neither is named: no telling
        assert traces(lea) == traces(hugo) == ([], [month_start], [])
        rows = db.session.scalars(select(Followup).order_by(Followup.id)).all()
        assert [(f.status, f.person_id, f.journey_id, f.sent_at, f.due_at, f.expires_at) for f in rows] == \
            [("expire", None, None, None, None, None)] * 2
    # the links themselves still tell their holder the truth
    assert "Questionnaire déjà rempli" in client.get(f"/suivi/{tokens[lea]}").get_data(as_text=True)
    assert "Lien expiré" in client.get(f"/suivi/{tokens[hugo]}").get_data(as_text=True)


def test_an_answered_questionnaire_holds_back_the_next_one_like_an_unanswered_one(app, client, monkeypatch):
    """The next questionnaire's sending date must not reveal the answer either."""
    with app.app_context():
        person_id = ended_reception().person_id
        later(monkeypatch, 190)
        assert worker_pass() == 1
        token = LINK.search(followup_messages()[-1].body).group(1)
        second = Followup(person_id=person_id, structure_id=db.session.scalar(select(Followup.structure_id)),
                          process_key="accueil", service_end_month="2026-01", status="prevu",
                          due_at=clock.now() - timedelta(days=1))
        db.session.add(second)
        db.session.commit()
        second_id = second.id
    page = client.get(f"/suivi/{token}")
    client.post(f"/suivi/{token}", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                         "trouve": "non", "adaptee": "2"})
    with app.app_context():
        assert db.session.scalar(select(FollowupAnswer.found)) == "non"
        assert worker_pass() == 0  # waits for the first link's end, answered or not
        assert db.session.get(Followup, second_id).status == "prevu"


def test_the_request_log_never_shows_a_link_token(client, capsys):
    token = "T0ken-Secret_" + "x" * 30
    capsys.readouterr()
    assert client.get(f"/suivi/{token}").status_code == 404
    assert client.get(f"/suivi/{token}/refus").status_code == 404
    client.get("/suivi/merci")
    err = capsys.readouterr().err
    assert "T0ken-Secret_" not in err
    assert '"path": "/suivi/<jeton>"' in err and '"path": "/suivi/<jeton>/refus"' in err
    assert '"path": "/suivi/merci"' in err  # the thank-you page carries no secret
    assert logged_path("/personnes/12") == "/personnes/12"
    assert logged_path("/x" * 150) == ("/x" * 150)[:200]


def test_the_email_speaks_in_the_regional_identitys_name(app, ctx, monkeypatch):
    db.session.add(RegionalIdentity(id=1, name="SPRO Bretagne", short_name="SPRO", primary_color="#1d4f91",
                                    accent_color="#ffd84d", header_text_color="#ffffff", version=1))
    db.session.commit()
    identity_query.forget()
    ended_reception()
    later(monkeypatch, 190)
    assert worker_pass() == 1
    message = followup_messages()[-1]
    assert message.subject == "Votre avis sur l'accompagnement reçu — SPRO Bretagne"
    assert message.body.endswith("Bonne continuation,\nSPRO Bretagne\n")
    assert "Centre-Val de Loire" not in message.subject + message.body


def test_without_a_public_address_the_worker_warns_once_per_process(app, ctx, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    monkeypatch.setitem(app.extensions, "spro_followups", {})  # a fresh process
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert worker_pass() == 0
    warnings = [r for r in caplog.records if "SPRO_PUBLIC_URL" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
