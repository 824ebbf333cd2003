"""The studio's diagram views (heatmap, differences) (role pilote)."""
from flask import Blueprint

from .studio import pilote_only

bp = Blueprint("studio_diagram", __name__, url_prefix="/pilotage")
bp.before_request(pilote_only)
