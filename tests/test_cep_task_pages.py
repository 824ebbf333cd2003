"""The CEP steps as Sophie fills them in on the task pages: the ROME job picked from the list, the
project carried into the next session, the funding plan with one amount per funder typed the
French way, refused with its reason when it does not add up, and a revised plan that starts from
the previous one."""
import html
import re

from cep_steps import ADVISER, decide, in_days, level1, level2, open_cep, plan, submit_all, today, validate_project
from conftest import api_token, csrf_from, login
from test_orientation import the_task

from webapp.extensions import db
from webapp.models import HumanTask


def post(client, task_id, data):
    page = client.get(f"/taches/{task_id}")
    return client.post(f"/taches/{task_id}", data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def value_of(page: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


PLAN = {"formation_visee": "Diplôme d'État d'aide-soignant", "organisme_formation": "IFAS de Tours",
        "duree_heures": "1540", "cout_pedagogique": "8 000", "frais_annexes": "400,00", "solde_cpf": "3 200 €",
        "decision_plan": "soumettre"}


def test_sessions_offer_the_rome_jobs_and_carry_the_project_forward(client, app):
    with app.app_context():
        journey = open_cep()
        level1(journey)
        first = the_task(journey, "accompagnement_personnalise").id
    login(client, ADVISER)
    page = client.get(f"/taches/{first}").get_data(as_text=True)
    assert 'list="liste-metier_cible"' in page
    assert "J1501 — Soins d&#39;hygiène, de confort du patient" in page  # one of the 532 ROME jobs
    response = post(client, first, {
        "date_seance": today(), "metier_cible": "J1501 — Soins d'hygiène, de confort du patient",
        "formation_visee": "Diplôme d'État d'aide-soignant", "competences_a_acquerir": "Soins.",
        "faisabilite": "Offres nombreuses.", "suite": "poursuivre"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(HumanTask, first).data["metier_cible"] == "J1501"
        second = the_task(journey, "accompagnement_personnalise").id
    page = client.get(f"/taches/{second}").get_data(as_text=True)
    assert value_of(page, "metier_cible") == "J1501" and value_of(page, "formation_visee") == "Diplôme d'État d'aide-soignant"
    assert value_of(page, "date_seance") in (None, "")  # a new session has its own date


def test_the_plan_form_takes_one_amount_per_funder_and_says_why_a_plan_does_not_add_up(client, app):
    with app.app_context():
        journey = open_cep()
        level1(journey, suite="validation")
        validate_project(journey)
        task_id = the_task(journey, "plan_financement").id
    login(client, ADVISER)
    page = client.get(f"/taches/{task_id}").get_data(as_text=True)
    for funder in ("CPF (compte personnel de formation du titulaire)", "Employeur", "Participation de la personne"):
        assert funder in html.unescape(page)
    assert 'name="financements.cpf"' in page and "data-amounts-total" in page
    dates = {"date_debut": in_days(60), "date_fin": in_days(400)}
    short = post(client, task_id, {**PLAN, **dates, "financements.cpf": "3 200", "financements.transitions_pro": "5 000"})
    assert short.status_code == 422
    text = html.unescape(short.get_data(as_text=True))
    assert "il manque 200,00\u00a0€" in text
    assert value_of(short.get_data(as_text=True), "financements.transitions_pro") == "5 000,00"  # kept, not lost
    done = post(client, task_id, {**PLAN, **dates, "financements.cpf": "3 200", "financements.transitions_pro": "5 200"})
    assert done.status_code == 303
    with app.app_context():
        row = db.session.get(HumanTask, task_id)
        assert row.data["financements"] == {"cpf": "3200.00", "transitions_pro": "5200.00"}
        assert row.data["cout_pedagogique"] == "8000.00" and row.data["solde_cpf"] == "3200.00"
        submit_all(journey)
        decide(journey, "CPF", "accorde")
        decide(journey, "Transitions", "partiel", "4000")
        revision = the_task(journey, "plan_financement").id
    page = client.get(f"/taches/{revision}").get_data(as_text=True)  # the revision starts from plan n°1
    assert value_of(page, "financements.cpf") == "3 200,00" and value_of(page, "cout_pedagogique") == "8 000,00"
    done_page = client.get(f"/taches/{task_id}").get_data(as_text=True)  # plan n°1 as it was sent
    assert value_of(done_page, "financements.transitions_pro") == "5 200,00"


def test_a_level_two_session_without_its_date_is_refused_and_loses_nothing(client, app):
    with app.app_context():
        journey = open_cep()
        level1(journey)
        level2(journey, suite="poursuivre")
        task_id = the_task(journey, "accompagnement_personnalise").id
    login(client, ADVISER)
    response = post(client, task_id, {"metier_cible": "J1501", "notes": "Séance sur les stages.", "suite": "poursuivre"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Date de la séance" in page and "Séance sur les stages." in page


def test_through_the_api_a_revised_plan_starts_from_the_previous_one(client, app):
    """A client reading the revision step gets the previous plan under the form's field names, and
    nothing for a step whose form carries nothing over."""
    with app.app_context():
        journey = open_cep()
        level1(journey, suite="validation")
        validate_project(journey)
        plan(journey, {"cpf": "3200", "transitions_pro": "5200"})
        submit_all(journey)
        decide(journey, "CPF", "accorde")
        decide(journey, "Transitions", "partiel", "4000")
        revision = the_task(journey, "plan_financement").id
    headers = api_token(client, ADVISER)
    body = client.get(f"/api/v1/tasks/{revision}", headers=headers).get_json()
    assert body["start_values"]["financements"] == {"cpf": "3200.00", "transitions_pro": "5200.00"}
    assert body["start_values"]["cout_pedagogique"] == "8000.00" and "decision_plan" not in body["start_values"]
    with app.app_context():
        other = open_cep()
        first = the_task(other, "accueil_individualise").id
    assert client.get(f"/api/v1/tasks/{first}", headers=headers).get_json()["start_values"] == {}
