"""Ranked partner suggestions for a referral: the regional decision table plus the directory."""
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import communes
from ..extensions import db
from ..models import BassinCommune, Structure
from ..vocabularies import PUBLICS_SPRO, category_labels
from ..workflow import EngineError, decide
from .definition_content import current_content

DECISION_KEY = "orientation_partenaire"
# Neighbouring départements inside Centre-Val de Loire (the official COG carries no coordinates,
# so nearness is counted in territory levels: commune, bassin, département, neighbour).
NEIGHBOURS = {"18": {"36", "41", "45"}, "28": {"41", "45"}, "36": {"18", "37", "41"},
              "37": {"36", "41"}, "41": {"18", "28", "36", "37", "45"}, "45": {"18", "28", "41"}}


@dataclass
class Suggestion:
    structure: Structure
    score: int = 0
    reasons: list = field(default_factory=list)


def _categories(thematiques) -> list[str]:
    return sorted({t.split("--", 1)[0] for t in thematiques or [] if isinstance(t, str)})


def _network_weights(public, categories) -> dict:
    """{network: (weight, reason)} from the current version of the decision table."""
    version = current_content(DECISION_KEY, "dmn")
    if version is None:
        return {}
    try:
        rows = decide(version.xml, {"public": public, "categories": categories})
    except EngineError:
        return {}
    best = {}
    for row in rows:
        network = row.get("reseau")
        try:
            weight = int(row.get("poids") or 0)
        except (TypeError, ValueError):  # a table published before its contract was checked
            continue
        if network and weight > best.get(network, (0, ""))[0]:
            best[network] = (weight, row.get("raison") or "")
    return best


def _place(actor, person):
    """(commune code, bassin, département) of the person, else of the actor's structure."""
    commune = communes.by_code(person.commune_code) if person.commune_code else None
    if commune is None:
        home = actor.structure
        return home.commune_code, home.bassin, home.departement, False
    bassin = db.session.scalar(select(BassinCommune.bassin_code).where(
        BassinCommune.commune_code == commune.code))
    return commune.code, bassin, commune.departement, True


def suggest_partners(actor, person, data: dict, limit: int = 5, exclude=frozenset(),
                     cep_only: bool = False, structures=None) -> list[Suggestion]:
    """Best-suited structures first, each with the reasons of its rank (`exclude`: ids not to suggest,
    e.g. those that already declined this journey's referral; they stay in the full list;
    `cep_only`: a referral for a CEP, to CEP operators only; `structures`: the other active
    structures when the caller already read them, else they are read here)."""
    categories = _categories(data.get("thematiques"))
    weights = _network_weights(person.public, categories)
    code, bassin, departement, own_place = _place(actor, person)
    where = "de la personne" if own_place else "de votre structure"
    public_label = dict(PUBLICS_SPRO).get(person.public)
    labels = category_labels()
    found = []
    for structure in partner_structures(actor) if structures is None else structures:
        if structure.id in exclude or (cep_only and not structure.cep_operator):
            continue
        s = Suggestion(structure)
        if cep_only:
            s.score += 30
            s.reasons.append("Opérateur du conseil en évolution professionnelle (CEP)")
        if structure.network in weights:
            weight, reason = weights[structure.network]
            s.score += weight
            s.reasons.append(reason)
        if person.public and person.public in (structure.publics or []):
            s.score += 20
            s.reasons.append(f"Accueille le public « {public_label} »")
        shared = [c for c in categories if c in (structure.themes or [])]
        if shared:
            s.score += min(20, 10 * len(shared))
            s.reasons.append("Thématiques : " + ", ".join(labels.get(c, c) for c in shared))
        if s.score == 0:
            continue
        if code and structure.commune_code == code:
            s.score += 40
            s.reasons.append(f"Dans la commune {where}")
        elif bassin and structure.bassin == bassin:
            s.score += 30
            s.reasons.append(f"Dans le bassin {where}")
        elif structure.departement == departement:
            s.score += 20
            s.reasons.append(f"Dans le département {where}")
        elif structure.departement in NEIGHBOURS.get(departement, ()):
            s.score += 5
            s.reasons.append("Département voisin")
        if structure.cep_operator and not cep_only:
            s.reasons.append("Opérateur du conseil en évolution professionnelle (CEP)")
        found.append(s)
    found.sort(key=lambda s: (-s.score, s.structure.name))
    return found[:limit]


def partner_ids(actor, cep_only: bool = False) -> set[int]:
    """Structures a referral from the actor's structure may go to (CEP operators only for a CEP): the
    ids of `partner_choices`, read alone, as checking a submitted choice needs no labels."""
    stmt = select(Structure.id).where(Structure.active.is_(True), Structure.id != actor.structure_id)
    return set(db.session.scalars(stmt.where(Structure.cep_operator.is_(True)) if cep_only else stmt))


def partner_choices(actor, cep_only: bool = False, structures=None) -> list[tuple[int, str, str]]:
    """Every other active structure (CEP operators only for a CEP), as (id, label, département group);
    `structures`: `partner_structures(actor)` when the caller already read them."""
    rows = partner_structures(actor) if structures is None else structures
    rows = [s for s in rows if s.cep_operator or not cep_only]
    return [(s.id, f"{s.name} ({s.commune or s.departement})", f"Département {s.departement}") for s in rows]


def structure_names() -> dict[int, str]:
    return dict(db.session.execute(select(Structure.id, Structure.name)).all())


def partner_structures(actor) -> list[Structure]:
    """Every other active structure, with its address, hours and contacts, by département and name."""
    return db.session.scalars(select(Structure).where(
        Structure.active.is_(True), Structure.id != actor.structure_id)
        .order_by(Structure.departement, Structure.name)).all()
