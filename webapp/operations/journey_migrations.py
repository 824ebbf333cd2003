"""Moving the journeys waiting on one version to a newer version of the same journey.

A run is a JourneyMigration row. Its batches (the worker's, or one in the request that starts a
small run) commit journey by journey, like the timer worker: each journey is claimed by moving the
run's cursor (`last_journey_id`) forward with a conditional UPDATE, locked like a step, checked
again under the lock, moved (state, version, task index, next timer) and counted, all in one
transaction. A failure rolls back that journey only, which is then counted as kept; a process
killed in the middle leaves the cursor at the last committed journey, so the run resumes there and
no journey is moved twice (two workers on the same run wait for each other on the cursor)."""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..errors import Conflict, InvalidData
from ..extensions import db
from ..models import DefinitionVersion, Journey, JourneyMigration, User
from ..queries.journey_migrations import (INCIDENT, WAITING, migration_versions, reason_for, running_migration,
                                          version_numbers)
from ..workflow import Instance, version_diff
from . import audit
from .task_index import save_state

BATCH = 200
IN_REQUEST = 100  # a run this small is done in the request that starts it
ENDED = "s'est terminé avant d'être migré"
FAILED = "n'a pas pu être migré : erreur inattendue, signalée dans le journal du serveur"
STALE = "a été modifié pendant la migration par une autre action : relancez une migration pour lui"
MOVED_ELSEWHERE = "n'est plus sur la version de départ"


def start_migration(actor, key: str, from_number, to_number) -> JourneyMigration:
    """Create the run (one at a time per journey) and audit its start; the view commits."""
    source, target = migration_versions(key, from_number, to_number)
    db.session.scalars(select(DefinitionVersion.id).where(DefinitionVersion.process_key == key)
                       .with_for_update()).all()  # two starts for the same journey wait for each other
    running = running_migration(key)
    if running is not None:
        raise Conflict(f"Une migration de ce parcours est déjà en cours (n°{running.id}) : attendez qu'elle "
                       "se termine ou reprenez-la depuis sa page.")
    total = db.session.scalar(select(func.count(Journey.id)).where(
        Journey.definition_version_id == source.id, Journey.status.in_(WAITING)))
    if not total:
        raise InvalidData(f"Aucun parcours n'attend sur la version {source.version} : il n'y a rien à migrer.")
    migration = JourneyMigration(process_key=key, from_version_id=source.id, to_version_id=target.id,
                                 status="en_cours", total=total, moved=0, kept=0, last_journey_id=0,
                                 kept_reasons={}, started_at=clock.now(), started_by_id=actor.id)
    db.session.add(migration)
    db.session.flush()
    audit.record(actor, "journeys.migrated",
                 f"Migration n°{migration.id} lancée : {total} parcours « {target.name} » en attente sur "
                 f"la version {source.version}, vers la version {target.version}",
                 detail={"migration_id": migration.id, "process_key": key, "from": source.version,
                         "to": target.version, "total": total})
    return migration


def _claim(migration_id: int, journey_id: int) -> bool:
    """Move the run's cursor onto this journey, first thing in its transaction; False when
    another batch already went past it (or the run is over)."""
    result = db.session.execute(update(JourneyMigration).where(
        JourneyMigration.id == migration_id, JourneyMigration.status == "en_cours",
        JourneyMigration.last_journey_id < journey_id).values(last_journey_id=journey_id))
    return result.rowcount == 1


def _count(migration: JourneyMigration, reason: str | None, journeys: int = 1) -> None:
    """Count journeys moved (no reason) or kept for `reason`."""
    if reason is None:
        migration.moved += journeys
        return
    migration.kept += journeys
    reasons = dict(migration.kept_reasons or {})
    reasons[reason] = reasons.get(reason, 0) + journeys
    migration.kept_reasons = reasons


@dataclass(frozen=True)
class _Plan:
    """What every journey of a batch needs, read once (the versions' rows expire at each commit)."""
    migration_id: int
    from_id: int
    to_id: int
    to_number: int
    from_json: str
    to_json: str


def _plan(migration: JourneyMigration) -> _Plan:
    source = db.session.get(DefinitionVersion, migration.from_version_id)
    target = db.session.get(DefinitionVersion, migration.to_version_id)
    return _Plan(migration.id, source.id, target.id, target.version, source.spec_json, target.spec_json)


def _move(plan: _Plan, journey_id: int) -> str | None:
    """Move one journey if it still can, under its row lock; the reason it stays otherwise."""
    journey = db.session.scalar(select(Journey).where(Journey.id == journey_id)
                                .with_for_update().execution_options(populate_existing=True))
    if journey.definition_version_id != plan.from_id:
        return MOVED_ELSEWHERE
    if journey.status == "incident":
        return INCIDENT
    if journey.status != "en_cours":
        return ENDED
    diff = version_diff(plan.from_json, plan.to_json)
    instance = Instance.restore(plan.from_json, journey.state)
    obstacle = diff.obstacle_in(instance)
    if obstacle is not None:
        return reason_for(obstacle, plan.to_number)
    journey.definition_version_id = plan.to_id
    # save_state moves the journey's open task rows to the new version (they wait there now, the map of
    # waits counts them there); its completed and cancelled rows keep the version they were done on.
    save_state(journey, diff.migrate(instance))
    return None


def _one(plan: _Plan, journey_id: int) -> bool:
    """Claim, move or keep, count and commit one journey; False when it was not this batch's."""
    if not _claim(plan.migration_id, journey_id):
        db.session.rollback()
        return False
    migration = db.session.get(JourneyMigration, plan.migration_id, populate_existing=True)
    _count(migration, _move(plan, journey_id))
    db.session.commit()
    return True


def _keep_after_failure(migration_id: int, journey_id: int, reason: str) -> None:
    """Count as kept, in a transaction of its own, a journey whose move was rolled back."""
    if _claim(migration_id, journey_id):
        _count(db.session.get(JourneyMigration, migration_id, populate_existing=True), reason)
    db.session.commit()


def _process(plan: _Plan, journey_id: int) -> bool:
    migration_id = plan.migration_id
    for attempt in (1, 2):
        try:
            return _one(plan, journey_id)
        except StaleDataError:  # SQLite: a step saved the journey meanwhile; try again on its new state
            db.session.rollback()
            if attempt == 2:
                _keep_after_failure(migration_id, journey_id, STALE)
                return True
        except Exception:
            db.session.rollback()
            current_app.logger.exception("Migration n°%s : le parcours n°%s n'a pas pu être migré.",
                                         migration_id, journey_id)
            _keep_after_failure(migration_id, journey_id, FAILED)
            return True
    return False


def _finish(migration_id: int) -> None:
    """Close the run once nothing is left after its cursor, and audit its end (once)."""
    closed = db.session.execute(update(JourneyMigration).where(
        JourneyMigration.id == migration_id, JourneyMigration.status == "en_cours")
        .values(status="terminee", finished_at=clock.now()))
    if closed.rowcount != 1:
        db.session.rollback()
        return
    migration = db.session.get(JourneyMigration, migration_id, populate_existing=True)
    missing = migration.total - migration.moved - migration.kept
    if missing > 0:  # journeys that ended between the start and their turn
        _count(migration, ENDED, missing)
    migration.total = max(migration.total, migration.moved + migration.kept)
    source, target = version_numbers(migration)
    name = db.session.get(DefinitionVersion, migration.to_version_id).name
    actor = db.session.get(User, migration.started_by_id) if migration.started_by_id else None
    audit.record(actor, "journeys.migrated",
                 f"Migration n°{migration.id} terminée : parcours « {name} », {migration.moved} passé(s) de la "
                 f"version {source} à la version {target}, {migration.kept} resté(s) sur la version {source}",
                 detail={"migration_id": migration.id, "process_key": migration.process_key, "from": source,
                         "to": target, "total": migration.total, "moved": migration.moved,
                         "kept": migration.kept, "kept_reasons": migration.kept_reasons})
    db.session.commit()


def run_batch(migration_id: int, batch: int = BATCH) -> int:
    """Process up to `batch` journeys of the run, each in its own transaction; close the run when
    none is left. Returns how many journeys this call processed."""
    db.session.commit()  # whatever the caller did is its own; each journey below commits alone
    migration = db.session.get(JourneyMigration, migration_id, populate_existing=True)
    if migration is None or migration.status != "en_cours":
        return 0
    ids = db.session.scalars(select(Journey.id).where(
        Journey.definition_version_id == migration.from_version_id, Journey.status.in_(WAITING),
        Journey.id > migration.last_journey_id).order_by(Journey.id).limit(batch)).all()
    plan = _plan(migration)
    db.session.rollback()
    processed = sum(1 for journey_id in ids if _process(plan, journey_id))
    if len(ids) < batch:
        _finish(migration_id)
    return processed


def run_pending_migrations(batch: int = BATCH) -> int:
    """One batch of every running migration (the worker's pass); never raises."""
    processed = 0
    for migration_id in db.session.scalars(select(JourneyMigration.id).where(
            JourneyMigration.status == "en_cours").order_by(JourneyMigration.id)).all():
        try:
            processed += run_batch(migration_id, batch)
        except Exception:
            db.session.rollback()
            current_app.logger.exception("Migration n°%s : lot interrompu.", migration_id)
    return processed
