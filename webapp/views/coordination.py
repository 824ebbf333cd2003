"""The local coordinator's view of referrals in the territory."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import reference
from ..errors import Conflict, Forbidden, InvalidData
from ..extensions import db
from ..models import Structure
from ..models.referrals import REFERRAL_STATES
from ..operations import audit
from ..operations.referrals import reassign_referral
from ..queries.directory import territory_names
from ..queries.referrals import territory_referrals

bp = Blueprint("coordination", __name__)
STATES = {"en_cours": "En cours", "en_retard": "En retard", "escaladees": "Escaladées", **REFERRAL_STATES}


def _require_coordinator():
    if not current_user.has_role("coordinateur"):
        raise Forbidden("Réservé aux coordinateur·rices locaux·ales.")


@bp.get("/coordination")
@login_required
def index():
    _require_coordinator()
    filters = {"state": request.args.get("etat") or "en_cours",
               "structure_id": request.args.get("structure", type=int),
               "network": request.args.get("reseau") or None}
    page = territory_referrals(current_user, **filters, page=request.args.get("page", 1, type=int))
    audit.people_shown(current_user, "coordination.read", "Tableau de coordination",
                       [r.person_id for r in page.items])
    structures = db.session.scalars(select(Structure).where(Structure.active.is_(True))
                                    .order_by(Structure.departement, Structure.name)).all()
    return render_template("coordination.html", page=page, filters=filters, states=STATES,
                           networks=reference.NETWORKS, structures=structures,
                           departement=territory_names().get(current_user.structure.departement, ""),
                           local=[s for s in structures if s.departement == current_user.structure.departement])


@bp.post("/coordination/orientations/<int:referral_id>/reaffecter")
@login_required
def reassign(referral_id):
    try:
        referral = reassign_referral(current_user, referral_id, request.form.get("structure_id", type=int) or 0,
                                     request.form.get("motif", ""), request.form.get("personne_informee") == "oui")
        db.session.commit()
    except InvalidData as exc:
        db.session.rollback()
        flash(f"{exc.message} " + " ".join(exc.fields.values()), "error")
        return redirect(url_for("coordination.index")), 303
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("coordination.index")), 303
    flash(f"L'orientation est confiée à {referral.to_structure.name}.", "success")
    return redirect(url_for("coordination.index")), 303
