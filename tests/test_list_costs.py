"""What the task lists cost in SQL statements: the same for one row as for a full page, never a
journey's engine state (counting statements is deterministic, unlike timing them)."""
import html

from conftest import api_token, csrf_from, get_user, login, statements_of
from test_orientation import RECEIVER, send, start_referral

from webapp.extensions import db
from webapp.operations.journeys import complete_task, start_journey
from webapp.operations.users import user_for_token

LISTS = ("/taches?scope=mine", "/taches?scope=queue")
API_LISTS = ("/api/v1/tasks?scope=mine", "/api/v1/tasks?scope=queue")


def _receptions(app, username: str, count: int) -> None:
    with app.app_context():
        for _ in range(count):
            start_journey(get_user(username), "accueil")
        db.session.commit()


def _costs(app, client, headers) -> dict:
    costs = {}
    for url in LISTS + ("/",):
        response, statements = statements_of(app, lambda: client.get(url))
        assert response.status_code == 200
        assert not any("journey.state" in s for s in statements), f"{url} loads journey states"
        costs[url] = len(statements)
    for url in API_LISTS:
        response, statements = statements_of(app, lambda: client.get(url, headers=headers))
        assert response.status_code == 200
        costs[url] = len(statements)
    return costs


def test_task_lists_cost_the_same_for_one_task_and_a_full_page(app, client):
    login(client, "claire.martin")
    headers = api_token(app.test_client(), "claire.martin")
    _receptions(app, "claire.martin", 1)
    one = _costs(app, client, headers)
    _receptions(app, "claire.martin", 24)
    full = _costs(app, client, headers)
    assert full == one
    assert all(one[url] <= 6 for url in LISTS), one
    assert all(one[url] <= 3 for url in API_LISTS), one


def test_a_receivers_queue_shows_shared_names_at_a_constant_cost(app, client):
    """Tasks of referrals received: the person is seen through what the sender shared, read for the
    whole page at once."""
    with app.app_context():
        send(start_referral(), shared=("situation", "demande"))  # the name is not shared
    login(client, RECEIVER)
    first, one = statements_of(app, lambda: client.get("/taches?scope=queue").get_data(as_text=True))
    with app.app_context():
        for _ in range(4):
            send(start_referral(), shared=("identite", "situation", "demande"))
    page, five = statements_of(app, lambda: client.get("/taches?scope=queue").get_data(as_text=True))
    assert len(five) == len(one) <= 7
    assert html.unescape(page).count("Répondre à l'orientation reçue</a>") == 5
    page = html.unescape(page)
    assert page.count("Léa Durand</a>") == 4 and page.count("Personne orientée n°") == 1


def test_a_bearer_token_costs_one_statement(app):
    headers = api_token(app.test_client(), "claire.martin")
    token = headers["Authorization"].split(" ", 1)[1]
    with app.app_context():
        user, statements = statements_of(app, lambda: user_for_token(token))
        assert user.username == "claire.martin" and len(statements) == 1
        assert user_for_token(token + "x") is None


def test_a_completion_through_the_api_costs_ten_statements_early_or_late_in_a_journey(app, client):
    """Completing a step costs at most ten statements (token, task and journey read with the lock,
    the writes, the next steps), the same for the first counselling session as for the third; only
    the reception step, which writes the person's identity and rebuilds their index, costs more."""
    from test_processes import accueil_data, analyse, entretien, seance
    headers = api_token(client, "claire.martin")
    started = client.post("/api/v1/journeys", json={"process_key": "accueil"}, headers=headers)
    task_id = started.get_json()["tasks"][0]["id"]
    costs = []
    for data in (accueil_data(), analyse("prise_en_charge"), entretien(True), seance(True), seance(True), seance(True)):
        response, statements = statements_of(
            app, lambda: client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers))
        assert response.status_code == 200, response.get_data(as_text=True)
        if costs:  # the version's specs and forms were read once, by the first step at the latest
            assert not any("definition_version.spec_json" in s for s in statements), "specs read again"
        costs.append(len(statements))
        task_id = response.get_json()["next_tasks"][0]["id"]
    assert all(cost <= 10 for cost in costs[1:]), costs
    assert costs[3] == costs[4] == costs[5], costs
    assert costs[0] <= 20, costs


def test_a_completion_through_the_screen_costs_ten_statements(app, client):
    """The form posted from the task page: the same operation, plus where to go next."""
    from test_processes import accueil_data, analyse, entretien
    from webapp.models import HumanTask
    with app.app_context():
        claire = get_user("claire.martin")
        journey = start_journey(claire, "accueil")
        db.session.commit()
        for data in (accueil_data(), analyse("prise_en_charge"), entretien(True)):
            complete_task(claire, open_task_of(journey.id).id, data)
            db.session.commit()
        task_id = open_task_of(journey.id).id
    login(client, "claire.martin")
    form = {"csrf_token": csrf_from(client.get(f"/taches/{task_id}").get_data(as_text=True)),
            "date_seance": "02/03/2026", "notes": "Travail sur le projet.", "autre_seance": "true"}
    response, statements = statements_of(app, lambda: client.post(f"/taches/{task_id}", data=form))
    assert response.status_code == 303 and response.headers["Location"].startswith("/taches/")
    assert len(statements) <= 10, "\n".join(statements)
    with app.app_context():
        assert db.session.get(HumanTask, task_id).status == "terminee"


def open_task_of(journey_id: int):
    from sqlalchemy import select
    from webapp.models import HumanTask
    return db.session.scalar(select(HumanTask).where(HumanTask.journey_id == journey_id, HumanTask.status == "ouverte"))


def test_starting_a_journey_for_a_new_person_builds_the_persons_index_once(app, client):
    """A new person is written with their journey: one rebuild of their index, not one per row."""
    headers = api_token(client, "claire.martin")
    response, statements = statements_of(
        app, lambda: client.post("/api/v1/journeys", json={"process_key": "accueil"}, headers=headers))
    assert response.status_code == 201
    assert sum(s.lstrip().startswith("DELETE FROM person_access") for s in statements) == 1
    assert len(statements) <= 16, "\n".join(statements)
