"""Session users, security headers and template helpers."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, flash, g, redirect, request, session
from flask_login import AnonymousUserMixin, current_user, login_url

from .. import clock
from ..extensions import db, login_manager
from ..models import User
from ..models.journeys import STATUS_LABELS
from ..models.referrals import DECLINE_REASONS, SHARED_FIELDS
from ..vocabularies import PUBLICS_SPRO, label

PARIS = ZoneInfo("Europe/Paris")
HSTS = "max-age=31536000; includeSubDomains"
# What the session carries beyond Flask-Login's keys: the user's session version, the sign-in time
# and the last request's time (ISO, UTC).
SESSION_KEYS = ("_session_version", "_signed_in_at", "_last_seen")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def start_session(user) -> None:
    """Mark the signed-in session with the user's session version and the time (after login_user)."""
    now = clock.now().isoformat(timespec="seconds")
    session["_session_version"] = user.session_version or 0
    session["_signed_in_at"] = session["_last_seen"] = now


def _end_reason(user) -> str | None:
    """Why this session may no longer act for `user` (a French message), or None while it may."""
    if session.get("_session_version") != (user.session_version or 0):
        return "Votre session a été fermée : reconnectez-vous."
    # Flask-Login's "strong" protection only marks a *permanent* session non-fresh when the cookie
    # comes from another address or browser: refuse it here instead.
    if session.get("_id") != login_manager._session_identifier_generator():
        return "Votre session a été fermée : reconnectez-vous."
    now = clock.now()
    try:
        signed_in_at = datetime.fromisoformat(session["_signed_in_at"])
        last_seen = datetime.fromisoformat(session["_last_seen"])
    except (KeyError, TypeError, ValueError):
        return "Votre session a été fermée : reconnectez-vous."
    lifetime = current_app.permanent_session_lifetime
    if now - signed_in_at > lifetime:
        hours = int(lifetime.total_seconds() // 3600)
        return f"Session expirée après {hours} heures : reconnectez-vous."
    idle = current_app.config["IDLE_TIMEOUT_MINUTES"]
    if now - last_seen > timedelta(minutes=idle):
        return f"Session expirée après {idle} minutes d'inactivité : reconnectez-vous."
    return None


@login_manager.user_loader
def _load_user(user_id):
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError, OverflowError):
        user = None
    if user is None or not user.active:
        return None
    reason = _end_reason(user)
    if reason is not None:
        for key in ("_user_id", "_fresh", "_id", *SESSION_KEYS):
            session.pop(key, None)
        g.session_end_reason = reason
        return None
    session["_last_seen"] = clock.now().isoformat(timespec="seconds")
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    """To the login page with the page asked for, saying why the session ended if it did."""
    flash(g.pop("session_end_reason", None) or login_manager.login_message, "info")
    return redirect(login_url(login_manager.login_view, next_url=request.url))


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
            from ..queries.audit import is_regional_admin
            values["task_counts"] = counts(current_user)
            values["unread_messages"] = unread_count(current_user)
            values["regional_admin"] = is_regional_admin(current_user)
        return values

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        # The user Flask-Login already loaded, if any: current_user.is_authenticated would
        # read the row again after a commit (one more SELECT on every committing request).
        user = g.get("_login_user")
        if user is not None and not isinstance(user, AnonymousUserMixin):
            response.headers["Cache-Control"] = "no-store"
        return response
