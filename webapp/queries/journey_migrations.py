"""Migrations of waiting journeys to a newer version: which versions, what a move would do (preview,
computed from the stored states without restoring them nor writing anything), and how a run goes."""
from sqlalchemy import func, select

from ..errors import InvalidData, NotFound
from ..extensions import db
from ..models import DefinitionVersion, Journey, JourneyMigration, Structure
from ..workflow import Obstacle, VersionDiff, version_diff

WAITING = ("en_cours", "incident")  # the journeys a migration looks at
INCIDENT = "est en incident : l'incident doit être traité avant toute migration"
EXAMPLES = 50
MAX_ID = 2**31 - 1  # beyond, no row can match (and SQLite cannot even compare)


def reason_for(obstacle: Obstacle, to_number: int) -> str:
    """Why a journey stays on its version, naming the step as on the diagram."""
    where = "attend à" if obstacle.waiting else "a passé l'étape"
    return f"{where} « {obstacle.name} », {obstacle.change} dans la version {to_number}"


def kept_reason(diff: VersionDiff, status: str, state: str, to_number: int) -> str | None:
    """Why this journey cannot move (None: it can), read from its stored state alone."""
    if status == "incident":
        return INCIDENT
    obstacle = diff.obstacle_in_state(state)
    return reason_for(obstacle, to_number) if obstacle else None


def _version(key: str, number: int | None) -> DefinitionVersion | None:
    stmt = select(DefinitionVersion).where(DefinitionVersion.process_key == key, DefinitionVersion.kind == "bpmn")
    stmt = stmt.where(DefinitionVersion.is_current.is_(True)) if number is None \
        else stmt.where(DefinitionVersion.version == number)
    return db.session.scalar(stmt)


def waiting_by_version(key: str) -> dict[int, int]:
    """{version number: journeys waiting on it (en cours or in incident)} for one journey."""
    rows = db.session.execute(select(DefinitionVersion.version, func.count(Journey.id))
                              .join(Journey, Journey.definition_version_id == DefinitionVersion.id)
                              .where(DefinitionVersion.process_key == key, DefinitionVersion.kind == "bpmn",
                                     Journey.status.in_(WAITING))
                              .group_by(DefinitionVersion.version).order_by(DefinitionVersion.version))
    return dict(rows.all())


def _number(value, label: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError(number)
        return number
    except (TypeError, ValueError):
        raise InvalidData(f"Le numéro de la version {label} doit être un nombre entier positif.",
                          fields={"de" if label == "de départ" else "a": "Nombre entier positif attendu."}) from None


def migration_versions(key: str, from_number=None, to_number=None) -> tuple[DefinitionVersion, DefinitionVersion]:
    """(from, to) versions of a migration; by default to the current version, from the newest
    older version that still has waiting journeys."""
    from_number, to_number = _number(from_number, "de départ"), _number(to_number, "d'arrivée")
    if _version(key, None) is None:
        raise NotFound("Parcours introuvable.")
    target = _version(key, to_number)
    if target is None:
        raise NotFound(f"La version {to_number} de ce parcours n'existe pas.")
    if from_number is None and target.version == 1:
        raise InvalidData("Ce parcours n'a qu'une version : il n'y a pas de version plus récente "
                          "vers laquelle migrer.", fields={"a": "Version plus récente attendue."})
    if from_number is None:
        older = [n for n in waiting_by_version(key) if n < target.version]
        from_number = older[-1] if older else target.version - 1
    source = _version(key, from_number)
    if source is None:
        raise NotFound(f"La version {from_number} de ce parcours n'existe pas.")
    if source.version >= target.version:
        raise InvalidData("La version de départ doit être plus ancienne que la version d'arrivée : "
                          "choisissez une version plus récente comme arrivée.",
                          fields={"de": "Version plus ancienne attendue."})
    return source, target


def preview(key: str, from_number=None, to_number=None) -> dict:
    """How many journeys wait on `from`, how many can move to `to`, why the others cannot (grouped
    by reason, most frequent first) and up to 50 examples of each; nothing is written."""
    source, target = migration_versions(key, from_number, to_number)
    diff = version_diff(source.spec_json, target.spec_json)
    names = dict(db.session.execute(select(Structure.id, Structure.name)).all())
    rows = db.session.execute(select(Journey.id, Journey.status, Journey.state, Journey.structure_id)
                              .where(Journey.definition_version_id == source.id, Journey.status.in_(WAITING))
                              .order_by(Journey.id).execution_options(yield_per=200))
    total, movable, reasons, kept_examples, movable_examples = 0, 0, {}, [], []
    for journey_id, status, state, structure_id in rows:
        total += 1
        reason = kept_reason(diff, status, state, target.version)
        example = {"id": journey_id, "structure": names.get(structure_id, ""), "reason": reason}
        if reason is None:
            movable += 1
            if len(movable_examples) < EXAMPLES:
                movable_examples.append(example)
        else:
            reasons[reason] = reasons.get(reason, 0) + 1
            if len(kept_examples) < EXAMPLES:
                kept_examples.append(example)
    return {"source": source, "target": target, "total": total, "movable": movable, "kept": total - movable,
            "reasons": sorted(reasons.items(), key=lambda item: (-item[1], item[0])),
            "kept_examples": kept_examples, "movable_examples": movable_examples,
            "running": running_migration(key), "waiting": waiting_by_version(key)}


def journey_title(key: str) -> str:
    """The journey's name as its current version gives it."""
    current = _version(key, None)
    return current.name if current is not None else key


def running_migration(key: str) -> JourneyMigration | None:
    return db.session.scalar(select(JourneyMigration).where(
        JourneyMigration.process_key == key, JourneyMigration.status == "en_cours").order_by(JourneyMigration.id))


def migration_of(key: str, migration_id: int) -> JourneyMigration:
    migration = db.session.get(JourneyMigration, migration_id) if 0 < migration_id <= MAX_ID else None
    if migration is None or migration.process_key != key:
        raise NotFound("Migration introuvable.")
    return migration


def version_numbers(migration: JourneyMigration) -> tuple[int, int]:
    source = db.session.get(DefinitionVersion, migration.from_version_id)
    target = db.session.get(DefinitionVersion, migration.to_version_id)
    return source.version, target.version


def status(migration: JourneyMigration) -> dict:
    """What the progress page and its JSON show."""
    done = migration.moved + migration.kept
    finished = migration.status == "terminee"
    percent = 100 if finished or not migration.total else min(99, done * 100 // migration.total)
    return {"id": migration.id, "status": migration.status, "done": finished,
            "total": migration.total, "moved": migration.moved, "kept": migration.kept,
            "processed": done, "percent": percent,
            "kept_reasons": sorted((migration.kept_reasons or {}).items(), key=lambda item: (-item[1], item[0]))}
