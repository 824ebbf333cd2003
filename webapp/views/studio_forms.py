"""The studio's form and decision table editors (role pilote).

A form is edited as its JSON Schema and UI schema, previewed by the app's own renderer (the HTML
counsellors will see) and saved into the journey's draft; the decision table opens in dmn-js and
saves through the studio's `brouillon.json` route."""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import InvalidData
from ..extensions import db
from ..operations import studio_forms as forms_ops
from ..queries import studio as studio_q
from ..queries import studio_forms as forms_q
from ..task_forms import describe, expand
from ..workflow import DefinitionError
from .studio import pilote_only

bp = Blueprint("studio_forms", __name__, url_prefix="/pilotage")
bp.before_request(pilote_only)
# dmn-js sets style attributes on what it draws, and the editors' layout is in the page: these two
# pages alone allow inline styles; scripts stay 'self' only.
EDITOR_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
              "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
ORIGINS = {"brouillon": "le brouillon du parcours", "version": "la version en cours",
           "publie": "la version en cours d'un autre parcours", "dossier": "le dossier des formulaires livrés",
           "nouveau": "un modèle : nouveau formulaire"}


def _editor_page(key, name, schema_text, ui_text, origin, error=None, status=200):
    listing = forms_q.forms_of_journey(key)
    preview, preview_schema, preview_error = None, None, None
    try:
        schema, ui = forms_ops.checked_form(schema_text, ui_text)
        preview_schema = expand(schema)
        preview = describe(preview_schema, ui, {})
    except InvalidData as exc:
        preview_error = exc.message
    page = render_template("studio/form_editor.html", key=key, name=name, listing=listing,
                           schema_text=schema_text, ui_text=ui_text, origin=ORIGINS.get(origin, origin),
                           error=error, fields=preview, preview_error=preview_error, preview_schema=preview_schema,
                           max_kb=forms_ops.MAX_FORM_BYTES // 1000)
    return page, status, {"Content-Security-Policy": EDITOR_CSP}


@bp.get("/parcours/<key>/formulaires")
def form_list(key):
    new = (request.args.get("nouveau") or "").strip().lower()
    if new:
        name = new if new.endswith(".schema.json") else f"{new}.schema.json"
        if forms_ops.FORM_NAME.fullmatch(name):
            return redirect(url_for("studio_forms.form_editor", key=key, name=name))
        flash("Nom de formulaire invalide : lettres minuscules, chiffres et _ (par exemple orientation_bilan).",
              "error")
    page = render_template("studio/form_editor.html", key=key, name=None, listing=forms_q.forms_of_journey(key),
                           new_name=new)
    return page, 200, {"Content-Security-Policy": EDITOR_CSP}


@bp.get("/parcours/<key>/formulaires/<name>")
def form_editor(key, name):
    if not forms_ops.FORM_NAME.fullmatch(name):
        abort(404)
    form = forms_q.form_to_edit(key, name)
    return _editor_page(key, name, form["schema"], form["ui"], form["origin"])


@bp.post("/parcours/<key>/formulaires/<name>")
def save_form(key, name):
    if not forms_ops.FORM_NAME.fullmatch(name):
        abort(404)
    schema_text, ui_text = request.form.get("schema", ""), request.form.get("ui", "")
    try:
        draft = forms_ops.save_form(current_user, key, name, schema_text, ui_text)
    except (InvalidData, DefinitionError) as exc:
        db.session.rollback()
        message = exc.message if isinstance(exc, InvalidData) else "; ".join(p.message for p in exc.problems)
        return _editor_page(key, name, schema_text, ui_text, "brouillon",
                            error=f"Rien n'a été enregistré : {message}", status=422)
    db.session.commit()
    left = len(draft.problems or [])
    flash(f"Formulaire « {name} » enregistré dans le brouillon. " + (
        f"Le brouillon a {left} problème(s) à corriger avant publication." if left else
        "Il sera publié avec la prochaine version du parcours."), "error" if left else "success")
    return redirect(url_for("studio_forms.form_editor", key=key, name=name)), 303


@bp.post("/formulaires/apercu")
def preview():
    """The form as counsellors will see it (JSON {"schema": text, "ui": text}), as an HTML fragment;
    422 with a French message naming the problem when it cannot be rendered."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return render_template("studio/form_preview.html",
                               error="Envoyez un objet JSON {\"schema\": …, \"ui\": …}."), 422
    try:
        schema, ui = forms_ops.checked_form(body.get("schema"), body.get("ui") or "")
    except InvalidData as exc:
        return render_template("studio/form_preview.html", error=exc.message), 422
    return render_template("studio/form_preview.html", error=None, fields=describe(expand(schema), ui, {}),
                           schema=schema)


@bp.get("/tables/<key>/editeur")
def table_editor(key):
    versions = studio_q.definition_versions(key, "dmn")
    current = next((v for v in versions if v.is_current), versions[0])
    page = render_template("studio/table_editor.html", key=key, title=studio_q.display_name(current),
                           version=current.version)
    return page, 200, {"Content-Security-Policy": EDITOR_CSP}


@bp.get("/tables/<key>/editeur/table.json")
def table_json(key):
    """The table the editor opens (draft first) with French column titles, and the draft's problems."""
    table = forms_q.table_to_edit(key)
    table["problems"] = studio_q.located_problems("dmn", table["xml"], table["problems"])
    return jsonify(table)
