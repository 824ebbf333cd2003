"""« Messages »: the unread count in the header, unread messages marked until the page is opened,
each message leading to its dossier and to the task the structure has to do on that journey."""
import html
import re

import pytest
from conftest import get_user, login, statements_of

from test_orientation import RECEIVER, SENDER, answer, send, start_referral, the_task
from webapp.extensions import db
from webapp.models import Journey


@pytest.fixture(autouse=True)
def never_opened(app):
    """The demo users have not opened « Messages » yet (other tests may have)."""
    with app.app_context():
        for username in (SENDER, RECEIVER, "nathalie.bernard", "olivier.lambert"):
            get_user(username).messages_seen_at = None
        db.session.commit()


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def header_unread(page: str) -> int:
    """The unread count next to « Messages » in the header, 0 when there is none."""
    match = re.search(r">Messages <span class=\"count\"[^>]*>(\d+)<", page)
    return int(match.group(1)) if match else 0


def items(page: str) -> list[str]:
    body = re.search(r'<ul class="messages">(.*?)</ul>', page, re.S)
    assert body, "the messages are not a list"
    return re.findall(r"<li[^>]*>(.*?)</li>", body.group(1), re.S)


def _sent(app):
    with app.app_context():
        journey = start_referral()
        send(journey, "cio-orleans")
        return journey.id, journey.person_id, the_task(journey, "traiter_orientation").id


def test_unread_count_until_messages_are_opened(client, app):
    """Does the CIO's header count the new referral's message as unread, the page mark it « Non lu »
    with links to the dossier and to the answer task, and, once opened, the count and mark go?"""
    _journey, person_id, task_id = _sent(app)
    login(client, RECEIVER)
    assert header_unread(page_of(client, "/")) == 1
    page = page_of(client, "/messages")
    assert header_unread(page) == 0  # opening the page reads them
    [item] = items(page)
    assert "Non lu" in item and "Nouvelle orientation reçue de Mission Locale de l'Orléanais" in item
    assert f'href="/personnes/{person_id}"' in item and f'href="/taches/{task_id}"' in item
    with app.app_context():
        assert get_user(RECEIVER).messages_seen_at is not None
    assert header_unread(page_of(client, "/")) == 0
    [item] = items(page_of(client, "/messages"))
    assert "Non lu" not in item
    assert "<table" not in page.split('<main', 1)[1]  # phones: a list, not a wide table


def test_only_newer_messages_are_unread_and_a_refusal_leads_to_the_new_choice(client, app):
    """Claire opens « Messages » (nothing yet); the CIO refuses: is the refusal her only unread
    message, linking to the dossier and to the partner choice her structure has to redo?"""
    journey_id, person_id, _task = _sent(app)
    login(client, SENDER)
    page_of(client, "/messages")
    with app.app_context():
        answer(db.session.get(Journey, journey_id), {"reponse": "refuser", "motif_refus": "capacite"})
        choice_id = the_task(db.session.get(Journey, journey_id), "choisir_partenaire").id
    page = page_of(client, "/")
    assert header_unread(page) == 1
    [item] = items(page_of(client, "/messages"))
    assert "Non lu" in item and "Orientation refusée" in item
    assert f'href="/personnes/{person_id}"' in item and f'href="/taches/{choice_id}"' in item


def test_an_admin_reads_other_structures_messages_without_their_links(client, app):
    """Does the regional admin see the CIO's message, not marked unread for her, with no link to a
    dossier or task of another structure?"""
    _journey, person_id, task_id = _sent(app)
    login(client, "nathalie.bernard")
    [item] = items(page_of(client, "/messages"))
    assert "Nouvelle orientation reçue" in item and "Non lu" not in item
    assert 'href="/personnes/' not in item and 'href="/taches/' not in item


def test_a_coordinator_alerted_is_led_to_the_territory_not_to_a_closed_dossier(client, app, monkeypatch):
    """The CIO leaves the referral unanswered past its escalation date: does the Loiret's coordinator
    get the alert, unread, leading to the territory's late referrals and not to a dossier his
    structure may not open?"""
    from datetime import timedelta

    from webapp import clock
    from webapp.models import Referral
    from webapp.operations.timers import fire_due_timers
    journey_id, _person, _task = _sent(app)
    with app.app_context():
        escalate_at = db.session.scalar(db.select(Referral.escalate_at).where(Referral.journey_id == journey_id))
        monkeypatch.setattr(clock, "now", lambda: escalate_at + timedelta(minutes=1))
        while fire_due_timers():
            pass
    login(client, "olivier.lambert")
    [item] = items(page_of(client, "/messages"))
    assert "Non lu" in item and "Orientation sans réponse" in item
    assert 'href="/orientations/territoire?onglet=en_retard"' in item and 'href="/personnes/' not in item


def test_the_page_reads_a_fixed_number_of_statements(client, app):
    """Does the page cost as many statements with three messages as with one?"""
    def statements():
        page, seen = statements_of(app, lambda: page_of(client, "/messages"))
        return len(items(page)), len(seen)

    _sent(app)
    login(client, RECEIVER)
    one = statements()
    _sent(app)
    _sent(app)
    three = statements()
    assert (one[0], three[0]) == (1, 3) and three[1] == one[1]
