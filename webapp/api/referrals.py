"""Referrals as one structure may see them."""
from flask import current_app

from ..errors import Forbidden
from ..queries.referrals import structure_referrals, territory_referrals
from .auth import current_actor
from .blueprint import bp
from .openapi import doc
from .schemas import ReferralListArgs, ReferralPageSchema, load_args


@bp.get("/referrals")
@doc("Lister les orientations", tag="Orientations", query=ReferralListArgs, response=ReferralPageSchema,
     errors=(400, 403))
def list_referrals():
    """Orientations reçues ou envoyées par ma structure, ou celles de mon territoire (coordination) ;
    les données partagées ne figurent que pour les structures concernées."""
    args = load_args(ReferralListArgs())
    actor, per_page = current_actor(), current_app.config["TASKS_PER_PAGE"]
    if args["direction"] == "territory":
        if not actor.has_role("coordinateur"):
            raise Forbidden("Réservé aux coordinateur·rices locaux·ales.")
        page = territory_referrals(actor, state=args["status"], page=args["page"], per_page=per_page)
    else:
        page = structure_referrals(actor, args["direction"], status=args["status"], page=args["page"],
                                   per_page=per_page)
    return ReferralPageSchema().dump(page)
