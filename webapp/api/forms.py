"""A task's form as the API publishes it: JSON Schema a client can read alone, every choice
spelled out as `oneOf: [{"const": value, "title": label}]`."""
from ..queries.task_choices import partner_options, structure_label
from ..task_forms import expand

PARTNERS = "partenaires"
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


def published_form(actor, task) -> dict:
    """{"schema": ..., "ui": ...} of the task as the actor may fill it in."""
    form = task.journey.definition.forms.get(task.form_key or "") or {"schema": {"type": "object"}}
    schema = _enum_as_one_of(expand(form["schema"]))
    if any(p.get("x-source") == PARTNERS for p in schema.get("properties", {}).values()):
        options = partner_options(actor, task, suggest=task.status == "ouverte")
        schema = _with_partners(schema, _partner_one_of(options))
    return {"schema": schema, "ui": form.get("ui") or {}}
