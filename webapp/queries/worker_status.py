"""How the worker keeps up: its heartbeats, the oldest due timer, the oldest unsent message, the
journeys in incident. Read by the health endpoint (`last_beat`) and by the regional admin's
« Exploitation » page (`operations_status`). Each figure is one statement on indexed columns
(journey.next_timer_at, journey.status, outbox_message.status); no personal data is read."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..errors import Forbidden
from ..extensions import db
from ..models import DefinitionVersion, Journey, OutboxMessage, WorkerHeartbeat
from .audit import is_regional_admin

TO_SEND, FAILED = "a_envoyer", "echec"  # outbox statuses (operations/notifications.py)


def max_silence_seconds() -> int:
    """How long a worker may stay silent before it counts as stopped: three idle sleeps
    (WORKER_INTERVAL_SECONDS) plus 30 s for a pass's own work — 120 s with the default 30 s."""
    return 3 * current_app.config["WORKER_INTERVAL_SECONDS"] + 30


@dataclass(frozen=True)
class BeatSummary:
    last_beat_at: datetime | None
    recent_workers: int  # workers that beat within max_silence_seconds


def last_beat(now: datetime) -> BeatSummary:
    """The latest heartbeat of any worker, and how many beat recently (one statement)."""
    since = now - timedelta(seconds=max_silence_seconds())
    latest, recent = db.session.execute(select(
        func.max(WorkerHeartbeat.beat_at),
        func.count().filter(WorkerHeartbeat.beat_at >= since))).one()
    return BeatSummary(latest, recent or 0)


@dataclass(frozen=True)
class WorkerRow:
    name: str
    started_at: datetime
    beat_at: datetime
    passes: int
    silent_seconds: int
    stale: bool


@dataclass(frozen=True)
class TimerLag:
    due: int
    oldest_at: datetime | None
    oldest_journey_id: int | None
    oldest_process: str | None  # the journey's name
    late_seconds: int | None


@dataclass(frozen=True)
class OutboxLag:
    waiting: int
    failed: int
    oldest_at: datetime | None
    waiting_seconds: int | None


@dataclass(frozen=True)
class OperationsStatus:
    now: datetime
    max_silence_seconds: int
    workers: list[WorkerRow]
    timers: TimerLag
    outbox: OutboxLag
    incidents: list[tuple[str, int]]  # (journey name, journeys in incident), most first

    @property
    def live_workers(self) -> int:
        return sum(1 for w in self.workers if not w.stale)

    @property
    def incident_total(self) -> int:
        return sum(count for _key, count in self.incidents)


def require_operations_reader(actor) -> None:
    if not is_regional_admin(actor):
        raise Forbidden("La page « Exploitation » est réservée à l'administration régionale.")


def operations_status(actor) -> OperationsStatus:
    """Everything the « Exploitation » page shows, for the regional admin (4 statements)."""
    require_operations_reader(actor)
    now = clock.now()
    return OperationsStatus(now=now, max_silence_seconds=max_silence_seconds(), workers=workers(now),
                            timers=timer_lag(now), outbox=outbox_lag(now), incidents=incidents())


def _seconds(later: datetime, earlier: datetime) -> int:
    return max(0, int((later - earlier).total_seconds()))


def workers(now: datetime) -> list[WorkerRow]:
    """Every worker that ever beat, latest beat first; those silent too long are `stale`."""
    silence = max_silence_seconds()
    rows = db.session.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.started_at, WorkerHeartbeat.beat_at,
                                     WorkerHeartbeat.passes).order_by(WorkerHeartbeat.beat_at.desc())).all()
    return [WorkerRow(name, started, beat, passes or 0, _seconds(now, beat), _seconds(now, beat) > silence)
            for name, started, beat, passes in rows]


def timer_lag(now: datetime) -> TimerLag:
    """Timers due and not fired: how many, and the oldest (its journey's id and process)."""
    due = (Journey.status == "en_cours", Journey.next_timer_at < now)
    row = db.session.execute(
        select(Journey.id, DefinitionVersion.name, Journey.next_timer_at, func.count().over())
        .join(DefinitionVersion, DefinitionVersion.id == Journey.definition_version_id)
        .where(*due).order_by(Journey.next_timer_at, Journey.id).limit(1)).first()
    if row is None:
        return TimerLag(0, None, None, None, None)
    journey_id, process, at, count = row
    return TimerLag(count, at, journey_id, process, _seconds(now, at))


def outbox_lag(now: datetime) -> OutboxLag:
    """Messages waiting to be sent (and the oldest's age), messages whose sending failed."""
    waiting, failed, oldest = db.session.execute(
        select(func.count().filter(OutboxMessage.status == TO_SEND),
               func.count().filter(OutboxMessage.status == FAILED),
               func.min(OutboxMessage.created_at).filter(OutboxMessage.status == TO_SEND))
        .where(OutboxMessage.status.in_((TO_SEND, FAILED)))).one()
    return OutboxLag(waiting or 0, failed or 0, oldest, None if oldest is None else _seconds(now, oldest))


def incidents() -> list[tuple[str, int]]:
    """Journeys in incident, counted by journey name (the name of the version each runs)."""
    rows = db.session.execute(
        select(DefinitionVersion.name, func.count()).select_from(Journey)
        .join(DefinitionVersion, DefinitionVersion.id == Journey.definition_version_id)
        .where(Journey.status == "incident")
        .group_by(DefinitionVersion.name).order_by(func.count().desc(), DefinitionVersion.name))
    return [(key, count) for key, count in rows]
