"""An organiser changes or calls off an event of the support programme before it starts; the people
registered (and waiting) are told. A larger capacity gives its new places to the waiting list."""
from datetime import time

from sqlalchemy import select, update

from .. import clock
from ..errors import Conflict, Forbidden, InvalidData, NotFound
from ..extensions import db
from ..models import SupportEvent, SupportRegistration, User
from . import audit
from .notifications import public_link, queue_message
from .support_programme import (INVALID, PARIS, REGISTERED, UTC, WAITING, _checked, _promote_next, _take_place,
                                _utc, _when, can_manage, is_visible)

EDITABLE = ("kind", "title", "description", "duration_minutes", "place", "online_url")


def _managed(actor, event_id: int) -> SupportEvent:
    """The event for one of its organisers, before it starts and unless called off."""
    event = db.session.get(SupportEvent, event_id)
    if event is None or not is_visible(actor, event):
        raise NotFound("Cet événement n'existe pas ou ne vous est pas proposé.")
    if not can_manage(actor, event):
        raise Forbidden("Seul·es les organisateur·rices de l'événement le modifient ou l'annulent.")
    if event.cancelled_at is not None:
        raise Conflict("Cet événement est annulé.")
    if clock.now() >= event.starts_at:
        raise Conflict("L'événement a commencé : il ne peut plus être modifié ni annulé.")
    return event


def _paris_day(moment):
    return moment.replace(tzinfo=UTC).astimezone(PARIS).date()


def form_values(event: SupportEvent) -> dict:
    """What the edit form shows first (dates and time in Paris)."""
    local = event.starts_at.replace(tzinfo=UTC).astimezone(PARIS)
    deadline = event.registration_deadline.replace(tzinfo=UTC).astimezone(PARIS)
    values = {name: getattr(event, name) for name in EDITABLE}
    return {**values, "date": local.date().isoformat(), "start_time": local.strftime("%H:%M"),
            "capacity": event.capacity, "networks": list(event.networks or []), "deadline": deadline.date().isoformat()}


def _tell(event: SupportEvent, kind: str, subject: str, texts: dict[str, str]) -> int:
    """One message to everyone registered or waiting (`texts` by status: the waiting list's never
    carries the online link); people without an e-mail address are skipped. Returns how many."""
    rows = db.session.execute(
        select(User, SupportRegistration.structure_id, SupportRegistration.status)
        .join(SupportRegistration, SupportRegistration.user_id == User.id)
        .where(SupportRegistration.event_id == event.id, SupportRegistration.status.in_((REGISTERED, WAITING)))).all()
    told = 0
    for user, structure_id, status in rows:
        if not user.email:
            continue
        queue_message(kind, user.email, subject, f"Bonjour {user.full_name},\n\n{texts[status]}\n\n"
                      f"{public_link(f'/programme/{event.id}')}\n", to_structure_id=structure_id)
        told += 1
    return told


def update_event(actor, event_id: int, data: dict) -> SupportEvent:
    """Change an event; the capacity cannot fall below the places taken (checked in the UPDATE itself)."""
    event = _managed(actor, event_id)
    data, errors = _checked(data, editing=True)
    if errors:
        raise InvalidData(INVALID, errors)
    resized = db.session.execute(
        update(SupportEvent).where(SupportEvent.id == event.id, SupportEvent.registered_count <= data["capacity"])
        .values(capacity=data["capacity"]).execution_options(synchronize_session=False))
    db.session.refresh(event)
    if resized.rowcount != 1:
        raise InvalidData(INVALID, {"capacity": f"{event.registered_count} personnes sont déjà inscrites : "
                                                f"la capacité ne peut pas être inférieure."})
    before = (event.starts_at, event.place, event.online_url)
    for name in EDITABLE:
        setattr(event, name, data.get(name) or ("" if name == "description" else None))
    event.starts_at = data["starts_at"]
    event.networks = sorted(set(data.get("networks") or []))
    kept = data["deadline_day"] == _paris_day(event.registration_deadline) and event.registration_deadline < before[0]
    if not kept:  # an unchanged deadline keeps its hour (unless it was the old start)
        event.registration_deadline = _utc(data["deadline_day"], time(23, 59))
    event.registration_deadline = min(event.registration_deadline, event.starts_at)
    if event.starts_at != before[0]:
        event.reminder_sent_at = None  # the new date gets its own reminder
    db.session.flush()
    promoted = 0
    while _take_place(event.id):  # new places go to the waiting list, in order
        if not _promote_next(event):
            db.session.execute(update(SupportEvent).where(SupportEvent.id == event.id)
                               .values(registered_count=SupportEvent.registered_count - 1)
                               .execution_options(synchronize_session=False))
            break
        promoted += 1
    if (event.starts_at, event.place, event.online_url) != before:
        where = " / ".join(x for x in (event.place, event.online_url) if x)
        online_only = "en ligne (le lien de connexion est communiqué aux inscrit·es)"
        _tell(event, "programme_modification", f"Changement : {event.title}", {
            REGISTERED: f"L'événement « {event.title} » auquel vous êtes inscrit·e a changé : "
                        f"il a lieu le {_when(event)}.\nLieu : {where}",
            WAITING: f"L'événement « {event.title} » pour lequel vous êtes en liste d'attente a changé : "
                     f"il a lieu le {_when(event)}.\nLieu : {event.place or online_only}\n"
                     f"Vous restez en liste d'attente ; vous serez prévenu·e si une place se libère."})
    audit.record(actor, "support_event.updated", f"Événement du programme modifié : {event.title}",
                 detail={"event_id": event.id, "promoted": promoted})
    return event


def cancel_event(actor, event_id: int) -> int:
    """Call the event off and tell everyone registered or waiting; returns how many were told."""
    event = _managed(actor, event_id)
    called_off = db.session.execute(
        update(SupportEvent).where(SupportEvent.id == event.id, SupportEvent.cancelled_at.is_(None))
        .values(cancelled_at=clock.now()).execution_options(synchronize_session=False))
    if called_off.rowcount != 1:
        raise Conflict("Cet événement est déjà annulé.")
    told = _tell(event, "programme_annulation", f"Annulation : {event.title}", {
        REGISTERED: f"L'événement « {event.title} » prévu le {_when(event)} est annulé. Votre inscription est close.",
        WAITING: f"L'événement « {event.title} » prévu le {_when(event)} est annulé. "
                 f"Vous étiez en liste d'attente : votre demande est close."})
    audit.record(actor, "support_event.cancelled_by_organiser", f"Événement du programme annulé : {event.title}",
                 detail={"event_id": event.id, "told": told})
    return told
