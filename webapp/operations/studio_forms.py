"""Forms edited in the studio: JSON Schema and UI schema checked against what the app's form
renderer supports, then kept in the journey's draft, published with its next version.

Only what task_forms and its checks understand is accepted (no `$ref`, no pattern, no keyword the
renderer would ignore or crash on), within size limits; every refusal says in French what to fix."""
import json
import re
import string

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from werkzeug.datastructures import MultiDict

from .. import clock, form_checks, task_forms
from ..errors import InvalidData, NotFound
from ..extensions import db
from ..funding_checks import FORM_CHECKS
from ..nesting import nesting_depth
from ..queries.definitions import current_version
from ..queries.studio import draft_of
from ..workflow.definitions import FORM_FILE_NAME
from .studio import check_journey_file, save_draft

FORM_NAME = FORM_FILE_NAME
MAX_DEPTH = 30  # objects and lists inside one another: a real form schema needs a handful
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,59}")
MAX_FORM_BYTES = 100_000
MAX_FIELDS = 80
MAX_CHOICES = 300
MAX_BRANCHES = 60
MAX_TEXT_LENGTH = 20_000
TYPES = {"string", "integer", "boolean", "array", "object"}
VOCABULARIES = {"thematiques", "publics_spro", "financeurs"}
WIDGETS = {"radio", "textarea", "checkboxes"}
TOP_KEYWORDS = {"$schema", "title", "description", "type", "properties", "required", "additionalProperties",
                "allOf", "if", "then", "x-prefill", "x-checks"}
FIELD_KEYWORDS = {"type", "title", "description", "enum", "x-enumNames", "const", "format", "maxLength", "minLength",
                  "minimum", "maximum", "items", "uniqueItems", "minItems", "maxItems", "x-show", "x-date",
                  "x-check", "x-vocabulary", "x-source", "x-amount", "x-not-before"}
ITEM_KEYWORDS = {"type", "enum", "x-enumNames"}
NOT_BEFORE_KEYS = {"field", "explain", "message", "help"}


class FormRefused(InvalidData):
    """A form the studio cannot accept; `message` says what to fix."""

    def __init__(self, message: str):
        super().__init__(message)


def parse_json(text, what: str, required: bool = True) -> dict:
    """The JSON object typed in the editor, or FormRefused naming the line and column of the error."""
    if not isinstance(text, str):
        raise FormRefused(f"{what} : envoyez un texte JSON.")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FORM_BYTES:
        raise FormRefused(f"{what} : trop volumineux ({MAX_FORM_BYTES // 1000} ko au plus).")
    if not text.strip():
        if required:
            raise FormRefused(f"{what} : vide. Écrivez un objet JSON, par exemple {{\"type\": \"object\"}}.")
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormRefused(f"{what} : JSON invalide ligne {exc.lineno}, colonne {exc.colno} : "
                          f"{_json_reason(exc.msg)}.") from None
    except RecursionError:
        raise FormRefused(f"{what} : trop imbriqué.") from None
    if not isinstance(value, dict):
        raise FormRefused(f"{what} : un objet JSON est attendu ({{ … }}).")
    if nesting_depth(value, MAX_DEPTH) > MAX_DEPTH:
        raise FormRefused(f"{what} : trop imbriqué ({MAX_DEPTH} niveaux d'objets et de listes au plus).")
    return value


def _json_reason(msg: str) -> str:
    reasons = {"Expecting ',' delimiter": "virgule attendue", "Expecting ':' delimiter": "deux-points attendus",
               "Expecting property name enclosed in double quotes": "nom entre guillemets doubles attendu "
               "(pas de virgule avant une accolade fermante)",
               "Expecting value": "valeur attendue", "Extra data": "texte en trop après la fin de l'objet",
               "Unterminated string starting at": "texte sans guillemet fermant",
               "Invalid control character at": "caractère de contrôle interdit dans un texte",
               "Invalid \\escape": "échappement « \\ » invalide"}
    return next((french for english, french in reasons.items() if msg.startswith(english)), msg)


def _unstorable(value, depth: int = 0) -> bool:
    """A NUL character or a lone surrogate anywhere (keys included): no database stores them."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_unstorable(k, depth + 1) or _unstorable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v, depth + 1) for v in value)
    return False


def _one_of(value, allowed) -> bool:
    return isinstance(value, str) and value in allowed


def _is_text(value, limit: int = 2000) -> bool:
    return isinstance(value, str) and len(value) <= limit and "\x00" not in value


def _field_problem(name: str, prop, names: set) -> str | None:
    """What the renderer could not do with this field, in French (None when it can)."""
    if not FIELD_NAME.fullmatch(name):
        return "nom de champ invalide : lettres minuscules, chiffres et _, en commençant par une lettre (60 au plus)"
    if not isinstance(prop, dict):
        return "la définition du champ doit être un objet"
    unknown = sorted(set(prop) - FIELD_KEYWORDS)
    if unknown:
        return f"mot-clé non pris en charge « {unknown[0]} » (permis : {', '.join(sorted(FIELD_KEYWORDS))})"
    kind = prop.get("type")
    if not _one_of(kind, TYPES):
        return (f"type « {kind} » non pris en charge (permis : {', '.join(sorted(TYPES))} ; "
                "pour un montant : string avec \"x-amount\": true)")
    for key in ("title", "description"):
        if key in prop and not _is_text(prop[key]):
            return f"« {key} » doit être un texte de 2 000 caractères au plus"
    for key in ("maxLength", "minLength", "minimum", "maximum", "minItems", "maxItems"):
        if key in prop and not (isinstance(prop[key], int) and not isinstance(prop[key], bool)
                                and abs(prop[key]) <= 10 ** 9):
            return f"« {key} » doit être un nombre entier"
    if prop.get("maxLength", 0) > MAX_TEXT_LENGTH:
        return f"« maxLength » : {MAX_TEXT_LENGTH} caractères au plus"
    if "format" in prop and (prop["format"] != "date" or kind != "string"):
        return "seul le format « date » (sur un champ de type string) est pris en charge"
    if "x-date" in prop and prop["x-date"] not in ("past", "future"):
        return "« x-date » vaut « past » ou « future »"
    if "x-check" in prop and not _one_of(prop["x-check"], form_checks.CHECKS):
        return f"« x-check » inconnu (permis : {', '.join(sorted(form_checks.CHECKS))})"
    if "x-show" in prop and prop["x-show"] != "always":
        return "« x-show » ne peut valoir que « always »"
    if "x-amount" in prop and (prop["x-amount"] is not True or kind != "string"):
        return "« x-amount » vaut true, sur un champ de type string"
    if "x-source" in prop and (prop["x-source"] != "partenaires" or kind != "integer"):
        return "« x-source » ne peut valoir que « partenaires », sur un champ de type integer"
    vocabulary = prop.get("x-vocabulary")
    if vocabulary is not None and not _one_of(vocabulary, VOCABULARIES):
        return f"« x-vocabulary » inconnu (permis : {', '.join(sorted(VOCABULARIES))})"
    if kind == "object" and vocabulary != "financeurs":
        return "un champ de type object n'est pris en charge qu'avec \"x-vocabulary\": \"financeurs\""
    if vocabulary == "financeurs" and kind != "object":
        return "« x-vocabulary » : « financeurs » s'emploie sur un champ de type object"
    source = prop
    if kind == "array":
        items = prop.get("items")
        if not isinstance(items, dict) or set(items) - ITEM_KEYWORDS or items.get("type", "string") != "string":
            return "« items » : un objet {\"type\": \"string\", \"enum\": [...]} (sans autre mot-clé)"
        if "enum" not in items and vocabulary is None:
            return "une liste à cocher a besoin de ses choix (« items » avec « enum ») ou d'un « x-vocabulary »"
        source = items
    choice = _choices_problem(source)
    if choice:
        return choice
    return _not_before_problem(prop.get("x-not-before"), names) if "x-not-before" in prop else None


def _choices_problem(prop: dict) -> str | None:
    if "enum" not in prop:
        return "« x-enumNames » sans « enum »" if "x-enumNames" in prop else None
    enum, names = prop["enum"], prop.get("x-enumNames")
    if not isinstance(enum, list) or not enum or len(enum) > MAX_CHOICES \
            or not all(_is_text(v, 200) or isinstance(v, int) and not isinstance(v, bool) for v in enum):
        return f"« enum » : une liste de 1 à {MAX_CHOICES} valeurs (textes de 200 caractères au plus ou nombres)"
    if len(set(map(str, enum))) != len(enum):
        return "« enum » contient deux fois la même valeur"
    if names is not None and (not isinstance(names, list) or len(names) != len(enum)
                              or not all(_is_text(n, 300) for n in names)):
        return "« x-enumNames » : autant de libellés (textes) que de valeurs dans « enum »"
    return None


def _placeholders_only(text: str, allowed: set) -> bool:
    """Whether the text's {…} placeholders are only the allowed names, plain (no attribute, index,
    conversion or format: the message is formatted with str.format at run time)."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return False
    return all(field is None or field in allowed and not spec and conversion is None
               for _literal, field, spec, conversion in parts)


def _not_before_problem(rule, names: set) -> str | None:
    if not isinstance(rule, dict) or set(rule) != NOT_BEFORE_KEYS or not all(_is_text(v) for v in rule.values()):
        return f"« x-not-before » : un objet avec exactement {', '.join(sorted(NOT_BEFORE_KEYS))} (textes)"
    if rule["explain"] not in names:
        return f"« x-not-before » : le champ d'explication « {rule['explain'][:60]} » n'existe pas"
    if rule["field"] not in names and not FIELD_NAME.fullmatch(rule["field"]):
        return "« x-not-before » : « field » nomme une date (champ de ce formulaire ou d'une étape précédente)"
    if not _placeholders_only(rule["message"], {"date", "reference"}) \
            or not _placeholders_only(rule["help"], {"reference"}):
        return "« x-not-before » : le message n'emploie que {date} et {reference}, l'aide que {reference}"
    return None


def _names_list(value, names: set) -> bool:
    return isinstance(value, list) and all(isinstance(n, str) and n in names for n in value)


def _branch_problem(branch, names: set) -> str | None:
    """An if/then branch as conditions() reads it: one field tested against a constant."""
    if not isinstance(branch, dict) or set(branch) - {"if", "then"}:
        return "chaque élément de « allOf » est un objet {\"if\": …, \"then\": …}"
    test, then = branch.get("if", {}), branch.get("then", {})
    if not isinstance(test, dict) or set(test) - {"properties", "required"} or not isinstance(then, dict) \
            or set(then) - {"properties", "required"}:
        return "« if » et « then » ne contiennent que « properties » et « required »"
    tested = test.get("properties", {})
    if not isinstance(tested, dict) or len(tested) != 1:
        return "« if » teste un seul champ : {\"properties\": {\"champ\": {\"const\": valeur}}}"
    (field, rule), = tested.items()
    if field not in names or not isinstance(rule, dict) or set(rule) != {"const"} \
            or not isinstance(rule["const"], (str, int, bool)):
        return f"« if » : « {str(field)[:60]} » doit être un champ du formulaire comparé à une valeur (const)"
    for part in (test, then):
        if "required" in part and not _names_list(part["required"], names):
            return "« required » ne nomme que des champs du formulaire"
    then_props = then.get("properties", {})
    if not isinstance(then_props, dict) or set(then_props) - names \
            or not all(p is True or isinstance(p, dict) and set(p) <= {"const", "enum", "minItems", "maxItems"}
                       for p in then_props.values()):
        return ("« then » → « properties » ne nomme que des champs du formulaire (true, ou des règles "
                "const, enum, minItems, maxItems)")
    return None


def schema_problem(schema: dict, ui: dict) -> str | None:
    """Why the renderer cannot take this schema and UI schema (French), or None."""
    unknown = sorted(set(schema) - TOP_KEYWORDS)
    if unknown:
        reason = "les références ($ref) ne sont pas permises : écrivez le champ en entier" \
            if any(k.startswith("$") for k in unknown) else f"permis : {', '.join(sorted(TOP_KEYWORDS))}"
        return f"Mot-clé non pris en charge « {unknown[0]} » ({reason})."
    if schema.get("type") != "object":
        return "Le formulaire doit être de type « object » : \"type\": \"object\"."
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        return "Ajoutez au moins un champ dans « properties »."
    if len(props) > MAX_FIELDS:
        return f"Trop de champs ({len(props)}, {MAX_FIELDS} au plus) : découpez le formulaire en plusieurs étapes."
    for key in ("title", "description"):
        if key in schema and not _is_text(schema[key]):
            return f"« {key} » doit être un texte de 2 000 caractères au plus."
    names = set(props)
    for name, prop in props.items():
        problem = _field_problem(name, prop, names)
        if problem:
            return f"Champ « {name[:60]} » : {problem}."
    if "required" in schema and not _names_list(schema["required"], names):
        return "« required » ne nomme que des champs du formulaire."
    if "additionalProperties" in schema and schema["additionalProperties"] is not False:
        return "« additionalProperties » ne peut valoir que false."
    if "x-prefill" in schema and not _names_list(schema["x-prefill"], names):
        return "« x-prefill » ne nomme que des champs du formulaire."
    if "x-checks" in schema and not (isinstance(schema["x-checks"], list)
                                     and all(_one_of(c, FORM_CHECKS) for c in schema["x-checks"])):
        return f"« x-checks » : contrôles connus : {', '.join(sorted(FORM_CHECKS))}."
    branches = list(schema.get("allOf", []) if isinstance(schema.get("allOf", []), list) else [None])
    if len(branches) > MAX_BRANCHES:
        return f"Trop de conditions dans « allOf » ({MAX_BRANCHES} au plus)."
    if "if" in schema or "then" in schema:
        branches.append({k: schema[k] for k in ("if", "then") if k in schema})
    for branch in branches:
        problem = _branch_problem(branch, names)
        if problem:
            return f"Condition : {problem}."
    return _ui_problem(ui, names)


def _ui_problem(ui: dict, names: set) -> str | None:
    for key, value in ui.items():
        if key == "ui:order":
            if not _names_list(value, names):
                return "Schéma d'affichage : « ui:order » ne nomme que des champs du formulaire."
        elif key not in names:
            return f"Schéma d'affichage : « {key[:60]} » n'est pas un champ du formulaire."
        elif not isinstance(value, dict) or set(value) - {"ui:widget"} or not _one_of(value.get("ui:widget"), WIDGETS):
            return (f"Schéma d'affichage, champ « {key} » : seul « ui:widget » est pris en charge "
                    f"({', '.join(sorted(WIDGETS))}).")
    return None


def checked_form(schema_text, ui_text) -> tuple[dict, dict]:
    """(schema, ui) parsed and checked, or FormRefused saying what to fix."""
    schema = parse_json(schema_text, "Schéma JSON")
    ui = parse_json(ui_text, "Schéma d'affichage", required=False)
    if _unstorable(schema) or _unstorable(ui):
        raise FormRefused("Le texte contient un caractère non permis (caractère nul ou demi-caractère Unicode "
                          "isolé, \\ud800 à \\udfff) : retapez-le sans le copier-coller.")
    problem = schema_problem(schema, ui)
    if problem:
        raise FormRefused(problem)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "racine"
        raise FormRefused(f"Schéma JSON non conforme à la norme JSON Schema (à l'endroit « {where} ») : "
                          "vérifiez les valeurs (nombres positifs, listes sans doublon).") from None
    try:  # the renderer's own paths, as a task page and its submission take them
        expanded = task_forms.expand(schema)
        task_forms.describe(expanded, ui, {})
        task_forms.validate(expanded, task_forms.coerce(expanded, MultiDict()))
    except Exception as exc:  # noqa: BLE001  (a form the renderer cannot take is refused, never a 500)
        raise FormRefused(f"Le formulaire ne peut pas être affiché : {type(exc).__name__}. "
                          "Vérifiez les types et les valeurs des champs.") from exc
    return schema, ui


def checked_name(name: str) -> str:
    if not isinstance(name, str) or not FORM_NAME.fullmatch(name):
        raise FormRefused("Nom de formulaire invalide : lettres minuscules, chiffres et _, suivis de "
                          "« .schema.json » (par exemple orientation_bilan.schema.json).")
    return name


def save_form(actor, key: str, name: str, schema_text, ui_text):
    """Keep the form in the journey's draft (made from the current version if there is none) and
    check the draft again, as the forms its tasks may use have changed."""
    name = checked_name(name)
    schema, ui = checked_form(schema_text, ui_text)
    current = current_version(key, "bpmn")
    if current is None:
        raise NotFound("Parcours introuvable.")
    draft = draft_of(key, "bpmn") or save_draft(actor, key, "bpmn", f"{key}.bpmn", current.bpmn_xml)
    draft.forms = {**(draft.forms or {}), name: {"schema": schema, "ui": ui}}
    db.session.flush()
    draft.xml, draft.problems = check_journey_file(key, draft.xml)
    draft.updated_at, draft.updated_by_id = clock.now(), getattr(actor, "id", None)
    db.session.flush()
    return draft
