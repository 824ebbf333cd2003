"""Fifty revisions of a funding plan (rule 3: no unbounded task tree): the journey ends properly,
its stored state grows by a small bound per revision, and the fiftieth revision's completion runs
the same SQL as the first. Timings are in bench/cep_revisions.py."""
from cep_steps import (ADVISER, decide, in_days, level1, open_cep, plan, plans, request_tasks, today,
                       validate_project)
from conftest import statements_of
from test_orientation import do, open_tasks, the_task

from webapp.extensions import db
from webapp.models import Journey

AMOUNTS = {"cpf": "3200", "transitions_pro": "5200"}


def revise(journey, granted_in_full: bool):
    """One plan: Transitions Pro asked 5 200 € again, granting 5 000 € (or all of it at last)."""
    plan(journey, AMOUNTS)
    for task in request_tasks(journey, "preparer_demande").values():
        do(ADVISER, task, {"date_depot": today()})
    for label in list(request_tasks(journey, "decision_financeur")):
        if label.startswith("CPF") or granted_in_full:
            decide(journey, label[:10], "accorde")
        else:
            decide(journey, label[:10], "partiel", "5000")


def test_fifty_revisions_end_properly_and_cost_what_the_first_did(app, ctx):
    journey = open_cep()
    level1(journey, suite="validation")
    validate_project(journey)
    sizes, statements = {}, {}
    for number in range(1, 51):
        if number in (2, 50):  # the plan step of this revision, counted
            task = the_task(journey, "plan_financement")
            _done, statements[number] = statements_of(
                app, lambda: do(ADVISER, task, {**plan_data(), "financements": AMOUNTS}))
            for task in request_tasks(journey, "preparer_demande").values():
                do(ADVISER, task, {"date_depot": today()})
            for label in list(request_tasks(journey, "decision_financeur")):
                decide(journey, label[:10], "partiel", "5000")
        else:
            revise(journey, granted_in_full=False)
        sizes[number] = len(db.session.get(Journey, journey.id).state)
    assert [t.bpmn_id for t in open_tasks(journey)] == ["plan_financement"]  # the 50th still partial
    revise(journey, granted_in_full=True)
    do(ADVISER, the_task(journey, "confirmer_entree"), {"entree": "confirmee", "date_entree": today()})
    db.session.expire_all()
    journey = db.session.get(Journey, journey.id)
    assert (journey.status, journey.end_event) == ("terminee", "fin_entree_formation")
    history = plans(journey)
    assert [p.number for p in history] == list(range(1, 52))
    assert {p.status for p in history[:-1]} == {"a_reviser"} and history[-1].status == "entree_confirmee"
    per_revision = (sizes[50] - sizes[10]) / 40
    assert per_revision < 1_500, f"{per_revision:.0f} bytes of state per revision"
    assert len(statements[50]) <= len(statements[2]) + 2, (len(statements[2]), len(statements[50]))


def plan_data() -> dict:
    return {"formation_visee": "Diplôme d'État d'aide-soignant", "organisme_formation": "IFAS de Tours",
            "date_debut": in_days(60), "date_fin": in_days(400), "duree_heures": 1540,
            "cout_pedagogique": "8000", "frais_annexes": "400", "solde_cpf": "3200", "decision_plan": "soumettre"}
