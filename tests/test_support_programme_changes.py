"""An organiser changes or calls off an event of the support programme: capacity never below the places
taken, new places to the waiting list, the registered told, a new date reminded again."""
import html
from datetime import datetime, timedelta

import pytest
from conftest import csrf_from, get_user
from sqlalchemy import select
from test_support_programme import (CLAIRE, COORDINATOR_37, COORDINATOR_45, ISABELLE, KARIM, REGIONAL_ADMIN, VALID,
                                    _programme_clean, _registered, client_of, make_event, moved, post_form)

from webapp.extensions import db
from webapp.models import OutboxMessage, SupportEvent, SupportRegistration
from webapp.errors import Conflict
from webapp.operations import support_programme as ops
from webapp.queries import support_programme as queries

__all__ = ["_programme_clean", "moved"]  # the fixtures used here


def _messages(kind):
    return sorted(m.to_address for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_the_edit_form_starts_from_the_event_and_refuses_a_capacity_below_the_places_taken(app, moved):
    with app.app_context():
        event_id = make_event(capacity=3)
        _registered(event_id, CLAIRE, KARIM)
    admin = client_of(app, REGIONAL_ADMIN)
    page = admin.get(f"/programme/{event_id}/modifier").get_data(as_text=True)
    assert 'value="Journée technique CEP"' in page and 'value="10:00"' in page  # 08:00 UTC in June = 10:00 in Paris
    response = post_form(admin, f"/programme/{event_id}/modifier", {**VALID, "capacity": "1"},
                         f"/programme/{event_id}/modifier")
    assert response.status_code == 422
    assert "2 personnes sont déjà inscrites : la capacité ne peut pas être inférieure." in \
        html.unescape(response.get_data(as_text=True))
    with app.app_context():
        event = db.session.get(SupportEvent, event_id)
        assert (event.capacity, event.title) == (3, "Journée technique CEP")  # nothing half-written


def test_a_larger_capacity_registers_the_first_waiting_and_a_new_date_is_told_and_reminded_again(app, moved):
    with app.app_context():
        event_id = make_event(capacity=1)
        _registered(event_id, CLAIRE)
        moved.current += timedelta(minutes=1)
        _registered(event_id, KARIM)
        moved.current += timedelta(minutes=1)
        _registered(event_id, ISABELLE)
        db.session.get(SupportEvent, event_id).reminder_sent_at = moved.current
        db.session.commit()
    admin = client_of(app, REGIONAL_ADMIN)
    response = post_form(admin, f"/programme/{event_id}/modifier",
                         {**VALID, "title": "Journée technique CEP (nouvelle date)", "capacity": "2"},
                         f"/programme/{event_id}/modifier")
    assert response.status_code == 303
    with app.app_context():
        statuses = {r.user_id: r.status for r in db.session.scalars(select(SupportRegistration))}
        assert statuses == {get_user(CLAIRE).id: "inscrit", get_user(KARIM).id: "inscrit",
                            get_user(ISABELLE).id: "liste_attente"}
        event = db.session.get(SupportEvent, event_id)
        assert (event.registered_count, event.capacity) == (2, 2)
        assert event.starts_at == datetime(2026, 6, 24, 7, 30) and event.reminder_sent_at is None
        assert _messages("programme_place") == [get_user(KARIM).email]
        assert _messages("programme_modification") == sorted(get_user(u).email for u in (CLAIRE, KARIM, ISABELLE))
        moved.current = datetime(2026, 6, 22, 12, 0)
        assert ops.queue_reminders() == 2  # reminded again for the new date


def test_calling_off_tells_everyone_and_closes_registration(app, moved):
    with app.app_context():
        event_id = make_event(capacity=1)
        _registered(event_id, CLAIRE, KARIM)
    admin = client_of(app, REGIONAL_ADMIN)
    path = f"/programme/{event_id}"
    unconfirmed = post_form(admin, f"{path}/annuler", {}, path)
    assert "Cochez la case de confirmation" in html.unescape(admin.get(unconfirmed.headers["Location"]).get_data(as_text=True))
    response = post_form(admin, f"{path}/annuler", {"confirmation": "oui"}, path)
    assert "L'événement est annulé ; 2 personnes prévenues." in \
        html.unescape(admin.get(response.headers["Location"]).get_data(as_text=True))
    isabelle = client_of(app, ISABELLE)
    page = html.unescape(isabelle.get(path).get_data(as_text=True))
    assert "Annulé le" in page and "Cet événement est annulé." in page and "M'inscrire" not in page
    assert "Annulé" in isabelle.get("/programme").get_data(as_text=True)
    token = csrf_from(isabelle.get(path).get_data(as_text=True))
    isabelle.post(f"{path}/inscription", data={"csrf_token": token})
    with app.app_context():
        assert _messages("programme_annulation") == sorted(get_user(u).email for u in (CLAIRE, KARIM))
        assert db.session.scalar(select(SupportRegistration.id).where(
            SupportRegistration.user_id == get_user(ISABELLE).id)) is None
        moved.current += timedelta(days=9, hours=12)
        assert ops.queue_reminders() == 0  # no reminder for an event called off
        moved.current += timedelta(days=1)  # past its date: neither held nor open to attendance
        assert queries.participation(get_user(REGIONAL_ADMIN), 2026).events_held == 0
        with pytest.raises(Conflict):
            ops.record_attendance(get_user(REGIONAL_ADMIN), event_id, [])


@pytest.mark.parametrize("suffix, method", [("/modifier", "get"), ("/modifier", "post"), ("/annuler", "post")])
def test_only_the_organisers_change_an_event(app, moved, suffix, method):
    with app.app_context():
        regional = make_event()
        loiret = make_event(departement="45", title="Rencontre du Loiret")
    expected = {(CLAIRE, regional): 403, (COORDINATOR_45, regional): 403, (COORDINATOR_37, loiret): 404,
                (CLAIRE, loiret): 403}
    for (username, event_id), status in expected.items():
        client = client_of(app, username)
        token = csrf_from(client.get("/programme").get_data(as_text=True))
        path = f"/programme/{event_id}{suffix}"
        response = client.get(path) if method == "get" else \
            client.post(path, data={**VALID, "title": "Piraté", "confirmation": "oui", "csrf_token": token})
        assert response.status_code == status, (username, path)
    coordinator = client_of(app, COORDINATOR_45)
    assert coordinator.get(f"/programme/{loiret}/modifier").status_code == 200
    assert "Modifier l'événement" in html.unescape(coordinator.get(f"/programme/{loiret}").get_data(as_text=True))
    with app.app_context():
        assert {e.title for e in db.session.scalars(select(SupportEvent))} == {"Journée technique CEP", "Rencontre du Loiret"}
        assert all(e.cancelled_at is None for e in db.session.scalars(select(SupportEvent)))


def test_a_started_event_can_no_longer_be_changed(app, moved):
    with app.app_context():
        event_id = make_event(starts_in=timedelta(hours=2))
    moved.current += timedelta(hours=3)
    admin = client_of(app, REGIONAL_ADMIN)
    path = f"/programme/{event_id}"
    response = post_form(admin, f"{path}/annuler", {"confirmation": "oui"}, path)
    assert "L'événement a commencé" in html.unescape(admin.get(response.headers["Location"]).get_data(as_text=True))
    assert "Modifier l'événement" not in html.unescape(admin.get(path).get_data(as_text=True))
    with app.app_context():
        assert db.session.get(SupportEvent, event_id).cancelled_at is None


def test_an_event_is_edited_after_its_registration_deadline_without_reopening_registrations(app, moved):
    with app.app_context():
        event_id = make_event()  # 20/06/2026 10:00 in Paris
        db.session.get(SupportEvent, event_id).registration_deadline = datetime(2026, 6, 11, 15, 0)  # 17:00 in Paris
        db.session.commit()
    moved.current = datetime(2026, 6, 13, 8, 0)  # registrations closed two days ago
    admin = client_of(app, REGIONAL_ADMIN)
    path = f"/programme/{event_id}/modifier"
    unchanged = {**VALID, "date": "20/06/2026", "start_time": "10:00", "deadline": "11/06/2026"}
    response = post_form(admin, path, {**unchanged, "title": "Journée technique CEP (salle changée)"}, path)
    assert response.status_code == 303, html.unescape(response.get_data(as_text=True))
    with app.app_context():
        event = db.session.get(SupportEvent, event_id)
        assert event.title == "Journée technique CEP (salle changée)"
        assert event.registration_deadline == datetime(2026, 6, 11, 15, 0)  # kept, hour included
        with pytest.raises(Conflict, match="closes"):
            ops.register(get_user(CLAIRE), event_id)
    assert post_form(admin, path, {**unchanged, "deadline": "12/06/2026"}, path).status_code == 303  # past is fine
    with app.app_context():
        assert db.session.get(SupportEvent, event_id).registration_deadline == datetime(2026, 6, 12, 21, 59)
    after = post_form(admin, path, {**unchanged, "deadline": "21/06/2026"}, path)
    assert after.status_code == 422
    assert "La date limite d'inscription ne peut pas être après l'événement." in html.unescape(after.get_data(as_text=True))


def _bodies(kind):
    return {m.to_address: m.body for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))}


def test_the_waiting_list_is_told_of_a_change_without_the_online_link(app, moved):
    with app.app_context():
        event_id = make_event(capacity=1)
        db.session.get(SupportEvent, event_id).online_url = "https://visio.example.fr/cep"
        db.session.commit()
        _registered(event_id, CLAIRE, KARIM)  # Karim on the waiting list
    admin = client_of(app, REGIONAL_ADMIN)
    response = post_form(admin, f"/programme/{event_id}/modifier",
                         {**VALID, "capacity": "1", "online_url": "https://visio.example.fr/cep"},
                         f"/programme/{event_id}/modifier")
    assert response.status_code == 303
    post_form(admin, f"/programme/{event_id}/annuler", {"confirmation": "oui"}, f"/programme/{event_id}")
    with app.app_context():
        claire, karim = get_user(CLAIRE).email, get_user(KARIM).email
        changed = _bodies("programme_modification")
        assert "https://visio.example.fr/cep" in changed[claire] and "auquel vous êtes inscrit·e" in changed[claire]
        assert "https://visio.example.fr/cep" not in changed[karim]
        assert "en liste d'attente" in changed[karim] and "inscrit·e a changé" not in changed[karim]
        assert "Hôtel de Région, Orléans" in changed[karim]
        called_off = _bodies("programme_annulation")
        assert "Votre inscription est close." in called_off[claire]
        assert "Vous étiez en liste d'attente" in called_off[karim] and "Votre inscription" not in called_off[karim]


@pytest.fixture
def karim_changed(app):
    """Karim's account altered for one test, put back afterwards (the directory is shared)."""
    with app.app_context():
        user = get_user(KARIM)
        saved = (user.email, user.active)
    yield
    with app.app_context():
        user = get_user(KARIM)
        user.email, user.active = saved
        db.session.commit()


def test_nobody_without_an_e_mail_address_gets_a_message_and_is_still_promoted(app, moved, karim_changed):
    with app.app_context():
        get_user(KARIM).email = None
        db.session.commit()
        event_id = make_event(capacity=1)
        _registered(event_id, CLAIRE, KARIM)
        ops.cancel(get_user(CLAIRE), event_id)
        db.session.commit()
        assert db.session.scalar(select(SupportRegistration.status).where(
            SupportRegistration.user_id == get_user(KARIM).id)) == "inscrit"
        _registered(event_id, ISABELLE)  # waiting
        moved.current += timedelta(days=9)
        assert ops.queue_reminders() == 0  # Karim, the only one registered, has no address
        db.session.commit()
    admin = client_of(app, REGIONAL_ADMIN)
    response = post_form(admin, f"/programme/{event_id}/annuler", {"confirmation": "oui"}, f"/programme/{event_id}")
    assert "1 personne" in html.unescape(admin.get(response.headers["Location"]).get_data(as_text=True))
    with app.app_context():
        addresses = [m.to_address for m in db.session.scalars(select(OutboxMessage))]
        assert addresses == [get_user(ISABELLE).email]  # the call-off, to Isabelle only; never an empty address


def test_a_deactivated_account_on_the_waiting_list_is_skipped(app, moved, karim_changed):
    with app.app_context():
        event_id = make_event(capacity=1)
        _registered(event_id, CLAIRE)
        moved.current += timedelta(minutes=1)
        _registered(event_id, KARIM)
        moved.current += timedelta(minutes=1)
        _registered(event_id, ISABELLE)
        get_user(KARIM).active = False
        db.session.commit()
        ops.cancel(get_user(CLAIRE), event_id)
        db.session.commit()
        statuses = {r.user_id: r.status for r in db.session.scalars(select(SupportRegistration))}
        assert statuses[get_user(ISABELLE).id] == "inscrit" and statuses[get_user(KARIM).id] == "liste_attente"
        assert _messages("programme_place") == [get_user(ISABELLE).email]
