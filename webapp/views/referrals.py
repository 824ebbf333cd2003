"""« Orientations envoyées » and « Orientations reçues »."""
from flask import Blueprint, redirect, url_for
from flask_login import login_required

bp = Blueprint("referrals", __name__)


@bp.get("/orientations")
@login_required
def index():
    return redirect(url_for("home.home"))
