"""The API blueprint, in its own module so route modules can import it without cycles."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def public(view):
    """Mark a view as reachable without a bearer token (every other view requires one)."""
    view.api_public = True
    return view
