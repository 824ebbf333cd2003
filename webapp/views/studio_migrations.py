"""The studio's journey migrations (role pilote)."""
from flask import Blueprint

from .studio import pilote_only

bp = Blueprint("studio_migrations", __name__, url_prefix="/pilotage")
bp.before_request(pilote_only)
