"""Moving waiting journeys: a person's step and the migration on the same journey at once (barriers)."""
import threading

from conftest import get_user
from test_journey_migration import (CONFIRM_CHANGED, PILOTE, WAIT, acceptance, confirmation_due_in,
                                    publish_orientation, version_of, waiting_for_answer)
from test_orientation import accept, the_task

from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import Journey, JourneyMigration
from webapp.operations import journey_migrations as migration_ops
from webapp.operations import journeys as journey_ops
from webapp.workdays import add_working_days

# -- a step and the migration at once ---------------------------------------------------------

def _threads(app, actions: dict) -> dict:
    outcomes = {}

    def run(name, action):
        with app.app_context():
            try:
                outcomes[name] = ("ok", action())
                db.session.commit()
            except Conflict as exc:
                db.session.rollback()
                outcomes[name] = ("conflict", exc)
            except BaseException as exc:
                db.session.rollback()
                outcomes[name] = ("error", exc)

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    assert not [o for o in outcomes.values() if o[0] == "error"], outcomes
    return outcomes


def test_a_step_taken_while_the_journey_migrates_waits_for_it(app, ctx, restore_versions, monkeypatch):
    """The migration holds the journey first: the receiver's answer waits, then goes on from the
    new version (PostgreSQL), or is refused as made at the same time and nothing is lost (SQLite)."""
    journey = waiting_for_answer()
    task_id = the_task(journey, "traiter_orientation").id
    publish_orientation(confirmation_due_in(8))
    migration = migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2)
    db.session.commit()
    migration_locked, original_lock, original_move = threading.Event(), journey_ops._lock_for_completion, migration_ops._move

    def move_then_let_the_step_in(plan, journey_id):
        reason = original_move(plan, journey_id)  # the journey's row is locked from here to the commit
        migration_locked.set()
        return reason

    def lock_after_the_migration(actor, task_id):
        assert migration_locked.wait(WAIT)
        return original_lock(actor, task_id)

    monkeypatch.setattr(migration_ops, "_move", move_then_let_the_step_in)
    monkeypatch.setattr(journey_ops, "_lock_for_completion", lock_after_the_migration)
    outcomes = _threads(app, {
        "migration": lambda: migration_ops.run_batch(migration.id),
        "step": lambda: journey_ops.complete_task(get_user("isabelle.roux"), task_id, acceptance()),
    })
    db.session.expire_all()
    assert db.session.get(JourneyMigration, migration.id).moved == 1
    assert version_of(journey.id) == 2
    moved = db.session.get(Journey, journey.id)
    if outcomes["step"][0] == "conflict":  # SQLite: the version column refused the late write
        assert db.engine.dialect.name == "sqlite"
        assert the_task(moved, "traiter_orientation").id == task_id
        accept(moved)
    task = the_task(moved, "confirmer_premier_contact")
    assert task.due_at == add_working_days(task.created_at, 8)


def test_a_migration_reaching_a_journey_being_moved_by_a_step_checks_it_again(app, ctx, restore_versions, monkeypatch):
    """The step holds the journey first: the migration waits, reads the journey's new state and
    keeps it, since it now waits at a changed step."""
    journey = waiting_for_answer()
    task_id = the_task(journey, "traiter_orientation").id
    publish_orientation(confirmation_due_in(8))
    migration = migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2)
    db.session.commit()
    step_saved, original_save, original_claim = threading.Event(), journey_ops.save_state, migration_ops._claim

    def save_then_let_the_migration_in(*args, **kwargs):
        created = original_save(*args, **kwargs)  # flushed: the row is locked (written) until the commit
        step_saved.set()
        return created

    def claim_after_the_step(migration_id, journey_id):
        assert step_saved.wait(WAIT)
        return original_claim(migration_id, journey_id)

    monkeypatch.setattr(journey_ops, "save_state", save_then_let_the_migration_in)
    monkeypatch.setattr(migration_ops, "_claim", claim_after_the_step)
    outcomes = _threads(app, {
        "step": lambda: journey_ops.complete_task(get_user("isabelle.roux"), task_id, acceptance()),
        "migration": lambda: migration_ops.run_batch(migration.id),
    })
    assert outcomes["step"][0] == "ok", outcomes
    db.session.expire_all()
    migration = db.session.get(JourneyMigration, migration.id)
    assert (migration.moved, migration.kept, migration.kept_reasons) == (0, 1, {CONFIRM_CHANGED: 1})
    assert version_of(journey.id) == 1
    task = the_task(db.session.get(Journey, journey.id), "confirmer_premier_contact")
    assert task.due_at == add_working_days(task.created_at, 10)
