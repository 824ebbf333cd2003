"""Publishing process definitions as immutable, numbered versions."""
import hashlib
import html
import re
from pathlib import Path

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import DefinitionVersion
from ..task_forms import load_form_files
from ..workflow import DefinitionError, Problem, compile_files, decision_key
from ..workflow.decisions import decision_problems
from ..workflow.xml import parse_xml
from ..queries.definitions import COLUMN_TITLES, QUOTED_TEXT, column_labels, current_version
from . import audit
from .services import known_services


def read_folder(processes_dir: str, pattern: str = "*.bpmn") -> dict:
    """{file name: bytes} of the BPMN (or, with pattern "*.dmn", DMN) files of a folder."""
    return {p.name: p.read_bytes() for p in sorted(Path(processes_dir).glob(pattern))}


def available_forms(forms_dir: str) -> set:
    return {p.name for p in Path(forms_dir).glob("*.schema.json")}


def _published_before(key: str, checksum: str) -> bool:
    return db.session.scalar(select(DefinitionVersion.id).where(
        DefinitionVersion.process_key == key, DefinitionVersion.checksum == checksum).limit(1)) is not None


def _forms_of(names, forms_dir: str, stored: dict | None) -> dict:
    """{name: {schema, ui}}: from `stored` when it has the name, else from the forms folder."""
    stored = stored or {}
    found = {name: stored[name] for name in names if name in stored}
    found.update(load_form_files(forms_dir, [name for name in names if name not in stored]))
    return found


def publish(files: dict, forms_dir: str, actor=None, once: bool = False,
            stored_forms: dict | None = None) -> list[DefinitionVersion]:
    """Compile the files and store a new version of every process whose content changed.

    With `once`, content that any earlier version already had is not published again: the shipped
    folder then never undoes what process owners published in the studio since. `stored_forms`
    ({name: {schema, ui}}, e.g. the studio's edited forms over the current versions' ones) are
    used before the files of the forms folder."""
    known = available_forms(forms_dir) | set(stored_forms or {})
    compiled = compile_files(files, known_forms=known, known_services=known_services())
    created = []
    for key, process in compiled.items():
        try:
            forms = _forms_of(process.forms, forms_dir, stored_forms)
        except (OSError, ValueError) as exc:
            raise DefinitionError([Problem(f"Formulaire illisible : {exc}", key)]) from exc
        checksum = process.checksum_with(forms)
        current = current_version(key)
        if current is not None and current.checksum == checksum or once and _published_before(key, checksum):
            continue
        last = db.session.scalar(select(func.max(DefinitionVersion.version))
                                 .where(DefinitionVersion.process_key == key)) or 0
        if current is not None:
            current.is_current = False
        version = DefinitionVersion(
            process_key=key, version=last + 1, name=process.name, bpmn_xml=process.xml,
            spec_json=process.spec_json, forms=forms, checksum=checksum, is_current=True,
            published_at=clock.now(), published_by_id=getattr(actor, "id", None),
        )
        db.session.add(version)
        created.append(version)
        audit.record(actor, "definition.published", f"Parcours « {process.name} » publié (version {last + 1})",
                     detail={"process_key": key, "version": last + 1})
    db.session.flush()
    return created


def _decision_text(xml: bytes | str) -> str:
    try:
        return xml.decode("utf-8") if isinstance(xml, bytes) else xml
    except UnicodeDecodeError:
        raise DefinitionError([Problem("Le fichier n'est pas un texte UTF-8.")]) from None


def check_decision(xml: bytes | str, expected_key: str | None = None) -> tuple[str, str]:
    """Validate a DMN decision table as publishing does; return (decision key, text) or raise DefinitionError.

    Reads no database: `spro process validate` uses it on .dmn files."""
    key, text, problems = check_decision_draft(xml, expected_key)
    if problems:
        raise DefinitionError(problems)
    return key, text


def check_decision_draft(xml: bytes | str, expected_key: str | None = None) -> tuple[str, str, list[Problem]]:
    """(decision key, text, problems of unfinished work located by cell) of a DMN table.

    Raises DefinitionError when the file must be refused whole: not a readable table, another
    decision, or an entry holding code the engine would refuse to run. A cell that is only
    mistyped (invalid syntax, unknown network code, weight that is no integer, empty result) is
    work left to do: a draft may keep it, publishing may not."""
    text = _decision_text(xml)
    root = parse_xml(text)
    found = decision_problems(root)
    refused = [p for p in found if not p.message.startswith(MISTYPED)]
    if refused:
        raise DefinitionError(refused)
    mistyped = [Problem(p.message, p.element_id, unfinished=True) for p in found]
    key = _decision_id(root) if mistyped else decision_key(text)
    if expected_key and key != expected_key:
        raise DefinitionError([Problem(f"Ce fichier décrit la décision « {key} », pas « {expected_key} ».")])
    if key not in DECISION_CONTRACTS:
        raise DefinitionError(_contract_problems(key, text))
    located = {p.element_id for p in mistyped}
    return key, text, mistyped + [p for p in _contract_problems(key, text) if p.element_id not in located]


def _decision_id(root) -> str:
    decision = next((e for e in root if isinstance(e.tag, str) and e.tag.endswith("}decision")), None)
    return decision.get("id") if decision is not None else ""


def _decision_name(text: str, key: str) -> str:
    """The decision's name as the table's owners wrote it (its id when it has none)."""
    found = re.search(r'<(?:\w+:)?decision\b[^>]*\bname="([^"]+)"', text)
    return html.unescape(found.group(1)) if found else key


def publish_decision(file_name: str, xml: bytes | str, actor=None,
                     expected_key: str | None = None, once: bool = False) -> DefinitionVersion | None:
    """Validate a DMN decision table and store it as a new version when it changed (with `once`,
    only when no earlier version had this content)."""
    key, text = check_decision(xml, expected_key)
    checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
    current = current_version(key, "dmn")
    if current is not None and current.checksum == checksum or once and _published_before(key, checksum):
        return None
    last = db.session.scalar(select(func.max(DefinitionVersion.version))
                             .where(DefinitionVersion.process_key == key)) or 0
    if current is not None:
        current.is_current = False
    version = DefinitionVersion(
        process_key=key, version=last + 1, name=file_name, kind="dmn", bpmn_xml=text, spec_json="",
        forms={}, checksum=checksum, is_current=True, published_at=clock.now(),
        published_by_id=getattr(actor, "id", None))
    db.session.add(version)
    audit.record(actor, "decision.published", f"Table de décision « {_decision_name(text, key)} » publiée "
                 f"(version {last + 1})",
                 detail={"process_key": key, "version": last + 1})
    db.session.flush()
    return version


def sync_from_folder(processes_dir: str, forms_dir: str) -> list[DefinitionVersion]:
    """Publish what is new in the shipped processes/ folder (used by db upgrade and seed-demo).

    A file whose content was published before is left alone, so that restarting the app keeps the
    versions process owners published in the studio; a changed file is published as the next version."""
    created = publish(read_folder(processes_dir), forms_dir, once=True)
    for name, xml in read_folder(processes_dir, "*.dmn").items():
        version = publish_decision(name, xml, once=True)
        if version is not None:
            created.append(version)
    return created


# What the application reads from a decision table it knows: input names and typed outputs.
DECISION_CONTRACTS = {
    "orientation_partenaire": {"inputs": {"public", "categories"},
                               "outputs": {"reseau": str, "poids": int, "raison": str}},
}


# Problems of a mistyped cell, which a draft may keep (any other problem of the engine refuses the file).
MISTYPED = ("Expression invalide", "Expression vide")
_INTEGER = re.compile(r"-?\d{1,6}")


def _titles(names) -> str:
    return ", ".join(f"« {COLUMN_TITLES.get(n, n)} » ({n})" for n in names)


def _unknown_codes(name: str, cell: str) -> str | None:
    known = column_labels(name)
    unknown = [v for v in QUOTED_TEXT.findall(cell) if known and v not in known]
    if not unknown:
        return None
    return (f"« {COLUMN_TITLES.get(name, name)} » : code inconnu « {unknown[0][:60]} » ; codes connus : "
            f"{', '.join(sorted(known))}.")


def _output_cell_problem(name: str, kind: type, cell: str) -> str | None:
    title = COLUMN_TITLES.get(name, name)
    if not cell:
        example = "un nombre entier, par exemple 40" if kind is int else 'un texte entre guillemets, par exemple "cio"'
        return f"« {title} » est vide : indiquez {example}."
    if kind is int:
        return None if _INTEGER.fullmatch(cell) else f"« {title} » doit être un nombre entier ({cell[:60]})."
    if not QUOTED_TEXT.fullmatch(cell):
        return f"« {title} » doit être un texte entre guillemets ({cell[:60]})."
    return _unknown_codes(name, cell)


def _contract_problems(key: str, text: str) -> list[Problem]:
    """What the application needs of a table it reads: its columns, then each cell, located by the
    cell's id (its rule's when the cell has none)."""
    contract = DECISION_CONTRACTS.get(key)
    if contract is None:
        return [Problem(f"Décision inconnue de l'application (identifiant « {key} ») : seule la table "
                        "« Orientation vers un partenaire » (orientation_partenaire) peut être publiée ici.")]
    root = parse_xml(text)
    q = f"{{{root.nsmap.get(None)}}}"
    table = root.find(f".//{q}decisionTable")
    expressions = [(i.findtext(f"{q}inputExpression/{q}text") or "").strip() for i in table.findall(f"{q}input")]
    names = [o.get("name") for o in table.findall(f"{q}output")]
    problems = []
    if set(expressions) != contract["inputs"]:
        problems.append(Problem(f"Colonnes d'entrée attendues : {_titles(sorted(contract['inputs']))} ; "
                                "gardez leurs expressions telles quelles.", table.get("id"), unfinished=True))
    if names != list(contract["outputs"]):
        problems.append(Problem(f"Sorties attendues, dans cet ordre : {_titles(contract['outputs'])}.",
                                table.get("id"), unfinished=True))
        return problems
    for number, rule in enumerate(table.findall(f"{q}rule"), 1):
        cells = [(name, None, entry) for name, entry in zip(expressions, rule.findall(f"{q}inputEntry"))]
        cells += [(name, kind, entry) for (name, kind), entry in zip(contract["outputs"].items(),
                                                                      rule.findall(f"{q}outputEntry"))]
        for name, kind, entry in cells:
            cell = (entry.findtext(f"{q}text") or "").strip()
            message = _unknown_codes(name, cell) if kind is None else _output_cell_problem(name, kind, cell)
            if message:
                where = "" if entry.get("id") else f"Règle {number} : "  # else the editor names the cell
                problems.append(Problem(where + message, entry.get("id") or rule.get("id"), unfinished=True))
    return problems
