"""Worker processes: each pass refreshes the worker's heartbeat row."""
import os
import socket

from .. import clock
from ..extensions import db, upsert
from ..models import WorkerHeartbeat


def worker_name() -> str:
    """This process as the heartbeat table names it: « host:pid »."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(name: str, started_at, passed: bool = True) -> None:
    """Record that the worker `name` is alive now, having finished a pass or (`passed` false) just
    started (one upsert, committed)."""
    now, done = clock.now(), 1 if passed else 0
    table = WorkerHeartbeat.__table__
    db.session.execute(upsert(table).values(name=name, started_at=started_at, beat_at=now, passes=done)
                       .on_conflict_do_update(index_elements=[table.c.name],
                                              set_={"beat_at": now, "passes": table.c.passes + done}))
    db.session.commit()
