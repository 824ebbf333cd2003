"""Recording audit events (append-only)."""
from .. import clock
from ..extensions import db
from ..models import AuditEvent


def record(actor, action: str, summary: str, *, kind: str = "write", person_id=None,
           journey_id=None, detail: dict | None = None) -> AuditEvent:
    """Append one audit event: who (actor), what (action, summary), when, on which person."""
    event = AuditEvent(
        at=clock.now(), user_id=getattr(actor, "id", None),
        structure_id=getattr(actor, "structure_id", None), action=action, kind=kind,
        person_id=person_id, journey_id=journey_id, summary=summary[:300], detail=detail,
    )
    db.session.add(event)
    return event
