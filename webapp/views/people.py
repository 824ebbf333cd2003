"""The person page (dossier) with journeys, open tasks and timeline; identity editing."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import Conflict, Forbidden, InvalidData
from ..extensions import db
from ..operations import audit
from ..operations.people import IDENTITY_SCHEMA, identity_schema, update_identity
from ..operations.person_merge import (MERGED_FIELDS, check_mergeable, differing_fields, merge_people,
                                       merged_target)
from ..models.funding import PLAN_STATES, REQUEST_STATES
from ..models.referrals import DECLINE_REASONS, SHARED_FIELDS
from ..money import euros
from ..queries.cep import STAGES, dossier_cep
from ..queries.people import completed_tasks, journeys_of, open_tasks, person_for, timeline
from ..queries.referrals import path_of, person_view, structures_involved
from ..queries.people_search import followed_people, likely_duplicates, search_people
from ..queries.suggestions import structure_names
from ..queries.pages import Page
from ..task_forms import coerce, describe, expand, readable
from ..queries.definition_content import task_form

bp = Blueprint("people", __name__)
FIELD_LABELS = {"prenom": "Prénom", "nom": "Nom", "annee_naissance": "Année de naissance",
                "telephone": "Téléphone", "email": "Courriel", "public": "Public", "commune": "Commune"}


def _render(person, values=None, errors=None, status=200):
    view = person_view(current_user, person)
    fields = describe(identity_schema(), {}, values if values is not None else
                      {k: getattr(person, k) for k in IDENTITY_SCHEMA["properties"]}, errors) if view.full else []
    journeys = journeys_of(current_user, person)
    done = completed_tasks(current_user, person)
    return render_template("person.html", person=person, view=view, journeys=journeys,
                           involved={j.id: structures_involved(j) for j in journeys},
                           path=path_of(current_user, person), shared_labels=SHARED_FIELDS,
                           decline_reasons=DECLINE_REASONS,
                           open_tasks=open_tasks(current_user, person),
                           done=[(t, _readable(t)) for t in done],
                           timeline=timeline(current_user, person), identity_fields=fields,
                           identity_open=bool(errors), **_cep_section(person, view)), status


def _cep_section(person, view) -> dict:
    """The « Conseil en évolution professionnelle » section: the structure's CEP journeys; the PDF
    links only once the documents' blueprint is registered."""
    endpoints = current_app.view_functions
    return {"cep": dossier_cep(current_user, person.id) if view.full else [], "cep_stages": STAGES,
            "plan_states": PLAN_STATES, "request_states": REQUEST_STATES, "euros": euros,
            "cep_documents": "cep_documents.synthesis" in endpoints,
            "cep_attestation": "cep_documents.attestation" in endpoints}


def _readable(task):
    form = task_form(task) or {"schema": {}, "ui": {}}
    return readable(expand(form["schema"]), form.get("ui", {}), task.data, structure_names())


@bp.get("/personnes/<int:person_id>")
@login_required
def show(person_id):
    person = person_for(current_user, person_id)
    target = merged_target(person)
    if target is not None:
        flash(f"Le dossier n°{person.id} a été fusionné : voici le dossier qui le regroupe.", "info")
        return redirect(url_for("people.show", person_id=target)), 303
    audit.defer(current_user, "person.read", "Dossier consulté", person_id=person.id)  # once the page is built
    return _render(person)


@bp.post("/personnes/<int:person_id>/identite")
@login_required
def edit_identity(person_id):
    data = coerce(identity_schema(), request.form)
    if not person_view(current_user, person_for(current_user, person_id)).full:
        raise Forbidden("Seule la structure qui accompagne la personne peut modifier son identité.")
    try:
        update_identity(current_user, person_id, data)
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        return _render(person_for(current_user, person_id), data, exc.fields, 422)
    flash("Le dossier est mis à jour.", "success")
    return redirect(url_for("people.show", person_id=person_id)), 303


@bp.get("/personnes")
@login_required
def index():
    """« Personnes suivies », or the people matching a search (?q=)."""
    text = (request.args.get("q") or "").strip()[:200]
    scope = "en_cours" if request.args.get("filtre") == "en_cours" else "recents"
    page_number = max(1, request.args.get("page", 1, type=int))
    if text:
        rows, more = search_people(current_user, text)
        audit.people_shown(current_user, "person.search", "Recherche de personnes", [r.person.id for r in rows])
        return render_template("people/index.html", q=text, rows=rows, more=more, scope=scope)
    rows, total = followed_people(current_user, in_progress_only=scope == "en_cours", page=page_number)
    page = Page(items=rows, total=total, page=page_number, per_page=25)
    audit.people_shown(current_user, "person.list_read", "Personnes suivies consultées", [r.person.id for r in rows])
    return render_template("people/index.html", q="", rows=rows, page=page, scope=scope)


@bp.route("/personnes/<int:person_id>/fusionner", methods=["GET", "POST"])
@login_required
def merge(person_id):
    """Merge another dossier of the same person into this one."""
    other_id = request.values.get("autre_id", type=int)
    kept = person_for(current_user, person_id)
    if other_id is None:
        text = (request.args.get("q") or "").strip()[:200]
        if text:
            rows = [r for r in search_people(current_user, text)[0] if r.view.full]
        else:
            rows = [c.row for c in likely_duplicates(current_user, _identity_of(kept))]
        candidates = [r for r in rows if r.person.id != kept.id]
        return render_template("people/merge_pick.html", person=kept, q=text, candidates=candidates)
    try:
        kept, other = check_mergeable(current_user, person_id, other_id)
    except (Forbidden, Conflict, InvalidData) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("people.merge", person_id=person_id)), 303
    errors, status = {}, 200
    if request.method == "POST":
        choices = {name: request.form.get(name, "") for name in MERGED_FIELDS}
        try:
            merge_people(current_user, person_id, other_id, choices)
            db.session.commit()
            flash(f"Les dossiers sont fusionnés : le dossier n°{other_id} est désormais rattaché à celui-ci.", "success")
            return redirect(url_for("people.show", person_id=person_id)), 303
        except InvalidData as exc:
            db.session.rollback()
            kept, other = check_mergeable(current_user, person_id, other_id)
            errors, status = exc.fields, 422
    return render_template("people/merge.html", kept=kept, other=other, errors=errors,
                           differing=differing_fields(kept, other), labels=FIELD_LABELS), status


def _identity_of(person) -> dict:
    return {k: getattr(person, k) for k in ("prenom", "nom", "annee_naissance", "telephone", "email")}
