"""Support programme under concurrency and at scale: a freed place meets a colleague registering at the
same moment, a registration racing the event's calling-off, and lists that are complete for a territory."""
import threading
from datetime import timedelta

import pytest
from conftest import get_user
from sqlalchemy import select, update
from test_support_programme import (CLAIRE, COORDINATOR_45, KARIM, REGIONAL_ADMIN, _programme_clean, client_of,
                                    make_event, moved)

from webapp import clock
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import SupportEvent, SupportRegistration
from webapp.operations import support_programme as ops
from webapp.queries import support_programme as queries

__all__ = ["_programme_clean", "moved"]  # the fixtures used here


def test_a_place_freed_while_a_colleague_registers_goes_to_that_colleague(app, moved, monkeypatch):
    """Claire cancels; between her reading the (empty) waiting list and giving the place back, Karim
    registers: he must get the place, not a waiting-list entry beside a free place."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL row locks (scripts/with_postgres.sh); SQLite serialises writers")
        event_id = make_event(capacity=1)
        ops.register(get_user(CLAIRE), event_id)
        db.session.commit()
    window_open, karim_done = threading.Event(), threading.Event()
    promote_next = ops._promote_next

    def slow_promotion(event):  # the waiting list has just been read, the place not yet given back
        found = promote_next(event)
        window_open.set()
        karim_done.wait(3)  # Karim registers now (or waits for Claire's transaction, with the fix)
        return found
    monkeypatch.setattr(ops, "_promote_next", slow_promotion)
    outcomes = {}

    def claire_cancels():
        with app.app_context():
            try:
                ops.cancel(get_user(CLAIRE), event_id)
                db.session.commit()
                outcomes[CLAIRE] = "annule"
            except Exception as exc:
                db.session.rollback()
                outcomes[CLAIRE] = exc

    def karim_registers():
        window_open.wait(10)
        with app.app_context():
            try:
                outcomes[KARIM] = ops.register(get_user(KARIM), event_id)
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                outcomes[KARIM] = exc
            finally:
                karim_done.set()
    threads = [threading.Thread(target=claire_cancels), threading.Thread(target=karim_registers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes == {CLAIRE: "annule", KARIM: "inscrit"}, outcomes
    with app.app_context():
        assert db.session.get(SupportEvent, event_id).registered_count == 1
        assert db.session.scalar(select(SupportRegistration.status).where(
            SupportRegistration.user_id == get_user(KARIM).id)) == "inscrit"


def test_a_registration_racing_the_calling_off_is_refused(app, moved, monkeypatch):
    """Karim's page showed the event open; it is called off before his registration is written."""
    with app.app_context():
        event_id = make_event()
    event_for = ops.event_for

    def called_off_meanwhile(actor, wanted):
        event = event_for(actor, wanted)  # read while still open
        db.session.execute(update(SupportEvent).where(SupportEvent.id == wanted)
                           .values(cancelled_at=clock.now()).execution_options(synchronize_session=False))
        return event
    monkeypatch.setattr(ops, "event_for", called_off_meanwhile)
    with app.app_context():
        with pytest.raises(Conflict, match="annulé"):
            ops.register(get_user(KARIM), event_id)
        db.session.commit()
        assert db.session.get(SupportEvent, event_id).registered_count == 0
        assert db.session.scalar(select(SupportRegistration.id)) is None


def test_no_place_is_taken_on_an_event_called_off_or_closed(app, moved):
    with app.app_context():
        open_id, called_off_id = make_event(), make_event(title="Annulé")
        db.session.get(SupportEvent, called_off_id).cancelled_at = clock.now()
        db.session.commit()
        deadline = db.session.get(SupportEvent, open_id).registration_deadline
        assert not ops._take_place(called_off_id, clock.now())
        assert not ops._take_place(open_id, deadline + timedelta(minutes=1))
        assert ops._take_place(open_id, deadline)
        db.session.rollback()


def _many(count, starts_in, **fields):
    """`count` events straight in the table, of no concern to the actors under test."""
    creator, now = get_user(REGIONAL_ADMIN).id, clock.now()
    for n in range(count):
        starts_at = now + starts_in + timedelta(minutes=n)
        db.session.add(SupportEvent(
            kind="seminaire", title=f"Ailleurs {n}", description="", starts_at=starts_at, duration_minutes=60,
            place="Tours", capacity=10, registered_count=0, registration_deadline=starts_at, created_by_id=creator,
            created_at=now, **fields))
    db.session.commit()


def test_a_territory_list_is_complete_however_many_events_the_region_has(app, moved):
    with app.app_context():  # 400 events sooner, in another territory or for another network
        _many(200, timedelta(days=2), departement="37", networks=[])
        _many(200, timedelta(days=3), departement=None, networks=["apec"])
        make_event(departement="45", title="Rencontre du Loiret")
        make_event(title="Séminaire pour tous")
    for username in (COORDINATOR_45, CLAIRE):
        page = client_of(app, username).get("/programme").get_data(as_text=True)
        assert "Rencontre du Loiret" in page and "Séminaire pour tous" in page, username
        assert "Ailleurs" not in page


def test_a_territory_past_list_is_complete_however_many_events_the_region_had(app, moved):
    with app.app_context():  # 200 events held later, in another territory
        make_event(departement="45", title="Rencontre du Loiret")
        make_event(title="Séminaire pour tous")
        _many(200, timedelta(days=10, hours=1), departement="37", networks=[])
    moved.current += timedelta(days=11)
    with app.app_context():
        for username in (COORDINATOR_45, CLAIRE):
            past = {row.event.title for row in queries.past_events(get_user(username))}
            assert past == {"Rencontre du Loiret", "Séminaire pour tous"}, username
