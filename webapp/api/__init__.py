"""JSON API under /api/v1: bearer tokens only, marshmallow schemas, an OpenAPI 3 document."""
from ..extensions import csrf
from . import auth, cep, errors, journeys, openapi, people, referrals, tasks  # noqa: F401  (routes register on the blueprint)
from .blueprint import bp


def init_app(app):
    """Mount the API; it never reads the session cookie, so CSRF does not apply to it."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.before_request(errors.answer_routing_errors)
