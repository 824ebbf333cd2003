"""Steps of the CEP journey at operation level, shared by the CEP tests (each step commits, as a
request would). Sophie Marchand is a CEP adviser of the APEC in Tours."""
from datetime import timedelta

from sqlalchemy import select

from conftest import get_user
from test_orientation import do, open_tasks, the_task, welcome
from webapp import clock
from webapp.extensions import db
from webapp.models import FundingPlan, FundingRequest, Journey
from webapp.operations.journeys import start_journey

ADVISER = "sophie.marchand"


def today() -> str:
    return clock.now().date().isoformat()


def in_days(days: int) -> str:
    return (clock.now().date() + timedelta(days=days)).isoformat()


def open_cep(username: str = ADVISER) -> Journey:
    """An employee received by a CEP adviser: the reception answers « CEP », which opens the
    CEP journey in the adviser's structure."""
    reception = start_journey(get_user(username), "accueil")
    db.session.commit()
    do(username, the_task(reception, "accueillir"),
       welcome(prenom="Nadia", nom="Benoît", annee_naissance=clock.now().year - 38, public="salarie",
               telephone="06 22 33 44 55", email="nadia.benoit@example.org", commune="Tours"))
    do(username, the_task(reception, "analyser_demande"),
       {"thematiques": ["choisir-un-metier--confirmer-son-choix-de-metier"],
        "besoins": "Veut se reconvertir dans le soin.", "urgence": "normale", "reponse": "cep"})
    return cep_journey_of(reception)


def cep_journey_of(reception: Journey) -> Journey:
    return db.session.scalar(select(Journey).where(Journey.person_id == reception.person_id,
                                                   Journey.process_key == "cep"))


def level1(journey, suite="accompagnement", username=ADVISER, **extra):
    data = {"date_entretien": today(), "situation_professionnelle": "salarie_prive",
            "situation": "Assistante commerciale depuis 12 ans.", "demande": "Se reconvertir dans le soin.",
            "informations_donnees": ["droits_cpf", "ptp"], "demission_reconversion": False, "suite": suite}
    data.update(extra)
    return do(username, the_task(journey, "accueil_individualise"), data)


def level2(journey, suite="validation", username=ADVISER, **extra):
    data = {"date_seance": today(), "metier_cible": "J1501", "formation_visee": "Diplôme d'État d'aide-soignant",
            "organisme_formation": "IFAS de Tours", "certification": "RNCP35830",
            "competences_a_acquerir": "Soins d'hygiène et de confort.",
            "faisabilite": "Nombreuses offres en Indre-et-Loire.", "suite": suite}
    data.update(extra)
    return do(username, the_task(journey, "accompagnement_personnalise"), data)


def validate_project(journey, decision="valide", username=ADVISER):
    return do(username, the_task(journey, "valider_projet"),
              {"date_validation": today(), "criteres": ["coherence_profil", "debouches", "formation_adaptee"],
               "decision_projet": decision, "motifs": "Projet cohérent, débouchés nombreux."})


def plan(journey, amounts: dict, cost="8000", other="400", balance="3200", username=ADVISER, decision="soumettre"):
    data = {"formation_visee": "Diplôme d'État d'aide-soignant", "organisme_formation": "IFAS de Tours",
            "date_debut": in_days(60), "date_fin": in_days(400), "duree_heures": 1540,
            "cout_pedagogique": cost, "frais_annexes": other, "solde_cpf": balance,
            "financements": amounts, "decision_plan": decision}
    return do(username, the_task(journey, "plan_financement"), data)


def request_tasks(journey, bpmn_id: str) -> dict:
    """{funder label: open task} for the parallel funding requests at that step."""
    return {t.title.split(" — ", 1)[1]: t for t in open_tasks(journey) if t.bpmn_id == bpmn_id}


def submit_all(journey, username=ADVISER):
    for task in request_tasks(journey, "preparer_demande").values():
        do(username, task, {"pieces": ["devis", "programme"], "date_depot": today(), "reference_dossier": "D-1"})


def decide(journey, funder_prefix: str, decision: str, granted: str | None = None, username=ADVISER):
    task = next(t for label, t in request_tasks(journey, "decision_financeur").items()
                if label.startswith(funder_prefix))
    data = {"decision_financeur": decision, "date_decision": today()}
    if granted is not None:
        data["montant_accorde"] = granted
    return do(username, task, data)


def plans(journey) -> list[FundingPlan]:
    db.session.expire_all()
    return db.session.scalars(select(FundingPlan).where(FundingPlan.journey_id == journey.id)
                              .order_by(FundingPlan.number)).all()


def requests_of(plan_row: FundingPlan) -> list[FundingRequest]:
    return list(plan_row.requests)



