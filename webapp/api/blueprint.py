"""The API blueprint, in its own module so route modules can import it without cycles."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def public(view):
    """Mark a view as reachable without a bearer token (every other view requires one)."""
    view.api_public = True
    return view


@bp.after_request
def _never_cached(response):
    """Every API answer may carry personal data: no browser or proxy keeps a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response
