"""Failures answered as JSON, and the commit boundary that turns concurrent writes into 409."""
from contextlib import contextmanager

from flask import jsonify, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ..errors import Conflict, DomainError
from ..extensions import db
from ..views.errors import RETRY_AFTER_SECONDS, UNAVAILABLE, UNREACHABLE_ERRORS, database_failure, size_limit
from .blueprint import bp

HTTP_MESSAGES = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Accès refusé.",
    404: "Cette adresse de l'API n'existe pas.",
    405: "Cette méthode n'est pas permise sur cette adresse.",
    413: "Requête trop volumineuse : rien n'a été enregistré.",
    415: "Envoyez un corps de requête au format JSON.",
    429: "Trop de tentatives : patientez une minute avant de réessayer.",
    500: "Une erreur inattendue est survenue ; rien n'a été enregistré.",
}
CONCURRENT_WRITE = "Quelqu'un d'autre a modifié ces données au même moment ; rechargez puis réessayez."
# PostgreSQL: serialization failure, deadlock detected, lock not available (lock_timeout / NOWAIT).
_CONCURRENCY_SQLSTATES = {"40001", "40P01", "55P03"}
_SQLITE_LOCKED = ("database is locked", "database table is locked")


class InvalidRequest(DomainError):
    """The request itself is malformed (not JSON, missing or mistyped parameters)."""
    status = 400


class Unauthorized(DomainError):
    """No bearer token, or one that is unknown, expired or belongs to an inactive user."""
    status = 401


def error_response(status: int, message: str, errors: dict | None = None, headers=None):
    body = {"message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for name, value in headers or ():
        response.headers[name] = value
    return response


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    headers = [("WWW-Authenticate", 'Bearer realm="spro"')] if exc.status == 401 else None
    return error_response(exc.status, exc.message, exc.fields, headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    if exc.code is None or exc.code >= 500:
        db.session.rollback()
    status = exc.code or 500
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")]
    message = HTTP_MESSAGES.get(status, f"Erreur HTTP {status}.")
    if status == 413:
        message = f"Requête trop volumineuse ({size_limit()} au plus) : rien n'a été enregistré."
    return error_response(status, message, headers=headers)


def _database_error(exc):
    """The database is away: 503 with the French message and Retry-After; any other database error, 500."""
    if not database_failure(exc):
        return error_response(500, HTTP_MESSAGES[500])
    return error_response(503, UNAVAILABLE, headers=[("Retry-After", str(RETRY_AFTER_SECONDS))])


for _error_class in UNREACHABLE_ERRORS:
    bp.errorhandler(_error_class)(_database_error)


def answer_routing_errors():
    """App-level hook: unknown /api/v1 addresses and wrong methods answer JSON, not HTML."""
    exc = request.routing_exception
    if isinstance(exc, (NotFound, MethodNotAllowed)) and \
            (request.path + "/").startswith(bp.url_prefix + "/"):
        return _http_error(exc)
    return None


def _is_concurrent_write(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in _CONCURRENCY_SQLSTATES or any(text in str(exc.orig) for text in _SQLITE_LOCKED)


@contextmanager
def write_transaction():
    """Run operations then commit once; a concurrent write, even at commit, becomes a 409."""
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(CONCURRENT_WRITE) from exc
    except DBAPIError as exc:
        db.session.rollback()
        if _is_concurrent_write(exc):
            raise Conflict(CONCURRENT_WRITE) from exc
        raise
