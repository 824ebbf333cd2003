"""The regional identity: its settings screen (regional administration), the stylesheet of its
colours and its logo (public: the sign-in page shows them), and `identity` in every template."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidData
from ..extensions import db
from ..identity_rules import (LOGO_MAX_BYTES, LOGO_MAX_HEIGHT, LOGO_MAX_WIDTH, contrast_pairs, format_minimum,
                              format_ratio, theme_css)
from ..operations.identity import FIELDS, require_identity_admin, reset_identity, save_identity
from ..queries.identity import current_identity, forget, logo_file

bp = Blueprint("identity", __name__)
LABELS = {"name": "Nom du service", "short_name": "Nom court", "primary": "Couleur principale",
          "accent": "Couleur d'accent", "header_text": "Couleur du texte de l'en-tête", "logo": "Logo"}


@bp.app_context_processor
def _identity():
    return {"identity": current_identity()}


@bp.get("/identite/theme.css")
def theme():
    identity = current_identity()
    response = Response(theme_css(identity), mimetype="text/css")
    if request.args.get("v") == identity.theme_token:
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/identite/logo")
def logo():
    identity = current_identity()
    found = logo_file(identity)
    if found is None:
        abort(404)
    data, content_type = found
    response = Response(data, mimetype=content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = f"inline; filename=logo.{'png' if content_type == 'image/png' else 'jpg'}"
    if request.args.get("v") == identity.logo_sha256[:12]:
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _render(values: dict, errors: dict | None = None, status: int = 200):
    identity = current_identity()
    pairs = [(what[0].upper() + what[1:], format_ratio(ratio), format_minimum(minimum), ratio >= minimum)
             for _field, what, ratio, minimum in contrast_pairs(identity.primary, identity.accent, identity.header_text)]
    return render_template("identity/settings.html", values=values, errors=errors or {}, labels=LABELS,
                           pairs=pairs, max_kb=LOGO_MAX_BYTES // 1024, max_width=LOGO_MAX_WIDTH,
                           max_height=LOGO_MAX_HEIGHT), status


@bp.get("/administration/identite")
@login_required
def settings():
    require_identity_admin(current_user)
    identity = current_identity()
    return _render({"name": identity.name, "short_name": identity.short_name, "primary": identity.primary,
                    "accent": identity.accent, "header_text": identity.header_text})


@bp.post("/administration/identite")
@login_required
def save():
    require_identity_admin(current_user)
    values = {field: request.form.get(field, "") for field in FIELDS}
    upload = request.files.get("logo")
    data = upload.read() if upload and upload.filename else None  # bounded by MAX_CONTENT_LENGTH
    for attempt in (1, 2):  # a second try when another admin created the row at the same moment
        try:
            save_identity(current_user, values, logo=data, logo_name=upload.filename if upload else "",
                          remove_logo=request.form.get("remove_logo") == "1")
            db.session.commit()
            break
        except InvalidData as exc:
            db.session.rollback()
            return _render(values, exc.fields, 422)
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    forget()
    flash("L'identité régionale est enregistrée : elle s'applique à tous les écrans, courriels et documents.",
          "success")
    return redirect(url_for("identity.settings")), 303


@bp.post("/administration/identite/reinitialiser")
@login_required
def reset():
    require_identity_admin(current_user)
    reset_identity(current_user)
    db.session.commit()
    forget()
    flash("L'identité régionale par défaut est rétablie (nom, couleurs, sans logo).", "success")
    return redirect(url_for("identity.settings")), 303
