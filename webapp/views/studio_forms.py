"""The studio's form and decision table editors (role pilote)."""
from flask import Blueprint

from .studio import pilote_only

bp = Blueprint("studio_forms", __name__, url_prefix="/pilotage")
bp.before_request(pilote_only)
