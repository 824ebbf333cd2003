"""Firing due BPMN timers; safe with several workers (FOR UPDATE SKIP LOCKED)."""
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..extensions import db
from ..models import Journey
from ..queries.definition_content import content_of
from ..workflow import EngineError, Instance
from .services import services_for
from .task_index import save_state


def fire_due_timers(limit: int = 50) -> int:
    """Advance up to `limit` journeys whose next timer is due; each in its own transaction.

    A journey saved by someone else in the meantime (possible on SQLite, which has no row locks)
    is left alone: its new state carries its own next timer."""
    fired = 0
    for _attempt in range(limit):
        journey = db.session.scalar(
            select(Journey).where(Journey.status == "en_cours", Journey.next_timer_at < clock.now())
            .order_by(Journey.next_timer_at).limit(1).with_for_update(skip_locked=True))
        if journey is None:
            break
        try:
            try:
                instance = Instance.restore(content_of(journey.definition_version_id).spec_json, journey.state,
                                            services=services_for(journey, None))
                instance.fire_timers()
                save_state(journey, instance)
            except EngineError as exc:  # nothing the failed step wrote is kept: only the incident
                db.session.rollback()
                journey = db.session.get(Journey, journey.id, with_for_update=True)
                journey.status, journey.incident = "incident", str(exc)
                journey.next_timer_at = None
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            continue
        fired += 1
    return fired
