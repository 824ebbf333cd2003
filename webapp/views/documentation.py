"""« Documentation »: search the library, add, edit and review resources, download their files."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import Forbidden, InvalidData, NotFound
from ..extensions import db
from ..form_checks import french_date, today
from ..operations import documentation as library
from ..queries.documentation import (can_create, can_manage, facets, labels, resource_for,
                                     resource_schema, search_resources, to_review)
from ..task_forms import Field, coerce, describe

bp = Blueprint("documentation", __name__, url_prefix="/documentation")
UI = {"ui:order": ["title", "publisher", "summary", "url", "format", "level", "publics", "themes", "review_on"],
      "summary": {"ui:widget": "textarea"}, "format": {"ui:widget": "radio"}, "level": {"ui:widget": "radio"}}
UPLOADING = ("documentation.create", "documentation.update")


@bp.url_value_preprocessor
def _cap_uploads(endpoint, _values):
    """A file of the library may be larger than the app's usual limit: this much and no more."""
    if endpoint in UPLOADING:
        request.max_content_length = current_app.config["DOCUMENTATION_MAX_BYTES"] + 256 * 1024


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc):
    size = current_app.config["DOCUMENTATION_MAX_BYTES"] // (1024 * 1024)
    return render_template("error.html", status=413, title="Fichier trop volumineux",
                           message=f"Le fichier dépasse la taille maximale de {size} Mo."), 413


@bp.get("")
@login_required
def index():
    filters = {k: (request.args.get(k) or "").strip()[:200] or None for k in ("q", "public", "thematique")}
    page = search_resources(current_user, text=filters["q"], public=filters["public"], theme=filters["thematique"],
                            page=request.args.get("page", 1, type=int))
    return render_template("documentation/index.html", page=page, filters=filters,
                           kept={k: v for k, v in filters.items() if v}, facets=facets(), labels=labels(),
                           to_review=to_review(current_user), can_create=can_create(current_user), today=today())


@bp.get("/<int:resource_id>")
@login_required
def show(resource_id):
    resource = resource_for(current_user, resource_id)
    return render_template("documentation/show.html", resource=resource, labels=labels(), today=today(),
                           can_manage=can_manage(current_user, resource),
                           next_review=french_date(library.default_review_date()))


@bp.get("/<int:resource_id>/fichier")
@login_required
def download(resource_id):
    """The file, always as an attachment with its checked type: never shown as a page."""
    resource = resource_for(current_user, resource_id)
    if not resource.file_key or not library.file_path(resource).is_file():
        raise NotFound("Cette ressource n'a pas de fichier.")
    response = send_file(library.file_path(resource), mimetype=resource.file_type, as_attachment=True,
                         download_name=resource.file_name, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _fields(values, errors=None, resource=None):
    fields = describe(resource_schema(), UI, values, errors)
    upload = Field(name="fichier", label="Fichier", kind="file", required=False,
                   help="PDF, ODT, DOCX, PNG ou JPEG, "
                        f"{current_app.config['DOCUMENTATION_MAX_BYTES'] // (1024 * 1024)} Mo au plus.",
                   error=(errors or {}).get("fichier"))
    position = next((i for i, f in enumerate(fields) if f.name == "url"), len(fields) - 1) + 1
    fields.insert(position, upload)
    return fields


def _render_form(resource, values, errors=None, message=None, status=200):
    return render_template("documentation/form.html", resource=resource, fields=_fields(values, errors, resource),
                           message=message, form_error=(errors or {}).get("_form"),
                           file_lost=bool(errors) and bool(request.files.get("fichier")
                                                            and request.files["fichier"].filename)), status


def _values_of(resource) -> dict:
    if resource is None:
        return {"review_on": library.default_review_date().isoformat(), "level": "nationale"}
    values = {name: getattr(resource, name) for name in library.STORED}
    values["review_on"] = resource.review_on.isoformat()
    return values


def _require_creator():
    if not can_create(current_user):
        raise Forbidden("Seul·es les coordinateur·rices et l'administration régionale ajoutent des ressources.")


@bp.get("/nouvelle")
@login_required
def new():
    _require_creator()
    return _render_form(None, _values_of(None))


@bp.post("/nouvelle")
@login_required
def create():
    _require_creator()
    data = coerce(resource_schema(), request.form)
    try:
        resource = library.create_resource(current_user, data, request.files.get("fichier"))
        resource_id, title = resource.id, resource.title
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return _render_form(None, data, exc.fields, exc.message, 422)
    flash(f"La ressource « {title} » est ajoutée à la documentation.", "success")
    return redirect(url_for("documentation.show", resource_id=resource_id)), 303


@bp.get("/<int:resource_id>/modifier")
@login_required
def edit(resource_id):
    resource = library.managed_resource(current_user, resource_id)
    return _render_form(resource, _values_of(resource))


@bp.post("/<int:resource_id>/modifier")
@login_required
def update(resource_id):
    library.managed_resource(current_user, resource_id)
    data = coerce(resource_schema(), request.form)
    try:
        title = library.update_resource(current_user, resource_id, data, request.files.get("fichier"),
                                        remove_file=request.form.get("retirer_fichier") == "oui").title
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        db.session.info.pop("documentation_replaced", None)
        return _render_form(library.managed_resource(current_user, resource_id), data, exc.fields, exc.message, 422)
    library.remove_replaced_files()
    flash(f"La ressource « {title} » est mise à jour.", "success")
    return redirect(url_for("documentation.show", resource_id=resource_id)), 303


@bp.post("/<int:resource_id>/revision")
@login_required
def review(resource_id):
    try:
        title = library.mark_reviewed(current_user, resource_id, request.form.get("review_on", "").strip()).title
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        flash(f"{exc.message} {exc.fields.get('review_on', '')}", "error")
        return redirect(url_for("documentation.show", resource_id=resource_id)), 303
    flash(f"La ressource « {title} » est marquée révisée : elle est de nouveau proposée aux conseiller·ères.",
          "success")
    return redirect(url_for("documentation.show", resource_id=resource_id)), 303
