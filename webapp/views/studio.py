"""The process owners' studio (role pilote): journeys and decision tables, their versions and drafts.

The JSON routes (brouillon.json) are the ones the diagram editor saves through."""
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import Conflict, Forbidden, InvalidData
from ..extensions import db, login_manager
from ..operations import studio as studio_ops
from ..queries import heatmap as heatmap_q
from ..queries import studio as studio_q
from ..workflow import DefinitionError
from ..workflow.xml import MAX_XML_BYTES

bp = Blueprint("studio", __name__, url_prefix="/pilotage")
KINDS = {"parcours": "bpmn", "tables": "dmn"}
SECTION = "<any(parcours, tables):section>/<key>"


@bp.before_request
def pilote_only():
    """The studio's screens are for process owners only (every studio blueprint uses this guard)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role("pilote"):
        raise Forbidden("Le studio des parcours est réservé aux pilotes de processus.")
    return None


def _problem_lines(problems) -> list[str]:
    return [f"{p.file_name + ' : ' if p.file_name else ''}{'[' + p.element_id + '] ' if p.element_id else ''}"
            f"{p.message}" for p in problems]


def _back(section, key):
    return redirect(url_for("studio.show", section=section, key=key)), 303


def _not_published(section, key, exc):
    """Back to the definition's page, saying why nothing was published."""
    db.session.rollback()
    lines = _problem_lines(exc.problems) if isinstance(exc, DefinitionError) else [exc.message]
    for line in lines:
        flash(f"Rien n'a été publié : {line}", "error")
    return _back(section, key)


@bp.get("/")
def index():
    return render_template("studio/index.html", entries=studio_q.studio_index(), sections={v: k for k, v in KINDS.items()})


@bp.get(f"/{SECTION}")
def show(section, key):
    kind = KINDS[section]
    versions = studio_q.definition_versions(key, kind)
    draft = studio_q.draft_of(key, kind)
    running = studio_q.running_by_version()
    problems = studio_q.located_problems(kind, draft.xml, draft.problems) if draft else []
    current = next((v for v in versions if v.is_current), versions[0])
    return render_template("studio/show.html", section=section, key=key, kind=kind, versions=versions,
                           current=current, title=studio_q.display_name(current), draft=draft,
                           problems=problems, running=running, authors=studio_q.authors(versions),
                           ext=kind, max_kb=MAX_XML_BYTES // 1000,
                           callers=studio_q.callers_of(key) if kind == "bpmn" else [],
                           heatmap=heatmap_q.heatmap_view(key, versions, request.args) if kind == "bpmn" else None)


@bp.get(f"/{SECTION}/version/<int:number>.<any(bpmn, dmn):ext>")
def download(section, key, number, ext):
    if ext != KINDS[section]:
        abort(404)
    version = studio_q.version_of(key, KINDS[section], number)
    return Response(version.bpmn_xml, mimetype="application/xml", headers={
        "Content-Disposition": f"attachment; filename={key}-v{number}.{ext}"})


@bp.post(f"/{SECTION}/import")
def import_file(section, key):
    upload = request.files.get("fichier")
    content = upload.read(MAX_XML_BYTES + 1) if upload else b""
    file_name = ((upload.filename if upload else "") or "").replace("\\", "/").rsplit("/", 1)[-1][:120]
    if not content:
        flash("Choisissez un fichier à importer.", "error")
        return _back(section, key)
    try:
        draft = studio_ops.save_draft(current_user, key, KINDS[section], file_name, content)
    except DefinitionError as exc:
        db.session.rollback()
        for line in _problem_lines(exc.problems):
            flash(f"Fichier refusé, rien n'a été enregistré : {line}", "error")
        return _back(section, key)
    db.session.commit()
    former = studio_ops.adopted_process(key, content) if KINDS[section] == "bpmn" else None
    if former:
        flash(f"Le processus « {former} » du fichier a pris l'identifiant du parcours « {key} ».", "success")
    if draft.problems:
        flash(f"Brouillon enregistré avec {len(draft.problems)} problème(s) à corriger avant publication.", "error")
    else:
        flash("Brouillon enregistré : aucun problème, il peut être publié.", "success")
    return _back(section, key)


@bp.post(f"/{SECTION}/publier")
def publish(section, key):
    try:
        version = studio_ops.publish_draft(current_user, key, KINDS[section], request.form.get("note"))
    except (InvalidData, Conflict, DefinitionError) as exc:
        return _not_published(section, key, exc)
    db.session.commit()
    flash(f"Version {version.version} publiée : les nouveaux parcours la suivent, ceux en cours gardent la leur.",
          "success")
    return _back(section, key)


@bp.post(f"/{SECTION}/version/<int:number>/republier")
def republish(section, key, number):
    try:
        version = studio_ops.republish(current_user, key, KINDS[section], number)
    except (InvalidData, Conflict, DefinitionError) as exc:
        return _not_published(section, key, exc)
    db.session.commit()
    flash(f"Version {number} republiée comme version {version.version}, désormais en cours.", "success")
    return _back(section, key)


@bp.post(f"/{SECTION}/brouillon/supprimer")
def discard(section, key):
    studio_ops.discard_draft(key, KINDS[section])
    db.session.commit()
    flash("Brouillon supprimé.", "success")
    return _back(section, key)


@bp.get(f"/{SECTION}/brouillon.<any(bpmn, dmn):ext>")
def download_draft(section, key, ext):
    draft = studio_q.draft_of(key, KINDS[section])
    if draft is None or ext != KINDS[section]:
        abort(404)
    return Response(draft.xml, mimetype="application/xml", headers={
        "Content-Disposition": f"attachment; filename={key}-brouillon.{ext}"})


@bp.get(f"/{SECTION}/brouillon.json")
def draft_json(section, key):
    kind = KINDS[section]
    studio_q.definition_versions(key, kind)  # 404 for an unknown definition
    draft = studio_q.draft_of(key, kind)
    if draft is None:
        return jsonify({"draft": None, "xml": None, "problems": []})
    return jsonify({"draft": True, "xml": draft.xml, "file_name": draft.file_name,
                    "updated_at": draft.updated_at.isoformat(),
                    "problems": studio_q.located_problems(kind, draft.xml, draft.problems)})


@bp.post(f"/{SECTION}/brouillon.json")
def save_draft_json(section, key):
    """Save the editor's XML (JSON {"xml": ...}, CSRF token in the X-CSRFToken header)."""
    kind = KINDS[section]
    body = request.get_json(silent=True)
    xml = body.get("xml") if isinstance(body, dict) and isinstance(body.get("xml"), str) else ""
    if not xml:
        return jsonify({"saved": False, "problems": [{"element": None, "where": "",
                                                      "message": "Aucun XML reçu : envoyez {\"xml\": \"…\"}."}]}), 422
    try:
        draft = studio_ops.save_draft(current_user, key, kind, f"{key}.{kind}", xml)
    except DefinitionError as exc:
        db.session.rollback()
        return jsonify({"saved": False, "problems": [
            {"element": p.element_id, "where": p.file_name or "", "message": p.message} for p in exc.problems]}), 422
    db.session.commit()
    return jsonify({"saved": True, "problems": studio_q.located_problems(kind, draft.xml, draft.problems)})


@bp.get("/parcours/<key>/comparer")
def compare(key):
    versions = studio_q.definition_versions(key, "bpmn")
    numbers = [v.version for v in versions]
    before_n = request.args.get("de", type=int) or (numbers[1] if len(numbers) > 1 else numbers[0])
    after_n = request.args.get("a", type=int) or numbers[0]
    before, after = studio_q.version_of(key, "bpmn", before_n), studio_q.version_of(key, "bpmn", after_n)
    return render_template("studio/compare.html", key=key, versions=versions, before=before, after=after,
                           title=versions[0].name,
                           rows=studio_q.compare_versions(before, after))
