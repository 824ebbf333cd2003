"""The home page's « Quoi de neuf »: referrals received, answers to referrals sent (with the
receiver's comment) and the user's late tasks, over the last 7 days, « Nouveau » since the
previous login, each linking to the dossier or the task."""
import html
import re
from datetime import datetime

import pytest
from conftest import get_user, login, statements_of

from test_orientation import RECEIVER, SENDER, accept, answer, send, start_referral, the_task
from webapp import clock
from webapp.extensions import db
from webapp.models import Journey
from webapp.operations.tasks import claim_task

MONDAY = datetime(2026, 4, 27, 9, 0)


@pytest.fixture
def now(app, monkeypatch):
    moment = {"now": MONDAY}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return moment


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def section(page: str, title: str) -> list[str]:
    """The items of one « Quoi de neuf » section, or [] when the section is absent."""
    match = re.search(rf"<h3>{re.escape(title)}</h3>\s*<ul[^>]*>(.*?)</ul>", page, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def signed_in(app, username: str, moment, now):
    """A client logged in at `moment` (the previous login becomes the one before)."""
    now["now"] = moment
    client = app.test_client()
    login(client, username)
    return client


def _journey(app, **person):
    with app.app_context():
        journey = start_referral(person={"canal": "sur_place", "anonyme": False, "public": "scolaire",
                                         "commune": "Orléans", **person})
        return journey.id


def _with_journey(app, journey_id, action):
    with app.app_context():
        return action(db.session.get(Journey, journey_id))


def test_receiver_sees_a_new_referral_with_the_shared_name_and_its_task(app, now):
    """Does the CIO's counsellor see the referral received this week, marked « Nouveau », under the
    shared snapshot only, linking to the dossier and to the answer task?"""
    signed_in(app, RECEIVER, datetime(2026, 4, 24, 9, 0), now)
    journey_id = _journey(app, prenom="Léa", nom="Durand")
    now["now"] = datetime(2026, 4, 27, 10, 0)
    _with_journey(app, journey_id, lambda j: send(j, "cio-orleans", shared=("situation", "demande")))
    task_id, person_id = _with_journey(app, journey_id, lambda j: (the_task(j, "traiter_orientation").id,
                                                                   j.person_id))
    client = signed_in(app, RECEIVER, datetime(2026, 4, 27, 11, 0), now)
    [item] = section(home(client), "Orientations reçues par ma structure")
    assert "Nouveau" in item and "de Mission Locale de l'Orléanais" in item
    assert f"Personne orientée n°{person_id}" in item and "Durand" not in item
    assert f'href="/personnes/{person_id}"' in item and f'href="/taches/{task_id}"' in item
    assert section(home(client), "Réponses aux orientations envoyées") == []


def test_sender_sees_answers_with_the_comment_new_only_since_the_previous_login(app, now):
    """The CIO refuses Léa's referral with a comment on Monday, the sender logs in on Tuesday, the
    CIO accepts Marc's on Wednesday, the sender logs in on Thursday: are both answers listed with
    the refusal's comment, only the acceptance « Nouveau », the refusal linking to the new choice
    task; and after 7 days is the refusal gone?"""
    lea, marc = _journey(app, prenom="Léa", nom="Durand"), _journey(app, prenom="Marc", nom="Petit")
    for journey_id in (lea, marc):
        _with_journey(app, journey_id, lambda j: send(j, "cio-orleans", shared=("identite",)))
    now["now"] = datetime(2026, 4, 27, 14, 0)
    _with_journey(app, lea, lambda j: answer(j, {"reponse": "refuser", "motif_refus": "capacite",
                                                 "commentaire": "Plus de place avant juin."}))
    signed_in(app, SENDER, datetime(2026, 4, 28, 9, 0), now)
    now["now"] = datetime(2026, 4, 29, 10, 0)
    _with_journey(app, marc, accept)
    client = signed_in(app, SENDER, datetime(2026, 4, 30, 9, 0), now)
    choice_id = _with_journey(app, lea, lambda j: the_task(j, "choisir_partenaire").id)
    page = home(client)
    accepted, refused = section(page, "Réponses aux orientations envoyées")
    assert "Orientation acceptée" in accepted and "Marc Petit" in accepted and "Nouveau" in accepted
    assert "Orientation refusée" in refused and "Léa Durand" in refused and "Nouveau" not in refused
    assert "par CIO d'Orléans" in refused and "Plus de place avant juin." in refused
    assert f'href="/taches/{choice_id}"' in refused
    assert section(page, "Orientations reçues par ma structure") == []

    client = signed_in(app, SENDER, datetime(2026, 5, 5, 9, 0), now)  # the refusal is 8 days old
    [item] = section(home(client), "Réponses aux orientations envoyées")
    assert "Marc Petit" in item


def test_a_structure_outside_the_referral_sees_nothing(app, now):
    """Does a CIO in Bourges, not involved, see no item of the Mission Locale's referral?"""
    journey_id = _journey(app, prenom="Léa", nom="Durand")
    _with_journey(app, journey_id, lambda j: send(j, "cio-orleans"))
    _with_journey(app, journey_id, accept)
    page = home(signed_in(app, "aurelie.fontaine", datetime(2026, 4, 28, 9, 0), now))
    assert "Rien de nouveau." in page and "Durand" not in page


def test_my_late_tasks_are_listed_with_a_link(app, now):
    """Claire claims the partner choice (due in 2 working days) and lets it wait a week: is it
    among her late tasks, linking to the task?"""
    journey_id = _journey(app, prenom="Léa", nom="Durand")
    with app.app_context():
        task = the_task(db.session.get(Journey, journey_id), "choisir_partenaire")
        claim_task(get_user(SENDER), task.id)
        db.session.commit()
        task_id = task.id
    client = signed_in(app, SENDER, datetime(2026, 4, 28, 9, 0), now)
    assert section(home(client), "Mes tâches en retard") == []
    client = signed_in(app, SENDER, datetime(2026, 5, 4, 9, 0), now)
    [item] = section(home(client), "Mes tâches en retard")
    assert "Choisir le partenaire" in item and f'href="/taches/{task_id}"' in item and "Léa Durand" in item


def test_home_reads_a_fixed_number_of_statements(app, now):
    """Does the home page cost as many statements with four answered referrals as with one?"""
    def answered(name):
        journey_id = _journey(app, prenom=name, nom="Test")
        _with_journey(app, journey_id, lambda j: send(j, "cio-orleans"))
        _with_journey(app, journey_id, accept)

    def statements(client):
        page, seen = statements_of(app, lambda: home(client))
        return page, len(seen)

    answered("Alice")
    client = signed_in(app, SENDER, datetime(2026, 4, 28, 9, 0), now)
    page, one = statements(client)
    assert len(section(page, "Réponses aux orientations envoyées")) == 1
    for name in ("Bruno", "Chloé", "Denis"):
        answered(name)
    page, four = statements(client)
    assert len(section(page, "Réponses aux orientations envoyées")) == 4
    assert four == one
