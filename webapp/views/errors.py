"""Domain exceptions and HTTP errors turned into French pages (the API answers JSON itself)."""
from flask import current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from ..errors import DomainError
from ..extensions import db, login_manager

try:
    import psycopg
except ImportError:  # SQLite only
    psycopg = None

TITLES = {400: "Requête invalide", 401: "Connexion requise", 403: "Accès refusé", 404: "Page introuvable",
          405: "Action impossible", 409: "Conflit", 413: "Trop volumineux", 415: "Format non pris en charge",
          422: "Données invalides", 429: "Trop de tentatives", 500: "Erreur interne",
          503: "Service momentanément indisponible"}
MESSAGES = {
    400: "La requête est mal formée : rechargez la page et recommencez.",
    404: "Cette page n'existe pas ou vous n'y avez pas accès.",
    405: "Cette action n'est pas permise ici.",
    413: "Fichier ou formulaire trop volumineux ({limit} au plus) : rien n'a été enregistré.",
    415: "Ce format d'envoi n'est pas pris en charge ici.",
    429: "Trop de tentatives : patientez une minute avant de réessayer.",
    500: "Une erreur inattendue est survenue ; rien n'a été enregistré.",
}
OUT_OF_RANGE = "Une valeur envoyée dépasse les limites permises : rien n'a été enregistré."
UNAVAILABLE = ("Le service est momentanément indisponible (base de données injoignable). "
               "Réessayez dans une minute ; rien n'a été enregistré.")
RETRY_AFTER_SECONDS = 60
# What a lost or refused database connection raises (SQLAlchemy wraps the driver's errors, but a
# driver error can also surface bare, e.g. from a connection that broke while being returned).
UNREACHABLE_ERRORS = (OperationalError, InterfaceError, DisconnectionError) + \
    ((psycopg.OperationalError, psycopg.InterfaceError) if psycopg else ())
# PostgreSQL's connection-level SQLSTATEs: connection exceptions (class 08), too many connections, the
# server shutting down (pg_ctl stop: 57P01 fast, 57P02 immediate) or not accepting connections yet.
_UNREACHABLE_SQLSTATES = ("08", "53300", "57P01", "57P02", "57P03")
_SQLITE_UNREACHABLE = ("unable to open database file", "disk I/O error")


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (rather than refusing one statement: a lock
    timeout, a serialization failure or SQLite's « database is locked » are OperationalErrors too)."""
    if isinstance(exc, DisconnectionError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return True
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if psycopg is not None and isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError)):
        state = getattr(orig, "sqlstate", None)
        return state is None or state.startswith(_UNREACHABLE_SQLSTATES)
    if isinstance(orig, Exception) and type(orig).__module__.startswith("sqlite3"):
        return any(text in str(orig) for text in _SQLITE_UNREACHABLE)
    return isinstance(exc, InterfaceError)


def size_limit() -> str:
    """The request size limit in words (« 3 Mo »)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit / (1024 * 1024):.3g} Mo".replace(".", ",")


def message_for(status: int) -> str:
    return MESSAGES.get(status, "La requête n'a pas pu aboutir.").format(limit=size_limit())


def _page(status: int, message: str):
    return render_template("error.html", status=status, title=TITLES.get(status, "Erreur"),
                           message=message), status


def _answer(status: int, message: str, headers=()):
    """JSON under /api/, a French page elsewhere."""
    if request.path.startswith("/api/"):
        return {"message": message}, status, list(headers)
    body, status = _page(status, message)
    return body, status, list(headers)


def init_app(app):
    @app.errorhandler(DomainError)
    def _domain(exc):
        db.session.rollback()
        return _page(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _page(400, "Le formulaire a expiré ou n'est pas authentique : rechargez la page et recommencez.")

    @app.errorhandler(HTTPException)
    def _http(exc):
        status = exc.code or 500
        if status >= 500:
            db.session.rollback()
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")]
        return _answer(status, message_for(status), headers)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(exc):
        """A number no column holds that slipped past the checks: the request's fault, not the server's."""
        db.session.rollback()
        current_app.logger.warning("Valeur hors limites refusée : %s", exc)
        return _answer(400, OUT_OF_RANGE)

    @app.errorhandler(500)
    def _internal(exc):
        original = getattr(exc, "original_exception", None)
        if isinstance(original, UNREACHABLE_ERRORS) and database_unreachable(original):
            # Raised where no handler by exception class applies (an after-request hook writing the
            # audit entries of a read): still the database going away, not a fault of the app.
            return _database_error(original)
        db.session.rollback()
        return _answer(500, message_for(500))

    for error_class in UNREACHABLE_ERRORS:
        app.errorhandler(error_class)(_database_error)

    @app.teardown_appcontext
    def _close_session(_exc):
        """Before Flask-SQLAlchemy's own clean-up (teardowns run last registered first): when the
        connection died after the answer was built (e.g. PostgreSQL stopped while the response read
        its last rows), the session is dropped without the ROLLBACK that would fail and turn an answer,
        perhaps of a committed step, into a 500 from the web server."""
        try:
            db.session.close()
        except UNREACHABLE_ERRORS as error:
            if not database_unreachable(error):
                raise
            current_app.logger.warning("Connexion à la base perdue en fin de requête : %s", str(error).splitlines()[0])
            try:
                db.session.invalidate()
            except Exception:  # the connection is gone already
                current_app.logger.debug("Session abandonnée", exc_info=True)


def database_failure(exc) -> bool:
    """After a database error: drop the transaction and whatever would read the database again while
    answering (the signed-in user, the audit entries kept for the end), log it, and say whether the
    database is unreachable (503) or refused this request only (500)."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool has already thrown it away
        current_app.logger.debug("Rollback impossible après la perte de la base", exc_info=True)
    g._login_user = login_manager.anonymous_user()  # the page's menu would read the user's rows
    lost = [v for v in g.pop("deferred_audit", None) or () if v["kind"] == "denied"]
    if lost:  # a refused access kept for the end of the request: the database cannot take it now
        current_app.logger.warning("Accès refusés non écrits au journal (base injoignable) : %s",
                                   [(v["action"], v["user_id"], v["person_id"]) for v in lost])
    if not database_unreachable(exc):
        current_app.logger.error("Erreur de base de données", exc_info=exc)
        return False
    current_app.logger.warning("Base de données injoignable (%s %s) : %s", request.method, request.path,
                               str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return True


def _database_error(exc):
    """The database is away: a French 503 with Retry-After; any other database error stays a 500."""
    if not database_failure(exc):
        return _answer(500, message_for(500))
    return _answer(503, UNAVAILABLE, [("Retry-After", str(RETRY_AFTER_SECONDS))])
