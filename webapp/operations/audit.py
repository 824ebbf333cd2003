"""Recording audit events (append-only), and purging those past the retention period.

Two ways to record:
- `record` adds the event to the current transaction (writes, and reads a view commits itself);
- `defer`, `people_shown` and `denied` keep the event for the end of the request, where
  `write_deferred` stores it and commits, after dropping whatever the request wrote and left
  uncommitted (when it wrote nothing, in the transaction the request read in: no second one): a
  read page that commits nothing still leaves its entry, and a denied access leaves its entry
  although the request answers 404 and rolls back. Outside a request (worker, commands) they
  record at once in the caller's transaction.
"""
from datetime import timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session

from .. import clock
from ..extensions import db
from ..models import AuditEvent

PURGE_BATCH = 1000


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


def defer(actor, action: str, summary: str, *, kind: str = "read", person_id=None, journey_id=None,
          detail: dict | None = None) -> None:
    """Record an event once the response is built, in its own transaction (see the module)."""
    if not has_request_context():
        record(actor, action, summary, kind=kind, person_id=person_id, journey_id=journey_id, detail=detail)
        return
    # Plain values now: after the request's rollback or commit the actor's row is expired.
    values = {"at": clock.now(), "user_id": getattr(actor, "id", None),
              "structure_id": getattr(actor, "structure_id", None), "action": action, "kind": kind,
              "person_id": person_id, "journey_id": journey_id, "summary": summary[:300], "detail": detail}
    g.setdefault("deferred_audit", []).append(values)


def people_shown(actor, action: str, summary: str, person_ids) -> None:
    """One entry for a list or search page: the ids of the people it showed, in `detail`."""
    ids = sorted({int(i) for i in person_ids if i is not None})
    if ids:
        defer(actor, action, f"{summary} ({len(ids)} personne{'s' if len(ids) > 1 else ''})",
              detail={"person_ids": ids})


DENIED_SUMMARIES = {"person": "Accès refusé au dossier n°{id}", "task": "Accès refusé à la tâche n°{id}",
                    "journey": "Accès refusé au parcours n°{id}"}


def denied(actor, object_kind: str, object_id: int, *, person_id=None) -> None:
    """An existing object of another structure was asked for: kept although the answer is a 404
    (timelines show writes only, so the entry never reaches the person's dossier)."""
    defer(actor, f"{object_kind}.denied", DENIED_SUMMARIES[object_kind].format(id=object_id), kind="denied",
          person_id=person_id, detail={"object": object_kind, "id": object_id})


def write_deferred(response_status: int) -> None:
    """Store the request's deferred events (reads only when the answer succeeded) and commit.
    Whatever the request left uncommitted is dropped first, as the end of the request would."""
    pending = g.pop("deferred_audit", None)
    if not pending:
        return
    kept = [values for values in pending if values["kind"] == "denied" or response_status < 400]
    if not kept:
        return
    if db.session.info.get(WROTE):
        db.session.rollback()
    # append-only rows, nothing to track: one INSERT, without the unit of work's bookkeeping
    db.session.connection().execute(insert(AuditEvent.__table__), kept)
    db.session.commit()


WROTE = "wrote_uncommitted"  # a session's flag: its transaction has written something


@event.listens_for(Session, "after_flush")
def _note_write(session, _context):
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement_write(state):
    """A write statement run through the session (a conditional UPDATE, a bulk DELETE) writes too."""
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_write(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended: committed or rolled back
        session.info.pop(WROTE, None)


def purge_expired(now) -> int:
    """Delete the events older than AUDIT_RETENTION_DAYS before `now`, in batches; how many."""
    limit = now - timedelta(days=current_app.config["AUDIT_RETENTION_DAYS"])
    deleted = 0
    while True:
        ids = db.session.scalars(select(AuditEvent.id).where(AuditEvent.at < limit)
                                 .order_by(AuditEvent.id).limit(PURGE_BATCH)).all()
        if not ids:
            return deleted
        db.session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
