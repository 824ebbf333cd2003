"""Bassins (groups of communes), shown to all and edited by the regional administration."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import communes
from ..errors import InvalidData, NotFound
from ..extensions import db
from ..models import Territory
from ..operations.territories import bassin_communes, set_bassin_communes, unassigned_communes

bp = Blueprint("territories", __name__, url_prefix="/territoires")


@bp.get("")
@login_required
def index():
    territories = db.session.scalars(select(Territory).order_by(Territory.departement, Territory.kind.desc(),
                                                                Territory.name)).all()
    counts = {t.code: len(bassin_communes(t.code)) for t in territories if t.kind == "bassin"}
    return render_template("territories/index.html", territories=territories, counts=counts,
                           source=communes.source())


@bp.route("/bassins/<code>", methods=["GET", "POST"])
@login_required
def bassin(code):
    found = db.session.get(Territory, code)
    if found is None or found.kind != "bassin":
        raise NotFound("Bassin introuvable.")
    text, error, status = None, None, 200
    if request.method == "POST":
        text = request.form.get("communes", "")
        try:
            codes = set_bassin_communes(current_user, code, text)
            db.session.commit()
            flash(f"Bassin enregistré : {len(codes)} communes.", "success")
            return redirect(url_for("territories.bassin", code=code)), 303
        except InvalidData as exc:
            db.session.rollback()
            error, status = exc.fields.get("communes") or exc.message, 422
    members = bassin_communes(code)
    if text is None:
        text = "\n".join(f"{c.code} {c.nom}" for c in members)
    return render_template("territories/bassin.html", bassin=found, members=members, text=text, error=error,
                           unassigned=unassigned_communes(found.departement)), status
