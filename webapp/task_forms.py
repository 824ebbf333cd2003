"""User-task forms defined as JSON Schema: expand vocabularies, coerce, validate, describe fields."""
import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from . import vocabularies

_INT = re.compile(r"^-?\d+$")


def load_form_files(forms_dir: str, names) -> dict:
    """Read {name: {"schema": ..., "ui": ...}} for the given schema file names."""
    found = {}
    for name in sorted(names):
        path = Path(forms_dir) / name
        ui_path = Path(forms_dir) / name.replace(".schema.json", ".ui.json")
        found[name] = {
            "schema": json.loads(path.read_text(encoding="utf-8")),
            "ui": json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.exists() else {},
        }
    return found


def expand(schema: dict) -> dict:
    """Return a copy of the schema with `x-vocabulary` fields given their enums."""
    schema = copy.deepcopy(schema)
    for prop in schema.get("properties", {}).values():
        vocab = prop.get("x-vocabulary")
        if not vocab:
            continue
        values = [v for v, _l, _g in vocabularies.options(vocab)]
        labels = [label for _v, label, _g in vocabularies.options(vocab)]
        target = prop.setdefault("items", {}) if prop.get("type") == "array" else prop
        target["enum"], target["x-enumNames"] = values, labels
    return schema


def _kind(prop: dict, ui: dict) -> str:
    widget = ui.get("ui:widget")
    t = prop.get("type")
    if prop.get("x-source"):
        return "source"
    if t == "array":
        return "checkboxes"
    if t == "boolean":
        return "boolean"
    if t == "integer":
        return "integer"
    if "enum" in prop:
        return "radio" if widget == "radio" else "select"
    if prop.get("format") == "date":
        return "date"
    return "textarea" if widget == "textarea" or prop.get("maxLength", 0) > 300 else "text"


def coerce(schema: dict, form) -> dict:
    """Turn an HTML form (a MultiDict of strings) into JSON data typed after the schema."""
    data = {}
    for name, prop in schema.get("properties", {}).items():
        t = prop.get("type")
        if t == "array":
            values = [v for v in form.getlist(name) if v != ""]
            if values or name in form:
                data[name] = values
            continue
        raw = (form.get(name) or "").strip()
        if raw == "":
            continue
        if t == "boolean":
            data[name] = {"true": True, "false": False}.get(raw, raw)
        elif t == "integer":
            data[name] = int(raw) if _INT.match(raw) else raw
        else:
            data[name] = raw
    return data


_TYPE_MESSAGES = {
    "integer": "Saisissez un nombre entier.", "boolean": "Répondez par oui ou non.",
    "string": "Saisissez un texte.", "array": "Choisissez dans la liste.", "object": "Valeur invalide.",
}


def _message(error) -> str:
    v, value = error.validator, error.validator_value
    if v == "required":
        return "Ce champ est obligatoire."
    if v == "type":
        return _TYPE_MESSAGES.get(value if isinstance(value, str) else "object", "Valeur invalide.")
    if v == "enum":
        return "Choisissez une valeur proposée."
    if v == "const":
        return "Ce point doit être confirmé."
    if v == "minItems":
        return f"Choisissez au moins {value} élément{'s' if value > 1 else ''}."
    if v == "maxItems":
        return f"Choisissez au plus {value} éléments."
    if v == "maxLength":
        return f"{value} caractères au maximum."
    if v == "minLength":
        return "Ce champ est obligatoire." if value == 1 else f"{value} caractères au minimum."
    if v == "minimum":
        return f"La valeur doit être au moins {value}."
    if v == "maximum":
        return f"La valeur doit être au plus {value}."
    if v == "format" and value == "date":
        return "Date invalide."
    if v == "pattern":
        return "Format invalide."
    return "Valeur invalide."


def validate(schema: dict, data: dict, allowed: dict | None = None) -> dict:
    """Return {field name: French message} for every problem; an empty dict when valid.

    `allowed` maps an `x-source` name to the set of values the user may pick from it.
    """
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = {}
    for name, prop in schema.get("properties", {}).items():
        source = prop.get("x-source")
        if source and name in data and data[name] not in (allowed or {}).get(source, set()):
            errors[name] = "Choisissez une structure de la liste."
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        if error.validator == "required":
            names = [n for n in error.validator_value if n not in (error.instance or {})]
            for name in names:
                errors.setdefault(name, _message(error))
        elif error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(schema.get("properties", {})))
            errors.setdefault("_form", f"Champs inconnus : {', '.join(extra)}.")
        elif error.path:
            errors.setdefault(str(error.path[0]), _message(error))
        else:
            errors.setdefault("_form", _message(error))
    return errors


@dataclass
class Field:
    """One form field as the template draws it."""
    name: str
    label: str
    kind: str
    required: bool
    help: str | None = None
    options: list = field(default_factory=list)  # (value, label, group)
    value: object = None
    error: str | None = None
    max_length: int | None = None
    suggestions: list = field(default_factory=list)  # for x-source fields: ranked, with reasons


def describe(schema: dict, ui: dict, values: dict | None = None, errors: dict | None = None,
             sources: dict | None = None):
    """The ordered fields of a form, with current values and errors, for rendering.

    `sources` gives, per `x-source` name, {"choices": [(value, label, group)], "suggestions": [...]}.
    """
    values, errors, sources = values or {}, errors or {}, sources or {}
    props = schema.get("properties", {})
    order = [n for n in ui.get("ui:order", []) if n in props] + [n for n in props if n not in ui.get("ui:order", [])]
    required = set(schema.get("required", []))
    conditional = set(schema.get("then", {}).get("required", []))
    for branch in schema.get("allOf", []):
        conditional |= set(branch.get("then", {}).get("required", []))
    fields = []
    for name in order:
        prop, field_ui = props[name], ui.get(name, {})
        source = prop.get("items", {}) if prop.get("type") == "array" else prop
        enum = source.get("enum", [])
        names = source.get("x-enumNames") or enum
        groups = {}
        picked = sources.get(prop.get("x-source"), {}) if prop.get("x-source") else {}
        if picked:
            enum = [v for v, _l, _g in picked.get("choices", [])]
            names = [label for _v, label, _g in picked.get("choices", [])]
            groups = {v: g for v, _l, g in picked.get("choices", [])}
        if prop.get("x-vocabulary"):
            groups = {v: g for v, _l, g in vocabularies.options(prop["x-vocabulary"])}
        fields.append(Field(
            name=name, label=prop.get("title", name), kind=_kind(prop, field_ui),
            required=name in required, help=prop.get("description"),
            options=[(v, names[i] if i < len(names) else v, groups.get(v)) for i, v in enumerate(enum)],
            value=values.get(name), error=errors.get(name),
            max_length=prop.get("maxLength"), suggestions=picked.get("suggestions", []),
        ))
        if name in conditional and not fields[-1].required and not fields[-1].help:
            fields[-1].help = "Obligatoire selon la réponse choisie."
    return fields


def readable(schema: dict, ui: dict, data: dict | None, names: dict | None = None) -> list[tuple[str, str]]:
    """(label, text) pairs of submitted data, in form order, as people read them: choices by
    their labels, yes/no, structures (`x-source`) by name from `names`; empty fields left out."""
    rows = []
    for f in describe(schema, ui, data or {}):
        value = f.value
        if value is None or value == "" or value == []:
            continue
        labels = {v: label for v, label, _g in f.options}
        if f.kind == "source":
            text = (names or {}).get(value, f"n°{value}")
        elif isinstance(value, bool):
            text = "Oui" if value else "Non"
        elif isinstance(value, list):
            text = ", ".join(str(labels.get(v, v)) for v in value)
        else:
            text = str(labels.get(value, value))
        rows.append((f.label, text))
    return rows
