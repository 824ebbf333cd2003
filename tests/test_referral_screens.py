"""« Orientations reçues / envoyées / Territoire »: what each structure sees of its referrals,
by state tab, late and urgent ones first, with links to the dossier and to the task to do."""
import html
import re
from datetime import datetime

import pytest
from conftest import login, statements_of

from test_orientation import RECEIVER, SENDER, answer, send, start_referral, the_task
from webapp import clock
from webapp.extensions import db


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def tab_count(page: str, label: str) -> int:
    match = re.search(rf"{re.escape(label)} <span class=\"count\">(\d+)</span>", page)
    assert match, f"no tab {label}"
    return int(match.group(1))


def rows(page: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)


@pytest.fixture
def now(app, monkeypatch):
    """The application clock, moved by the test (Monday 27 April 2026, 09:00 UTC)."""
    moment = {"now": datetime(2026, 4, 27, 9, 0)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return moment


def _sent(app, shared=("situation", "demande"), person=None):
    with app.app_context():
        journey = start_referral(person=person)
        referral = send(journey, "cio-orleans", shared=shared)
        return referral.id, journey.id, journey.person_id


def test_receiver_sees_only_the_shared_name_and_its_task_the_sender_the_person(client, app):
    """Does the CIO land on « Orientations reçues » with the referral waiting, the person under the
    shared snapshot only (no surname shared), a link to its answer task; and the Mission Locale, on
    « Orientations envoyées », see Léa Durand and no task of the CIO?"""
    _referral, journey_id, person_id = _sent(app)
    with app.app_context():
        from webapp.models import Journey
        task_id = the_task(db.session.get(Journey, journey_id), "traiter_orientation").id
    login(client, RECEIVER)
    response = client.get("/orientations")
    assert response.status_code == 302 and response.headers["Location"].endswith("/orientations/recues")
    page = page_of(client, "/orientations/recues")
    assert tab_count(page, "En attente de réponse") == 1 and tab_count(page, "Acceptées") == 0
    [row] = rows(page)
    assert f"Personne orientée n°{person_id}" in row and "Durand" not in page
    assert f'href="/personnes/{person_id}"' in row and f'href="/taches/{task_id}"' in row
    assert "Mission Locale de l'Orléanais" in row and "CIO d'Orléans" in row
    assert "Aucune orientation" in page_of(client, "/orientations/envoyees")

    sender = app.test_client()
    login(sender, SENDER)
    assert sender.get("/orientations").headers["Location"].endswith("/orientations/envoyees")
    page = page_of(sender, "/orientations/envoyees")
    [row] = rows(page)
    assert "Léa Durand" in row and "/taches/" not in row
    assert "Aucune orientation" in page_of(sender, "/orientations/recues")


def test_tabs_count_each_state_and_list_late_then_urgent_first(client, app, now):
    """Three referrals to the CIO: one refused with a comment, one sent late (reminder date passed),
    one urgent sent last. Do the tabs count 2 waiting / 1 late / 1 refused, does the waiting tab
    list the late one first then the urgent one, and does the refused tab carry the comment?"""
    first, _j, _p = _sent(app, person={"canal": "sur_place", "anonyme": False, "prenom": "Alice", "nom": "Un",
                                       "public": "scolaire", "commune": "Orléans"}, shared=("identite",))
    now["now"] = datetime(2026, 5, 4, 9, 0)
    _sent(app, person={"canal": "sur_place", "anonyme": False, "prenom": "Bruno", "nom": "Deux",
                       "public": "scolaire", "commune": "Orléans"}, shared=("identite",))
    urgent, _j, _p = _sent(app, person={"canal": "sur_place", "anonyme": False, "prenom": "Chloé", "nom": "Trois",
                                        "public": "scolaire", "commune": "Orléans"}, shared=("identite",))
    _refused, refused_journey, _p = _sent(app, person={"canal": "sur_place", "anonyme": False, "prenom": "Denis",
                                                       "nom": "Quatre", "public": "scolaire",
                                                       "commune": "Orléans"}, shared=("identite",))
    with app.app_context():
        from webapp.models import Journey, Referral
        # No operation marks a referral urgent yet: the flag is set as the schema allows.
        db.session.get(Referral, urgent).urgent = True
        db.session.commit()
        answer(db.session.get(Journey, refused_journey), {
            "reponse": "refuser", "motif_refus": "capacite", "commentaire": "Pas de place avant juin."})
    now["now"] = datetime(2026, 5, 6, 9, 0)  # Alice's reminder date (5 May) is past, not the others'
    login(client, RECEIVER)
    page = page_of(client, "/orientations/recues")
    assert (tab_count(page, "En attente de réponse"), tab_count(page, "En retard"),
            tab_count(page, "Refusées"), tab_count(page, "Abouties")) == (3, 1, 1, 0)
    names = [re.search(r"(Alice|Bruno|Chloé)", row).group(1) for row in rows(page)]
    assert names == ["Alice", "Chloé", "Bruno"]
    assert "En retard" in rows(page)[0] and "Urgent" in rows(page)[1] and "Urgent" not in rows(page)[2]
    late = page_of(client, "/orientations/recues?onglet=en_retard")
    assert [("Alice" in row) for row in rows(late)] == [True]
    refused = page_of(client, "/orientations/recues?onglet=refusee")
    [row] = rows(refused)
    assert "Denis" in row and "Refusée" in row and "Pas de place avant juin." in row
    sender = app.test_client()
    login(sender, SENDER)
    assert "Pas de place avant juin." in page_of(sender, "/orientations/envoyees?onglet=refusee")


def test_the_list_reads_a_bounded_number_of_statements(client, app):
    """Do the counts come from one grouped statement and the rows from a fixed number, so that
    a page of five referrals costs no more statements than a page of one?"""
    _sent(app)
    login(client, RECEIVER)

    def statements(url):
        return statements_of(app, lambda: page_of(client, url))[1]

    one = statements("/orientations/recues")
    for _ in range(4):
        _sent(app)
    five = statements("/orientations/recues")
    assert len(five) == len(one)
    assert len(rows(page_of(client, "/orientations/recues"))) == 5
    assert sum("GROUP BY" in s and "referral" in s for s in five) == 1


def test_pages_keep_the_tab(client, app, monkeypatch):
    """With two referrals and one per page, does page 2 of the waiting tab show the other one?"""
    monkeypatch.setitem(app.config, "TASKS_PER_PAGE", 1)
    _sent(app)
    _sent(app)
    login(client, SENDER)
    first = page_of(client, "/orientations/envoyees?onglet=ouverte")
    assert "Page 1 sur 2" in first and "onglet=ouverte" in first and len(rows(first)) == 1
    second = page_of(client, "/orientations/envoyees?onglet=ouverte&page=2")
    assert "Page 2 sur 2" in second and rows(second) != rows(first)


def test_territory_tab_is_for_coordinators_without_the_person(client, app):
    """Does the Loiret's coordinator see the referral in « Territoire » without any name or
    dossier link, while a counsellor is refused the tab and an uninvolved CIO sees nothing?"""
    _referral, _journey, person_id = _sent(app)
    login(client, "olivier.lambert")
    response = client.get("/orientations")
    assert response.headers["Location"].endswith("/orientations/territoire")
    page = page_of(client, "/orientations/territoire")
    [row] = rows(page)
    assert "Mission Locale de l'Orléanais" in row and f"/personnes/{person_id}" not in row
    assert "Durand" not in page and "Personne orientée" not in page
    counsellor = app.test_client()
    login(counsellor, SENDER)
    assert counsellor.get("/orientations/territoire").status_code == 403
    assert "Territoire" not in page_of(counsellor, "/orientations/envoyees").split("<main")[1]
    bourges = app.test_client()
    login(bourges, "aurelie.fontaine")
    for url in ("/orientations/recues", "/orientations/envoyees"):
        assert "Aucune orientation" in page_of(bourges, url)


def test_an_unknown_tab_shows_the_waiting_ones(client, app):
    """Does a mistyped tab fall back to the referrals waiting for an answer?"""
    _sent(app)
    login(client, RECEIVER)
    page = page_of(client, "/orientations/recues?onglet=nimporte")
    assert len(rows(page)) == 1 and 'aria-current="page">En attente de réponse' in page
