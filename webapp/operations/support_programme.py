"""The support programme for professionals: publish events, register, cancel, record attendance,
remind the registered.

Capacity is never exceeded: a place is taken by one conditional UPDATE of the event's
`registered_count` (`… WHERE registered_count < capacity`), so two colleagues racing for the last
place get one place and one waiting-list entry (PostgreSQL re-reads the row after the other's
commit; SQLite serialises writers). Registering and cancelling first lock the event's row
(SELECT … FOR UPDATE, nothing on SQLite), so a freed place and a newcomer never miss each other."""
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import clock, reference
from ..errors import Conflict, Forbidden, InvalidData, NotFound
from ..extensions import db
from ..models import SupportEvent, SupportRegistration, User
from ..queries.audit import is_regional_admin
from ..task_forms import validate
from . import audit
from .notifications import queue_message, public_link

PARIS, UTC = ZoneInfo("Europe/Paris"), ZoneInfo("UTC")
KINDS = {"journee_technique": "Journée technique", "echange_pratiques": "Échange de pratiques",
         "seminaire": "Séminaire", "webinaire": "Webinaire"}
REGISTERED, WAITING, CANCELLED = "inscrit", "liste_attente", "annule"
STATUS_LABELS = {REGISTERED: "Inscrit·e", WAITING: "En liste d'attente", CANCELLED: "Inscription annulée"}
_TIME = re.compile(r"^([01]?\d|2[0-3])\s*[:hH]\s*([0-5]\d)?$")
_URL = r"^https?://[^\s]+$"
INVALID = "Le formulaire contient des erreurs : corrigez les champs signalés."


def can_publish(actor) -> bool:
    """The regional admin publishes regional events, coordinators their territory's."""
    return is_regional_admin(actor) or actor.has_role("coordinateur")


def can_manage(actor, event: SupportEvent) -> bool:
    """The event's organisers: the regional admin, and a coordinator of its territory."""
    if is_regional_admin(actor):
        return True
    return actor.has_role("coordinateur") and event.departement is not None \
        and event.departement == actor.structure.departement


def is_visible(actor, event: SupportEvent) -> bool:
    """An event is offered to its territory's (or the whole region's) professionals of its networks."""
    if can_manage(actor, event):
        return True
    if event.departement is not None and event.departement != actor.structure.departement:
        return False
    return not event.networks or actor.structure.network in event.networks


def event_for(actor, event_id: int) -> SupportEvent:
    """The event if the actor may see it; 404 otherwise (its existence does not leak)."""
    event = db.session.get(SupportEvent, event_id)
    if event is None or not is_visible(actor, event):
        raise NotFound("Cet événement n'existe pas ou ne vous est pas proposé.")
    return event


def event_schema(editing: bool = False) -> dict:
    """The publication form's JSON Schema; when editing, the deadline may already be past."""
    networks = [(code, label) for code, label in reference.NETWORKS if code != "region"]
    properties = {
        "kind": {"type": "string", "title": "Type d'événement", "enum": list(KINDS), "x-enumNames": list(KINDS.values())},
        "title": {"type": "string", "title": "Titre", "minLength": 1, "maxLength": 200},
        "description": {"type": "string", "title": "Description", "maxLength": 4000,
                        "description": "Programme, public visé, intervenant·es."},
        "date": {"type": "string", "format": "date", "title": "Date", "x-date": "future"},
        "start_time": {"type": "string", "title": "Heure de début", "maxLength": 10,
                       "description": "Au format hh:mm, heure de Paris (par exemple 09:30)."},
        "duration_minutes": {"type": "integer", "title": "Durée (en minutes)", "minimum": 15, "maximum": 1440},
        "place": {"type": "string", "title": "Lieu", "maxLength": 250,
                  "description": "Adresse de la salle. Laissez vide pour un événement uniquement en ligne."},
        "online_url": {"type": "string", "title": "Lien de connexion", "maxLength": 500, "pattern": _URL,
                       "description": "Adresse commençant par https:// (obligatoire pour un webinaire)."},
        "capacity": {"type": "integer", "title": "Nombre de places", "minimum": 1, "maximum": 2000},
        "networks": {"type": "array", "title": "Réseaux invités",
                     "description": "Aucun réseau coché : l'événement est ouvert à tous les réseaux.",
                     "items": {"type": "string", "enum": [c for c, _l in networks],
                               "x-enumNames": [label for _c, label in networks]}},
        "deadline": {"type": "string", "format": "date", "title": "Date limite d'inscription", "x-date": "future",
                     "description": "Les inscriptions restent ouvertes jusqu'à la fin de ce jour (ou jusqu'au début de l'événement)."},
    }
    if editing:  # an event is still edited after its registrations closed
        properties["deadline"] = {k: v for k, v in properties["deadline"].items() if k != "x-date"}
    required = ["kind", "title", "date", "start_time", "duration_minutes", "capacity", "deadline"]
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


def _utc(day, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def _checked(data: dict, editing: bool = False) -> tuple[dict, list]:
    """The cleaned values and every field's French message, cross-field rules included."""
    from ..form_checks import parse_date
    data = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    data = {k: v for k, v in data.items() if v != ""}
    errors = validate(event_schema(editing), data)
    if errors.get("online_url") == "Format invalide.":
        errors["online_url"] = "Saisissez une adresse complète commençant par https://."
    if "title" not in errors and not data.get("title"):
        errors["title"] = "Indiquez le titre de l'événement."
    moment = None
    if "start_time" in data and "start_time" not in errors:
        match = _TIME.match(data["start_time"])
        if match is None:
            errors["start_time"] = "Heure invalide : saisissez-la au format hh:mm (par exemple 09:30)."
        else:
            moment = time(int(match.group(1)), int(match.group(2) or 0))
    if data.get("kind") == "webinaire" and not data.get("online_url") and "online_url" not in errors:
        errors["online_url"] = "Un webinaire a besoin d'un lien de connexion."
    if not data.get("place") and not data.get("online_url") and "online_url" not in errors:
        errors["place"] = "Indiquez un lieu ou un lien de connexion."
    day, deadline = parse_date(data.get("date")), parse_date(data.get("deadline"))
    if day and deadline and "date" not in errors and "deadline" not in errors and deadline > day:
        errors["deadline"] = "La date limite d'inscription ne peut pas être après l'événement."
    starts_at = _utc(day, moment) if day and moment and "date" not in errors else None
    if starts_at is not None and starts_at <= clock.now():
        errors["start_time"] = "Cette heure est déjà passée : indiquez une heure à venir."
    return {**data, "starts_at": starts_at, "deadline_day": deadline}, errors


def create_event(actor, data: dict) -> SupportEvent:
    """Publish an event: regional for the regional admin, of their territory for a coordinator."""
    if not can_publish(actor):
        raise Forbidden("La publication du programme est réservée à l'administration régionale et aux coordinateur·rices.")
    data, errors = _checked(data)
    if errors:
        raise InvalidData(INVALID, errors)
    starts_at = data["starts_at"]
    deadline = min(_utc(data["deadline_day"], time(23, 59)), starts_at)
    event = SupportEvent(
        kind=data["kind"], title=data["title"], description=data.get("description", ""), starts_at=starts_at,
        duration_minutes=data["duration_minutes"], place=data.get("place"), online_url=data.get("online_url"),
        capacity=data["capacity"], registered_count=0, networks=sorted(set(data.get("networks") or [])),
        registration_deadline=deadline,
        departement=None if is_regional_admin(actor) else actor.structure.departement,
        created_by_id=actor.id, created_at=clock.now())
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "support_event.created", f"Événement du programme publié : {event.title}",
                 detail={"event_id": event.id})
    return event


def _registration(event_id: int, user_id: int) -> SupportRegistration | None:
    return db.session.scalar(select(SupportRegistration).where(
        SupportRegistration.event_id == event_id, SupportRegistration.user_id == user_id))


def _lock_event(event_id: int) -> SupportEvent | None:
    """The event re-read under its row lock (held until commit; SQLite serialises writers anyway)."""
    return db.session.scalar(select(SupportEvent).where(SupportEvent.id == event_id).with_for_update()
                             .execution_options(populate_existing=True))


def _take_place(event_id: int, now: datetime | None = None) -> bool:
    """One place taken if any is left on an event not called off (a conditional UPDATE: never past
    capacity); with `now`, only while registrations are open."""
    conditions = [SupportEvent.id == event_id, SupportEvent.registered_count < SupportEvent.capacity,
                  SupportEvent.cancelled_at.is_(None)]
    if now is not None:
        conditions += [SupportEvent.registration_deadline >= now, SupportEvent.starts_at > now]
    result = db.session.execute(
        update(SupportEvent).where(*conditions)
        .values(registered_count=SupportEvent.registered_count + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def register(actor, event_id: int) -> str:
    """Register the actor: a place if one is left, else the waiting list; returns the status."""
    event = event_for(actor, event_id)
    event = _lock_event(event.id)
    now = clock.now()
    _check_open(event, now)
    existing = _registration(event.id, actor.id)
    if existing is not None and existing.status != CANCELLED:
        raise Conflict("Vous êtes déjà inscrit·e à cet événement.")
    status = REGISTERED if _take_place(event.id, now) else WAITING
    if status == WAITING:  # no place, or the event closed in the meantime
        _check_open(db.session.get(SupportEvent, event.id, populate_existing=True), now)
    values = {"status": status, "registered_at": now, "cancelled_at": None, "structure_id": actor.structure_id,
              "attended": None}
    if existing is not None:
        result = db.session.execute(
            update(SupportRegistration).where(SupportRegistration.id == existing.id,
                                              SupportRegistration.status == CANCELLED)
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise Conflict("Vous êtes déjà inscrit·e à cet événement.")
    else:
        db.session.add(SupportRegistration(event_id=event.id, user_id=actor.id, **values))
        try:
            db.session.flush()
        except IntegrityError as exc:  # the same person registering twice at once
            raise Conflict("Vous êtes déjà inscrit·e à cet événement.") from exc
    audit.record(actor, "support_event.registered",
                 f"Inscription {'en liste d’attente ' if status == WAITING else ''}à « {event.title} »",
                 detail={"event_id": event.id, "status": status})
    return status


def _check_open(event: SupportEvent, now: datetime) -> None:
    if event.cancelled_at is not None:
        raise Conflict("Cet événement est annulé.")
    if now > event.registration_deadline or now >= event.starts_at:
        raise Conflict("Les inscriptions à cet événement sont closes.")


def cancel(actor, event_id: int) -> None:
    """Cancel the actor's registration; a freed place goes to the first on the waiting list."""
    event = _lock_event(event_id)  # before the waiting list is read: a concurrent register() waits
    existing = _registration(event_id, actor.id) if event is not None else None
    if existing is None or existing.status == CANCELLED:
        raise NotFound("Vous n'êtes pas inscrit·e à cet événement.")
    if clock.now() >= event.starts_at or event.cancelled_at is not None:
        raise Conflict("L'événement a commencé ou est annulé : l'inscription ne peut plus être annulée.")
    previous = existing.status
    result = db.session.execute(
        update(SupportRegistration).where(SupportRegistration.id == existing.id,
                                          SupportRegistration.status == previous)
        .values(status=CANCELLED, cancelled_at=clock.now()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("Votre inscription a changé entre-temps : rechargez la page.")
    if previous == REGISTERED and not _promote_next(event):
        db.session.execute(update(SupportEvent).where(SupportEvent.id == event.id, SupportEvent.registered_count > 0)
                           .values(registered_count=SupportEvent.registered_count - 1)
                           .execution_options(synchronize_session=False))
    audit.record(actor, "support_event.cancelled", f"Inscription annulée : « {event.title} »",
                 detail={"event_id": event.id})


def _promote_next(event: SupportEvent) -> bool:
    """Give the freed place to the oldest waiting registration of an active account (each one
    promoted once); a deactivated account stays waiting, skipped."""
    waiting = db.session.scalars(select(SupportRegistration.id).join(User, User.id == SupportRegistration.user_id).where(
        SupportRegistration.event_id == event.id, SupportRegistration.status == WAITING, User.active.is_(True))
        .order_by(SupportRegistration.registered_at, SupportRegistration.id).limit(5)).all()
    for registration_id in waiting:
        result = db.session.execute(
            update(SupportRegistration).where(SupportRegistration.id == registration_id,
                                              SupportRegistration.status == WAITING)
            .values(status=REGISTERED).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            promoted = db.session.get(SupportRegistration, registration_id, populate_existing=True)
            user = db.session.get(User, promoted.user_id)
            if user.email:
                queue_message("programme_place", user.email, f"Une place s'est libérée : {event.title}",
                              f"Bonjour {user.full_name},\n\nUne place s'est libérée pour « {event.title} » "
                              f"le {_when(event)} : vous êtes inscrit·e.\n\n{public_link(f'/programme/{event.id}')}\n",
                              to_structure_id=promoted.structure_id)
            return True
    return False


def _when(event: SupportEvent) -> str:
    return event.starts_at.replace(tzinfo=UTC).astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


def record_attendance(actor, event_id: int, present_ids) -> int:
    """The organiser notes who came, once the event has started; returns how many attended."""
    event = db.session.get(SupportEvent, event_id)
    if event is None or not is_visible(actor, event):
        raise NotFound("Cet événement n'existe pas ou ne vous est pas proposé.")
    if not can_manage(actor, event):
        raise Forbidden("Seul·es les organisateur·rices de l'événement notent les présences.")
    if clock.now() < event.starts_at or event.cancelled_at is not None:
        raise Conflict("Les présences se notent une fois l'événement commencé (et s'il n'est pas annulé).")
    registered = db.session.scalars(select(SupportRegistration).where(
        SupportRegistration.event_id == event.id, SupportRegistration.status == REGISTERED)).all()
    present = set(present_ids)
    if present - {r.id for r in registered}:
        raise InvalidData("Cochez uniquement des personnes inscrites à l'événement.")
    for registration in registered:
        registration.attended = registration.id in present
    event.attendance_recorded_at = clock.now()
    db.session.flush()
    audit.record(actor, "support_event.attendance", f"Présences notées : « {event.title} »",
                 detail={"event_id": event.id, "present": len(present), "registered": len(registered)})
    return len(present)


def queue_reminders(now: datetime | None = None) -> int:
    """Queue a reminder to everyone registered to an event starting within SUPPORT_REMINDER_DAYS
    days, once per event (claimed by a conditional UPDATE); returns the messages queued. The
    caller commits (the worker's pass)."""
    now = now or clock.now()
    days = current_app.config.get("SUPPORT_REMINDER_DAYS", 2)
    due = db.session.scalars(select(SupportEvent.id).where(
        SupportEvent.reminder_sent_at.is_(None), SupportEvent.cancelled_at.is_(None), SupportEvent.starts_at > now,
        SupportEvent.starts_at <= now + timedelta(days=days)).order_by(SupportEvent.starts_at)).all()
    queued = 0
    for event_id in due:
        claimed = db.session.execute(
            update(SupportEvent).where(SupportEvent.id == event_id, SupportEvent.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # another worker took it
            continue
        event = db.session.get(SupportEvent, event_id)
        rows = db.session.execute(
            select(User, SupportRegistration.structure_id).join(SupportRegistration, SupportRegistration.user_id == User.id)
            .where(SupportRegistration.event_id == event_id, SupportRegistration.status == REGISTERED)).all()
        where = " / ".join(x for x in (event.place, event.online_url) if x)
        for user, structure_id in rows:
            if not user.email:
                continue
            queue_message("rappel_programme", user.email, f"Rappel : {event.title} le {_when(event)}",
                          f"Bonjour {user.full_name},\n\nVous êtes inscrit·e à « {event.title} » "
                          f"({KINDS.get(event.kind, '')}) le {_when(event)}, durée {event.duration_minutes} min.\n"
                          f"Lieu : {where}\n\nEn cas d'empêchement, annulez votre inscription pour libérer "
                          f"la place : {public_link(f'/programme/{event.id}')}\n", to_structure_id=structure_id)
            queued += 1
    return queued
