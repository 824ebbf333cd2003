"""Coordinator actions on referrals."""
from sqlalchemy import select

from ..errors import Conflict, Forbidden, InvalidData, NotFound
from ..extensions import db
from ..models import HumanTask, Referral, Structure
from ..workflow import EngineError, Instance, TaskNotReady
from . import audit
from .journeys import _lock_journey
from .notifications import queue_message
from .referral_services import services_for
from .task_index import save_state


def reassign_referral(actor, referral_id: int, structure_id: int, reason: str) -> Referral:
    """Hand a stuck referral to another structure (local coordinator of its territory)."""
    if not actor.has_role("coordinateur"):
        raise Forbidden("Réservé aux coordinateur·rices locaux·ales.")
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.to_structure.departement != actor.structure.departement:
        raise NotFound("Orientation introuvable dans votre territoire.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData("Indiquez le motif de la réaffectation.", {"motif": "Ce champ est obligatoire."})
    target = db.session.get(Structure, structure_id)
    if target is None or not target.active or target.id in (referral.from_structure_id, referral.to_structure_id):
        raise InvalidData("Choisissez une autre structure active.", {"structure_id": "Structure non valable."})
    journey = _lock_journey(referral.journey_id)
    db.session.refresh(referral)
    if referral.status != "ouverte":
        raise Conflict("Cette orientation a déjà reçu une réponse ou est close.")
    task = db.session.scalar(select(HumanTask).where(
        HumanTask.journey_id == journey.id, HumanTask.status == "ouverte",
        HumanTask.structure_id == referral.to_structure_id))
    if task is None:
        raise Conflict("Aucune réponse n'est attendue de la structure destinataire.")
    previous = referral.to_structure
    instance = Instance.restore(journey.definition.spec_json, journey.state, services=services_for(journey, actor))
    try:
        envoi = dict(instance.task_data(task.task_uuid).get("envoi") or {})
        envoi["destinataire_id"] = target.id
        instance.update_task_data(task.task_uuid, {"envoi": envoi})
    except (TaskNotReady, EngineError) as exc:
        raise Conflict(str(exc)) from exc
    referral.to_structure_id = target.id
    save_state(journey, instance)
    event = audit.record(actor, "referral.reassigned",
                         f"Orientation confiée à {target.name} (au lieu de {previous.name}) par la coordination : {reason}",
                         person_id=referral.person_id, journey_id=journey.id,
                         detail={"referral_id": referral.id, "from": previous.id, "to": target.id})
    event.shared_with_structure_id = referral.from_structure_id
    for structure, subject in ((target, "Orientation qui vous est confiée par la coordination locale"),
                               (previous, "Orientation confiée à une autre structure")):
        if structure.email:
            queue_message("reaffectation", structure.email, subject,
                          f"L'orientation envoyée par {referral.from_structure.name} le "
                          f"{referral.sent_at:%d/%m/%Y} est confiée à {target.name}. Motif : {reason}",
                          to_structure_id=structure.id, referral_id=referral.id)
    return referral
