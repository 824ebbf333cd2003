"""What the BPMN editor's properties panel offers: roles, forms, whitelisted service operations
(with French labels and the delays they read), published journeys; and the diagram to open."""
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import DefinitionVersion
from ..operations.definitions import available_forms
from ..operations.service_params import delay_defaults
from ..operations.services import SERVICES
from ..workflow.definitions import KNOWN_ROLES
from .definitions import current_version
from .studio import definition_versions, draft_of, located_problems

ROLE_LABELS = {"conseiller": "Conseiller", "conseiller_cep": "Conseiller CEP", "coordinateur": "Coordinateur",
               "pilote": "Pilote", "admin": "Administrateur"}
SERVICE_LABELS = {
    "orientation.ouvrir": "Ouvrir l'orientation",
    "orientation.envoyer": "Envoyer l'orientation au partenaire",
    "orientation.accepter": "Enregistrer l'acceptation",
    "orientation.refuser": "Enregistrer le refus",
    "orientation.rediriger": "Rediriger vers un autre partenaire",
    "orientation.reaffecter": "Clore la tentative réaffectée par la coordination",
    "orientation.relancer": "Relancer la structure destinataire",
    "orientation.relancer_contact": "Demander la confirmation du premier contact",
    "orientation.escalader": "Alerter le coordinateur local",
    "orientation.expirer": "Expirer et prévenir l'émetteur",
    "orientation.aboutir": "Orientation aboutie : prévenir l'émetteur",
    "orientation.indisponible": "Partenaire plus actif : choisir à nouveau",
    "orientation.abandonner": "Abandonner l'orientation",
    "cep.operateur": "Savoir si la structure est opératrice CEP",
    "cep.demarrer": "Ouvrir le parcours CEP de la personne",
    "cep.valider": "Enregistrer la décision sur le projet",
    "cep.enregistrer_plan": "Enregistrer le plan de financement et ses demandes",
    "cep.deposer": "Enregistrer le dépôt d'une demande de financement",
    "cep.relancer_depot": "Signaler une demande à déposer",
    "cep.relancer_demande": "Signaler une demande sans réponse du financeur",
    "cep.enregistrer_decision": "Enregistrer la décision du financeur",
    "cep.bilan": "Faire le point sur les décisions des financeurs",
    "cep.rappeler_entree": "Rappeler de confirmer l'entrée en formation",
    "cep.entree": "Enregistrer l'entrée en formation",
    "cep.arreter": "Enregistrer l'arrêt du parcours",
}


def _services() -> list[dict]:
    """The whitelist, each operation with its label and the delays (working days) it reads from its parameters,
    with the value used when the diagram sets none. The deadline comes back in its result under the
    parameter's name without « jours_ » (envoi["escalade"] for jours_escalade), which timers read."""
    delays = delay_defaults()
    return [{"id": name, "label": SERVICE_LABELS.get(name, name), "delays": delays.get(name, {})}
            for name in sorted(SERVICES)]


def _forms(key: str | None) -> list[str]:
    """Form files a user task may name: the shipped folder, the journey's current version, its draft."""
    names = set(available_forms(current_app.config["FORMS_DIR"]))
    if key:
        version = current_version(key)
        draft = draft_of(key, "bpmn")
        names |= set((version.forms or {}) if version else {})
        names |= set((draft.forms or {}) if draft else {})
    return sorted(names)


def _journeys() -> list[dict]:
    """Published journeys a call activity may call, by key and name."""
    versions = db.session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.kind == "bpmn", DefinitionVersion.is_current.is_(True))
        .order_by(DefinitionVersion.process_key)).all()
    return [{"key": v.process_key, "name": v.name} for v in versions]


def editor_catalogue(key: str | None = None) -> dict:
    """Everything the properties panel lists, for the journey `key` when given (its forms)."""
    return {"roles": [{"id": role, "label": ROLE_LABELS.get(role, role)} for role in KNOWN_ROLES],
            "forms": _forms(key), "services": _services(), "journeys": _journeys()}


def diagram_to_edit(key: str) -> dict:
    """The XML the editor opens: the draft's when there is one, else the current version's.

    `stale`: the draft was started from a version that is no longer the current one."""
    versions = definition_versions(key, "bpmn")  # NotFound for an unknown journey
    current = next((v for v in versions if v.is_current), versions[0])
    draft = draft_of(key, "bpmn")
    if draft is not None:
        return {"xml": draft.xml, "source": "brouillon", "stale": draft.based_on_id != current.id,
                "problems": located_problems("bpmn", draft.xml, draft.problems)}
    return {"xml": current.bpmn_xml, "source": f"version {current.version}", "stale": False, "problems": []}
