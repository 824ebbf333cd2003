"""The studio's BPMN editor (role pilote): the page, the diagram it opens and the panel's catalogue.

The editor saves through the studio's `brouillon.json` route; publishing stays on the journey's page."""
from flask import Blueprint, jsonify, render_template, request

from ..queries import studio as studio_q
from ..queries import studio_catalogue
from .studio import pilote_only

bp = Blueprint("studio_editor", __name__, url_prefix="/pilotage")
bp.before_request(pilote_only)


@bp.get("/parcours/<key>/editeur")
def editor(key):
    versions = studio_q.definition_versions(key, "bpmn")
    current = next((v for v in versions if v.is_current), versions[0])
    # bpmn-js runs under the app's strict policy (checked in Chromium: it sets styles through the
    # CSSOM, which style-src does not restrict), so this page needs no policy of its own.
    return render_template("studio/editor.html", key=key, title=studio_q.display_name(current))


@bp.get("/parcours/<key>/editeur/diagramme.json")
def diagram(key):
    return jsonify(studio_catalogue.diagram_to_edit(key))


@bp.get("/editeur/catalogue.json")
def catalogue():
    return jsonify(studio_catalogue.editor_catalogue(request.args.get("parcours") or None))
