"""The public page « Trouver une structure »: the nearest structures for a public, a place and a need.

The official geographic code carries no coordinates, so nearness is counted in territory levels,
as the partner suggestions do: same commune, same bassin, same département, neighbouring
département, elsewhere in the region. Only what a visitor may read of the directory is shown:
name, network, address, commune, hours, phone and e-mail of active structures that list publics.
"""
from dataclasses import dataclass

from sqlalchemy import select

from .. import communes, reference
from ..extensions import db
from ..models import BassinCommune, Structure
from ..vocabularies import GUIDANCE_CATEGORIES, PUBLICS_SPRO, category_labels
from .suggestions import NEIGHBOURS

MAX_RESULTS = 10
NEARNESS = ("Dans votre commune", "Dans votre bassin d'emploi", "Dans votre département",
            "Dans un département voisin", "Ailleurs en Centre-Val de Loire")


@dataclass(frozen=True)
class Place:
    """Where the visitor lives: a commune of the region, its bassin and département."""
    commune: communes.Commune
    bassin: str | None

    @property
    def label(self) -> str:
        return self.commune.label


@dataclass(frozen=True)
class Found:
    """One structure of the results, with how near it is (an index into NEARNESS)."""
    structure: Structure
    level: int

    @property
    def nearness(self) -> str:
        return NEARNESS[self.level]

    @property
    def network_label(self) -> str:
        return dict(reference.NETWORKS).get(self.structure.network, "")


def publics() -> list[tuple[str, str]]:
    return list(PUBLICS_SPRO)


def needs() -> list[tuple[str, str]]:
    """The guidance thématique categories the directory uses, as (code, French label)."""
    labels = category_labels()
    return [(code, labels.get(code, code)) for code in GUIDANCE_CATEGORIES]


def place_of(text: str | None) -> Place | None:
    """The commune a name, postal code or INSEE code designates, with its bassin; None if unknown
    or ambiguous (see `choices_for`)."""
    commune = communes.resolve(text)
    if commune is None:
        return None
    bassin = db.session.scalar(select(BassinCommune.bassin_code).where(
        BassinCommune.commune_code == commune.code))
    return Place(commune=commune, bassin=bassin or reference.bassin_of(commune.code))


def choices_for(text: str | None) -> list[communes.Commune]:
    """The communes an ambiguous entry may mean (a shared postal code, homonyms)."""
    return communes.candidates(text)[:20]


def _level(structure: Structure, place: Place) -> int:
    if structure.commune_code and structure.commune_code == place.commune.code:
        return 0
    if place.bassin and structure.bassin == place.bassin:
        return 1
    if structure.departement == place.commune.departement:
        return 2
    if structure.departement in NEIGHBOURS.get(place.commune.departement, ()):
        return 3
    return 4


def find_structures(place: Place, public: str | None = None, need: str | None = None,
                    limit: int = MAX_RESULTS) -> list[Found]:
    """Active structures receiving the public and working on the need (when given), nearest
    first, then by name."""
    found = []
    for structure in db.session.scalars(select(Structure).where(Structure.active.is_(True))):
        served = structure.publics or []
        if not served or (public and public not in served):
            continue
        themes = structure.themes or []
        if need and not any(t == need or t.startswith(need + "--") for t in themes):
            continue
        found.append(Found(structure, _level(structure, place)))
    found.sort(key=lambda f: (f.level, f.structure.name.lower(), f.structure.id))
    return found[:limit]


def public_structure(structure_id: int) -> Structure | None:
    """A structure the public page may offer (active, receiving some public), else None."""
    structure = db.session.get(Structure, structure_id)
    if structure is None or not structure.active or not structure.publics:
        return None
    return structure


def request_for_journey(actor, journey_id: int):
    """The public contact request that opened this journey, when the actor's structure received it."""
    from ..models import ContactRequest
    return db.session.scalar(select(ContactRequest).where(
        ContactRequest.journey_id == journey_id, ContactRequest.structure_id == actor.structure_id))
