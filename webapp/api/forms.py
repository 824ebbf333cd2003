"""A task's form as the API publishes it: JSON Schema a client can read alone, every choice
spelled out as `oneOf: [{"const": value, "title": label}]`."""
from .. import form_checks
from ..errors import InvalidData
from ..extensions import db
from ..queries.task_choices import allowed_partner_ids, partner_options, structure_label
from ..queries.tasks import task_for
from ..task_forms import expand
from ..queries.definition_content import task_form

PARTNERS = "partenaires"
FUNDERS = "financeurs"
AMOUNT_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,2})?$"
AMOUNT_DESCRIPTION = ("Montant en euros, chiffres et point décimal, sans espace ni symbole : "
                      "« 8400 » ou « 8400.50 ».")
CERTIFICATION_PATTERN = r"^(RNCP|RS)[0-9]{1,6}$"
CERTIFICATION_DESCRIPTION = ("Numéro de fiche France Compétences : « RNCP » ou « RS » suivi du "
                             "numéro, sans espace (ex. RNCP35830, RS5063).")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMAS = ("items", "if", "then", "else", "not", "contains", "additionalProperties")


def _enum_as_one_of(schema: dict) -> dict:
    """A copy of `schema` where each `enum` (labelled by `x-enumNames` when present) is a oneOf
    of constants with their titles, at any depth (properties, items, conditions)."""
    if not isinstance(schema, dict):
        return schema
    out = {key: value for key, value in schema.items() if key not in ("enum", "x-enumNames")}
    for key in ("properties", "patternProperties", "$defs"):
        if isinstance(schema.get(key), dict):
            out[key] = {name: _enum_as_one_of(sub) for name, sub in schema[key].items()}
    for key in _SUBSCHEMAS:
        if isinstance(schema.get(key), dict):
            out[key] = _enum_as_one_of(schema[key])
    for key in _SUBSCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            out[key] = [_enum_as_one_of(sub) for sub in schema[key]]
    if isinstance(schema.get("enum"), list):
        names = schema.get("x-enumNames") or []
        out["oneOf"] = [{"const": value, "title": str(names[i]) if i < len(names) else str(value)}
                        for i, value in enumerate(schema["enum"])]
    return out


def _partner_one_of(options: dict) -> list[dict]:
    """Suggested structures first, their reasons in the description; then every other choice."""
    one_of, seen = [], set()
    for suggestion in options["suggestions"]:
        structure = suggestion.structure
        seen.add(structure.id)
        one_of.append({"const": structure.id, "title": structure_label(structure),
                       "description": "Suggestion : " + " ; ".join(suggestion.reasons) + "."})
    one_of += [{"const": value, "title": label} for value, label, _group in options["choices"]
               if value not in seen]
    return one_of


def _with_partners(schema: dict, one_of: list[dict]) -> dict:
    for name, prop in schema.get("properties", {}).items():
        if prop.get("x-source") != PARTNERS:
            continue
        target = prop.setdefault("items", {}) if prop.get("type") == "array" else prop
        if one_of:
            target["oneOf"] = one_of
        else:  # no other active structure: nothing can be chosen
            target["not"] = {}
    return schema


def _described(prop: dict, text: str) -> str:
    """The field's own description (if any) followed by the published rule."""
    own = (prop.get("description") or "").strip()
    return f"{own} {text}" if own and text not in own else (own or text)


def _rome_one_of() -> list[dict]:
    return [{"const": code, "title": label} for code, label in form_checks.options("rome")]


def _with_reference_rules(schema: dict) -> dict:
    """Amounts, funders' amounts, ROME jobs and RNCP/RS numbers spelled out for an API client:
    a pattern and a description for amounts and certifications, every ROME job as a choice."""
    for prop in schema.get("properties", {}).values():
        if not isinstance(prop, dict):
            continue
        if prop.get("x-amount"):
            prop["pattern"] = AMOUNT_PATTERN
            prop["description"] = _described(prop, AMOUNT_DESCRIPTION)
        elif prop.get("type") == "object" and prop.get("x-vocabulary") == FUNDERS:
            for amount in prop.get("properties", {}).values():
                amount["pattern"] = AMOUNT_PATTERN
                amount["description"] = AMOUNT_DESCRIPTION
            prop["description"] = _described(
                prop, "Une propriété par financeur actif (son code ; son libellé en « title »), "
                      "dont la valeur est le montant demandé en euros : « 8400.00 ».")
        elif prop.get("x-check") == "rome" and prop.get("type") == "string":
            prop["oneOf"] = _rome_one_of()
        elif prop.get("x-check") == "certification" and prop.get("type") == "string":
            prop["pattern"] = CERTIFICATION_PATTERN
            prop["description"] = _described(prop, CERTIFICATION_DESCRIPTION)
    return schema


def published_form(actor, task) -> dict:
    """{"schema": ..., "ui": ...} of the task as the actor may fill it in."""
    form = task_form(task) or {"schema": {"type": "object"}}
    schema = _with_reference_rules(_enum_as_one_of(expand(form["schema"])))
    if any(p.get("x-source") == PARTNERS for p in schema.get("properties", {}).values()):
        options = partner_options(actor, task, suggest=task.status == "ouverte")
        schema = _with_partners(schema, _partner_one_of(options))
    return {"schema": schema, "ui": form.get("ui") or {}}


def on_partner_field(actor, task_id: int, data: dict, refusal: InvalidData) -> InvalidData:
    """The journey refused to move (no field named) because a structure field holds one the
    published form does not offer (a receiver redirecting to the structure in charge): name it."""
    if refusal.fields:
        return refusal
    db.session.rollback()  # nothing of the refused step is kept
    task = task_for(actor, task_id)
    schema = (task_form(task) or {}).get("schema", {})
    names = [n for n, p in schema.get("properties", {}).items() if p.get("x-source") == PARTNERS]
    if not names:
        return refusal
    offered = allowed_partner_ids(actor, task)
    errors = {name: "Choisissez une structure de la liste." for name in names
              if name in data and data[name] not in offered}
    return InvalidData(refusal.message, errors) if errors else refusal
