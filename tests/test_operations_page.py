"""« Exploitation »: the regional admin sees whether the worker keeps up — workers seen (stale ones
flagged), the oldest due timer (how late, which journey: number and name only), the oldest unsent
message, failed messages, journeys in incident; nobody else may open it."""
import re
from datetime import datetime, timedelta

import pytest
from conftest import login, statements_of
from sqlalchemy import select
from test_orientation import send, start_referral

from webapp import clock
from webapp.extensions import db
from webapp.models import Journey, OutboxMessage
from webapp.operations.workers import beat
from webapp.queries.worker_status import operations_status

T0 = datetime(2026, 11, 2, 9, 0)  # a Monday


def _text(response) -> str:
    page = response.get_data(as_text=True).replace("<wbr>", "")  # break opportunities in long names
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def late_worker(app, monkeypatch):
    """A referral sent at T0 (its reminder timer set, its arrival message queued), one failed
    message, one journey in incident, two workers (one stopped); then the clock stands 3 h 05 min
    after the referral's first timer fell due. Returns (clock time, (the timer's journey id, its name))."""
    moment = {"now": T0}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    with app.app_context():
        send(start_referral())
        waiting = db.session.scalar(select(Journey).where(Journey.next_timer_at.is_not(None)))
        due_at = waiting.next_timer_at
        broken = start_referral(person=None)
        broken.status, broken.incident = "incident", "Étape refusée par le moteur"
        db.session.add(OutboxMessage(kind="relance", to_address="x@example.org", subject="Relance", body="…",
                                     status="echec", attempts=5, created_at=T0))
        db.session.commit()
        now = due_at + timedelta(hours=3, minutes=5)
        moment["now"] = now - timedelta(days=3)
        beat("ancien-serveur:12", now - timedelta(days=4))
        moment["now"] = now - timedelta(seconds=40)
        beat("serveur-a:345", now - timedelta(hours=1))
        moment["now"] = now
        return now, (waiting.id, waiting.definition.name)


def test_the_regional_admin_reads_the_lag(app, client, late_worker):
    now, (journey_id, name) = late_worker
    login(client, "nathalie.bernard")
    response = client.get("/administration/exploitation")
    assert response.status_code == 200
    text = _text(response)
    assert "Processus de fond 1 actif" in text
    assert re.search(r"serveur-a:345 [^(]*\(il y a 40 s\) 1 Actif", text)
    assert re.search(r"ancien-serveur:12 [^(]*\(il y a 3 j 0 h\) 1 Arrêté ou bloqué", text)
    assert "Délais échus non traités 1" in text
    assert f"3 h 05 min de retard (parcours n° {journey_id}, « {name} »)" in text
    waited = now - T0  # the arrival message was queued when the referral was sent, at T0
    days, hours = waited.days, waited.seconds // 3600
    assert "Messages 1 à envoyer" in text and f"Le plus ancien attend depuis {days} j {hours} h" in text
    assert "1 en échec" in text
    assert "Parcours en incident 1" in text and "Léa" not in text and "Durand" not in text


def test_figures_cost_four_statements(app, late_worker):
    from conftest import get_user
    with app.app_context():
        admin = get_user("nathalie.bernard")
        assert admin.structure.network == "region"  # the access check's own read, done before counting
        status, statements = statements_of(app, lambda: operations_status(admin))
        assert len(statements) == 4, statements
        assert status.timers.due == 1 and status.outbox.waiting == 1 and status.outbox.failed == 1
        assert status.incident_total == 1 and status.live_workers == 1 and len(status.workers) == 2


def test_a_quiet_service_says_so(client):
    login(client, "nathalie.bernard")
    text = _text(client.get("/administration/exploitation"))
    assert "Aucun processus de fond n'a encore signalé son activité" in text
    assert "Aucun délai échu en attente" in text and "Aucun message en attente d'envoi" in text
    assert "Aucun parcours en incident" in text


@pytest.mark.parametrize("username", ["claire.martin", "pierre.faure", "julien.mercier"])
def test_others_are_refused(client, username):
    """A counsellor, a structure's own admin, a process owner of the region: 403, no link."""
    login(client, username)
    assert client.get("/administration/exploitation").status_code == 403
    assert "/administration/exploitation" not in client.get("/").get_data(as_text=True)


def test_signed_out_goes_to_login(client):
    response = client.get("/administration/exploitation")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_navigation_offers_it_to_the_regional_admin(client):
    login(client, "nathalie.bernard")
    assert 'href="/administration/exploitation"' in client.get("/").get_data(as_text=True)
