"""Referral deadlines in working days: reminder, escalation to the local coordinator, expiry back
to the sender. The application clock (webapp.clock.now, which the engine's timers follow) is
replaced by a clock the test moves; timers fire through the worker's fire_due_timers()."""
import os
import threading
from datetime import datetime, timedelta

import pytest
from conftest import MovableClock, get_user
from sqlalchemy import select

from test_orientation import (RECEIVER, SENDER, accept, answer, kinds_to, latest_referral, messages,
                              open_tasks, referrals_of, send, start_referral, structure, the_task)
from webapp import clock
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import HumanTask
from webapp.operations.journeys import complete_task
from webapp.operations.timers import fire_due_timers
from webapp.workflow import Instance

MONDAY = datetime(2026, 4, 27, 9, 0)
WAIT = 30  # seconds: only a safety net so a broken test fails instead of hanging  # the week of 1 May; 8 May and Ascension follow


@pytest.fixture
def now(ctx, monkeypatch):
    """The application's clock, set to Monday 27 April 2026 09:00 (UTC) and moved by the test."""
    movable = MovableClock(MONDAY)
    monkeypatch.setattr(clock, "now", movable)
    return movable


def fire_at(now, moment: datetime) -> int:
    now.current = moment
    fired = fire_due_timers()
    db.session.expire_all()
    return fired


def task_rows(journey, bpmn_id: str) -> list[HumanTask]:
    return db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id,
                                                      HumanTask.bpmn_id == bpmn_id).order_by(HumanTask.id)).all()


def test_reminder_then_escalation_then_expiry(now):
    """Sent on Monday 27 April: is the CIO reminded after 5 working days (5 May), the Loiret's
    coordinator alerted after 10 (13 May), and the referral expired after 30 (12 June), with the
    sender told and asked to choose again?"""
    journey = start_referral()
    referral = send(journey)
    assert referral.sent_at == MONDAY
    assert (referral.remind_at, referral.escalate_at, referral.expire_at) == (
        datetime(2026, 5, 5, 9, 0), datetime(2026, 5, 13, 9, 0), datetime(2026, 6, 12, 9, 0))
    db.session.refresh(journey)
    assert journey.next_timer_at == referral.remind_at
    response = the_task(journey, "traiter_orientation")

    assert fire_at(now, datetime(2026, 5, 5, 8, 59)) == 0
    assert messages("relance") == [] and latest_referral(journey).reminded_at is None

    fire_at(now, datetime(2026, 5, 5, 9, 1))
    referral = latest_referral(journey)
    [reminder] = messages("relance")
    assert reminder.to_structure_id == structure("cio-orleans").id and reminder.referral_id == referral.id
    assert reminder.to_address == structure("cio-orleans").email
    assert referral.reminded_at == datetime(2026, 5, 5, 9, 1)
    assert referral.status == "ouverte" and referral.escalated_at is None
    assert the_task(journey, "traiter_orientation").id == response.id  # still open, same task
    db.session.refresh(journey)
    assert journey.next_timer_at == referral.escalate_at

    assert fire_at(now, datetime(2026, 5, 13, 8, 59)) == 0
    fire_at(now, datetime(2026, 5, 13, 9, 1))
    referral = latest_referral(journey)
    assert referral.escalated_at == datetime(2026, 5, 13, 9, 1)
    [alert] = messages("escalade")
    assert alert.to_address == get_user("olivier.lambert").email  # the Loiret's coordinator
    assert alert.to_structure_id == structure("crij-orleans").id
    assert referral.status == "ouverte" and the_task(journey, "traiter_orientation").id == response.id

    assert fire_at(now, datetime(2026, 6, 12, 8, 59)) == 0
    assert latest_referral(journey).status == "ouverte"
    fire_at(now, datetime(2026, 6, 12, 9, 1))
    referral = latest_referral(journey)
    assert (referral.status, referral.closed_at) == ("expiree", datetime(2026, 6, 12, 9, 1))
    assert db.session.get(HumanTask, response.id).status == "annulee"
    [expired] = messages("expiration")
    assert expired.to_structure_id == structure("ml-orleans").id and expired.referral_id == referral.id
    choice = the_task(journey, "choisir_partenaire")
    assert choice.structure_id == structure("ml-orleans").id
    db.session.refresh(journey)
    assert journey.status == "en_cours" and journey.next_timer_at is None
    assert [m.kind for m in messages()] == ["arrivee", "relance", "escalade", "expiration"]

    with pytest.raises(Conflict):  # the CIO's late answer is refused
        complete_task(get_user(RECEIVER), response.id, {"reponse": "accepter", "date_premier_rdv": "2026-06-15"})
    db.session.rollback()
    assert latest_referral(journey).status == "expiree"


def test_escalation_goes_to_the_receivers_territory(now):
    """A referral from Orléans to the CIO de Tours: is Indre-et-Loire's coordinator alerted,
    and not the Loiret's?"""
    journey = start_referral()
    send(journey, "cio-tours")
    fire_at(now, datetime(2026, 5, 13, 9, 1))
    assert [m.to_address for m in messages("escalade")] == [get_user("helene.garnier").email]
    assert [m.to_structure_id for m in messages("relance")] == [structure("cio-tours").id]


def test_firing_twice_or_on_the_due_instant_does_nothing_more(now):
    """Does a second pass at the same moment fire nothing more, and does the worker, at the very
    instant a timer falls due, neither spin on the journey nor send anything twice?"""
    journey = start_referral()
    referral = send(journey)
    assert fire_at(now, referral.remind_at) <= 1
    assert fire_at(now, referral.remind_at + timedelta(minutes=1)) == 1
    assert fire_at(now, referral.remind_at + timedelta(minutes=1)) == 0
    assert fire_at(now, referral.remind_at + timedelta(hours=3)) == 0
    assert len(messages("relance")) == 1


@pytest.mark.parametrize("sent, reminder, without_holiday", [
    (datetime(2026, 7, 10, 10, 0), datetime(2026, 7, 20, 10, 0), datetime(2026, 7, 17, 10, 0)),  # 14 July
    (datetime(2026, 4, 29, 15, 0), datetime(2026, 5, 7, 15, 0), datetime(2026, 5, 6, 15, 0)),    # 1 May
])
def test_the_reminder_skips_public_holidays(now, sent, reminder, without_holiday):
    """Sent just before 14 July or 1 May: is the reminder one working day later than a count
    ignoring holidays would give, and does it fire then and not before?"""
    now.current = sent
    journey = start_referral()
    referral = send(journey)
    assert referral.sent_at == sent and referral.remind_at == reminder
    fire_at(now, without_holiday + timedelta(minutes=1))
    assert messages("relance") == []
    fire_at(now, reminder + timedelta(minutes=1))
    assert len(messages("relance")) == 1


def test_durations_come_from_the_settings(now, app, monkeypatch):
    """With REFERRAL_REMINDER_DAYS = 2 and REFERRAL_EXPIRY_DAYS = 12, do the reminder and the
    expiry move (Wednesday 29 April, Monday 18 May) and fire there?"""
    monkeypatch.setitem(app.config, "REFERRAL_REMINDER_DAYS", 2)
    monkeypatch.setitem(app.config, "REFERRAL_EXPIRY_DAYS", 12)
    journey = start_referral()
    referral = send(journey)
    assert referral.remind_at == datetime(2026, 4, 29, 9, 0)
    assert referral.escalate_at == datetime(2026, 5, 13, 9, 0)  # unchanged setting
    assert referral.expire_at == datetime(2026, 5, 18, 9, 0)
    fire_at(now, datetime(2026, 4, 29, 9, 1))
    assert len(messages("relance")) == 1
    fire_at(now, datetime(2026, 5, 18, 9, 1))
    assert latest_referral(journey).status == "expiree"
    assert kinds_to("ml-orleans") == ["expiration"]


@pytest.mark.parametrize("sent", [
    datetime(2026, 4, 30, 17, 30),   # Thursday evening before 1 May (a Friday)
    datetime(2026, 7, 10, 18, 0),    # Friday before 14 July
    datetime(2026, 8, 15, 10, 0),    # a Saturday that is also a holiday
    datetime(2026, 12, 24, 16, 0),   # Christmas Eve, across the New Year
    datetime(2026, 5, 13, 23, 50),   # the eve of Ascension, late at night
])
def test_an_ignored_referral_always_ends_expired_with_the_sender_told(now, sent):
    """Whatever the sending moment, when the receiver never answers and the worker runs every
    few hours: is the referral reminded, escalated, then expired, each once, in that order and
    at the first run after its deadline, with the sender told and asked to choose again?"""
    now.current = sent
    journey = start_referral()
    referral = send(journey)
    deadlines = (referral.remind_at, referral.escalate_at, referral.expire_at)
    assert sent < deadlines[0] < deadlines[1] < deadlines[2]
    step = timedelta(hours=7)
    moment = sent
    while moment < sent + timedelta(days=70):
        moment += step
        fire_at(now, moment)
    referral = latest_referral(journey)
    assert referral.status == "expiree"
    for done_at, deadline in ((referral.reminded_at, deadlines[0]), (referral.escalated_at, deadlines[1]),
                              (referral.closed_at, deadlines[2])):
        assert deadline < done_at <= deadline + step
    assert [m.kind for m in messages()] == ["arrivee", "relance", "escalade", "expiration"]
    assert kinds_to("ml-orleans") == ["expiration"]
    assert [t.status for t in task_rows(journey, "traiter_orientation")] == ["annulee"]
    assert the_task(journey, "choisir_partenaire").structure_id == structure("ml-orleans").id


def test_an_answered_referral_never_expires(now):
    """Accepted after the reminder: do escalation and expiry never happen?"""
    journey = start_referral()
    send(journey)
    fire_at(now, datetime(2026, 5, 6, 10, 0))
    assert len(messages("relance")) == 1
    accept(journey)
    for day in range(1, 60):
        fire_at(now, datetime(2026, 5, 6, 10, 0) + timedelta(days=day))
    assert latest_referral(journey).status == "acceptee"
    assert messages("escalade") == [] and messages("expiration") == []
    assert the_task(journey, "confirmer_premier_contact").structure_id == structure("cio-orleans").id


def test_after_expiry_a_new_partner_gets_fresh_deadlines(now):
    """After an expiry, does the sender's next referral get deadlines counted from its own
    sending, and the old referral stay expired?"""
    journey = start_referral()
    send(journey)
    fire_at(now, datetime(2026, 6, 12, 9, 1))
    assert latest_referral(journey).status == "expiree"
    now.current = datetime(2026, 6, 15, 14, 0)  # Monday
    second = send(journey, "crij-orleans")
    assert second.sent_at == datetime(2026, 6, 15, 14, 0)
    assert second.remind_at == datetime(2026, 6, 22, 14, 0)
    fire_at(now, datetime(2026, 6, 22, 14, 1))
    assert [m.to_structure_id for m in messages("relance")] == [structure("cio-orleans").id,
                                                                structure("crij-orleans").id]
    assert [r.status for r in referrals_of(journey)] == ["expiree", "ouverte"]
    assert [t.bpmn_id for t in open_tasks(journey, "crij-orleans")] == ["traiter_orientation"]


def test_a_declined_referral_has_no_timer_left(now):
    """Declined before the reminder: does nothing fire afterwards?"""
    journey = start_referral()
    send(journey)
    answer(journey, {"reponse": "refuser", "motif_refus": "capacite"})
    db.session.refresh(journey)
    assert journey.next_timer_at is None
    for day in range(1, 45):
        assert fire_at(now, MONDAY + timedelta(days=day)) == 0
    assert [m.kind for m in messages()] == ["arrivee", "refus"]
    assert the_task(journey, "choisir_partenaire").assignee_id in (None, get_user(SENDER).id)


def _on_sqlite() -> bool:
    return not os.environ.get("SPRO_TEST_DATABASE_URL", "").startswith("postgresql")


def test_two_workers_never_fire_the_same_timer_twice(app, now, monkeypatch):
    """Worker A has read a due journey and is inside the engine when worker B runs a pass: is the
    reminder sent once, and does neither worker fail? (PostgreSQL: A holds the row lock and B
    skips the journey; SQLite has no row locks: B fires, and A must give up quietly.)"""
    journey = start_referral()
    referral = send(journey)
    now.current = referral.remind_at + timedelta(minutes=1)
    inside, release = threading.Event(), threading.Event()
    original = Instance.fire_timers

    def held_in_worker_a(instance):
        if threading.current_thread().name == "A":
            inside.set()
            assert release.wait(WAIT)
        return original(instance)

    monkeypatch.setattr(Instance, "fire_timers", held_in_worker_a)
    results = {}

    def worker():
        with app.app_context():
            try:
                results[threading.current_thread().name] = fire_due_timers()
            except BaseException as exc:
                db.session.rollback()
                results[threading.current_thread().name] = exc

    a = threading.Thread(target=worker, name="A")
    a.start()
    try:
        assert inside.wait(WAIT), "worker A never reached the engine"
        b = threading.Thread(target=worker, name="B")
        b.start()
        b.join(WAIT)
        assert not b.is_alive()
    finally:
        release.set()
        a.join(WAIT)
    assert not a.is_alive()
    db.session.expire_all()
    assert len(messages("relance")) == 1
    assert latest_referral(journey).reminded_at == now.current
    for name, outcome in results.items():
        if isinstance(outcome, BaseException):
            raise outcome
    assert sorted(results.values()) in ([0, 1], [1, 1])


def test_an_accepted_referral_whose_first_contact_is_not_confirmed_is_reminded(now):
    """Accepted on Monday 27 April with a first appointment on Tuesday 28: without a confirmation,
    the partner is asked to confirm 5 working days after the appointment (6 May: 1 May is a holiday)."""
    journey = start_referral()
    send(journey)
    accept(journey, day="2026-04-28")
    db.session.refresh(journey)
    assert journey.next_timer_at == datetime(2026, 5, 6, 0, 0)
    assert fire_at(now, datetime(2026, 5, 5, 23, 0)) == 0
    fire_at(now, datetime(2026, 5, 6, 0, 1))
    reminders = [m for m in messages("relance") if "confirmez le premier contact" in m.subject]
    assert [m.to_structure_id for m in reminders] == [structure("cio-orleans").id]
    [waiting] = task_rows(journey, "confirmer_premier_contact")
    assert waiting.status == "ouverte" and latest_referral(journey).status == "acceptee"
