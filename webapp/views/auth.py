"""Login and logout."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import clock
from ..extensions import db, limiter
from ..operations import audit
from ..operations.users import authenticate

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    if request.method == "POST":
        user = authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            return render_template("login.html", error="Identifiant ou mot de passe incorrect.",
                                   username=request.form.get("username", "")), 401
        session.clear()  # no session fixation: a fresh session for the signed-in user
        session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME (8 h)
        login_user(user)
        user.previous_login_at, user.last_login_at = user.last_login_at, clock.now()
        audit.record(user, "auth.login", "Connexion", kind="read")
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("Vous êtes déconnecté·e.", "info")
    return redirect(url_for("auth.login"))
