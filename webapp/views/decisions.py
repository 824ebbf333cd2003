"""Decision tables (DMN): read by everyone, replaced by process owners (pilotes) by upload."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import Forbidden, NotFound
from ..extensions import db
from ..operations.definitions import publish_decision
from ..queries.definitions import decision_rows, decision_versions
from ..workflow import DefinitionError

bp = Blueprint("decisions", __name__, url_prefix="/pilotage/decisions")
MAX_DMN_BYTES = 500_000


@bp.get("/<key>")
@login_required
def show(key):
    versions = decision_versions(key)
    if not versions:
        raise NotFound("Table de décision introuvable.")
    current = next((v for v in versions if v.is_current), versions[0])
    return render_template("decisions/show.html", key=key, versions=versions, current=current,
                           table=decision_rows(current.bpmn_xml), can_publish=current_user.has_role("pilote"))


@bp.get("/<key>/version/<int:number>.dmn")
@login_required
def download(key, number):
    version = next((v for v in decision_versions(key) if v.version == number), None)
    if version is None:
        raise NotFound("Version introuvable.")
    return Response(version.bpmn_xml, mimetype="application/xml", headers={
        "Content-Disposition": f"attachment; filename={key}-v{number}.dmn"})


@bp.post("/<key>")
@login_required
def publish(key):
    if not current_user.has_role("pilote"):
        raise Forbidden("La publication des tables de décision est réservée aux pilotes de processus.")
    upload = request.files.get("fichier")
    content = upload.read(MAX_DMN_BYTES + 1) if upload else b""
    problems = []
    if not content:
        problems = ["Choisissez un fichier .dmn."]
    elif len(content) > MAX_DMN_BYTES:
        problems = [f"Fichier trop volumineux (maximum {MAX_DMN_BYTES // 1000} ko)."]
    else:
        try:
            version = publish_decision(upload.filename or f"{key}.dmn", content, current_user, expected_key=key)
        except DefinitionError as exc:
            problems = [str(p) for p in exc.problems]
    if problems:
        db.session.rollback()
        for problem in problems:
            flash(f"Rien n'a été publié : {problem}", "error")
        return redirect(url_for("decisions.show", key=key)), 303
    db.session.commit()
    flash(f"Version {version.version} publiée." if version else "Fichier identique à la version en cours : "
          "rien à publier.", "success")
    return redirect(url_for("decisions.show", key=key)), 303
