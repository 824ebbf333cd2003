"""What the studio's form and decision table editors read: the forms a journey uses, each with the
steps that use it, the text of one form to edit, and a decision table with its column titles."""
import json
from pathlib import Path

from flask import current_app
from lxml import etree
from sqlalchemy import select

from ..errors import NotFound
from ..extensions import db
from ..models import DefinitionVersion
from ..workflow import DefinitionError
from ..workflow.definitions import FORM_FILE_NAME
from ..workflow.xml import parse_xml
from .definitions import COLUMN_TITLES, current_version
from .studio import BPMN, SPIFF, draft_of

FORM_PROPERTY = "formJsonSchemaFilename"
NEW_FORM = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Nouveau formulaire",
            "type": "object", "properties": {"commentaire": {"type": "string", "title": "Commentaire",
                                                             "maxLength": 2000}},
            "required": [], "additionalProperties": False}
NEW_UI = {"ui:order": ["commentaire"], "commentaire": {"ui:widget": "textarea"}}


def journey_forms(key: str, edited: dict | None = None) -> dict:
    """{form name: {schema, ui}} a new version of journey `key` takes its forms from, before the
    forms folder: the current versions' stored forms (the journey's own winning), then `edited`
    (the draft's forms), so that a form edited in an earlier studio version is never reverted."""
    versions = db.session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.kind == "bpmn", DefinitionVersion.is_current.is_(True))).all()
    pool = {}
    for version in sorted(versions, key=lambda v: v.process_key == key):
        pool.update(version.forms or {})
    pool.update(edited or {})
    return pool


def _journey(key: str):
    current = current_version(key, "bpmn")
    if current is None:
        raise NotFound("Parcours introuvable.")
    return current, draft_of(key, "bpmn")


def form_steps(xml: str) -> dict[str, list[str]]:
    """{form file name: names of the user tasks that use it}, in diagram order."""
    try:
        root = parse_xml(xml)
    except DefinitionError:
        return {}
    found = {}
    for task in root.iter(f"{{{BPMN}}}userTask"):
        for prop in task.iter(f"{{{SPIFF}}}property"):
            if prop.get("name") == FORM_PROPERTY and prop.get("value"):
                found.setdefault(prop.get("value"), []).append(task.get("name") or task.get("id"))
    return found


def _form_title(name: str, pool: dict) -> str | None:
    """The title a form gives itself, from the studio's forms or the forms folder."""
    schema = (pool.get(name) or {}).get("schema")
    if schema is None and FORM_FILE_NAME.fullmatch(name or ""):  # only a form file of the forms folder
        path = Path(current_app.config["FORMS_DIR"]) / name
        try:
            schema = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (OSError, ValueError):
            schema = {}
    title = schema.get("title") if isinstance(schema, dict) else None  # None: no schema, or a name refused
    return title if isinstance(title, str) and title.strip() else None


def forms_of_journey(key: str) -> dict:
    """The journey's title, whether a draft is read, and its forms: [{name, title, steps, edited}]."""
    current, draft = _journey(key)
    steps = form_steps(draft.xml if draft else current.bpmn_xml)
    edited = set((draft.forms or {}) if draft else ())
    pool = {**journey_forms(key), **(current.forms or {}), **((draft.forms or {}) if draft else {})}
    names = sorted(set(steps) | edited)
    return {"title": current.name, "from_draft": draft is not None, "version": current.version,
            "forms": [{"name": n, "title": _form_title(n, pool), "steps": steps.get(n, []), "edited": n in edited}
                      for n in names]}


def _pretty(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def form_to_edit(key: str, name: str) -> dict:
    """The form's schema and UI schema as text, and where they come from: the draft, the current
    version, another journey's current version, the forms folder, or a new form."""
    current, draft = _journey(key)
    sources = [("brouillon", (draft.forms or {}) if draft else {}), ("version", current.forms or {}),
               ("publie", journey_forms(key))]
    for origin, forms in sources:
        if name in forms:
            form = forms[name]
            return {"origin": origin, "schema": _pretty(form.get("schema", {})), "ui": _pretty(form.get("ui", {}))}
    folder = Path(current_app.config["FORMS_DIR"])
    if (folder / name).is_file():
        ui_path = folder / name.replace(".schema.json", ".ui.json")
        return {"origin": "dossier", "schema": (folder / name).read_text(encoding="utf-8"),
                "ui": ui_path.read_text(encoding="utf-8") if ui_path.is_file() else "{}"}
    return {"origin": "nouveau", "schema": _pretty(NEW_FORM), "ui": _pretty(NEW_UI)}


def table_to_edit(key: str) -> dict:
    """The decision table the editor opens (the draft's, else the current version's), its input and
    output columns titled as the application's screens title them."""
    current = current_version(key, "dmn")
    if current is None:
        raise NotFound("Table de décision introuvable.")
    draft = draft_of(key, "dmn")
    xml = draft.xml if draft else current.bpmn_xml
    return {"xml": with_column_titles(xml), "from_draft": draft is not None, "version": current.version,
            "problems": draft.problems if draft else []}


def with_column_titles(xml: str) -> str:
    """The DMN text with each column the application reads labelled with the French title every
    other screen shows (COLUMN_TITLES); the contract reads expressions and names, never labels."""
    try:
        root = parse_xml(xml)
    except DefinitionError:
        return xml
    q = f"{{{root.nsmap.get(None)}}}"
    changed = False
    for column in root.iter(f"{q}input", f"{q}output"):
        name = column.findtext(f"{q}inputExpression/{q}text") if column.tag == f"{q}input" else column.get("name")
        title = COLUMN_TITLES.get((name or "").strip())
        if title and column.get("label") != title:
            column.set("label", title)
            changed = True
    if not changed:
        return xml
    return etree.tostring(root, encoding="unicode")
