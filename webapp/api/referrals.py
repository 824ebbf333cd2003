"""Referrals as one structure may see them."""
from flask import current_app, g
from marshmallow import fields, validate

from ..errors import Forbidden
from ..models.referrals import REFERRAL_STATES
from ..operations import audit
from ..queries.referrals import TABS, structure_referrals, territory_referrals
from .auth import current_actor
from .blueprint import bp
from .openapi import doc
from .schemas import TEXT, ReferralListArgs, ReferralListItemSchema, UtcDateTime, _PageSchema, load_args

STATES = ("ouverte", "acceptee", "refusee", "redirigee", "expiree", "aboutie", "abandonnee", "reaffectee",
          "en_cours", "en_retard", "escaladees", "abandonnees")


class ReferralFilterArgs(ReferralListArgs):
    status = fields.String(load_default=None, error_messages=TEXT, validate=validate.OneOf(
        STATES, error="État inconnu."), metadata={"description": (
            "Un état, ou un onglet des écrans : " + " ; ".join(f"{key} : {label.lower()}"
                                                             for key, (label, _s) in TABS.items())
            + " ; en_cours : en attente ou acceptées ; escaladees : sans réponse, signalées à la coordination")})


def _for_ends(name):
    """A comment between the two ends of the referral: None for any other structure."""
    def value(referral):
        if g.api_user.structure_id in (referral.from_structure_id, referral.to_structure_id):
            return getattr(referral, name)
        return None
    return value


class ReferralItemSchema(ReferralListItemSchema):
    status = fields.String(metadata={"enum": list(REFERRAL_STATES)})
    urgent = fields.Boolean()
    answer_comment = fields.Function(_for_ends("answer_comment"), allow_none=True, metadata={
        "type": "string",
        "description": "Commentaire du partenaire en réponse (structures émettrice et destinataire)"})
    contact_comment = fields.Function(_for_ends("contact_comment"), allow_none=True, metadata={
        "type": "string", "description": "Commentaire à la confirmation du premier contact (mêmes structures)"})
    first_contact_at = UtcDateTime(allow_none=True)


class ReferralItemPageSchema(_PageSchema):
    items = fields.List(fields.Nested(ReferralItemSchema))


@bp.get("/referrals")
@doc("Lister les orientations", tag="Orientations", query=ReferralFilterArgs, response=ReferralItemPageSchema,
     errors=(400, 403))
def list_referrals():
    """Orientations reçues ou envoyées par ma structure, ou celles de mon territoire (coordination),
    filtrées par état ou par onglet ; les données partagées ne figurent que pour les structures
    concernées, les commentaires échangés que pour les deux structures de l'orientation."""
    args = load_args(ReferralFilterArgs())
    actor, per_page = current_actor(), current_app.config["TASKS_PER_PAGE"]
    if args["direction"] == "territory":
        if not actor.has_role("coordinateur"):
            raise Forbidden("Réservé aux coordinateur·rices locaux·ales.")
        page = territory_referrals(actor, state=args["status"], page=args["page"], per_page=per_page)
    else:
        page = structure_referrals(actor, args["direction"], status=args["status"], page=args["page"],
                                   per_page=per_page)
    audit.people_shown(actor, "referral.list_read", "Orientations (API)", [r.person_id for r in page.items])
    return ReferralItemPageSchema().dump(page)
