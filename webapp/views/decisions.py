"""Decision tables (DMN): read by everyone, replaced by process owners (pilotes) by upload."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import Forbidden, NotFound
from ..extensions import db
from ..operations.definitions import publish_decision
from ..queries.definitions import decision_versions, place_in_table, readable_decision
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
                           table=readable_decision(current.bpmn_xml), can_publish=current_user.has_role("pilote"))


# The engine facade words the DMN library's own refusals with this prefix, followed by the
# library's English text: shown in French instead.
_ENGINE_REFUSAL = "Table de décision invalide"
_ENGINE_ADVICE = ("la table n'est pas lisible par le moteur de décision : vérifiez dans un éditeur DMN "
                  "que le fichier contient une décision avec sa table (entrées, sorties et règles).")


def _problem_text(file_name: str, problem, content: bytes) -> str:
    """« fichier.dmn : règle 3, colonne « Réseau » : what is wrong and what to do »."""
    if problem.message.startswith(_ENGINE_REFUSAL):
        return f"{file_name} : {_ENGINE_ADVICE}"
    where = place_in_table(content.decode("utf-8", "replace"), problem.element_id)
    return f"{file_name} : {where + ' : ' if where else ''}{problem.message}"


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
    file_name = ((upload.filename if upload else "") or f"{key}.dmn").replace("\\", "/").rsplit("/", 1)[-1][:120]
    problems = []
    if not content:
        problems = ["Choisissez un fichier .dmn."]
    elif len(content) > MAX_DMN_BYTES:
        problems = [f"{file_name} : fichier trop volumineux (maximum {MAX_DMN_BYTES // 1000} ko)."]
    else:
        try:
            version = publish_decision(file_name, content, current_user, expected_key=key)
        except DefinitionError as exc:
            problems = [_problem_text(file_name, p, content) for p in exc.problems]
    if problems:
        db.session.rollback()
        for problem in problems:
            flash(f"Rien n'a été publié : {problem}", "error")
        return redirect(url_for("decisions.show", key=key)), 303
    db.session.commit()
    flash(f"Version {version.version} publiée." if version else "Fichier identique à la version en cours : "
          "rien à publier.", "success")
    return redirect(url_for("decisions.show", key=key)), 303
