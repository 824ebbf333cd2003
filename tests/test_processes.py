"""Every path of the shipped journeys, driven through the operations and through the facade."""
import json
from pathlib import Path

import pytest
from conftest import get_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import HumanTask
from webapp.models.people import IDENTITY_FIELDS
from webapp.operations.journeys import complete_task, start_journey
from webapp.workflow import Instance, compile_files

ROOT = Path(__file__).resolve().parent.parent
KNOWN_FORMS = {p.name for p in (ROOT / "forms").glob("*.schema.json")}

ACCUEILLIR = "Accueillir la personne"
ANALYSER = "Analyser la demande"
ENTRETIEN = "Entretien individuel d'information"
SEANCE = "Séance de conseil"
PLAN = "Plan d'action et issue"
ORIENTATION = "Orientation vers un partenaire à organiser"
CEP = "Conseil en évolution professionnelle à organiser"

IDENTITY = {"prenom": "Léocadie", "nom": "Quennehen-Vasseur", "annee_naissance": 2007,
            "telephone": "06 12 34 56 78", "email": "leocadie.qv@example.org"}


def accueil_data(**extra):
    return {"canal": "sur_place", "anonyme": False, "public": "scolaire", "commune": "Orléans",
            **IDENTITY, **extra}


def analyse(reponse):
    data = {"thematiques": ["choisir-un-metier--confirmer-son-choix-de-metier"],
            "besoins": "Hésite entre deux métiers.", "urgence": "normale", "reponse": reponse}
    if reponse == "documentation":
        data["documentation_remise"] = "Fiches métiers de l'Onisep."
    return data


def entretien(conseil):
    return {"date_entretien": "2026-03-02", "notes": "Premier entretien.", "releve_du_champ": True,
            "conseil_approfondi": conseil}


def seance(autre):
    return {"date_seance": "2026-03-09", "notes": "Séance de travail sur le projet.", "autre_seance": autre}


def plan(issue):
    return {"plan_action": "Enquêtes métier puis immersion.", "issue": issue}


ORIENTATION_DATA = {"partenaire_envisage": "CIO d'Orléans", "motif": "Projet scolaire.",
                    "personne_informee": True}
CEP_DATA = {"operateur_cep_envisage": "APEC", "projet": "Reconversion."}

# (name, [(expected task title, submitted data)], expected end event of the accueil journey)
PEC_SANS_SEANCE = [(ENTRETIEN, entretien(False)), (PLAN, plan("emploi"))]
PEC_TROIS_SEANCES = [(ENTRETIEN, entretien(True)), (f"{SEANCE} n°1", seance(True)),
                     (f"{SEANCE} n°2", seance(True)), (f"{SEANCE} n°3", seance(False)),
                     (PLAN, plan("formation"))]
PEC_ORIENTATION = [(ENTRETIEN, entretien(False)), (PLAN, plan("orientation")),
                   (ORIENTATION, ORIENTATION_DATA)]
START = [(ACCUEILLIR, accueil_data())]
PATHS = [
    ("documentation", START + [(ANALYSER, analyse("documentation"))], "fin_documentation"),
    ("orientation", START + [(ANALYSER, analyse("orientation")), (ORIENTATION, ORIENTATION_DATA)],
     "fin_orientation_a_organiser"),
    ("cep", START + [(ANALYSER, analyse("cep")), (CEP, CEP_DATA)], "fin_cep_a_organiser"),
    ("pec_sans_seance", START + [(ANALYSER, analyse("prise_en_charge"))] + PEC_SANS_SEANCE,
     "fin_prise_en_charge"),
    ("pec_trois_seances", START + [(ANALYSER, analyse("prise_en_charge"))] + PEC_TROIS_SEANCES,
     "fin_prise_en_charge"),
    ("pec_orientation", START + [(ANALYSER, analyse("prise_en_charge"))] + PEC_ORIENTATION,
     "fin_prise_en_charge"),
]
# The prise_en_charge process on its own: its own end events.
PEC_PATHS = [
    ("sans_seance", PEC_SANS_SEANCE, "fin_accompagnement"),
    ("trois_seances", PEC_TROIS_SEANCES, "fin_accompagnement"),
    ("orientation", PEC_ORIENTATION, "fin_orientation_a_organiser"),
]


def open_tasks(journey) -> list[HumanTask]:
    return db.session.scalars(select(HumanTask).where(
        HumanTask.journey_id == journey.id, HumanTask.status == "ouverte").order_by(HumanTask.id)).all()


def keys_in(value) -> set:
    """Every dictionary key found anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(keys_in(v) for v in value))
    return set()


# -- through the operations ---------------------------------------------------------------------

@pytest.mark.parametrize("name, steps, end_event", PATHS, ids=[p[0] for p in PATHS])
def test_accueil_paths_through_the_operations(ctx, name, steps, end_event):
    """Does each path of the accueil journey show the expected tasks, one at a time, and end
    `terminee` at the expected end event?"""
    claire = get_user("claire.martin")
    journey = start_journey(claire, "accueil")
    db.session.commit()
    seen = []
    for title, data in steps:
        assert journey.status == "en_cours"
        tasks = open_tasks(journey)
        assert [t.title for t in tasks] == [title], f"after {seen}"
        assert tasks[0].role == "conseiller" and tasks[0].structure_id == claire.structure_id
        seen.append(title)
        done = complete_task(claire, tasks[0].id, data)
        db.session.commit()
        assert done.status == "terminee" and done.completed_by_id == claire.id
    assert open_tasks(journey) == []
    db.session.refresh(journey)
    assert journey.status == "terminee"
    assert journey.end_event == end_event
    assert journey.ended_at is not None and journey.incident is None
    rows = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id)
                              .order_by(HumanTask.id)).all()
    assert [r.title for r in rows] == [title for title, _ in steps]
    assert {r.status for r in rows} == {"terminee"}


def test_orientation_tasks_get_a_due_date(ctx):
    """Does the orientation task (dueInWorkingDays = 5) get a due date after its creation?"""
    claire = get_user("claire.martin")
    journey = start_journey(claire, "accueil")
    complete_task(claire, open_tasks(journey)[0].id, accueil_data())
    complete_task(claire, open_tasks(journey)[0].id, analyse("orientation"))
    task = open_tasks(journey)[0]
    assert task.title == ORIENTATION
    assert task.due_at is not None and task.due_at > task.created_at


def test_identity_goes_to_the_person_row_never_into_the_workflow_state(ctx):
    """Do name, first name, birth year, phone and email land on the Person row and never in
    journey.state nor in the task index?"""
    claire = get_user("claire.martin")
    journey = start_journey(claire, "accueil")
    db.session.commit()
    complete_task(claire, open_tasks(journey)[0].id, accueil_data())
    db.session.commit()
    db.session.refresh(journey)
    person = journey.person
    assert {name: getattr(person, name) for name in IDENTITY} == IDENTITY
    assert person.public == "scolaire" and person.commune == "Orléans"
    for value in ("Quennehen", "Léocadie", "06 12 34 56 78", "leocadie.qv@example.org"):
        assert value not in journey.state
    state_keys = keys_in(json.loads(journey.state))
    assert not state_keys & set(IDENTITY_FIELDS)
    assert "public" in state_keys  # the profile, unlike the identity, is for the gateways
    row = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == journey.id,
                                                    HumanTask.bpmn_id == "accueillir"))
    assert not set(row.data) & set(IDENTITY_FIELDS)


def test_an_anonymous_welcome_stores_no_identity_at_all(ctx):
    """When the person stays anonymous, is a typed-in name kept neither on the Person row nor
    in the workflow state?"""
    claire = get_user("claire.martin")
    journey = start_journey(claire, "accueil")
    complete_task(claire, open_tasks(journey)[0].id,
                  {"canal": "telephone", "anonyme": True, "public": "salarie", "nom": "Quennehen-Vasseur"})
    db.session.commit()
    db.session.refresh(journey)
    assert journey.person.nom is None and journey.person.is_anonymous_person
    assert "Quennehen" not in journey.state
    assert [t.title for t in open_tasks(journey)] == [ANALYSER]


def test_fifty_sessions_keep_the_state_growing_linearly(ctx):
    """Do 50 counselling sessions keep the stored state growing by a bounded, steady amount per
    session (a loop task, not an ever-deepening task tree)?"""
    claire = get_user("claire.martin")
    journey = start_journey(claire, "accueil")
    for title, data in START + [(ANALYSER, analyse("prise_en_charge")), (ENTRETIEN, entretien(True))]:
        complete_task(claire, open_tasks(journey)[0].id, data)
    db.session.commit()
    sizes = {}
    for n in range(1, 51):
        tasks = open_tasks(journey)
        assert [t.title for t in tasks] == [f"{SEANCE} n°{n}"]
        complete_task(claire, tasks[0].id, seance(n < 50))
        db.session.commit()
        sizes[n] = len(journey.state)
    assert [t.title for t in open_tasks(journey)] == [PLAN]
    assert sizes[50] / sizes[10] < 6
    steps = [sizes[k + 10] - sizes[k] for k in (10, 20, 30)]
    assert all(step > 0 for step in steps)
    assert max(steps) / min(steps) < 1.25, f"growth per 10 sessions is not steady: {steps}"
    assert max(steps) / 10 < 2_000, f"more than 2 KB of state per session: {steps}"


# -- through the facade, with a save/restore round trip after every step ------------------------

@pytest.fixture(scope="module")
def specs():
    files = {p.name: p.read_bytes() for p in sorted((ROOT / "processes").glob("*.bpmn"))}
    compiled = compile_files(files, known_forms=KNOWN_FORMS)
    return {key: process.spec_json for key, process in compiled.items()}


def round_trip(spec_json: str, instance: Instance) -> Instance:
    """Dump and restore; check the restored instance is the same, and carry on with it."""
    state = instance.dump()
    restored = Instance.restore(spec_json, state)
    assert restored.ready_user_tasks() == instance.ready_user_tasks()
    assert restored.data == instance.data
    for task in instance.ready_user_tasks():
        assert restored.task_data(task.uuid) == instance.task_data(task.uuid)
    assert (restored.completed, restored.end_event(), restored.stalled()) == \
        (instance.completed, instance.end_event(), instance.stalled())
    assert restored.dump() == state
    return restored


def run_with_round_trips(spec_json: str, steps) -> Instance:
    instance = round_trip(spec_json, Instance.start(spec_json))
    for title, data in steps:
        ready = instance.ready_user_tasks()
        assert len(ready) == 1, ready
        task = ready[0]
        shown = task.title if task.iteration is None else f"{task.title} n°{task.iteration + 1}"
        assert shown == title
        assert task.role == "conseiller" and task.form in KNOWN_FORMS
        assert not instance.stalled()
        engine_data = {k: v for k, v in data.items() if k not in IDENTITY_FIELDS}
        instance.complete(task.uuid, engine_data)
        instance = round_trip(spec_json, instance)
    last_data = {k: v for k, v in steps[-1][1].items() if k not in IDENTITY_FIELDS}
    assert instance.data.items() >= last_data.items()
    assert not set(instance.data) & set(IDENTITY_FIELDS)
    return instance


@pytest.mark.parametrize("name, steps, end_event", PATHS, ids=[p[0] for p in PATHS])
def test_accueil_paths_through_the_facade(specs, name, steps, end_event):
    """Does each accueil path give the same tasks and end through Instance, with every
    intermediate state surviving dump/restore unchanged?"""
    instance = run_with_round_trips(specs["accueil"], steps)
    assert instance.ready_user_tasks() == []
    assert instance.completed
    assert instance.end_event() == end_event
    assert not instance.stalled()


@pytest.mark.parametrize("name, steps, end_event", PEC_PATHS, ids=[p[0] for p in PEC_PATHS])
def test_prise_en_charge_paths_through_the_facade(specs, name, steps, end_event):
    """Does the prise_en_charge process on its own reach the end event matching its outcome?"""
    instance = run_with_round_trips(specs["prise_en_charge"], steps)
    assert instance.ready_user_tasks() == []
    assert instance.completed
    assert instance.end_event() == end_event
    assert not instance.stalled()
