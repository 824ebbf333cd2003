"""User-task forms defined as JSON Schema: expand vocabularies, coerce, validate, describe fields."""
import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from . import form_checks, funding_checks, vocabularies
from .form_messages import message as _message
from .money import euros, parse_amount, typed_amount

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
        if vocab == "financeurs":
            funding_checks.expand_funders(prop)
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
    if t == "object":
        return "amounts"
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


def conditions(schema: dict) -> dict:
    """{field: {"show": [(controller, value)], "required": [(controller, value)]}} from the
    schema's if/then branches (top level and allOf): a field named in a branch's `then`
    (`required` or `properties`) belongs to that branch and is shown only when it is chosen,
    unless its property says `"x-show": "always"` (required in one branch, useful in all)."""
    props = schema.get("properties", {})
    found = {}
    for branch in [schema] + list(schema.get("allOf", [])):
        test, then = branch.get("if", {}), branch.get("then", {})
        tested = [(name, rule["const"]) for name, rule in test.get("properties", {}).items()
                  if isinstance(rule, dict) and "const" in rule]
        if len(tested) != 1 or not then:
            continue
        for name in then.get("required", []):
            found.setdefault(name, {"show": [], "required": []})["required"].append(tested[0])
        for name in list(then.get("required", [])) + list(then.get("properties", {})):
            entry = found.setdefault(name, {"show": [], "required": []})
            if props.get(name, {}).get("x-show") != "always" and tested[0] not in entry["show"]:
                entry["show"].append(tested[0])
    return found


def _active(rules, values: dict) -> bool:
    return any(values.get(name) == value for name, value in rules)


def coerce(schema: dict, form) -> dict:
    """Turn an HTML form (a MultiDict of strings) into JSON data typed after the schema.

    Dates typed as jj/mm/aaaa become ISO dates, phone numbers and communes take their official
    spelling, and a field of a branch that was not chosen (e.g. a refusal reason left over
    after choosing « Accepter ») is dropped."""
    data = {}
    for name, prop in schema.get("properties", {}).items():
        t = prop.get("type")
        if t == "object":  # one input per key: « financements.cpf »
            values = {key.split(".", 1)[1]: form.get(key).strip() for key in form
                      if key.startswith(name + ".") and (form.get(key) or "").strip()}
            if values or any(key.startswith(name + ".") for key in form):
                data[name] = values
            continue
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
    data = clean(schema, data)
    for name, rules in conditions(schema).items():
        shown = rules["show"]
        if name in data and shown and all(n in data for n, _v in shown) and not _active(shown, data):
            del data[name]
    return data


def clean(schema: dict, data: dict) -> dict:
    """A copy of `data` with dates typed as jj/mm/aaaa made ISO, and phone numbers and communes
    (`x-check`) in their official spelling; values that cannot be read are left as they are."""
    cleaned = dict(data)
    for name, prop in schema.get("properties", {}).items():
        value = cleaned.get(name)
        if not isinstance(value, str):
            continue
        if prop.get("format") == "date":
            cleaned[name] = form_checks.clean_date(value)
        elif prop.get("x-check") in form_checks.CLEAN:
            cleaned[name] = form_checks.CLEAN[prop["x-check"]](value)
    return funding_checks.clean(schema, cleaned)


def _unstorable(value) -> bool:
    """Text no database stores: a NUL character or a lone surrogate, at any depth."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def validate(schema: dict, data: dict, allowed: dict | None = None, context: dict | None = None) -> dict:
    """Return {field name: French message} for every problem; an empty dict when valid.

    `allowed` maps an `x-source` name to the set of values the user may pick from it;
    `context` holds what earlier steps recorded (e.g. the accepted appointment date).
    """
    validator = Draft202012Validator(schema, format_checker=FormatChecker(formats=("date",)))
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
    for name, prop in schema.get("properties", {}).items():
        if name not in data or name in errors:
            continue
        if _unstorable(data[name]):
            errors[name] = "Ce texte contient un caractère non permis : retapez-le sans le copier-coller."
            continue
        message = (form_checks.check(prop["x-check"], data[name]) if prop.get("x-check") else None) or \
            (form_checks.check_date(prop["x-date"], data[name]) if prop.get("x-date") else None)
        if message:
            errors[name] = message
    errors.update(_explanations(schema, data, context, errors))
    errors.update(funding_checks.problems(schema, data, context, errors))
    return errors


def _earlier(prop: dict, value, data: dict, context: dict | None):
    """(date, reference) when `value` precedes the reference date its `x-not-before` names."""
    rule = prop.get("x-not-before") or {}
    reference = (context or {}).get(rule.get("field")) or data.get(rule.get("field"))
    day, ref = form_checks.parse_date(value), form_checks.parse_date(reference)
    if day is None or ref is None or day >= ref:
        return None
    return day, ref


def _explanations(schema: dict, data: dict, context: dict | None, errors: dict) -> dict:
    """A date earlier than the one an earlier step fixed needs its explanation field filled."""
    found = {}
    for name, prop in schema.get("properties", {}).items():
        rule = prop.get("x-not-before")
        if not rule or name in errors or not _earlier(prop, data.get(name), data, context):
            continue
        if not str(data.get(rule["explain"]) or "").strip():
            day, ref = _earlier(prop, data.get(name), data, context)
            found[rule["explain"]] = rule["message"].format(
                date=form_checks.french_date(day), reference=form_checks.french_date(ref))
    return found


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
    structures: list = field(default_factory=list)  # for x-source fields: the others, as rows
    networks: dict = field(default_factory=dict)  # network code -> label, for x-source fields
    show_when: str | None = None  # "reponse=accepter" ("a=x;b=y": any of them), for spro.js
    required_when: str | None = None  # same syntax: the branches where the field is required
    required_before: str | None = None  # "date_field|2026-12-10": required if that date is earlier
    required_now: bool = False  # required with the values shown (conditional fields included)
    condition: str | None = None  # « Obligatoire si … » in words, for pages without JavaScript
    display: str | None = None  # a chosen structure's name, or a date, on a read-only form
    input_type: str = "text"  # of an <input>: date (when the value is one), email, tel or text
    datalist: list = field(default_factory=list)  # (value, label) suggestions of a text field (ROME jobs)


def _input_type(f: Field, prop: dict) -> str:
    if f.kind == "date":  # a value typed by hand that is no date stays visible in a text input
        return "date" if f.value is None or form_checks.parse_date(f.value) and "-" in str(f.value) else "text"
    return {"email": "email", "telephone": "tel"}.get(prop.get("x-check"), "text")


def _spec(rules) -> str:
    return ";".join(f"{name}={_text(value)}" for name, value in rules)


def _text(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _choice_label(props: dict, name: str, value) -> str:
    prop = props.get(name, {})
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    names = dict(zip(prop.get("enum", []), prop.get("x-enumNames") or prop.get("enum", [])))
    return str(names.get(value, value))


def _in_words(props: dict, rules, prefix: str) -> str:
    said = " ou ".join(f"« {props.get(n, {}).get('title', n)} » est « {_choice_label(props, n, v)} »"
                       for n, v in rules)
    return f"{prefix} si {said}."


def _order(schema: dict, ui: dict) -> list[str]:
    props = schema.get("properties", {})
    wanted = ui.get("ui:order", [])
    return [n for n in wanted if n in props] + [n for n in props if n not in wanted]


def describe(schema: dict, ui: dict, values: dict | None = None, errors: dict | None = None,
             sources: dict | None = None, context: dict | None = None):
    """The ordered fields of a form, with current values and errors, for rendering.

    `sources` gives, per `x-source` name, {"choices": [(value, label, group)], "suggestions": [...],
    "structures": [Structure], "networks": {code: label}, "names": {id: name}};
    `context` what earlier steps recorded (dates an explanation depends on).
    """
    values, errors, sources = values or {}, errors or {}, sources or {}
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    branches = conditions(schema)
    fields = []
    for name in _order(schema, ui):
        prop, field_ui = props[name], ui.get(name, {})
        source = prop.get("items", {}) if prop.get("type") == "array" else prop
        enum = source.get("enum", [])
        names = source.get("x-enumNames") or enum
        groups = {}
        picked = sources.get(prop.get("x-source"), {}) if prop.get("x-source") else {}
        if picked.get("choices") is not None:
            enum = [v for v, _l, _g in picked.get("choices", [])]
            names = [label for _v, label, _g in picked.get("choices", [])]
            groups = {v: g for v, _l, g in picked.get("choices", [])}
        if prop.get("x-vocabulary") and prop.get("type") != "object":
            groups = {v: g for v, _l, g in vocabularies.options(prop["x-vocabulary"])}
        suggested = {s.structure.id for s in picked.get("suggestions", [])}
        f = Field(
            name=name, label=prop.get("title", name), kind=_kind(prop, field_ui),
            required=name in required, help=prop.get("description"),
            options=[(v, names[i] if i < len(names) else v, groups.get(v)) for i, v in enumerate(enum)],
            value=values.get(name), error=errors.get(name),
            max_length=prop.get("maxLength"), suggestions=picked.get("suggestions", []),
            structures=[s for s in picked.get("structures", []) if s.id not in suggested],
            networks=picked.get("networks", {}),
            display=picked.get("names", {}).get(values.get(name)) if picked.get("names") else None)
        f.required_now = f.required
        f.input_type = _input_type(f, prop)
        if f.kind == "text" and prop.get("x-check"):
            f.datalist = form_checks.options(prop["x-check"])
        if f.kind == "amounts":
            f.options = [(code, p.get("title", code), p.get("x-kind")) for code, p in prop.get("properties", {}).items()]
            if isinstance(f.value, dict):
                f.value = {code: typed_amount(v) for code, v in f.value.items()}
        elif prop.get("x-amount"):
            f.value = typed_amount(f.value)
        if f.kind == "date" and f.value:
            f.display = form_checks.french_date(f.value)
        rules = branches.get(name)
        if rules and not f.required:
            f.show_when = _spec(rules["show"]) or None
            if rules["required"]:
                f.required_when = _spec(rules["required"])
                f.required_now = _active(rules["required"], values)
                f.condition = _in_words(props, rules["required"], "Obligatoire")
            elif rules["show"]:
                f.condition = _in_words(props, rules["show"], "À renseigner seulement")
        fields.append(f)
    _explained(fields, props, values, context)
    return fields


def _explained(fields: list, props: dict, values: dict, context: dict | None) -> None:
    """Explanation fields (`x-not-before`) follow their date field and say when they are needed."""
    by_name = {f.name: f for f in fields}
    for name, prop in props.items():
        rule = prop.get("x-not-before")
        if not rule or rule.get("explain") not in by_name or name not in by_name:
            continue
        explain, dated = by_name[rule["explain"]], by_name[name]
        reference = form_checks.parse_date((context or {}).get(rule["field"]) or values.get(rule["field"]))
        explain.show_when = explain.show_when or dated.show_when
        explain.condition = rule["help"].format(reference=form_checks.french_date(reference)) if reference \
            else rule["help"].replace(" au {reference}", "")
        if reference:
            explain.required_before = f"{name}|{reference.isoformat()}"
            explain.required_now = bool(_earlier(prop, values.get(name), values, context))


def readable(schema: dict, ui: dict, data: dict | None, names: dict | None = None) -> list[tuple[str, str]]:
    """(label, text) pairs of submitted data, in form order, as people read them: choices by
    their labels, yes/no, dates as dd/mm/yyyy, structures (`x-source`) by name from `names`;
    empty fields left out."""
    rows = []
    for f in describe(schema, ui, data or {}):
        value = f.value
        if value is None or value == "" or value == [] or value == {}:
            continue
        labels = {v: label for v, label, _g in f.options} if f.kind != "amounts" else {}
        if f.datalist:
            text = dict(f.datalist).get(value, str(value))
        elif f.kind == "amounts":
            names = {code: label for code, label, _k in f.options}
            text = ", ".join(f"{names.get(code, code)} : {euros(parse_amount(v))}" for code, v in value.items())
        elif schema["properties"][f.name].get("x-amount"):
            text = euros(parse_amount(value)) if parse_amount(value) is not None else str(value)
        elif f.kind == "source":
            text = (names or {}).get(value, f"n°{value}")
        elif f.kind == "date":
            text = form_checks.french_date(value)
        elif isinstance(value, bool):
            text = "Oui" if value else "Non"
        elif isinstance(value, list):
            text = ", ".join(str(labels.get(v, v)) for v in value)
        else:
            text = str(labels.get(value, value))
        rows.append((f.label, text))
    return rows
