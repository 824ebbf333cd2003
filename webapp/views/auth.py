"""Login (throttled per account and address), logout and password change."""
import re
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import clock
from ..errors import InvalidData
from ..extensions import db, limiter
from ..operations import audit, sign_in
from ..operations.users import MIN_PASSWORD_LENGTH, authenticate, change_password, end_sessions
from .security import start_session

bp = Blueprint("auth", __name__)

BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
# Browsers drop tabs and newlines from URLs and read « \ » as « / »: « /\t/evil » is « //evil ».
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str | None) -> str:
    """`target` when it is a path of this site, else the home page."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not _UNSAFE_IN_NEXT.search(target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "")
    wait = sign_in.wait_seconds(username, request.remote_addr)
    user = None if wait else authenticate(username, request.form.get("password", ""))
    if user is None:
        if not wait:
            wait = sign_in.record_failure(username, request.remote_addr)
            audit.record(None, "auth.login_failed", "Connexion refusée", kind="auth",
                         detail={"username": username.strip().lower()[:80], "address": request.remote_addr})
            db.session.commit()
        if wait:
            return render_template("login.html", error=sign_in.wait_message(wait), username=username), \
                429, {"Retry-After": str(wait)}
        return render_template("login.html", error=BAD_CREDENTIALS, username=username), 401
    sign_in.record_success(username)
    session.clear()  # no session fixation: a fresh session for the signed-in user
    session.permanent = True
    login_user(user)
    start_session(user)
    user.previous_login_at, user.last_login_at = user.last_login_at, clock.now()
    audit.record(user, "auth.login", "Connexion", kind="auth")
    db.session.commit()
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout():
    end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté·e, sur cet appareil comme sur les autres.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def password():
    """« Changer mon mot de passe »: the other sessions end, this one stays open."""
    if request.method == "GET":
        return render_template("password.html", errors={}, min_length=MIN_PASSWORD_LENGTH)
    user = current_user._get_current_object()
    try:
        change_password(user, request.form.get("current", ""), request.form.get("new", ""),
                        request.form.get("confirmation", ""))
    except InvalidData as exc:
        db.session.rollback()
        return render_template("password.html", errors=exc.fields, message=exc.message,
                               min_length=MIN_PASSWORD_LENGTH), 422
    audit.record(user, "auth.password_changed", "Mot de passe changé", kind="auth")
    db.session.commit()
    session.clear()
    session.permanent = True
    login_user(user)
    start_session(user)
    flash("Mot de passe changé. Vos autres sessions sont fermées.", "info")
    return redirect(url_for("home.home"))
