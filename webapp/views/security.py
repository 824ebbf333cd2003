"""Session users, security headers and template helpers."""
from zoneinfo import ZoneInfo

from flask import g, request
from flask_login import AnonymousUserMixin, current_user

from .. import clock
from ..extensions import db, login_manager
from ..models import User
from ..models.journeys import STATUS_LABELS
from ..models.referrals import DECLINE_REASONS, SHARED_FIELDS
from ..vocabularies import PUBLICS_SPRO, label

PARIS = ZoneInfo("Europe/Paris")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@login_manager.user_loader
def _load_user(user_id):
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def _local(value, fmt="%d/%m/%Y %H:%M"):
    if value is None:
        return ""
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS).strftime(fmt)


def _age(birth_year) -> str:
    """« 17 ans » from a year of birth (the age reached this year), "" when unknown."""
    if not isinstance(birth_year, int):
        return ""
    years = clock.now().year - birth_year
    return f"{years} ans" if years >= 0 else ""


def _person_name(person) -> str:
    """A person's name as the current user's structure may see it (shared fields only)."""
    from ..queries.referrals import person_view
    return person_view(current_user, person).display_name


def init_app(app):
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.session_protection = "strong"
    app.jinja_env.filters["local"] = _local
    app.jinja_env.filters["local_date"] = lambda v: _local(v, "%d/%m/%Y")
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    app.jinja_env.globals["PUBLIC_LABELS"] = dict(PUBLICS_SPRO)
    app.jinja_env.globals["SHARED_FIELDS"] = SHARED_FIELDS
    app.jinja_env.globals["DECLINE_REASONS"] = DECLINE_REASONS
    app.jinja_env.globals["SHARED_LABELS"] = {
        "prenom": "Prénom", "nom": "Nom", "annee_naissance": "Année de naissance", "telephone": "Téléphone",
        "email": "Courriel", "public": "Public", "commune": "Commune", "thematiques": "Thématiques",
        "besoins": "Besoins"}
    app.jinja_env.filters["thematique_label"] = lambda value: label("thematiques", value)
    app.jinja_env.filters["age"] = _age

    @app.context_processor
    def _globals():
        values = {"now_utc": clock.now(), "person_name": _person_name}
        if current_user.is_authenticated and not request.path.startswith("/api/"):
            from ..queries.messages import unread_count
            from ..queries.tasks import counts
            values["task_counts"] = counts(current_user)
            values["unread_messages"] = unread_count(current_user)
        return values

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        # The user Flask-Login already loaded, if any: current_user.is_authenticated would
        # read the row again after a commit (one more SELECT on every committing request).
        user = g.get("_login_user")
        if user is not None and not isinstance(user, AnonymousUserMixin):
            response.headers["Cache-Control"] = "no-store"
        return response
