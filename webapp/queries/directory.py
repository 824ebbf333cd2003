"""The directory of structures (Annuaire): search, one structure, menus, schemas, export rows."""
import re
import unicodedata

from sqlalchemy import String, cast, func, or_, select

from .. import reference
from ..errors import NotFound
from ..extensions import db
from ..models import Structure, Territory
from ..task_forms import expand
from ..vocabularies import GUIDANCE_CATEGORIES, PUBLICS_SPRO, category_labels
from .pages import Page

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"

EXPORT_COLUMNS = ("slug", "name", "network", "parent_slug", "address", "commune", "commune_code",
                  "departement", "bassin", "opening_hours", "phone", "email", "publics", "themes",
                  "cep_operator", "convention", "active")
# The CSV export's column titles; the import reads them, and the codes above as well.
CSV_HEADERS = {"slug": "Identifiant", "name": "Nom", "network": "Réseau",
               "parent_slug": "Structure parente (identifiant)", "address": "Adresse",
               "commune": "Commune", "commune_code": "Code officiel de la commune",
               "departement": "Département", "bassin": "Bassin", "opening_hours": "Horaires d'accueil",
               "phone": "Téléphone", "email": "Courriel", "publics": "Publics", "themes": "Thématiques",
               "cep_operator": "Opérateur CEP", "convention": "Type de convention", "active": "Active"}
CONVENTION_LABELS = {"regionale": "Régionale",
                     "etat": "Service de l'État (convention spécifique)"}


def csv_column(header: str) -> str:
    """The export column a CSV header names (French title or code, any case), else the header."""
    text = (header or "").strip()
    keys = {title.lower(): key for key, title in CSV_HEADERS.items()}
    return keys.get(text.lower()) or (text if text in CSV_HEADERS else header)


def network_labels() -> dict[str, str]:
    """{network code: French label}."""
    return dict(reference.NETWORKS)


def _contains(column, value: str, prefix: bool = False):
    """A JSON list column holds the code (or, with prefix, a code starting with `value--`)."""
    text = cast(column, String)
    found = text.like(f'%"{value}"%')
    return or_(found, text.like(f'%"{value}--%')) if prefix else found


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_structures(network=None, departement=None, bassin=None, public=None, theme=None,
                      cep=None, text=None, page=1, per_page=25) -> Page:
    """Active structures matching every filter given, sorted by département then name."""
    stmt = select(Structure).where(Structure.active.is_(True))
    if network:
        stmt = stmt.where(Structure.network == network)
    if departement:
        stmt = stmt.where(Structure.departement == departement)
    if bassin:
        stmt = stmt.where(Structure.bassin == bassin)
    # Codes only (letters, digits, dashes, underscores): the JSON text match cannot be abused.
    if public and public.replace("_", "").isalnum():
        stmt = stmt.where(_contains(Structure.publics, public))
    if theme and theme.replace("-", "").isalnum():
        stmt = stmt.where(_contains(Structure.themes, theme, prefix=True))
    if cep:
        stmt = stmt.where(Structure.cep_operator.is_(True))
    if text and text.strip():
        like = f"%{_escape_like(text.strip().lower())}%"
        stmt = stmt.where(or_(func.lower(Structure.name).like(like, escape="\\"),
                              func.lower(Structure.commune).like(like, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, page)
    rows = db.session.scalars(stmt.order_by(Structure.departement, Structure.name, Structure.id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=rows, total=total, page=page, per_page=per_page)


def structure_by_id(structure_id: int) -> Structure:
    """One structure (active or not), or NotFound."""
    structure = db.session.get(Structure, structure_id)
    if structure is None:
        raise NotFound("Structure introuvable.")
    return structure


def antennas(structure: Structure) -> list[Structure]:
    """The structures attached to this one (its antennes), by name."""
    return db.session.scalars(select(Structure).where(Structure.parent_id == structure.id)
                              .order_by(Structure.name)).all()


def territory_names() -> dict[str, str]:
    """{territory code: name} for départements and bassins."""
    return {t.code: t.name for t in db.session.scalars(select(Territory))}


def facets() -> dict:
    """The choices of the directory's filter menus."""
    territories = db.session.scalars(select(Territory).order_by(Territory.code)).all()
    categories = category_labels()
    return {
        "networks": sorted(reference.NETWORKS, key=lambda n: n[1].lower()),
        "departements": [(t.code, t.name) for t in territories if t.kind == "departement"],
        "bassins": [(t.code, t.name, t.departement) for t in territories if t.kind == "bassin"],
        "publics": list(PUBLICS_SPRO),
        "themes": [(c, categories.get(c, c)) for c in GUIDANCE_CATEGORIES],
    }


def all_structures() -> list[Structure]:
    """Every structure, active or not, by slug."""
    return db.session.scalars(select(Structure).order_by(Structure.slug)).all()


def export_rows() -> list[dict]:
    """Every structure as a plain dict in the stable export column order."""
    structures = all_structures()
    slugs = {s.id: s.slug for s in structures}
    rows = []
    for s in structures:
        values = {name: getattr(s, name, None) for name in EXPORT_COLUMNS}
        values.update(parent_slug=slugs.get(s.parent_id), publics=list(s.publics or []),
                      themes=list(s.themes or []), cep_operator=bool(s.cep_operator),
                      active=bool(s.active))
        rows.append(values)
    return rows


def _theme_codes() -> list[str]:
    """Data·inclusion categories, the guidance ones first."""
    labels = category_labels()
    return [c for c in GUIDANCE_CATEGORIES if c in labels] + \
        sorted(c for c in labels if c not in GUIDANCE_CATEGORIES)


def _descendants(structure) -> set[int]:
    """The structure's id and those of its antennes, at any depth."""
    children: dict = {}
    for s in all_structures():
        children.setdefault(s.parent_id, []).append(s.id)
    found, todo = set(), [structure.id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


def bassin_departements() -> dict[str, str]:
    """{bassin code: its département}."""
    bassins = db.session.scalars(select(Territory).where(Territory.kind == "bassin"))
    return {t.code: t.departement for t in bassins}


def structure_schema(structure=None) -> dict:
    """The form's JSON Schema; the parent menu leaves out the structure and its antennes."""
    excluded = _descendants(structure) if structure is not None else set()
    parents = sorted((s for s in all_structures() if s.id not in excluded),
                     key=lambda s: s.name.lower())
    bassins = db.session.scalars(select(Territory).where(Territory.kind == "bassin")
                                 .order_by(Territory.code)).all()
    labels, themes = category_labels(), _theme_codes()
    return expand({
        "type": "object", "additionalProperties": False,
        "required": ["name", "network", "commune", "convention", "cep_operator", "active"],
        "properties": {
            "name": {"type": "string", "title": "Nom", "maxLength": 200},
            "network": {"type": "string", "title": "Réseau", "enum": [c for c, _l in reference.NETWORKS],
                        "x-enumNames": [label for _c, label in reference.NETWORKS]},
            "parent_slug": {"type": "string", "title": "Structure parente",
                            "description": "Pour une antenne : la structure dont elle dépend.",
                            "enum": [s.slug for s in parents], "x-enumNames": [s.name for s in parents]},
            "address": {"type": "string", "title": "Adresse", "maxLength": 250},
            "commune": {"type": "string", "title": "Commune", "maxLength": 120,
                        "description": "Nom, code postal ou code officiel (INSEE) de la commune."},
            "bassin": {"type": "string", "title": "Bassin", "enum": [b.code for b in bassins],
                       "x-enumNames": [b.name for b in bassins]},
            "opening_hours": {"type": "string", "title": "Horaires d'accueil", "maxLength": 250},
            "phone": {"type": "string", "title": "Téléphone", "maxLength": 40,
                      "pattern": r"^\+?[0-9][0-9 .()-]{5,}$"},
            "email": {"type": "string", "title": "Courriel", "maxLength": 200,
                      "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"},
            "publics": {"type": "array", "title": "Publics", "uniqueItems": True,
                        "x-vocabulary": "publics_spro"},
            "themes": {"type": "array", "title": "Thématiques", "uniqueItems": True,
                       "items": {"enum": themes, "x-enumNames": [labels[c] for c in themes]}},
            "cep_operator": {"type": "boolean", "title": "Opérateur CEP (conseil en évolution professionnelle)"},
            "convention": {"type": "string", "title": "Type de convention", "enum": list(CONVENTION_LABELS),
                           "x-enumNames": list(CONVENTION_LABELS.values())},
            "active": {"type": "boolean", "title": "Structure active (visible dans l'annuaire)"},
        },
    })


def free_slug(name: str) -> str:
    """An unused slug made from a name (accents dropped, a number added if taken)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:70].strip("-") or "structure"
    taken = {s.slug for s in all_structures()}
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def import_schema() -> dict:
    """The form's schema for imported rows: slug, commune code and département added."""
    schema = structure_schema()
    props = schema["properties"]
    props["parent_slug"] = {"type": "string", "title": "Structure parente", "maxLength": 80}
    props.update(slug={"type": "string", "title": "Identifiant", "maxLength": 80, "pattern": SLUG_PATTERN},
                 commune_code={"type": "string", "title": "Code officiel de la commune"},
                 departement={"type": "string", "title": "Département"})
    schema["required"] = ["slug", "name", "network", "convention"]
    return schema
