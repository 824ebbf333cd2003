"""Two colleagues acting on the same task at the same moment: one wins, the other gets a Conflict.

Each attempt runs in its own thread, app context, session and database connection; a
threading.Barrier releases both just before the contested step (the journey row lock, or the
claim's conditional UPDATE), so the two transactions really overlap.

On PostgreSQL the loser waits on `SELECT … FOR UPDATE`, then sees the task done. SQLite has no
row locks (FOR UPDATE is ignored) and serialises writers: both attempts read the open task, the
second writer waits for the first to commit, then its UPDATE of the journey matches no row
(`version_id_col`), which complete_task turns into a Conflict. Both behaviours give one winner,
reliably, so these tests run on both databases.
"""
import threading

import pytest
from conftest import get_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, Journey, Person
from webapp.operations import journeys as journey_ops
from webapp.operations import tasks as task_ops
from webapp.operations.journeys import complete_task, start_journey

CLAIRE, KARIM = "claire.martin", "karim.benali"
WAIT = 30  # seconds: only a safety net so a broken test fails instead of hanging


def welcome(nom: str) -> dict:
    return {"canal": "sur_place", "anonyme": False, "public": "etudiant", "nom": nom}


def race(app, barrier: threading.Barrier, attempts: dict) -> dict:
    """Run {username: callable(actor)} in parallel threads, each committing its own work.

    Returns {username: ("ok", None) | ("conflict", exception) | ("error", exception)}.
    """
    outcomes = {}

    def run(username, action):
        with app.app_context():
            try:
                action(get_user(username))
                db.session.commit()
                outcomes[username] = ("ok", None)
            except (Conflict, StaleDataError, OperationalError) as exc:
                db.session.rollback()
                outcomes[username] = ("conflict", exc)
            except BaseException as exc:  # reported by the test, never swallowed
                db.session.rollback()
                outcomes[username] = ("error", exc)
                barrier.abort()  # do not leave the other thread waiting

    threads = [threading.Thread(target=run, args=item, name=item[0]) for item in attempts.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    errors = {u: o for u, o in outcomes.items() if o[0] == "error"}
    assert not errors, errors
    return outcomes


@pytest.fixture
def barrier():
    barrier = threading.Barrier(2, timeout=WAIT)
    yield barrier
    barrier.abort()


def winner_and_loser(outcomes: dict) -> tuple[str, str]:
    kinds = sorted(kind for kind, _ in outcomes.values())
    assert kinds == ["conflict", "ok"], outcomes
    winner = next(u for u, (kind, _) in outcomes.items() if kind == "ok")
    loser = next(u for u, (kind, _) in outcomes.items() if kind == "conflict")
    return winner, loser


def new_journey() -> tuple[int, int, int]:
    """A committed accueil journey whose open task waits, unassigned, in the structure's queue:
    (journey id, task id, row_version)."""
    claire, karim = get_user(CLAIRE), get_user(KARIM)
    assert claire.structure_id == karim.structure_id
    assert claire.has_role("conseiller") and karim.has_role("conseiller")
    journey = start_journey(claire, "accueil")
    db.session.commit()
    task = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == journey.id,
                                                     HumanTask.status == "ouverte"))
    if task.assignee_id is not None:  # the starter keeps the first step: put it back in the queue
        task_ops.release_task(get_user(CLAIRE), task.id)
        db.session.commit()
    db.session.refresh(journey)
    db.session.refresh(task)
    assert task.assignee_id is None and task.status == "ouverte"
    ids = journey.id, task.id, journey.row_version
    db.session.commit()
    return ids


def test_two_colleagues_complete_the_same_task_at_once(app, ctx, barrier, monkeypatch):
    """When Claire and Karim submit the same task at the same moment, does exactly one win,
    is the task completed once, one next task created, and the journey advanced once?"""
    journey_id, task_id, row_version = new_journey()
    original_lock = journey_ops._lock_for_completion

    def lock_when_both_are_here(actor, task_id):
        barrier.wait()
        return original_lock(actor, task_id)

    monkeypatch.setattr(journey_ops, "_lock_for_completion", lock_when_both_are_here)
    outcomes = race(app, barrier, {
        CLAIRE: lambda actor: complete_task(actor, task_id, welcome("Soumis-par-Claire")),
        KARIM: lambda actor: complete_task(actor, task_id, welcome("Soumis-par-Karim")),
    })
    winner, loser = winner_and_loser(outcomes)
    loser_error = outcomes[loser][1]
    assert isinstance(loser_error, Conflict), repr(loser_error)
    assert loser_error.status == 409
    if db.engine.dialect.name == "postgresql":  # the row lock, not the version check, decided
        assert not isinstance(loser_error.__cause__, StaleDataError), repr(loser_error)

    db.session.expire_all()
    winner_user = get_user(winner)
    task = db.session.get(HumanTask, task_id)
    assert task.status == "terminee"
    assert task.completed_by_id == winner_user.id and task.assignee_id == winner_user.id
    journey = db.session.get(Journey, journey_id)
    assert journey.row_version == row_version + 1
    rows = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey_id)
                              .order_by(HumanTask.id)).all()
    assert [(r.bpmn_id, r.status) for r in rows] == [("accueillir", "terminee"),
                                                     ("analyser_demande", "ouverte")]
    assert rows[1].assignee_id in (None, winner_user.id)  # never the loser's
    assert journey.status == "en_cours"
    submitted_by = {CLAIRE: "Soumis-par-Claire", KARIM: "Soumis-par-Karim"}
    assert db.session.get(Person, journey.person_id).nom == submitted_by[winner]
    completions = db.session.scalars(select(AuditEvent).where(
        AuditEvent.journey_id == journey_id, AuditEvent.action == "task.completed")).all()
    assert [event.user_id for event in completions] == [winner_user.id]


def test_two_colleagues_claim_the_same_task_at_once(app, ctx, barrier, monkeypatch):
    """When Claire and Karim claim the same open task at the same moment, does one get it and
    the other a Conflict naming the winner?"""
    _journey_id, task_id, _row_version = new_journey()
    original_check = task_ops._can_act

    def check_then_wait(actor, task):
        original_check(actor, task)
        barrier.wait()  # both are past the reads, right before the conditional UPDATE

    monkeypatch.setattr(task_ops, "_can_act", check_then_wait)
    outcomes = race(app, barrier, {
        CLAIRE: lambda actor: task_ops.claim_task(actor, task_id),
        KARIM: lambda actor: task_ops.claim_task(actor, task_id),
    })
    winner, loser = winner_and_loser(outcomes)
    loser_error = outcomes[loser][1]
    assert isinstance(loser_error, Conflict), repr(loser_error)
    winner_user = get_user(winner)
    assert winner_user.full_name in loser_error.message

    db.session.expire_all()
    task = db.session.get(HumanTask, task_id)
    assert task.assignee_id == winner_user.id and task.status == "ouverte"
    claims = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "task.claimed")).all()
    assert [event.user_id for event in claims] == [winner_user.id]


def test_a_second_completion_after_the_first_gets_a_conflict(ctx):
    """Does submitting a task that a colleague already completed give a Conflict and change
    nothing (no lost update)?"""
    journey_id, task_id, _ = new_journey()
    complete_task(get_user(CLAIRE), task_id, welcome("Premier"))
    db.session.commit()
    row_version = db.session.get(Journey, journey_id).row_version
    with pytest.raises(Conflict):
        complete_task(get_user(KARIM), task_id, welcome("Second"))
    db.session.rollback()
    journey = db.session.get(Journey, journey_id)
    assert journey.row_version == row_version
    assert db.session.get(Person, journey.person_id).nom == "Premier"


def test_two_identity_edits_at_once_leave_one_consistent_people_index(app):
    """Two colleagues correct the same dossier at the same moment: neither gets an error, and the
    search words are exactly those of the identity that was saved last."""
    from webapp.operations.people import update_identity
    from webapp.operations.person_index import reindex
    from webapp.models import PersonSearchTerm
    with app.app_context():
        journey = start_journey(get_user(CLAIRE), "accueil")
        db.session.commit()
        person_id = journey.person_id
    barrier = threading.Barrier(2, timeout=WAIT)

    def edit(nom):
        def action(actor):
            barrier.wait()
            update_identity(actor, person_id, {"nom": nom, "prenom": "Inès", "public": "etudiant"})
        return action

    outcomes = race(app, barrier, {CLAIRE: edit("Dupuis"), KARIM: edit("Dupont")})
    assert all(kind != "error" for kind, _exc in outcomes.values()), outcomes
    with app.app_context():
        stored = set(db.session.execute(select(PersonSearchTerm.structure_id, PersonSearchTerm.term)
                                        .where(PersonSearchTerm.person_id == person_id)).all())
        reindex(db.session.connection(), person_id)  # what the saved identity gives
        expected = set(db.session.execute(select(PersonSearchTerm.structure_id, PersonSearchTerm.term)
                                          .where(PersonSearchTerm.person_id == person_id)).all())
        db.session.rollback()
        assert stored == expected and any(t == "ines" for _s, t in stored)
