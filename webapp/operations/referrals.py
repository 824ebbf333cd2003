"""Coordinator actions on referrals."""
from sqlalchemy import select

from ..errors import Conflict, Forbidden, InvalidData, NotFound
from ..extensions import db
from ..models import HumanTask, Referral, Structure
from ..queries.definition_content import content_of
from ..workflow import EngineError, Instance, TaskNotReady
from .journeys import _lock_journey
from .services import services_for
from .task_index import save_state


def reassign_referral(actor, referral_id: int, structure_id: int, reason: str,
                      person_informed: bool) -> Referral:
    """Hand a stuck referral to another structure (local coordinator of its territory).

    The journey's reassignment signal closes the current attempt (`reaffectee`) and sends a new
    referral to the structure chosen, with fresh working-day deadlines and the same shared data."""
    if not actor.has_role("coordinateur"):
        raise Forbidden("Réservé aux coordinateur·rices locaux·ales.")
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.to_structure.departement != actor.structure.departement:
        raise NotFound("Orientation introuvable dans votre territoire.")
    errors = {}
    if not (reason or "").strip():
        errors["motif"] = "Indiquez le motif de la réaffectation."
    if not person_informed:
        errors["personne_informee"] = "La personne doit être informée de la nouvelle structure."
    target = db.session.get(Structure, structure_id)
    if target is None or not target.active or target.id in (
            referral.from_structure_id, referral.to_structure_id, referral.journey.structure_id):
        errors["structure_id"] = "Choisissez une autre structure active que l'émettrice et la destinataire."
    if errors:
        raise InvalidData("Rien n'a été réaffecté.", errors)
    journey = _lock_journey(referral.journey_id)
    db.session.refresh(referral)
    if referral.status != "ouverte":
        raise Conflict("Cette orientation a déjà reçu une réponse ou est close.")
    task = db.session.scalar(select(HumanTask).where(
        HumanTask.journey_id == journey.id, HumanTask.status == "ouverte",
        HumanTask.structure_id == referral.to_structure_id))
    if task is None:
        raise Conflict("Aucune réponse n'est attendue de la structure destinataire.")
    instance = Instance.restore(content_of(journey.definition_version_id).spec_json, journey.state,
                                services=services_for(journey, actor))
    try:
        instance.signal_task(task.task_uuid, "reaffectation", {
            "partenaire_redirection_id": target.id, "motif_reaffectation": reason.strip()})
    except (TaskNotReady, EngineError) as exc:
        raise Conflict(str(exc)) from exc
    save_state(journey, instance, actor)
    return db.session.scalar(select(Referral).where(Referral.previous_id == referral.id))
