"""Reading the support programme: the events offered to a professional, an event's registrations,
and each structure's participation over a year."""
import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, and_, cast, extract, func, or_, select, true

from .. import clock, reference
from ..errors import Forbidden
from ..extensions import db
from ..models import Structure, SupportEvent, SupportRegistration, User
from ..operations.support_programme import REGISTERED, WAITING, can_manage, is_visible
from .audit import is_regional_admin

_RISKY_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas
CSV_HEADERS = ["Structure", "Réseau", "Département", "Professionnel·les", "Participant·es",
               "Part des professionnel·les ayant participé (%)", "Événements suivis"]


@dataclass
class EventRow:
    event: SupportEvent
    status: str | None  # the actor's registration: inscrit | liste_attente | None
    places_left: int
    waiting: int
    manageable: bool


def _rows(actor, events) -> list[EventRow]:
    events = [e for e in events if is_visible(actor, e)]
    ids = [e.id for e in events]
    mine, waiting = {}, {}
    if ids:
        mine = dict(db.session.execute(select(SupportRegistration.event_id, SupportRegistration.status).where(
            SupportRegistration.event_id.in_(ids), SupportRegistration.user_id == actor.id,
            SupportRegistration.status.in_((REGISTERED, WAITING)))).all())
        waiting = dict(db.session.execute(select(SupportRegistration.event_id, func.count()).where(
            SupportRegistration.event_id.in_(ids), SupportRegistration.status == WAITING)
            .group_by(SupportRegistration.event_id)).all())
    return [EventRow(e, mine.get(e.id), max(0, e.capacity - e.registered_count), waiting.get(e.id, 0),
                     can_manage(actor, e)) for e in events]


def _offered_to(actor):
    """`is_visible` in SQL, so that the list's limit applies to the actor's own events (is_visible
    still decides, row by row)."""
    if is_regional_admin(actor):
        return true()
    mine = actor.structure.departement
    networks = cast(SupportEvent.networks, String)
    open_to_all = or_(SupportEvent.networks.is_(None), networks.in_(("[]", "null")))
    invited = or_(open_to_all, networks.contains(f'"{actor.structure.network}"', autoescape=True))
    if actor.has_role("coordinateur") and mine is not None:
        return or_(and_(SupportEvent.departement.is_(None), invited), SupportEvent.departement == mine)
    return and_(or_(SupportEvent.departement.is_(None), SupportEvent.departement == mine), invited)


def upcoming_events(actor) -> list[EventRow]:
    """Events not started yet that the actor is offered (or organises), soonest first."""
    events = db.session.scalars(select(SupportEvent).where(SupportEvent.starts_at > clock.now(), _offered_to(actor))
                                .order_by(SupportEvent.starts_at, SupportEvent.id).limit(200)).all()
    return _rows(actor, events)


def past_events(actor, days: int = 365) -> list[EventRow]:
    """Events started in the last `days` days, latest first."""
    now = clock.now()
    events = db.session.scalars(select(SupportEvent).where(
        SupportEvent.starts_at <= now, SupportEvent.starts_at > now - timedelta(days=days), _offered_to(actor))
        .order_by(SupportEvent.starts_at.desc(), SupportEvent.id.desc()).limit(200)).all()
    return _rows(actor, events)


def event_row(actor, event: SupportEvent) -> EventRow:
    return _rows(actor, [event])[0]


def waiting_position(event: SupportEvent, actor) -> int | None:
    """The actor's rank on the event's waiting list (1 = next to get a place), None if not on it."""
    mine = db.session.scalar(select(SupportRegistration).where(
        SupportRegistration.event_id == event.id, SupportRegistration.user_id == actor.id,
        SupportRegistration.status == WAITING))
    if mine is None:
        return None
    ahead = db.session.scalar(select(func.count()).select_from(SupportRegistration).where(
        SupportRegistration.event_id == event.id, SupportRegistration.status == WAITING,
        (SupportRegistration.registered_at < mine.registered_at)
        | and_(SupportRegistration.registered_at == mine.registered_at, SupportRegistration.id < mine.id)))
    return ahead + 1


def registrations(actor, event: SupportEvent) -> list[tuple[SupportRegistration, User, Structure]]:
    """Who registered (places then waiting list, in order): for the event's organisers only."""
    if not can_manage(actor, event):
        raise Forbidden("La liste des inscrit·es est réservée aux organisateur·rices de l'événement.")
    return db.session.execute(
        select(SupportRegistration, User, Structure)
        .join(User, User.id == SupportRegistration.user_id).join(Structure, Structure.id == SupportRegistration.structure_id)
        .where(SupportRegistration.event_id == event.id, SupportRegistration.status.in_((REGISTERED, WAITING)))
        .order_by(SupportRegistration.status, SupportRegistration.registered_at, SupportRegistration.id)).all()


# -- participation ---------------------------------------------------------------------------

@dataclass
class StructureParticipation:
    structure: Structure
    staff: int  # active professionals of the structure
    attendees: int  # distinct professionals who attended at least one event of the year
    events: int  # distinct events of the year the structure attended

    @property
    def share(self) -> int | None:
        """Percentage of the staff who attended at least once (None without staff)."""
        return min(100, round(100 * self.attendees / self.staff)) if self.staff else None


@dataclass
class Participation:
    year: int
    scope: str  # « toute la région » or the département's name
    rows: list
    events_held: int

    @property
    def participating(self) -> int:
        return sum(1 for r in self.rows if r.attendees)


def require_reader(actor) -> None:
    if not (is_regional_admin(actor) or actor.has_role("coordinateur")):
        raise Forbidden("La participation des structures est réservée à l'administration régionale "
                        "et aux coordinateur·rices.")


def participation(actor, year: int) -> Participation:
    """Per structure of the actor's scope (the region, or a coordinator's département), over `year`."""
    require_reader(actor)
    regional = is_regional_admin(actor)
    stmt = select(Structure).where(Structure.active.is_(True), Structure.network != "region")
    if not regional:
        stmt = stmt.where(Structure.departement == actor.structure.departement)
    structures = db.session.scalars(stmt.order_by(Structure.departement, Structure.name)).all()
    ids = [s.id for s in structures]
    staff = dict(db.session.execute(select(User.structure_id, func.count()).where(
        User.active.is_(True), User.structure_id.in_(ids)).group_by(User.structure_id)).all()) if ids else {}
    in_year = (extract("year", SupportEvent.starts_at) == year, SupportEvent.starts_at <= clock.now(),
               SupportEvent.cancelled_at.is_(None))
    attended = {}
    if ids:
        attended = {sid: (people, events) for sid, people, events in db.session.execute(
            select(SupportRegistration.structure_id, func.count(func.distinct(SupportRegistration.user_id)),
                   func.count(func.distinct(SupportRegistration.event_id)))
            .join(SupportEvent, SupportEvent.id == SupportRegistration.event_id)
            .where(SupportRegistration.structure_id.in_(ids), SupportRegistration.attended.is_(True), *in_year)
            .group_by(SupportRegistration.structure_id))}
    held_stmt = select(func.count()).select_from(SupportEvent).where(*in_year)
    if not regional:
        held_stmt = held_stmt.where((SupportEvent.departement.is_(None))
                                    | (SupportEvent.departement == actor.structure.departement))
    rows = [StructureParticipation(s, staff.get(s.id, 0), *attended.get(s.id, (0, 0))) for s in structures]
    names = {d["code"]: d["name"] for d in reference.DEPARTEMENTS}
    scope = "toute la région" if regional else names.get(actor.structure.departement, actor.structure.departement)
    return Participation(year, scope, rows, db.session.scalar(held_stmt) or 0)


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_RISKY_START) else text


def participation_csv(result: Participation) -> str:
    """The table as CSV (semicolons, UTF-8 with a BOM so that spreadsheets read accents)."""
    networks = dict(reference.NETWORKS)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for row in result.rows:
        writer.writerow([_cell(v) for v in (
            row.structure.name, networks.get(row.structure.network, row.structure.network), row.structure.departement,
            row.staff, row.attendees, "" if row.share is None else row.share, row.events)])
    return "\ufeff" + out.getvalue()


def year_choices(now: datetime | None = None) -> list[int]:
    current = (now or clock.now()).year
    return [current - 2, current - 1, current]
