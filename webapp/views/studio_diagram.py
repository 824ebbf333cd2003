"""The studio's diagram views (role pilote): the map of where journeys wait, drawn on a version's
diagram (bpmn-js viewer), and its figures as JSON."""
from flask import Blueprint, jsonify, render_template, request, url_for

from ..queries import heatmap as heatmap_q
from ..queries import studio as studio_q
from .studio import pilote_only

bp = Blueprint("studio_diagram", __name__, url_prefix="/pilotage")
bp.before_request(pilote_only)
# The bpmn-js viewer draws under the app's strict CSP (no inline style needed: checked in Chromium by
# tests/test_studio_diagram.py), so these pages keep the default header.


def _figures(key: str):
    versions = heatmap_q.map_versions(key)
    asked = heatmap_q.map_request(versions, request.args)
    figures = heatmap_q.diagram_figures(key, asked["shown"], asked["version_id"], asked["since"], asked["until"])
    return versions, asked, figures


def _params(asked: dict) -> dict:
    """The query string of what is shown (what was asked, defaults put in place of what was not readable)."""
    return {"version": asked["version"] if asked["version"] is not None else "tous",
            "depuis": asked["depuis"].isoformat(), "jusqu": asked["jusqu"].isoformat()}


@bp.get("/parcours/<key>/carte")
def diagram_map(key):
    versions, asked, figures = _figures(key)
    params = _params(asked)
    return render_template(
        "studio/diagram.html", key=key, versions=versions, asked=asked, figures=figures,
        title=studio_q.display_name(asked["shown"]),
        figures_url=url_for("studio_diagram.diagram_map_json", key=key, **params),
        xml_url=url_for("studio.download", section="parcours", key=key, number=asked["shown"].version, ext="bpmn"))


@bp.get("/parcours/<key>/carte.json")
def diagram_map_json(key):
    _, asked, figures = _figures(key)
    if asked["errors"]:
        return jsonify({"errors": asked["errors"]}), 422
    body = {"process": key, "version": asked["version"], "diagram_version": asked["shown"].version,
            "depuis": asked["depuis"].isoformat(), "jusqu": asked["jusqu"].isoformat(), **figures}
    return jsonify(body)
