"""Domain exceptions and HTTP errors turned into French pages (the API answers JSON itself)."""
from flask import render_template, request
from flask_wtf.csrf import CSRFError

from ..errors import DomainError
from ..extensions import db

TITLES = {400: "Requête invalide", 403: "Accès refusé", 404: "Page introuvable",
          405: "Action impossible", 409: "Conflit", 413: "Trop volumineux", 422: "Données invalides",
          429: "Trop de tentatives", 500: "Erreur interne"}


def _page(status: int, message: str):
    return render_template("error.html", status=status, title=TITLES.get(status, "Erreur"),
                           message=message), status


def init_app(app):
    @app.errorhandler(DomainError)
    def _domain(exc):
        db.session.rollback()
        return _page(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _page(400, "Le formulaire a expiré ou n'est pas authentique : rechargez la page et recommencez.")

    for status, text in ((404, "Cette page n'existe pas ou vous n'y avez pas accès."),
                         (405, "Cette action n'est pas permise ici."),
                         (413, "Fichier ou formulaire trop volumineux (3 Mo au plus) : rien n'a été enregistré."),
                         (429, "Trop de tentatives : patientez une minute avant de réessayer."),
                         (500, "Une erreur inattendue est survenue ; rien n'a été enregistré.")):
        def handler(exc, status=status, text=text):
            if request.path.startswith("/api/"):
                return {"message": text}, status
            if status == 500:
                db.session.rollback()
            return _page(status, text)
        app.register_error_handler(status, handler)
