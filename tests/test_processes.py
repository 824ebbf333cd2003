"""Every path of the shipped journeys, driven through the operations and through the facade.

The orientation paths take three structures: the sender (Mission Locale de l'Orléanais), the
partner it chooses (CIO d'Orléans) and, after a decline or a redirection, a third one (CRIJ).
Through the operations they run with the real referral services; through the facade with a fake
that returns the results documented in webapp.operations.referral_services.
"""
import json
from pathlib import Path

import pytest
from conftest import get_user
from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import HumanTask, Referral, Structure
from webapp.models.people import IDENTITY_FIELDS
from webapp.operations.journeys import complete_task, start_journey
from webapp.operations.services import SERVICES
from webapp.workdays import add_working_days
from webapp.workflow import Instance, compile_files

ROOT = Path(__file__).resolve().parent.parent
KNOWN_FORMS = {p.name for p in (ROOT / "forms").glob("*.schema.json")}

ACCUEILLIR = "Accueillir la personne"
ANALYSER = "Analyser la demande"
ENTRETIEN = "Entretien individuel d'information"
SEANCE = "Séance de conseil"
PLAN = "Plan d'action et issue"
CHOISIR = "Choisir le partenaire"
INFORMER = "Informer la personne et choisir les données partagées"
TRAITER = "Répondre à l'orientation reçue"
CONFIRMER = "Confirmer le premier contact"

IDENTITY = {"prenom": "Léocadie", "nom": "Quennehen-Vasseur", "annee_naissance": 2007,
            "telephone": "06 12 34 56 78", "email": "leocadie.qv@example.org"}

# Who does a step: E the sender (the structure in charge), P the partner it chose, T a third
# structure (chosen after a decline, or named by the partner's redirection).
WHO = {"E": ("claire.martin", "ml-orleans"), "P": ("isabelle.roux", "cio-orleans"),
       "T": ("olivier.lambert", "crij-orleans")}


class Partner(str):
    """A partner structure named by its slug in the steps; replaced by an id when run."""


FAKE_IDS = {"ml-orleans": 101, "cio-orleans": 102, "crij-orleans": 103}


class Today(str):
    """The date of the day the step runs (a test collected before midnight may run after it): an
    appointment is never set in the past, a contact never in the future."""


TODAY = Today("today")


def resolve(data: dict, ids: dict) -> dict:
    """The step's data as submitted: partners by id, `TODAY` as the running day's ISO date."""
    def value(v):
        if isinstance(v, Partner):
            return ids[v]
        return clock.now().date().isoformat() if isinstance(v, Today) else v
    return {k: value(v) for k, v in data.items()}


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


def choisir(slug):
    return {"decision": "orienter", "partenaire_id": Partner(slug), "motif": "Projet scolaire."}


ABANDONNER = {"decision": "abandonner", "motif_abandon": "La personne ne le souhaite plus."}
INFORMATION = {"donnees_partagees": ["situation", "demande"], "personne_informee": True,
               "mode_information": "entretien"}
ACCEPTER = {"reponse": "accepter", "date_premier_rdv": TODAY}
REFUSER = {"reponse": "refuser", "motif_refus": "capacite"}
REDIRIGER = {"reponse": "rediriger", "partenaire_redirection_id": Partner("crij-orleans"),
             "commentaire": "Le CRIJ est plus adapté.", "personne_informee": True}
CONFIRME = {"premier_contact": "confirme", "date_premier_contact": TODAY}
NON_VENUE = {"premier_contact": "non_venue"}

SEND_TO_CIO = [(CHOISIR, choisir("cio-orleans"), "E"), (INFORMER, INFORMATION, "E")]
# The orientation process's paths: (name, [(title, data, who)], service operations called)
ORIENTATION_PATHS = [
    ("aboutie", SEND_TO_CIO + [(TRAITER, ACCEPTER, "P"), (CONFIRMER, CONFIRME, "P")],
     ["ouvrir", "envoyer", "accepter", "aboutir"]),
    ("abandon", [(CHOISIR, ABANDONNER, "E")], ["ouvrir", "abandonner"]),
    ("refus_puis_aboutie", SEND_TO_CIO + [(TRAITER, REFUSER, "P"), (CHOISIR, choisir("crij-orleans"), "E"),
                                          (INFORMER, INFORMATION, "E"), (TRAITER, ACCEPTER, "T"),
                                          (CONFIRMER, CONFIRME, "T")],
     ["ouvrir", "envoyer", "refuser", "envoyer", "accepter", "aboutir"]),
    ("redirection_aboutie", SEND_TO_CIO + [(TRAITER, REDIRIGER, "P"), (TRAITER, ACCEPTER, "T"),
                                           (CONFIRMER, CONFIRME, "T")],
     ["ouvrir", "envoyer", "rediriger", "envoyer", "accepter", "aboutir"]),
    ("refus_puis_abandon", SEND_TO_CIO + [(TRAITER, REFUSER, "P"), (CHOISIR, ABANDONNER, "E")],
     ["ouvrir", "envoyer", "refuser", "abandonner"]),
    ("non_venue_puis_abandon", SEND_TO_CIO + [(TRAITER, ACCEPTER, "P"), (CONFIRMER, NON_VENUE, "P"),
                                              (CHOISIR, ABANDONNER, "E")],
     ["ouvrir", "envoyer", "accepter", "refuser", "abandonner"]),
]
ORIENTATION = {name: steps for name, steps, _calls in ORIENTATION_PATHS}


def by_sender(steps):
    return [(title, data, "E") for title, data in steps]


PEC_SANS_SEANCE = by_sender([(ENTRETIEN, entretien(False)), (PLAN, plan("emploi"))])
PEC_TROIS_SEANCES = by_sender([(ENTRETIEN, entretien(True)), (f"{SEANCE} n°1", seance(True)),
                               (f"{SEANCE} n°2", seance(True)), (f"{SEANCE} n°3", seance(False)),
                               (PLAN, plan("formation"))])
PEC_ORIENTATION = by_sender([(ENTRETIEN, entretien(False)), (PLAN, plan("orientation"))]) + ORIENTATION["aboutie"]
START = by_sender([(ACCUEILLIR, accueil_data())])
# (name, [(expected task title, submitted data, who)], expected end event of the accueil journey)
PATHS = [
    ("documentation", START + by_sender([(ANALYSER, analyse("documentation"))]), "fin_documentation"),
    *[(f"orientation_{name}", START + by_sender([(ANALYSER, analyse("orientation"))]) + steps,
       "fin_orientation_abandonnee" if calls[-1] == "abandonner" else "fin_orientation")
      for name, steps, calls in ORIENTATION_PATHS],
    # The Mission Locale is a CEP operator: the reception opens the CEP journey (a journey of its own).
    ("cep", START + by_sender([(ANALYSER, analyse("cep"))]), "fin_cep_ouvert"),
    ("pec_sans_seance", START + by_sender([(ANALYSER, analyse("prise_en_charge"))]) + PEC_SANS_SEANCE,
     "fin_prise_en_charge"),
    ("pec_trois_seances", START + by_sender([(ANALYSER, analyse("prise_en_charge"))]) + PEC_TROIS_SEANCES,
     "fin_prise_en_charge"),
    ("pec_orientation", START + by_sender([(ANALYSER, analyse("prise_en_charge"))]) + PEC_ORIENTATION,
     "fin_prise_en_charge"),
]
# The prise_en_charge process on its own: its own end events.
PEC_PATHS = [
    ("sans_seance", PEC_SANS_SEANCE, "fin_accompagnement"),
    ("trois_seances", PEC_TROIS_SEANCES, "fin_accompagnement"),
    ("orientation", PEC_ORIENTATION, "fin_orientation"),
    ("orientation_abandon", by_sender([(ENTRETIEN, entretien(False)), (PLAN, plan("orientation"))])
     + ORIENTATION["abandon"], "fin_orientation_abandonnee"),
    ("orientation_refus_puis_abandon", by_sender([(ENTRETIEN, entretien(False)), (PLAN, plan("orientation"))])
     + ORIENTATION["refus_puis_abandon"], "fin_orientation_abandonnee"),
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

def structure_ids() -> dict:
    return dict(db.session.execute(select(Structure.slug, Structure.id).where(
        Structure.slug.in_(list(FAKE_IDS)))).all())


@pytest.mark.parametrize("name, steps, end_event", PATHS, ids=[p[0] for p in PATHS])
def test_accueil_paths_through_the_operations(ctx, name, steps, end_event):
    """Does each path of the accueil journey show the expected tasks, one at a time, each in the
    queue of the structure that must do it, and end `terminee` at the expected end event?"""
    ids = structure_ids()
    journey = start_journey(get_user("claire.martin"), "accueil")
    db.session.commit()
    seen = []
    for title, data, who in steps:
        username, slug = WHO[who]
        actor = get_user(username)
        assert journey.status == "en_cours"
        tasks = open_tasks(journey)
        assert [t.title for t in tasks] == [title], f"after {seen}"
        assert tasks[0].role == "conseiller" and tasks[0].structure_id == ids[slug], f"after {seen}"
        seen.append(title)
        done = complete_task(actor, tasks[0].id, resolve(data, ids))
        db.session.commit()
        assert done.status == "terminee" and done.completed_by_id == actor.id
    assert open_tasks(journey) == []
    db.session.refresh(journey)
    assert journey.status == "terminee"
    assert journey.end_event == end_event
    assert journey.ended_at is not None and journey.incident is None
    rows = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id)
                              .order_by(HumanTask.id)).all()
    assert [r.title for r in rows] == [title for title, _data, _who in steps]
    assert [r.structure_id for r in rows] == [ids[WHO[who][1]] for _title, _data, who in steps]
    assert {r.status for r in rows} == {"terminee"}


def test_referral_tasks_get_a_due_date(ctx):
    """Do the choice (dueInWorkingDays = 2) and the partner's answer (5) get due dates counted
    in working days from their creation?"""
    claire = get_user("claire.martin")
    ids = structure_ids()
    journey = start_journey(claire, "accueil")
    complete_task(claire, open_tasks(journey)[0].id, accueil_data())
    complete_task(claire, open_tasks(journey)[0].id, analyse("orientation"))
    task = open_tasks(journey)[0]
    assert task.title == CHOISIR
    assert task.due_at == add_working_days(task.created_at, 2)
    complete_task(claire, task.id, resolve(choisir("cio-orleans"), ids))
    complete_task(claire, open_tasks(journey)[0].id, INFORMATION)
    task = open_tasks(journey)[0]
    assert task.title == TRAITER
    assert task.due_at == add_working_days(task.created_at, 5)


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


def test_identity_shared_with_a_partner_stays_out_of_the_workflow_state(ctx):
    """When the sender shares identity and contact details with the partner, do they go to the
    referral's snapshot only, never into journey.state nor the task index?"""
    claire, ids = get_user("claire.martin"), structure_ids()
    journey = start_journey(claire, "accueil")
    for data in (accueil_data(), analyse("orientation"), resolve(choisir("cio-orleans"), ids),
                 {**INFORMATION, "donnees_partagees": ["identite", "naissance", "coordonnees"]}):
        complete_task(claire, open_tasks(journey)[0].id, data)
    db.session.commit()
    referral = db.session.scalar(select(Referral).where(Referral.journey_id == journey.id))
    assert referral.shared_data == IDENTITY
    db.session.refresh(journey)
    for value in ("Quennehen", "Léocadie", "06 12 34 56 78", "leocadie.qv@example.org"):
        assert value not in journey.state
    assert not keys_in(json.loads(journey.state)) & set(IDENTITY_FIELDS)
    for row in db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id)):
        assert not set(row.data or {}) & set(IDENTITY_FIELDS)


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


def test_two_hundred_sessions_keep_the_state_and_the_completion_flat_then_end_at_the_maximum(app, ctx):
    """Does the 200th counselling session (the loop's documented maximum) cost what the first did —
    same stored state size but for the digits of its pass counters, same SQL statements — and is it
    announced as the last one, the plan of action following whatever its form says?"""
    from conftest import statements_of
    claire = get_user("claire.martin")
    journey = start_journey(claire, "accueil")
    for _title, data, _who in START + by_sender([(ANALYSER, analyse("prise_en_charge")),
                                                 (ENTRETIEN, entretien(True))]):
        complete_task(claire, open_tasks(journey)[0].id, data)
    db.session.commit()
    sizes, statements = {}, {}
    for n in range(1, 201):
        tasks = open_tasks(journey)
        expected = f"{SEANCE} n°{n}" + (" (dernière possible)" if n == 200 else "")
        assert [t.title for t in tasks] == [expected]
        _done, statements[n] = statements_of(app, lambda: complete_task(claire, tasks[0].id, seance(True)))
        db.session.commit()
        sizes[n] = len(journey.state)
    assert [t.title for t in open_tasks(journey)] == [PLAN]
    assert sizes[199] - sizes[1] <= 12, f"the state grows with the sessions: {sizes[1]} -> {sizes[199]}"
    assert len(statements[199]) == len(statements[2]), "a late session runs more SQL than an early one"
    done = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id,
                                                      HumanTask.bpmn_id == "seance_conseil")).all()
    assert len(done) == 200 and all(t.data["notes"] for t in done)  # what each session recorded is kept


# -- through the facade, with a save/restore round trip after every step ------------------------

FAR = ("2999-01-05T09:00:00+00:00", "2999-01-12T09:00:00+00:00", "2999-02-12T09:00:00+00:00")
PAST = "2001-01-01T09:00:00+00:00"


class FakeServices:
    """The results documented by webapp.operations.referral_services, with no database; records
    the operations called. `deadlines` are the (relance, escalade, expiration) dates sent back."""
    RESULTS = {"operateur": True, "demarrer": 7, "ouvrir": "nouvelle", "refuser": "refusee", "rediriger": "redirigee", "relancer": True,
               "escalader": True, "relancer_contact": True, "expirer": "expiree", "aboutir": "aboutie", "abandonner": "abandonnee"}

    def __init__(self, deadlines=FAR):
        self.deadlines = deadlines
        self.calls = []
        self.sent_to = []

    def __call__(self, name, params, data):
        assert name in SERVICES, name  # the diagram only names whitelisted operations
        operation = name.split(".", 1)[1]
        self.calls.append(operation)
        if operation == "envoyer":
            self.sent_to.append(int(params["destinataire"]))
            relance, escalade, expiration = self.deadlines
            return {"referral_id": len(self.sent_to), "destinataire_id": int(params["destinataire"]),
                    "relance": relance, "escalade": escalade, "expiration": expiration}
        if operation == "accepter":
            return {"referral_id": data["envoi"]["referral_id"], "relance": self.deadlines[0]}
        return self.RESULTS[operation]


@pytest.fixture(scope="module")
def specs():
    files = {p.name: p.read_bytes() for p in sorted((ROOT / "processes").glob("*.bpmn"))}
    compiled = compile_files(files, known_forms=KNOWN_FORMS, known_services=set(SERVICES))
    return {key: process.spec_json for key, process in compiled.items()}


def round_trip(spec_json: str, instance: Instance, services) -> Instance:
    """Dump and restore; check the restored instance is the same, and carry on with it."""
    state = instance.dump()
    restored = Instance.restore(spec_json, state, services=services)
    assert restored.ready_user_tasks() == instance.ready_user_tasks()
    assert restored.data == instance.data
    for task in instance.ready_user_tasks():
        assert restored.task_data(task.uuid) == instance.task_data(task.uuid)
    assert (restored.completed, restored.end_event(), restored.stalled(), restored.next_timer_at()) == \
        (instance.completed, instance.end_event(), instance.stalled(), instance.next_timer_at())
    # compared as JSON: after a parallel step the library may write a data delta's keys in
    # another order, the same data
    assert json.loads(restored.dump()) == json.loads(state)
    return restored


def run_with_round_trips(spec_json: str, steps, services=None) -> Instance:
    services = services or FakeServices()
    instance = round_trip(spec_json, Instance.start(spec_json, services=services), services)
    for title, data, who in steps:
        ready = instance.ready_user_tasks()
        assert len(ready) == 1, ready
        task = ready[0]
        shown = task.title if task.iteration is None else f"{task.title} n°{task.iteration + 1}"
        assert shown == title
        assert task.role == "conseiller" and task.form in KNOWN_FORMS
        # the partner's steps name their structure (structureFromData); the sender's do not
        expected = None if who == "E" else FAKE_IDS[WHO[who][1]]
        assert task.structure_ref == expected, (title, who)
        assert not instance.stalled()
        engine_data = {k: v for k, v in resolve(data, FAKE_IDS).items() if k not in IDENTITY_FIELDS}
        instance.complete(task.uuid, engine_data)
        instance = round_trip(spec_json, instance, services)
    if instance.completed:  # the last answer reaches the journey's data
        last_data = {k: v for k, v in resolve(steps[-1][1], FAKE_IDS).items() if k not in IDENTITY_FIELDS}
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
    assert instance.next_timer_at() is None


@pytest.mark.parametrize("name, steps, end_event", PEC_PATHS, ids=[p[0] for p in PEC_PATHS])
def test_prise_en_charge_paths_through_the_facade(specs, name, steps, end_event):
    """Does the prise_en_charge process on its own reach the end event matching its outcome?"""
    instance = run_with_round_trips(specs["prise_en_charge"], steps)
    assert instance.ready_user_tasks() == []
    assert instance.completed
    assert instance.end_event() == end_event
    assert not instance.stalled()


@pytest.mark.parametrize("name, steps, calls", ORIENTATION_PATHS, ids=[p[0] for p in ORIENTATION_PATHS])
def test_orientation_paths_through_the_facade(specs, name, steps, calls):
    """Does the orientation process on its own end at fin_orientation on every path, calling the
    expected service operations in order, and sending to the partner the sender (or the
    redirecting partner) named?"""
    services = FakeServices()
    instance = run_with_round_trips(specs["orientation"], steps, services)
    assert instance.completed and instance.end_event() == "fin_orientation"
    assert instance.ready_user_tasks() == [] and not instance.stalled()
    assert services.calls == calls
    named = [resolve(d, FAKE_IDS).get("partenaire_id") or resolve(d, FAKE_IDS).get("partenaire_redirection_id")
             for _t, d, _w in steps if d.get("decision") == "orienter" or d.get("reponse") == "rediriger"]
    assert services.sent_to == named


def test_the_partners_answer_waits_for_its_three_deadlines(specs):
    """Once sent, does the partner's answer wait with the reminder as the next timer, and do
    the reminder and escalation (non-interrupting) leave the answer open when they fire?"""
    services = FakeServices()
    instance = run_with_round_trips(specs["orientation"], ORIENTATION["aboutie"][:2], services)
    assert instance.next_timer_at().isoformat() == FAR[0].replace("+00:00", "")
    due = FakeServices((PAST, PAST, FAR[2]))
    instance = run_with_round_trips(specs["orientation"], ORIENTATION["aboutie"][:2], due)
    assert due.calls[-2:] in (["relancer", "escalader"], ["escalader", "relancer"])
    [task] = instance.ready_user_tasks()
    assert task.bpmn_id == "traiter_orientation"
    assert instance.next_timer_at().isoformat() == FAR[2].replace("+00:00", "")
    instance.complete(task.uuid, resolve(ACCEPTER, FAKE_IDS))
    assert [t.bpmn_id for t in instance.ready_user_tasks()] == ["confirmer_premier_contact"]
    assert instance.next_timer_at() is None


def test_an_expired_referral_goes_back_to_the_choice_through_the_facade(specs):
    """When the expiry date has passed, does the answer get cancelled and a new attempt start at
    choisir_partenaire (the loop), surviving dump/restore?"""
    services = FakeServices((FAR[0], FAR[1], PAST))
    steps = SEND_TO_CIO + [(CHOISIR, ABANDONNER, "E")]
    instance = run_with_round_trips(specs["orientation"], steps, services)
    assert services.calls == ["ouvrir", "envoyer", "expirer", "abandonner"]
    assert instance.completed and instance.end_event() == "fin_orientation"


def test_a_request_outside_the_structure_field_skips_the_counselling_sessions(ctx):
    """An interview that wants in-depth counselling but finds the request outside the structure's
    field goes straight to the action plan (where the outcome can be a referral)."""
    journey = start_journey(get_user("claire.martin"), "accueil")
    db.session.commit()
    for data in (accueil_data(), analyse("prise_en_charge"),
                 {**entretien(True), "releve_du_champ": False}):
        [task] = open_tasks(journey)
        complete_task(get_user("claire.martin"), task.id, data)
        db.session.commit()
    assert [t.bpmn_id for t in open_tasks(journey)] == ["plan_action"]
