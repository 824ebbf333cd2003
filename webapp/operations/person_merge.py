"""Merging two dossiers of the same person, within the structure that holds both."""
from sqlalchemy import exists, select, update

from .. import communes
from ..errors import Conflict, Forbidden, InvalidData
from ..extensions import db
from ..models import AuditEvent, HumanTask, Journey, OutboxMessage, Person, Referral
from ..models.people import IDENTITY_FIELDS, PROFILE_FIELDS
from ..queries.people import person_for
from ..queries.referrals import has_full_access
from . import audit, person_index

MERGED_FIELDS = IDENTITY_FIELDS + PROFILE_FIELDS
# Rows that name a person: all of them follow the dossier that is kept.
_MOVED = (Journey, HumanTask, Referral, AuditEvent, OutboxMessage)


def differing_fields(kept: Person, other: Person) -> list[str]:
    """Fields both dossiers fill with different values: the user chooses which one stays."""
    return [name for name in MERGED_FIELDS
            if getattr(kept, name) not in (None, "") and getattr(other, name) not in (None, "")
            and getattr(kept, name) != getattr(other, name)]


def _other_structures_hold(person: Person, structure_id: int) -> bool:
    """Whether another structure received this person or holds one of their journeys."""
    return person.created_by_structure_id != structure_id or bool(db.session.scalar(select(exists().where(
        Journey.person_id == person.id, Journey.structure_id != structure_id))))


def check_mergeable(actor, kept_id: int, other_id: int) -> tuple[Person, Person]:
    """The two dossiers, when the actor's structure may merge them; else a clear refusal."""
    if not (actor.has_role("conseiller") or actor.has_role("conseiller_cep")):
        raise Forbidden("Seul·e un·e conseiller·ère peut fusionner des dossiers.")
    if kept_id == other_id:
        raise InvalidData("Choisissez deux dossiers différents.", {"autre_id": "Choisissez un autre dossier."})
    kept, other = person_for(actor, kept_id), person_for(actor, other_id)
    for person in (kept, other):
        if person.merged_into_id is not None:
            raise Conflict(f"Le dossier n°{person.id} a déjà été fusionné dans le dossier n°{person.merged_into_id}.")
        if not has_full_access(actor, person) or _other_structures_hold(person, actor.structure_id):
            raise Forbidden(f"Le dossier n°{person.id} est aussi suivi par une autre structure : seule une "
                            "fusion entre dossiers de votre structure est possible.")
    return kept, other


def merge_people(actor, kept_id: int, other_id: int, choices: dict[str, str]) -> Person:
    """Merge `other` into `kept`: for each differing field, `choices[field]` is "kept" or "other";
    empty fields of `kept` take `other`'s value. Journeys, tasks, referrals, timeline and messages
    move to `kept`; `other` keeps its row and values, marked as merged; everything is audited."""
    kept, other = check_mergeable(actor, kept_id, other_id)
    missing = {name: "Choisissez la valeur à garder." for name in differing_fields(kept, other)
               if choices.get(name) not in ("kept", "other")}
    if missing:
        raise InvalidData("Choisissez, pour chaque information qui diffère, la valeur à garder.", missing)
    before = {name: getattr(kept, name) for name in MERGED_FIELDS}
    for name in MERGED_FIELDS:
        mine, theirs = getattr(kept, name), getattr(other, name)
        if mine in (None, "") or (theirs not in (None, "") and choices.get(name) == "other"):
            setattr(kept, name, theirs)
    commune = communes.resolve(kept.commune) if kept.commune else None
    kept.commune_code = commune.code if commune else None
    kept.last_contact_at = max(kept.last_contact_at, other.last_contact_at)
    kept.created_at = min(kept.created_at, other.created_at)
    for model in _MOVED:
        db.session.execute(update(model).where(model.person_id == other.id).values(person_id=kept.id)
                           .execution_options(synchronize_session=False))
    other.merged_into_id = kept.id
    person_index.mark(kept)  # what others may see of it changed with the moved referrals
    changed = {name: {"avant": before[name], "apres": getattr(kept, name)}
               for name in MERGED_FIELDS if before[name] != getattr(kept, name)}
    audit.record(actor, "person.merged", f"Dossier n°{other.id} fusionné dans ce dossier", person_id=kept.id,
                 detail={"merged_id": other.id, "changed": changed,
                         "merged_values": {name: getattr(other, name) for name in MERGED_FIELDS}})
    db.session.flush()
    db.session.expire_all()
    return db.session.get(Person, kept.id)


def merged_target(person: Person) -> int | None:
    """The dossier a merged one now lives in (following chains), None if not merged."""
    seen, current = set(), person
    while current.merged_into_id is not None and current.id not in seen:
        seen.add(current.id)
        current = db.session.get(Person, current.merged_into_id)
    return current.id if current is not person else None

