"""Creating, editing, exporting and importing the structures of the directory (Annuaire)."""
import csv
import io
import json

from .. import communes
from ..errors import Forbidden, InvalidData
from ..extensions import db
from ..models import Structure
from ..queries.directory import (CSV_HEADERS, EXPORT_COLUMNS, all_structures, bassin_departements,
                                 csv_column, export_rows, free_slug, import_schema, structure_by_id,
                                 structure_schema)
from ..task_forms import validate
from . import audit

MAX_IMPORT_BYTES = 2 * 1024 * 1024
COMMUNE_UNKNOWN = "Commune introuvable : précisez le code postal ou le code officiel."
STORED = ("name", "network", "parent_id", "address", "commune", "commune_code", "departement",
          "bassin", "opening_hours", "phone", "email", "publics", "themes", "cep_operator",
          "convention", "active")
FRIENDLY = {"email": "Adresse courriel invalide.", "phone": "Numéro de téléphone invalide.",
            "slug": "Lettres minuscules, chiffres et tirets uniquement."}
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def require_admin(actor):
    """Only the regional administration manages the directory."""
    if not actor.has_role("admin"):
        raise Forbidden("La gestion de l'annuaire est réservée à l'administration régionale.")


def _friendly(errors: dict) -> dict:
    return {k: FRIENDLY.get(k, v) if v == "Format invalide." else v for k, v in errors.items()}


def _place_of(text, current=None) -> dict | None:
    """commune, commune_code, departement designated by typed text (kept when unchanged)."""
    if current is not None and current.commune_code and text == current.commune:
        return {"commune": current.commune, "commune_code": current.commune_code,
                "departement": current.departement}
    found = communes.resolve(text)
    return found and {"commune": found.nom, "commune_code": found.code, "departement": found.departement}


def _stored(data: dict, place: dict, parent_id) -> dict:
    """The column values of a structure from validated data."""
    return {"name": data["name"], "network": data["network"], "parent_id": parent_id,
            "address": data.get("address"), **place, "bassin": data.get("bassin"),
            "opening_hours": data.get("opening_hours"), "phone": data.get("phone"),
            "email": data.get("email"), "publics": list(data.get("publics") or []),
            "themes": list(data.get("themes") or []), "cep_operator": bool(data.get("cep_operator")),
            "convention": data["convention"], "active": data.get("active", True)}


def _checked(schema: dict, data: dict, current=None) -> dict:
    """Validated column values from the form's data, or InvalidData with errors per field."""
    errors = validate(schema, data)
    place = None
    if data.get("commune") and "commune" not in errors:
        place = _place_of(data["commune"], current)
        if place is None:
            errors["commune"] = COMMUNE_UNKNOWN
    if place and data.get("bassin") and "bassin" not in errors and \
            bassin_departements()[data["bassin"]] != place["departement"]:
        errors["bassin"] = f"Ce bassin n'est pas dans le département de la commune ({place['departement']})."
    if errors:
        raise InvalidData("Le formulaire contient des erreurs : corrigez les champs signalés.",
                          _friendly(errors))
    parent = db.session.query(Structure).filter_by(slug=data.get("parent_slug")).one_or_none()
    return _stored(data, place, parent.id if parent else None)


def _apply(structure: Structure, values: dict) -> list[str]:
    """Set the values that differ; return the names of the columns changed."""
    changed = [k for k in STORED if getattr(structure, k) != values[k]]
    for name in changed:
        setattr(structure, name, values[name])
    return changed


def create_structure(actor, data: dict) -> Structure:
    """Add a structure to the directory (admin)."""
    require_admin(actor)
    structure = Structure(slug=free_slug(data.get("name") or ""), **_checked(structure_schema(), data))
    db.session.add(structure)
    db.session.flush()
    audit.record(actor, "structure.created", f"Structure créée : {structure.name}",
                 detail={"structure_id": structure.id, "slug": structure.slug})
    return structure


def update_structure(actor, structure_id: int, data: dict) -> Structure:
    """Change a structure's directory entry (admin)."""
    require_admin(actor)
    structure = structure_by_id(structure_id)
    changed = _apply(structure, _checked(structure_schema(structure), data, structure))
    if changed:
        audit.record(actor, "structure.updated", f"Structure modifiée : {structure.name}",
                     detail={"structure_id": structure.id, "slug": structure.slug, "fields": changed})
    return structure


# --- Export -----------------------------------------------------------------------------------

def _cell(value) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return " ".join(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_RISKY_START) else text


def export_csv() -> str:
    """Every structure as CSV (semicolons, UTF-8 with a BOM so that spreadsheets read accents)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([CSV_HEADERS[name] for name in EXPORT_COLUMNS])
    for row in export_rows():
        writer.writerow([_cell(row[name]) for name in EXPORT_COLUMNS])
    return "\ufeff" + out.getvalue()


def export_json() -> str:
    """Every structure as a JSON list of objects."""
    return json.dumps(export_rows(), ensure_ascii=False, indent=2) + "\n"


# --- Import -----------------------------------------------------------------------------------

_BOOLEANS = {"oui": True, "non": False, "true": True, "false": False, "vrai": True, "faux": False}


def _typed(row: dict, from_csv: bool) -> dict:
    """A row typed for the schema: CSV lists split and oui/non read, blanks dropped."""
    data = {}
    for key, value in row.items():
        if isinstance(value, str):
            value = value.strip()
            if from_csv and value[:1] == "'" and value[1:2] in _RISKY_START:
                value = value[1:]
            if from_csv and key in ("publics", "themes"):
                value = value.split()
            elif from_csv and key in ("cep_operator", "active") and value:
                value = _BOOLEANS.get(value.lower(), value)
        if value not in ("", None):
            data[key] = value
    return {"cep_operator": False, "active": True, **data}


def _rows(filename: str, content: bytes) -> tuple[str, list]:
    """("Ligne" or "Élément", [(number, typed row or problem)]) of an uploaded file."""
    if len(content) > MAX_IMPORT_BYTES:
        raise InvalidData("Le fichier dépasse la taille maximale de 2 Mo.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidData("Le fichier n'est pas encodé en UTF-8.") from None
    if not text.strip():
        raise InvalidData("Le fichier est vide.")
    if filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{"):
        try:
            items = json.loads(text)
        except (ValueError, RecursionError):
            raise InvalidData("Le fichier JSON est illisible : vérifiez sa syntaxe.") from None
        items = items.get("structures") if isinstance(items, dict) else items
        if not isinstance(items, list):
            raise InvalidData("Le fichier JSON doit contenir une liste de structures.")
        return "Élément", [(n, _typed(item, False) if isinstance(item, dict) else
                            "n'est pas un objet JSON") for n, item in enumerate(items, 1)]
    header = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text, newline=""),
                            delimiter=";" if header.count(";") >= header.count(",") else ",")
    headers = list(reader.fieldnames or [])
    reader.fieldnames = [csv_column(h) for h in headers]
    unknown = [h for h, c in zip(headers, reader.fieldnames) if c not in EXPORT_COLUMNS]
    if unknown:
        raise InvalidData(f"Colonnes inconnues : {', '.join(unknown)}. Colonnes attendues (celles de "
                          f"l'export) : {', '.join(CSV_HEADERS[c] for c in EXPORT_COLUMNS)}.")
    try:
        return "Ligne", [(reader.line_num, "trop de valeurs sur la ligne" if None in row
                          else _typed(row, True)) for row in reader]
    except csv.Error:
        raise InvalidData(f"Le fichier CSV est illisible (ligne {reader.line_num}).") from None


def _import_place(data: dict):
    """(place, None) from the row's commune code or name, or (None, problem)."""
    code, name = data.get("commune_code"), data.get("commune")
    found = communes.by_code(code) if code else communes.resolve(name) if name else None
    if code and found is None:
        return None, f"code officiel de commune inconnu : « {code} »"
    if code and name and communes.normalize(name) != communes.normalize(found.nom):
        return None, f"la commune « {name} » ne correspond pas au code officiel {code} ({found.nom})"
    if found is None:
        return None, COMMUNE_UNKNOWN if name else "Commune : Ce champ est obligatoire."
    return {"commune": found.nom, "commune_code": found.code, "departement": found.departement}, None


def _row_problems(schema, data, number, in_file, known, bassins):
    """(French problems of one row, its place)."""
    errors = _friendly(validate(schema, data))
    messages = []
    for name, text in errors.items():
        prop = schema["properties"].get(name, {})
        if text == "Choisissez une valeur proposée.":
            allowed, value = (prop.get("items") or prop).get("enum", []), data.get(name)
            bad = [v for v in value if v not in allowed] if isinstance(value, list) else [value]
            text = "valeur inconnue " + ", ".join(f"« {v} »" for v in bad) + "."
        elif prop.get("uniqueItems") and text == "Valeur invalide.":
            text = "une valeur est répétée."
        messages.append(text if name == "_form" else f"{prop.get('title', name)} : {text}")
    slug, parent = data.get("slug"), data.get("parent_slug")
    if isinstance(slug, str) and in_file.get(slug) != number:
        messages.append(f"identifiant « {slug} » déjà présent plus haut dans le fichier")
    place = None
    if not {"commune", "commune_code"} & set(errors):
        place, problem = _import_place(data)
        messages += [problem] if problem else []
    if place and data.get("departement") not in (None, place["departement"]):
        messages.append(f"le département {data['departement']} n'est pas celui de {place['commune']}")
    if place and "bassin" not in errors and bassins.get(data.get("bassin"), place["departement"]) != \
            place["departement"]:
        messages.append(f"le bassin {data['bassin']} n'est pas dans le département de {place['commune']}")
    if isinstance(parent, str) and parent not in known and parent not in in_file:
        messages.append(f"structure parente « {parent} » inconnue (ni dans l'annuaire ni dans le fichier)")
    return messages, place


def _cycles(rows, existing) -> dict:
    """{row number: problem} for rows whose chain of parents comes back to them."""
    parents = {s.slug: s.parent.slug if s.parent else None for s in existing.values()}
    parents.update({d["slug"]: p if isinstance(p := d.get("parent_slug"), str) else None for _n, d in rows})
    found = {}
    for number, data in rows:
        current, seen = parents.get(data["slug"]), 0
        while current and current != data["slug"] and seen <= len(parents):
            current, seen = parents.get(current), seen + 1
        if current == data["slug"]:
            found[number] = "la chaîne des structures parentes revient à cette structure"
    return found


def import_structures(actor, filename: str, content: bytes) -> dict:
    """Upsert structures by slug, all or nothing: {"created", "updated", "unchanged"} counts."""
    require_admin(actor)
    word, rows = _rows(filename or "", content)
    if not rows:
        raise InvalidData("Le fichier ne contient aucune structure.")
    schema, existing, bassins = import_schema(), {s.slug: s for s in all_structures()}, bassin_departements()
    slugged = [(n, d) for n, d in rows if isinstance(d, dict) and isinstance(d.get("slug"), str)]
    in_file: dict = {}
    for number, data in slugged:
        in_file.setdefault(data["slug"], number)
    problems, planned = {}, []
    for number, data in rows:
        messages, place = ([data], None) if isinstance(data, str) else \
            _row_problems(schema, data, number, in_file, existing, bassins)
        if messages:
            problems[number] = messages
        else:
            planned.append((number, data, place))
    for number, text in _cycles(slugged, existing).items():
        problems.setdefault(number, []).append(text)
    if problems:
        raise InvalidData(f"Import refusé : {len(problems)} {word.lower()}(s) en erreur ; "
                          "aucune structure n'a été enregistrée.",
                          {f"{word} {n}": " ; ".join(problems[n]) for n in sorted(problems)})
    return _save(actor, planned, existing)


def _save(actor, planned, existing) -> dict:
    counts, by_slug = {"created": 0, "updated": 0, "unchanged": 0}, dict(existing)
    for _n, data, place in planned:
        if data["slug"] not in by_slug:
            by_slug[data["slug"]] = Structure(slug=data["slug"], **_stored(data, place, None))
            db.session.add(by_slug[data["slug"]])
    db.session.flush()
    for _n, data, place in planned:
        structure, parent = by_slug[data["slug"]], by_slug.get(data.get("parent_slug"))
        changed = _apply(structure, _stored(data, place, parent.id if parent else None))
        detail = {"structure_id": structure.id, "slug": structure.slug, "source": "import"}
        if data["slug"] not in existing:
            counts["created"] += 1
            audit.record(actor, "structure.created", f"Structure importée : {structure.name}", detail=detail)
        elif changed:
            counts["updated"] += 1
            audit.record(actor, "structure.updated", f"Structure mise à jour par import : {structure.name}",
                         detail={**detail, "fields": changed})
        else:
            counts["unchanged"] += 1
    return counts
