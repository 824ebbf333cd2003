"""Form rules for amounts and CEP funding plans: `x-amount` fields, the funders' amounts object
(`x-vocabulary: "financeurs"`) and whole-form checks named in the schema's `x-checks`."""

from sqlalchemy import select

from . import form_checks
from .money import amount_text, euros, parse_amount, plan_figures

AMOUNT_MESSAGE = "Saisissez un montant en euros, par exemple 8 400 ou 8 400,50."


def funder_properties() -> dict:
    """{funder code: property} for the active funders, in the admin's order."""
    from .extensions import db
    from .models import Funder
    funders = db.session.scalars(select(Funder).where(Funder.active.is_(True))
                                 .order_by(Funder.position, Funder.label)).all()
    return {f.code: {"type": "string", "title": f.label, "maxLength": 30, "x-kind": f.kind}
            for f in funders}


def _funders_prop(prop: dict) -> bool:
    return prop.get("type") == "object" and prop.get("x-vocabulary") == "financeurs"


def expand_funders(prop: dict) -> None:
    """Give a funders' amounts field one property per active funder."""
    prop["properties"] = funder_properties()
    prop["additionalProperties"] = False


def clean(schema: dict, data: dict) -> dict:
    """Amounts typed the French way (« 3 200,50 € ») stored as "3200.50"; unreadable ones kept."""
    for name, prop in schema.get("properties", {}).items():
        value = data.get(name)
        if prop.get("x-amount") and isinstance(value, str):
            amount = parse_amount(value)
            data[name] = amount_text(amount) if amount is not None else value
        elif _funders_prop(prop) and isinstance(value, dict):
            data[name] = {code: (amount_text(parse_amount(v)) if parse_amount(v) is not None else v)
                          for code, v in value.items() if v not in (None, "")}
    return data


def problems(schema: dict, data: dict, context: dict | None, errors: dict) -> dict:
    """French messages for amount fields and the schema's whole-form checks."""
    found = {}
    props = schema.get("properties", {})
    for name, prop in props.items():
        if prop.get("x-amount") and data.get(name) not in (None, "") and name not in errors \
                and parse_amount(data[name]) is None:
            found[name] = AMOUNT_MESSAGE
    for check in schema.get("x-checks", []):
        for name, message in FORM_CHECKS[check](props, data, context or {}).items():
            if name not in errors:
                found.setdefault(name, message)
    return found


def _plan(props: dict, data: dict, context: dict) -> dict:
    """A plan to send adds up to its cost, asks the CPF no more than its balance, ends after it starts."""
    if data.get("decision_plan") != "soumettre":
        return {}
    kinds = {code: p.get("x-kind") for code, p in props.get("financements", {}).get("properties", {}).items()}
    found = dict(plan_figures(data, kinds).problems)
    start, end = form_checks.parse_date(data.get("date_debut")), form_checks.parse_date(data.get("date_fin"))
    if start and end and end < start:
        found["date_fin"] = "La date de fin précède la date de début."
    return found


def _decision(props: dict, data: dict, context: dict) -> dict:
    """A partial grant lies between nothing and the amount asked."""
    if data.get("decision_financeur") != "partiel":
        return {}
    granted = parse_amount(data.get("montant_accorde"))
    asked = parse_amount((context.get("sollicitation") or {}).get("montant"))
    if granted is None:
        return {}
    if granted <= 0:
        return {"montant_accorde": "Un accord partiel porte sur un montant supérieur à zéro ; sinon, choisissez « Refusé »."}
    if asked is not None and granted >= asked:
        return {"montant_accorde": f"Un accord partiel est inférieur au montant demandé ({euros(asked)}) ; "
                                   "s'il est égal, choisissez « Accordé »."}
    return {}


FORM_CHECKS = {"plan_financement": _plan, "decision_financement": _decision}

