"""The demo's CEP journeys, built through the operations like the other demo people (`spro seed-demo`).

Each person of `demo_cep_data.PEOPLE` is received by a CEP adviser whose reception answers « CEP »
(the CEP journey opens in the adviser's structure), then goes through the steps of the CEP diagram
with the forms' data: levels 1 and 2, validation, démission attestation, funding plans, requests
and the funders' decisions, training start. All steps run in date order with the application
clock moved back and the due timers fired before each step, so deadlines and reminders (a request
without decision after its reminder delay is late) are those the application would have produced.
Idempotent: the people carry e-mail addresses of DEMO_CEP_DOMAIN; when one exists, nothing is added.
"""
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from . import clock
from .demo_cep_data import DEMO_CEP_DOMAIN, PEOPLE
from .demo_people import DemoError, _catch_up, _clock_at, _Demo, _send, _shift_working_days, _welcome
from .extensions import db
from .models import Funder, HumanTask, Journey, Person
from .operations.journeys import complete_task

_LEVEL1 = {"situation_professionnelle": "salarie_prive", "informations_donnees": ["droits_cpf", "ptp"],
           "demarches_possibles": "Enquête métier, immersion, recherche de la formation et de son financement.",
           "demission_reconversion": False}
_PLAN_FIELDS = ("formation_visee", "organisme_formation", "certification", "duree_heures", "cout_pedagogique",
                "frais_annexes", "solde_cpf")


def _today() -> str:
    return clock.now().date().isoformat()


def _open(journey: Journey, bpmn_id: str) -> list[HumanTask]:
    return db.session.scalars(select(HumanTask).where(
        HumanTask.journey_id == journey.id, HumanTask.status == "ouverte", HumanTask.bpmn_id == bpmn_id)
        .order_by(HumanTask.id)).all()


def _do(d, p, task: HumanTask, data: dict) -> None:
    complete_task(d.user_for(task, p["by"]), task.id, data)
    db.session.commit()


# -- the steps: (demo, person, journey, argument) -> journey --------------------------------------

def _reception(d, p, journey, _arg):
    """The adviser's reception answers « CEP »: the CEP journey opens in her structure."""
    reception = _welcome(d, p, None, "cep")
    cep = db.session.scalar(select(Journey).where(Journey.person_id == reception.person_id,
                                                  Journey.process_key == "cep"))
    if cep is None:
        raise DemoError(f"no CEP journey opened by {p['by']}")
    return cep


def _cio_reception(d, p, journey, _arg):
    """A non-CEP structure's reception answers « CEP »: the referral journey starts."""
    return _welcome(d, p, None, "cep")


def _level1(d, p, journey, suite):
    data = {**_LEVEL1, "date_entretien": _today(), "situation": "En poste, souhaite changer de métier.",
            "demande": p["besoins"], "suite": suite, **p.get("niveau1", {})}
    _do(d, p, _open(journey, "accueil_individualise")[0], data)
    return journey


def _level2(d, p, journey, suite):
    data = {"date_seance": _today(), "suite": suite, **p["projet"]}
    if suite != "arret":
        data.pop("motif_arret", None)
    data.setdefault("notes", "Séance de construction du projet.")
    _do(d, p, _open(journey, "accompagnement_personnalise")[0], data)
    return journey


def _validate(d, p, journey, decision):
    _do(d, p, _open(journey, "valider_projet")[0], {
        "date_validation": _today(), "criteres": ["coherence_profil", "debouches", "formation_adaptee"],
        "decision_projet": decision, "motifs": p.get("motifs", "Projet cohérent avec le parcours ; "
                                                                 "débouchés confirmés sur le bassin d'emploi.")})
    return journey


def _attestation(d, p, journey, _arg):
    plan, projet = p["plan"], p["projet"]
    _do(d, p, _open(journey, "attestation_demission")[0], {
        "demarches_realisees": "Enquête métier auprès de deux structures, immersion d'une semaine en foyer, "
                               "information collective de l'école.",
        "connaissance_metier": projet["competences_a_acquerir"],
        "formation_visee": plan["formation_visee"], "organisme_formation": plan["organisme_formation"],
        "programme_formation": "Formation en alternance : enseignements théoriques et stages en établissement.",
        "calendrier_formation": "Deux ans, rentrée de septembre.", "cout_formation": "5800.00",
        "perspectives_emploi": projet["faisabilite"], "avis": "reel_serieux",
        "commentaire_avis": "Projet mûri, démarches nombreuses et concluantes.",
        "lieu_attestation": "Orléans", "date_attestation": _today()})
    return journey


def _start_date(d, start: int) -> date:
    """`start` working days after today (before it when negative)."""
    return _shift_working_days(d.today, start)


def _plan(d, p, journey, arg):
    plan = p["plan"]
    start = _start_date(d, arg["start"])
    data = {key: plan[key] for key in _PLAN_FIELDS if plan.get(key) not in (None, "")}
    data.update(date_debut=start.isoformat(), date_fin=(start + timedelta(weeks=plan["weeks"])).isoformat(),
                financements=arg["financements"], decision_plan="soumettre")
    _do(d, p, _open(journey, "plan_financement")[0], data)
    return journey


def _submit(d, p, journey, _arg):
    for number, task in enumerate(_open(journey, "preparer_demande"), start=1):
        _do(d, p, task, {"pieces": ["devis", "programme", "droits_cpf"], "date_depot": _today(),
                         "reference_dossier": f"{journey.id:04d}-{number}"})
    return journey


def _decision(d, p, journey, arg):
    code, decision, granted = arg
    label = db.session.scalar(select(Funder.label).where(Funder.code == code))
    task = next((t for t in _open(journey, "decision_financeur") if t.title.endswith(f" — {label}")), None)
    if task is None:
        raise DemoError(f"no decision to record for {code}")
    data = {"decision_financeur": decision, "date_decision": _today()}
    if granted is not None:
        data["montant_accorde"] = granted
    if decision != "accorde":
        data["commentaire"] = "Enveloppe annuelle limitée : le financeur ne prend pas en charge la totalité."
    _do(d, p, task, data)
    return journey


def _start(d, p, journey, entree):
    _do(d, p, _open(journey, "confirmer_entree")[0], {
        "entree": entree, "date_entree": _today(), "commentaire": "Présente le premier jour, contrat signé."})
    return journey


STEPS = {"accueil": _reception, "accueil_cio": _cio_reception, "orienter": _send, "niveau1": _level1,
         "niveau2": _level2, "valider": _validate, "attestation": _attestation, "plan": _plan,
         "deposer": _submit, "decision": _decision, "entree": _start}


def demo_cep_present() -> bool:
    return db.session.scalar(select(Person.id).where(Person.email.like(f"%@{DEMO_CEP_DOMAIN}")).limit(1)) \
        is not None


def seed_demo_cep() -> int:
    """Create the demo's CEP people and journeys, unless already there; return how many were added."""
    if demo_cep_present():
        return 0
    end = clock.now()
    demo = _Demo(end.date())
    send_messages = current_app.config.get("MAIL_BACKEND") == "page"
    steps = sorted(((demo.moment(days_ago, hour), index, order, step, argument)
                    for index, person in enumerate(PEOPLE)
                    for order, (days_ago, hour, step, argument) in enumerate(person["steps"])),
                   key=lambda s: s[:3])
    journeys = {}
    with _clock_at(end) as move:
        for moment, index, _order, step, argument in steps:
            if moment >= end:
                raise DemoError(f"a demo CEP step is not in the past: {moment}")
            move(moment)
            _catch_up(send_messages)
            person = PEOPLE[index]
            try:
                journeys[index] = STEPS[step](demo, person, journeys.get(index), argument)
            except Exception as exc:
                db.session.rollback()
                raise DemoError(f"demo CEP person {person['identity']['nom']}, step {step} {argument!r}: "
                                f"{exc} {getattr(exc, 'fields', '')}") from exc
        move(end)
        _catch_up(send_messages)
    return len(PEOPLE)
