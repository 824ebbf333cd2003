"""Publishing process definitions as immutable, numbered versions."""
import hashlib
import html
import re
from pathlib import Path

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import DefinitionVersion
from ..queries.definitions import decision_rows
from ..task_forms import load_form_files
from ..workflow import DefinitionError, Problem, compile_files, decision_key
from ..queries.definitions import current_version
from . import audit
from .services import SERVICES


def read_folder(processes_dir: str, pattern: str = "*.bpmn") -> dict:
    """{file name: bytes} of the BPMN (or, with pattern "*.dmn", DMN) files of a folder."""
    return {p.name: p.read_bytes() for p in sorted(Path(processes_dir).glob(pattern))}


def available_forms(forms_dir: str) -> set:
    return {p.name for p in Path(forms_dir).glob("*.schema.json")}


def _published_before(key: str, checksum: str) -> bool:
    return db.session.scalar(select(DefinitionVersion.id).where(
        DefinitionVersion.process_key == key, DefinitionVersion.checksum == checksum).limit(1)) is not None


def publish(files: dict, forms_dir: str, actor=None, once: bool = False) -> list[DefinitionVersion]:
    """Compile the files and store a new version of every process whose content changed.

    With `once`, content that any earlier version already had is not published again: the shipped
    folder then never undoes what process owners published in the studio since."""
    compiled = compile_files(files, known_forms=available_forms(forms_dir), known_services=set(SERVICES))
    created = []
    for key, process in compiled.items():
        try:
            forms = load_form_files(forms_dir, process.forms)
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


def check_decision(xml: bytes | str, expected_key: str | None = None) -> tuple[str, str]:
    """Validate a DMN decision table as publishing does; return (decision key, text) or raise DefinitionError.

    Reads no database: `spro process validate` uses it on .dmn files."""
    try:
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    except UnicodeDecodeError:
        raise DefinitionError([Problem("Le fichier n'est pas un texte UTF-8.")]) from None
    key = decision_key(text)
    if expected_key and key != expected_key:
        raise DefinitionError([Problem(f"Ce fichier décrit la décision « {key} », pas « {expected_key} ».")])
    problems = _contract_problems(key, text)
    if problems:
        raise DefinitionError(problems)
    return key, text


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
# How the columns are named on screen (expressions and output names are the file's).
COLUMN_TITLES = {"public": "Public", "categories": "Thématiques", "reseau": "Réseau", "poids": "Poids",
                 "raison": "Raison"}


def _titles(names) -> str:
    return ", ".join(f"« {COLUMN_TITLES.get(n, n)} » ({n})" for n in names)


def _contract_problems(key: str, text: str) -> list:
    contract = DECISION_CONTRACTS.get(key)
    if contract is None:
        return [Problem(f"Décision inconnue de l'application (identifiant « {key} ») : seule la table "
                        "« Orientation vers un partenaire » (orientation_partenaire) peut être publiée ici.")]
    table = decision_rows(text)
    problems = []
    if set(table["input_expressions"]) != contract["inputs"]:
        problems.append(Problem(f"Colonnes d'entrée attendues : {_titles(sorted(contract['inputs']))} ; "
                                "gardez leurs expressions telles quelles."))
    if table["output_names"] != list(contract["outputs"]):
        problems.append(Problem(f"Sorties attendues, dans cet ordre : {_titles(contract['outputs'])}."))
        return problems
    for number, row in enumerate(table["rows"], 1):
        for (name, kind), cell in zip(contract["outputs"].items(), row[len(table["inputs"]):]):
            if kind is int and not cell.lstrip("-").isdigit():
                problems.append(Problem(f"Règle {number} : « {COLUMN_TITLES.get(name, name)} » doit être un "
                                        f"nombre entier ({cell})."))
            if kind is str and not (len(cell) >= 2 and cell[0] == cell[-1] == '"'):
                problems.append(Problem(f"Règle {number} : « {COLUMN_TITLES.get(name, name)} » doit être un "
                                        "texte entre guillemets."))
    return problems
