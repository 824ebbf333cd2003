"""A CEP journey's funding plans as JSON: every revision, latest first, amounts as exact strings."""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, fields, pre_dump

from ..models.funding import PLAN_STATES, REQUEST_STATES
from ..operations import audit
from ..queries.cep_documents import funding_plans_of, plan_totals
from .auth import current_actor
from .blueprint import bp
from .openapi import doc

CENT = Decimal("0.01")
AMOUNT = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "8400.00",
          "description": "Montant en euros, deux décimales (chaîne, jamais un nombre flottant)"}


def amount_text(value: Decimal | None) -> str | None:
    """"8400.00": an exact amount, two decimals."""
    return None if value is None else str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def Amount(attribute: str, **kwargs):
    """A money field written as a string with two decimals."""
    return fields.Function(lambda obj: amount_text(_get(obj, attribute)), metadata=AMOUNT, **kwargs)


def _get(obj, attribute: str):
    return obj[attribute] if isinstance(obj, dict) else getattr(obj, attribute)


class FunderSchema(Schema):
    code = fields.String()
    label = fields.String()
    kind = fields.String(metadata={"enum": ["cpf", "abondement", "transition", "personne", "autre"]})


class FundingLineSchema(Schema):
    funder = fields.Nested(FunderSchema)
    requested = Amount("amount_requested")
    granted = Amount("amount_granted", allow_none=True)
    status = fields.String(metadata={"enum": list(REQUEST_STATES)})
    status_label = fields.Function(lambda r: REQUEST_STATES.get(r.status, r.status))
    submitted_on = fields.Date(attribute="submitted_at", allow_none=True)
    decision_expected_by = fields.Function(
        lambda r: r.remind_at.date().isoformat() if r.remind_at else None,
        metadata={"type": "string", "format": "date", "nullable": True,
                  "description": "Date limite de la décision du financeur (jours ouvrés)"})
    decided_on = fields.Date(attribute="decided_at", allow_none=True)


class TrainingSchema(Schema):
    title = fields.String(attribute="training_title")
    organisation = fields.String(attribute="training_organisation", allow_none=True)
    certification = fields.String(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    duration_hours = fields.Integer(allow_none=True)


class CostsSchema(Schema):
    teaching = Amount("cost_teaching")
    other = Amount("cost_other")
    total = Amount("total_cost")


class FundingPlanSchema(Schema):
    number = fields.Integer()
    status = fields.String(metadata={"enum": list(PLAN_STATES)})
    status_label = fields.String()
    training = fields.Nested(TrainingSchema)
    costs = fields.Nested(CostsSchema)
    cpf_balance = Amount("cpf_balance", allow_none=True)
    lines = fields.List(fields.Nested(FundingLineSchema),
                        metadata={"description": "Une ligne par financeur sollicité"})
    total_requested = Amount("total_requested")
    total_granted = Amount("total_granted")
    remaining = fields.Function(lambda p: amount_text(p["remaining"]), metadata={
        **AMOUNT, "description": "Reste à financer : coût total moins les montants accordés"})

    @pre_dump
    def _figures(self, plan, **_kwargs):
        requested, granted, remaining = plan_totals(plan)
        return {"number": plan.number, "status": plan.status,
                "status_label": PLAN_STATES.get(plan.status, plan.status), "training": plan,
                "costs": plan, "cpf_balance": plan.cpf_balance,
                "lines": [r for r in plan.requests if r.status != "annulee"],
                "total_requested": requested, "total_granted": granted, "remaining": remaining}


class JourneyFundingSchema(Schema):
    journey_id = fields.Integer()
    status = fields.String(metadata={"enum": ["en_cours", "terminee", "incident"]})
    plans = fields.List(fields.Nested(FundingPlanSchema),
                        metadata={"description": "Les plans de financement, le plus récent d'abord"})


@bp.get("/journeys/<int:journey_id>/funding-plan")
@doc("Lire le plan de financement d'un parcours CEP", tag="Conseil en évolution professionnelle",
     response=JourneyFundingSchema, errors=(404,))
def funding_plan(journey_id):
    """Les plans de financement du parcours (chaque révision, la plus récente d'abord), avec les
    demandes par financeur ; montants en chaînes à deux décimales."""
    journey, plans = funding_plans_of(current_actor(), journey_id)
    audit.defer(current_actor(), "cep.plan_read", "Plan de financement lu par l'API", person_id=journey.person_id,
                journey_id=journey.id)
    return JourneyFundingSchema().dump({"journey_id": journey.id, "status": journey.status,
                                        "plans": plans})
