"""The directory of structures and their services (Annuaire): browse, edit, export, import."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import InvalidData
from ..extensions import db
from ..operations import audit
from ..operations.structures import (MAX_IMPORT_BYTES, create_structure, export_csv, export_json,
                                     import_structures, require_admin, update_structure)
from ..queries.directory import (CONVENTION_LABELS, antennas, facets, network_labels,
                                 search_structures, structure_by_id, structure_schema,
                                 territory_names)
from ..task_forms import coerce, describe
from ..vocabularies import GUIDANCE_CATEGORIES, category_labels

bp = Blueprint("directory", __name__, url_prefix="/annuaire")
FILTERS = ("reseau", "departement", "bassin", "public", "thematique", "cep", "q")
FORM_FIELDS = ("name", "network", "parent_slug", "address", "commune", "bassin", "opening_hours",
               "phone", "email", "publics", "themes", "cep_operator", "convention", "active")
UI = {"ui:order": list(FORM_FIELDS), "opening_hours": {"ui:widget": "textarea"},
      "convention": {"ui:widget": "radio"}}
TOO_LARGE = "Le fichier dépasse la taille maximale de 2 Mo."


@bp.url_value_preprocessor
def _cap_uploads(endpoint, _values):
    """Cap the import's body before anything (the CSRF check included) reads the form."""
    if endpoint == "directory.import_file":
        request.max_content_length = MAX_IMPORT_BYTES + 64 * 1024  # the file and the form around it


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc):
    return render_template("error.html", status=413, title="Fichier trop volumineux",
                           message=TOO_LARGE), 413


def _labels() -> dict:
    return {"networks": network_labels(), "places": territory_names(),
            "can_manage": current_user.has_role("admin")}


@bp.get("")
@login_required
def index():
    filters = {k: request.args.get(k) or None for k in FILTERS}
    page = search_structures(
        network=filters["reseau"], departement=filters["departement"], bassin=filters["bassin"],
        public=filters["public"], theme=filters["thematique"], cep=filters["cep"] == "oui",
        text=filters["q"], page=request.args.get("page", 1, type=int), per_page=25)
    kept = {k: v for k, v in filters.items() if v}  # for the pager's links
    return render_template("directory/index.html", page=page, filters=filters, kept=kept,
                           facets=facets(), **_labels())


@bp.get("/<int:structure_id>")
@login_required
def show(structure_id):
    structure = structure_by_id(structure_id)
    return render_template("directory/show.html", structure=structure, antennas=antennas(structure),
                           themes=category_labels(), conventions=CONVENTION_LABELS, **_labels())


def _values_of(structure) -> dict:
    """What the form shows first: the structure's values, or the defaults of a new one."""
    if structure is None:
        return {"cep_operator": False, "convention": "regionale", "active": True}
    values = {name: getattr(structure, name, None) for name in FORM_FIELDS}
    values["parent_slug"] = structure.parent.slug if structure.parent else None
    return values


def _render_form(structure, values, errors=None, message=None, status=200):
    fields = describe(structure_schema(structure), UI, values, errors)
    for field in fields:
        if field.name == "themes":
            field.options = [(v, label, "Orientation, formation, emploi" if v in GUIDANCE_CATEGORIES
                              else "Autres thématiques") for v, label, _g in field.options]
    return render_template("directory/form.html", structure=structure, fields=fields,
                           message=message, form_error=(errors or {}).get("_form")), status


@bp.get("/nouvelle")
@login_required
def new():
    require_admin(current_user)
    return _render_form(None, _values_of(None))


@bp.post("/nouvelle")
@login_required
def create():
    require_admin(current_user)
    data = coerce(structure_schema(), request.form)
    try:
        structure = create_structure(current_user, data)
        structure_id, name = structure.id, structure.name
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return _render_form(None, data, exc.fields, exc.message, 422)
    flash(f"La structure « {name} » est ajoutée à l'annuaire.", "success")
    return redirect(url_for("directory.show", structure_id=structure_id)), 303


@bp.get("/<int:structure_id>/modifier")
@login_required
def edit(structure_id):
    require_admin(current_user)
    structure = structure_by_id(structure_id)
    return _render_form(structure, _values_of(structure))


@bp.post("/<int:structure_id>/modifier")
@login_required
def update(structure_id):
    require_admin(current_user)
    data = coerce(structure_schema(structure_by_id(structure_id)), request.form)
    try:
        name = update_structure(current_user, structure_id, data).name
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return _render_form(structure_by_id(structure_id), data, exc.fields, exc.message, 422)
    flash(f"La fiche « {name} » est mise à jour.", "success")
    return redirect(url_for("directory.show", structure_id=structure_id)), 303


@bp.get("/export.csv")
@login_required
def export_as_csv():
    audit.defer(current_user, "directory.exported", "Annuaire exporté (CSV)")
    return Response(export_csv(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="annuaire-spro.csv"'})


@bp.get("/export.json")
@login_required
def export_as_json():
    audit.defer(current_user, "directory.exported", "Annuaire exporté (JSON)")
    return Response(export_json(), content_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="annuaire-spro.json"'})


@bp.get("/importer")
@login_required
def import_form():
    require_admin(current_user)
    return render_template("directory/import.html")


@bp.post("/importer")
@login_required
def import_file():
    require_admin(current_user)
    upload = request.files.get("fichier")
    if upload is None or not upload.filename:
        return render_template("directory/import.html", message="Choisissez un fichier CSV ou JSON."), 422
    try:
        counts = import_structures(current_user, upload.filename, upload.stream.read(MAX_IMPORT_BYTES + 1))
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return render_template("directory/import.html", message=exc.message, problems=exc.fields), 422
    flash(f"Import terminé : {counts['created']} structure(s) créée(s), {counts['updated']} mise(s) "
          f"à jour, {counts['unchanged']} inchangée(s).", "success")
    return redirect(url_for("directory.import_form")), 303
