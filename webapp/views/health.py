"""`GET /health` for load balancers and monitoring: no sign-in, no cookie, at most 2 statements.

- `/health`: 200 when the database answers and a worker beat within `max_silence_seconds()`
  (3 × SPRO_WORKER_INTERVAL_SECONDS + 30 s, 120 s by default); 503 otherwise, with a French
  `message` and the failing part (`database` or `worker`).
- `/health?portee=web`: the database only, for a load balancer that should keep sending people to
  this web app while the worker is down (timers and messages are then late, nothing is lost).

On PostgreSQL the check runs under a 2 s statement timeout, so a stuck database answers 503 quickly
rather than holding the load balancer's probe."""
from flask import Blueprint, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..extensions import csrf, db, limiter
from ..queries.worker_status import last_beat, max_silence_seconds

bp = Blueprint("health", __name__)
SCOPES = ("complete", "web")
STATEMENT_TIMEOUT_MS = 2000
DATABASE_DOWN = ("La base de données ne répond pas ou la vérification y a échoué : vérifiez qu'elle est démarrée, "
                 "joignable depuis l'application et à jour (« spro db upgrade »), puis lisez le journal.")
NO_WORKER = "Aucun worker n'a jamais signalé son activité : démarrez « spro worker »."
STALE_WORKER = ("Aucun worker n'a signalé son activité depuis {seconds} s (au-delà de {limit} s) : vérifiez que "
                "« spro worker » tourne et lisez son journal.")
BAD_SCOPE = "Portée inconnue : utilisez « /health » (base et worker) ou « /health?portee=web » (base seule)."


def _answer(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/health")
@limiter.exempt
@csrf.exempt
def health():
    scope = request.args.get("portee", "complete")
    if scope not in SCOPES:
        return _answer({"status": "error", "message": BAD_SCOPE}, 400)
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
        if scope == "web":
            db.session.execute(text("SELECT 1"))
        else:
            now = clock.now()
            beats = last_beat(now)
    except SQLAlchemyError:  # refused, lost, timed out, or the schema is not migrated: never a 500
        return _answer({"status": "unavailable", "database": "error", "message": DATABASE_DOWN}, 503)
    finally:
        db.session.rollback()  # ends the transaction (and its timeout); nothing was written
    if scope == "web":
        return _answer({"status": "ok", "database": "ok", "scope": "web"}, 200)
    limit = max_silence_seconds()
    silent = None if beats.last_beat_at is None else max(0, int((now - beats.last_beat_at).total_seconds()))
    worker = {"last_beat_seconds": silent, "max_silence_seconds": limit, "recent_workers": beats.recent_workers}
    if silent is None:
        return _answer({"status": "unavailable", "database": "ok", "worker": {**worker, "status": "missing"},
                        "message": NO_WORKER}, 503)
    if silent > limit:
        return _answer({"status": "unavailable", "database": "ok", "worker": {**worker, "status": "stale"},
                        "message": STALE_WORKER.format(seconds=silent, limit=limit)}, 503)
    return _answer({"status": "ok", "database": "ok", "worker": {**worker, "status": "ok"}}, 200)
