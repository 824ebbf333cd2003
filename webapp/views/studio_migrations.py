"""The studio's journey migrations (role pilote): preview, start, progress (page and JSON), resume."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import Conflict, InvalidData
from ..extensions import db
from ..operations import journey_migrations as migration_ops
from ..queries import journey_migrations as migration_q
from ..queries.studio import display_name
from .studio import pilote_only

bp = Blueprint("studio_migrations", __name__, url_prefix="/pilotage")
bp.before_request(pilote_only)


@bp.get("/parcours/<key>/migration")
def preview(key):
    found = migration_q.preview(key, request.args.get("de"), request.args.get("a"))
    return render_template("studio/migration.html", key=key, title=display_name(found["target"]), **found)


@bp.post("/parcours/<key>/migration")
def start(key):
    try:
        migration = migration_ops.start_migration(current_user, key, request.form.get("de"), request.form.get("a"))
    except (Conflict, InvalidData) as exc:
        db.session.rollback()
        flash(f"La migration n'a pas été lancée : {exc.message}", "error")
        asked = {name: request.form[name] for name in ("de", "a") if request.form.get(name, "").isdigit()}
        return redirect(url_for(".preview", key=key, **asked)), 303
    db.session.commit()
    if migration.total <= migration_ops.IN_REQUEST:  # small: done before the progress page shows
        migration_ops.run_batch(migration.id, migration_ops.IN_REQUEST + 1)
    return redirect(url_for(".progress", key=key, migration_id=migration.id)), 303


@bp.get("/parcours/<key>/migration/<int:migration_id>")
def progress(key, migration_id):
    migration = migration_q.migration_of(key, migration_id)
    source, target = migration_q.version_numbers(migration)
    return render_template("studio/migration.html", key=key, title=migration_q.journey_title(key),
                           migration=migration, source=source, target=target, state=migration_q.status(migration))


@bp.get("/parcours/<key>/migration/<int:migration_id>.json")
def progress_json(key, migration_id):
    return jsonify(migration_q.status(migration_q.migration_of(key, migration_id)))


@bp.post("/parcours/<key>/migration/<int:migration_id>/reprendre")
def resume(key, migration_id):
    """Run one batch in the request: for a run that no worker advances."""
    migration = migration_q.migration_of(key, migration_id)
    if migration.status != "en_cours":
        flash("Cette migration est déjà terminée.", "error")
    else:
        processed = migration_ops.run_batch(migration.id)
        flash(f"{processed} parcours traité(s) par cette reprise.", "success")
    return redirect(url_for(".progress", key=key, migration_id=migration_id)), 303
