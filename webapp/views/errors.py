"""Domain exceptions and HTTP errors turned into French pages (the API answers JSON itself)."""
from flask import current_app, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from ..errors import DomainError
from ..extensions import db

TITLES = {400: "Requête invalide", 401: "Connexion requise", 403: "Accès refusé", 404: "Page introuvable",
          405: "Action impossible", 409: "Conflit", 413: "Trop volumineux", 415: "Format non pris en charge",
          422: "Données invalides", 429: "Trop de tentatives", 500: "Erreur interne"}
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
        db.session.rollback()
        return _answer(500, message_for(500))
