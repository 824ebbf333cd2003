"""The operations a referral journey's service tasks may call (the diagram's whitelist).

Each runs inside the engine step, in the transaction of whoever moved the journey (a person
completing a task, or the timer worker), and returns what the diagram stores in its data.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Journey, Person, Referral, Structure, User
from ..models.referrals import DECLINE_REASONS, SHARED_FIELDS
from ..workdays import add_working_days
from .service_params import delay_days
from ..workflow import EngineError
from . import audit
from .cep_services import start_cep
from .notifications import public_link, queue_message


@dataclass
class ServiceContext:
    journey: Journey
    actor: User | None  # None when the timer worker moves the journey
    services_for: Callable | None = None  # the registry's factory, for a service that starts a journey


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=timezone.utc).isoformat()


def _current(ctx, data) -> Referral:
    referral_id = (data.get("envoi") or {}).get("referral_id")
    referral = db.session.get(Referral, referral_id) if referral_id else None
    if referral is None or referral.journey_id != ctx.journey.id:
        raise EngineError("Orientation introuvable pour ce parcours.")
    return referral


def _record(ctx, referral, summary, *, by_receiver=False, action="referral"):
    """Audit entry visible to both sides of the referral and to the structure in charge."""
    own, other = ((referral.to_structure_id, referral.from_structure_id) if by_receiver
                  else (referral.from_structure_id, referral.to_structure_id))
    event = audit.record(ctx.actor, action, summary, person_id=referral.person_id,
                         journey_id=ctx.journey.id, detail={"referral_id": referral.id})
    event.structure_id = ctx.actor.structure_id if ctx.actor else own
    event.shared_with_structure_id = other if event.structure_id == own else own
    if ctx.journey.structure_id not in (event.structure_id, event.shared_with_structure_id):
        copy = audit.record(ctx.actor, action, summary, person_id=referral.person_id,
                            journey_id=ctx.journey.id, detail={"referral_id": referral.id})
        copy.structure_id, copy.shared_with_structure_id = event.structure_id, ctx.journey.structure_id
    return event


def _notify(kind, structure: Structure, subject, body, referral):
    if structure.email:
        link = public_link(f"/personnes/{referral.person_id}")
        queue_message(kind, structure.email, subject, f"{body}\n\nDossier : {link}",
                      to_structure_id=structure.id, referral_id=referral.id, person_id=referral.person_id)


def _tell_senders(ctx, kind, subject, body, referral):
    """The structure in charge of the journey (it chooses again) and, after a redirection,
    the structure that redirected."""
    for structure in {s.id: s for s in (ctx.journey.structure, referral.from_structure)}.values():
        _notify(kind, structure, subject, body, referral)


def _with_comment(body: str, referral: Referral, comment: str | None) -> str:
    """The receiver's word to the sender, quoted in the message that announces its answer."""
    comment = (comment or "").strip()
    return f"{body}\n\nCommentaire de {referral.to_structure.name} : {comment}" if comment else body


def _shared_snapshot(person: Person, fields: list, data: dict) -> dict:
    values = {"thematiques": data.get("thematiques"), "besoins": data.get("besoins")}
    snapshot = {}
    for key in fields:
        for name in SHARED_FIELDS[key][1]:
            value = values[name] if name in values else getattr(person, name, None)
            if value not in (None, "", []):
                snapshot[name] = value
    return snapshot


def ouvrir(ctx, params, data):
    audit.record(ctx.actor, "referral.requested", "Orientation vers un partenaire demandée",
                 person_id=ctx.journey.person_id, journey_id=ctx.journey.id)
    return "nouvelle"


def envoyer(ctx, params, data):
    try:
        target_id = int(params.get("destinataire"))
    except (TypeError, ValueError):
        raise EngineError("Partenaire destinataire manquant.") from None
    target = db.session.get(Structure, target_id)
    redirected = data.get("issue_tentative") == "redirigee"
    previous = _current(ctx, data) if redirected else None
    reassigned = previous is not None and previous.status == "reaffectee"
    # a partner's redirection sends from that partner; a coordinator's reassignment from the sender
    sender_id = (previous.from_structure_id if reassigned else previous.to_structure_id) if previous \
        else ctx.journey.structure_id
    if target is not None and not target.active:  # deactivated since it was chosen: choose again
        audit.record(ctx.actor, "referral.unavailable",
                     f"{target.name} n'est plus active : choisissez un autre partenaire",
                     person_id=ctx.journey.person_id, journey_id=ctx.journey.id)
        return None
    if target is None or target.id == sender_id:
        raise EngineError("Choisissez une autre structure du réseau que la vôtre.")
    # a reception answered « CEP »: to a CEP operator, through every redirection and reassignment
    purpose = previous.purpose if previous else ("cep" if data.get("reponse") == "cep" else None)
    if purpose == "cep" and not target.cep_operator:
        raise EngineError(f"{target.name} n'est pas opérateur du conseil en évolution professionnelle : "
                          "choisissez un opérateur CEP.")
    if previous is not None and target.id == ctx.journey.structure_id:
        raise EngineError("La structure émettrice ne peut pas recevoir la redirection : refusez plutôt "
                          "l'orientation, elle choisira un autre partenaire.")
    now = clock.now()
    fields = previous.shared_fields if previous else [f for f in data.get("donnees_partagees") or []
                                                      if f in SHARED_FIELDS]
    person = db.session.get(Person, ctx.journey.person_id)
    referral = Referral(
        journey_id=ctx.journey.id, person_id=person.id, from_structure_id=sender_id,
        to_structure_id=target.id, previous_id=previous.id if previous else None, status="ouverte",
        motif=data.get("motif"),
        purpose=purpose,
        shared_fields=fields,
        shared_data=previous.shared_data if previous else _shared_snapshot(person, fields, data),
        person_informed=True,
        information_mode=("coordination" if reassigned else "redirection") if previous else data.get("mode_information"),
        informed_by_id=getattr(ctx.actor, "id", None), informed_at=now, sent_at=now,
        remind_at=add_working_days(now, delay_days(params, "jours_relance", "REFERRAL_REMINDER_DAYS")),
        escalate_at=add_working_days(now, delay_days(params, "jours_escalade", "REFERRAL_ESCALATION_DAYS")),
        expire_at=add_working_days(now, delay_days(params, "jours_expiration", "REFERRAL_EXPIRY_DAYS")),
        urgent=bool(previous.urgent) if previous else data.get("urgence") == "prioritaire",
    )
    if previous is None and data.get("message_partenaire"):
        referral.motif = f"{referral.motif or ''}\n\nMessage : {data['message_partenaire']}".strip()
    db.session.add(referral)
    db.session.flush()
    sender = db.session.get(Structure, sender_id)
    _record(ctx, referral, f"Orientation envoyée : {sender.name} → {target.name}",
            by_receiver=False, action="referral.sent")
    urgent, why = ("Urgent : ", " dont la demande a été jugée urgente à l'accueil") if referral.urgent else ("", "")
    _notify("arrivee", target, f"{urgent}Nouvelle orientation reçue de {sender.name}",
            f"{urgent}{sender.name} vous oriente une personne{why}. Réponse attendue avant le "
            f"{referral.remind_at:%d/%m/%Y}.", referral)
    return {"referral_id": referral.id, "destinataire_id": target.id, "relance": _iso(referral.remind_at),
            "escalade": _iso(referral.escalate_at), "expiration": _iso(referral.expire_at)}


def accepter(ctx, params, data):
    referral = _current(ctx, data)
    referral.status, referral.answered_at = "acceptee", clock.now()
    referral.answer_comment = data.get("commentaire")
    if data.get("date_premier_rdv"):
        referral.first_appointment_at = datetime.combine(date.fromisoformat(data["date_premier_rdv"]),
                                                         datetime.min.time())
    _record(ctx, referral, f"Orientation acceptée par {referral.to_structure.name}, premier rendez-vous le "
            f"{referral.first_appointment_at:%d/%m/%Y}", by_receiver=True, action="referral.accepted")
    _tell_senders(ctx, "acceptation", "Orientation acceptée",
                  _with_comment(f"{referral.to_structure.name} a accepté l'orientation, premier rendez-vous "
                                f"le {referral.first_appointment_at:%d/%m/%Y}.", referral, referral.answer_comment),
                  referral)
    # the receiver is asked to confirm the first contact if it has not some working days after it
    start = max(referral.first_appointment_at or referral.answered_at, referral.answered_at)
    return {"referral_id": referral.id,
            "relance": _iso(add_working_days(start, delay_days(params, "jours_relance", "REFERRAL_REMINDER_DAYS")))}


def refuser(ctx, params, data):
    referral = _current(ctx, data)
    reason = params.get("motif") or data.get("motif_refus") or "autre"
    if referral.status == "acceptee":  # the person never came: said when confirming the first contact
        referral.contact_comment = data.get("commentaire")
    else:
        referral.answer_comment = data.get("commentaire")
    comment = data.get("commentaire")
    referral.status, referral.decline_reason = "refusee", reason
    referral.answered_at = referral.answered_at or clock.now()
    referral.closed_at = clock.now()
    label = DECLINE_REASONS.get(reason, reason)
    _record(ctx, referral, f"Orientation refusée par {referral.to_structure.name} : {label}",
            by_receiver=True, action="referral.declined")
    _tell_senders(ctx, "refus", "Orientation refusée : choisissez un autre partenaire",
            _with_comment(f"{referral.to_structure.name} a refusé l'orientation ({label}).", referral, comment),
            referral)
    return "refusee"


def rediriger(ctx, params, data):
    referral = _current(ctx, data)
    referral.status, referral.answered_at = "redirigee", clock.now()
    referral.answer_comment = data.get("commentaire")
    _record(ctx, referral, f"Orientation redirigée par {referral.to_structure.name}",
            by_receiver=True, action="referral.redirected")
    _tell_senders(ctx, "redirection", "Orientation redirigée vers un autre partenaire",
                  _with_comment(f"{referral.to_structure.name} a redirigé l'orientation vers une structure plus "
                                f"adaptée.", referral, referral.answer_comment), referral)
    return "redirigee"


def reaffecter(ctx, params, data):
    referral = _current(ctx, data)
    referral.status, referral.closed_at = "reaffectee", clock.now()
    reason = data.get("motif_reaffectation") or ""
    _record(ctx, referral, f"Orientation retirée à {referral.to_structure.name} par la coordination locale : {reason}",
            by_receiver=False, action="referral.reassigned")
    _notify("reaffectation", referral.to_structure, "Orientation confiée à une autre structure",
            f"La coordination locale a confié à une autre structure l'orientation envoyée par "
            f"{referral.from_structure.name} le {referral.sent_at:%d/%m/%Y}. Motif : {reason}", referral)
    return "redirigee"


def relancer(ctx, params, data):
    referral = _current(ctx, data)
    referral.reminded_at = clock.now()
    _record(ctx, referral, "Relance : orientation sans réponse", by_receiver=False, action="referral.reminded")
    _notify("relance", referral.to_structure, "Relance : une orientation attend votre réponse",
            f"L'orientation envoyée par {referral.from_structure.name} le {referral.sent_at:%d/%m/%Y} "
            f"attend toujours une réponse.", referral)
    return True


def relancer_contact(ctx, params, data):
    referral = _current(ctx, data)
    _record(ctx, referral, "Relance : premier contact à confirmer", by_receiver=False, action="referral.reminded")
    _notify("relance", referral.to_structure, "Relance : confirmez le premier contact",
            f"Le premier rendez-vous de l'orientation envoyée par {referral.from_structure.name} était prévu le "
            f"{referral.first_appointment_at:%d/%m/%Y} : confirmez le premier contact ou signalez l'absence.",
            referral)
    return True


def escalader(ctx, params, data):
    referral = _current(ctx, data)
    referral.escalated_at = clock.now()
    departement = referral.to_structure.departement
    coordinators = db.session.scalars(select(User).join(Structure, User.structure_id == Structure.id).where(
        Structure.departement == departement, User.active.is_(True))).all()
    for user in (u for u in coordinators if u.has_role("coordinateur") and u.email):
        queue_message("escalade", user.email, "Orientation sans réponse : à débloquer",
                      f"L'orientation de {referral.from_structure.name} vers {referral.to_structure.name} "
                      f"est sans réponse depuis le {referral.sent_at:%d/%m/%Y}.",
                      to_structure_id=user.structure_id, referral_id=referral.id, person_id=referral.person_id)
    _record(ctx, referral, "Escalade au coordinateur local", by_receiver=False, action="referral.escalated")
    return True


def expirer(ctx, params, data):
    referral = _current(ctx, data)
    referral.status, referral.closed_at = "expiree", clock.now()
    _record(ctx, referral, f"Orientation expirée sans réponse de {referral.to_structure.name}",
            by_receiver=False, action="referral.expired")
    _tell_senders(ctx, "expiration", "Orientation expirée : choisissez un autre partenaire",
            f"{referral.to_structure.name} n'a pas répondu dans le délai.", referral)
    return "expiree"


def aboutir(ctx, params, data):
    referral = _current(ctx, data)
    referral.status, referral.closed_at = "aboutie", clock.now()
    referral.contact_comment = data.get("commentaire")
    if data.get("date_premier_contact"):
        referral.first_contact_at = datetime.combine(date.fromisoformat(data["date_premier_contact"]),
                                                     datetime.min.time())
    _record(ctx, referral, f"Orientation aboutie : premier contact confirmé par {referral.to_structure.name}",
            by_receiver=True, action="referral.completed")
    _tell_senders(ctx, "aboutie", "Orientation aboutie",
            _with_comment(f"{referral.to_structure.name} a reçu la personne"
                          f"{f' le {referral.first_contact_at:%d/%m/%Y}' if referral.first_contact_at else ''}.",
                          referral, referral.contact_comment), referral)
    if referral.purpose == "cep" and referral.to_structure.cep_operator:  # the operator opens the CEP
        start_cep(ctx, referral.to_structure_id)
        _record(ctx, referral, f"Conseil en évolution professionnelle ouvert par {referral.to_structure.name}",
                by_receiver=True, action="cep.opened")
    return "aboutie"


def indisponible(ctx, params, data):
    return "indisponible"


def abandonner(ctx, params, data):
    audit.record(ctx.actor, "referral.abandoned", f"Orientation abandonnée : {data.get('motif_abandon', '')}",
                 person_id=ctx.journey.person_id, journey_id=ctx.journey.id)
    return "abandonnee"


SERVICES = {f"orientation.{fn.__name__}": fn for fn in (
    ouvrir, envoyer, accepter, refuser, rediriger, reaffecter, relancer, relancer_contact, escalader,
    expirer, aboutir, indisponible, abandonner)}
