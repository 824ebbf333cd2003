"""« Programme de professionnalisation »: the GIP publishes events, professionals register or cancel,
capacity holds under concurrency, organisers record attendance, coordinators and the regional admin
read each structure's participation, and the worker reminds the registered once."""
import html
import threading
from datetime import datetime, timedelta

import pytest
from conftest import MovableClock, csrf_from, get_user, login
from sqlalchemy import delete, select

from webapp import clock
from webapp.errors import Conflict, Forbidden, InvalidData, NotFound
from webapp.extensions import db
from webapp.models import OutboxMessage, Structure, SupportEvent, SupportRegistration
from webapp.operations import support_programme as ops
from webapp.queries import support_programme as queries

NOW = datetime(2026, 6, 10, 8, 0)  # UTC: 10:00 in Paris
REGIONAL_ADMIN, COORDINATOR_45, COORDINATOR_37 = "nathalie.bernard", "olivier.lambert", "helene.garnier"
CLAIRE, KARIM, SOPHIE_L, ISABELLE, SOPHIE_APEC = ("claire.martin", "karim.benali", "sophie.lefebvre",
                                                  "isabelle.roux", "sophie.marchand")
CRIJ_ADMIN = "pierre.faure"  # a structure's admin, not the regional one


@pytest.fixture(autouse=True)
def _programme_clean(app):
    def wipe():
        with app.app_context():
            db.session.execute(delete(SupportRegistration))
            db.session.execute(delete(SupportEvent))
            db.session.commit()
    wipe()
    yield
    wipe()


@pytest.fixture
def moved(monkeypatch):
    moving = MovableClock(NOW)
    monkeypatch.setattr(clock, "now", moving)
    return moving


def make_event(*, starts_in=timedelta(days=10), capacity=20, departement=None, networks=(), title="Journée technique CEP",
               kind="journee_technique") -> int:
    """An event straight in the table (past ones cannot be published through the form)."""
    starts_at = clock.now() + starts_in
    event = SupportEvent(kind=kind, title=title, description="", starts_at=starts_at, duration_minutes=180,
                         place="Hôtel de Région, Orléans", capacity=capacity, registered_count=0,
                         networks=list(networks), registration_deadline=starts_at - timedelta(hours=1),
                         departement=departement, created_by_id=get_user(REGIONAL_ADMIN).id, created_at=clock.now())
    db.session.add(event)
    db.session.commit()
    return event.id


def client_of(app, username):
    client = app.test_client()
    assert login(client, username).status_code in (302, 303)
    return client


def post_form(client, path, data, form_path=None):
    token = csrf_from(client.get(form_path or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


VALID = {"kind": "seminaire", "title": "Séminaire régional de l'orientation", "description": "Ouverture par la Région.",
         "date": "24/06/2026", "start_time": "09:30", "duration_minutes": "240", "place": "Hôtel de Région, Orléans",
         "capacity": "80", "deadline": "20/06/2026"}


# -- publication -------------------------------------------------------------------------------

def test_publication_refuses_bad_input_in_french_and_stores_nothing(app, moved):
    admin = client_of(app, REGIONAL_ADMIN)
    response = post_form(admin, "/programme/nouveau", {"kind": "", "title": "", "start_time": "25:99",
                                                      "capacity": "0", "online_url": "www.exemple.fr"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in body  # title, date, duration, deadline
    assert "Heure invalide : saisissez-la au format hh:mm" in body
    assert "La valeur doit être au moins 1." in body  # capacity
    assert "Saisissez une adresse complète commençant par https://." in body
    assert 'value="25:99"' in body  # what was typed comes back
    bad_dates = {**VALID, "kind": "webinaire", "place": "", "deadline": "30/06/2026", "date": "24/06/2026"}
    body = html.unescape(post_form(admin, "/programme/nouveau", bad_dates).get_data(as_text=True))
    assert "La date limite d'inscription ne peut pas être après l'événement." in body
    assert "Un webinaire a besoin d'un lien de connexion." in body
    past = post_form(admin, "/programme/nouveau", {**VALID, "date": "01/06/2026", "deadline": "01/06/2026"})
    assert "Cette date est déjà passée" in past.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(SupportEvent.id)) is None


def test_regional_admin_publishes_a_regional_event_and_a_coordinator_one_of_the_territory(app, moved):
    response = post_form(client_of(app, REGIONAL_ADMIN), "/programme/nouveau", VALID)
    assert response.status_code == 303
    shown = client_of(app, REGIONAL_ADMIN).get(response.headers["Location"]).get_data(as_text=True)
    assert "Séminaire régional de l&#39;orientation" in shown and "24/06/2026 09:30" in shown  # Paris time
    territory = {**VALID, "kind": "echange_pratiques", "title": "Échange de pratiques du Loiret", "networks": ["cio"]}
    assert post_form(client_of(app, COORDINATOR_45), "/programme/nouveau", territory).status_code == 303
    with app.app_context():
        events = {e.title: e for e in db.session.scalars(select(SupportEvent))}
        regional, local = events["Séminaire régional de l'orientation"], events["Échange de pratiques du Loiret"]
        assert regional.departement is None and regional.starts_at == datetime(2026, 6, 24, 7, 30)
        assert regional.registration_deadline == datetime(2026, 6, 20, 21, 59)  # 23:59 in Paris
        assert local.departement == "45" and local.networks == ["cio"]


@pytest.mark.parametrize("username", [CLAIRE, CRIJ_ADMIN, "julien.mercier"])
def test_only_the_regional_admin_and_coordinators_publish(app, moved, username):
    client = client_of(app, username)
    assert client.get("/programme/nouveau").status_code == 403
    token = csrf_from(client.get("/programme").get_data(as_text=True))
    assert client.post("/programme/nouveau", data={**VALID, "csrf_token": token}).status_code == 403
    assert "Publier un événement" not in client.get("/programme").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(SupportEvent.id)) is None


def test_an_event_is_offered_to_its_territory_and_networks_only(app, moved):
    with app.app_context():
        for_cio = make_event(networks=["cio"], title="Réservé aux CIO")
        loiret = make_event(departement="45", title="Rencontre du Loiret")
    isabelle, claire, apec = client_of(app, ISABELLE), client_of(app, CLAIRE), client_of(app, SOPHIE_APEC)
    assert "Réservé aux CIO" in isabelle.get("/programme").get_data(as_text=True)
    assert "Réservé aux CIO" not in claire.get("/programme").get_data(as_text=True)
    assert claire.get(f"/programme/{for_cio}").status_code == 404
    assert "Rencontre du Loiret" in claire.get("/programme").get_data(as_text=True)
    assert apec.get(f"/programme/{loiret}").status_code == 404  # APEC Tours is in Indre-et-Loire
    assert client_of(app, COORDINATOR_37).get(f"/programme/{loiret}").status_code == 404


# -- registration ------------------------------------------------------------------------------

def test_register_then_cancel_frees_the_place_and_registering_again_works(app, moved):
    with app.app_context():
        event_id = make_event(capacity=3)
    claire = client_of(app, CLAIRE)
    page = f"/programme/{event_id}"
    assert "3 restantes sur 3" in claire.get(page).get_data(as_text=True)
    response = post_form(claire, f"{page}/inscription", {}, page)
    assert response.status_code == 303
    body = claire.get(page).get_data(as_text=True)
    assert "Vous êtes inscrit·e." in body and "2 restantes sur 3" in body and "Annuler mon inscription" in body
    assert "Inscrit·e" in claire.get("/programme").get_data(as_text=True)
    again = post_form(claire, f"{page}/inscription", {}, page)
    assert "déjà inscrit·e" in claire.get(again.headers["Location"]).get_data(as_text=True)
    post_form(claire, f"{page}/annulation", {}, page)
    body = claire.get(page).get_data(as_text=True)
    assert "Votre inscription est annulée." in body and "3 restantes sur 3" in body
    post_form(claire, f"{page}/inscription", {}, page)
    with app.app_context():
        rows = db.session.scalars(select(SupportRegistration)).all()
        assert [(r.status, r.structure_id) for r in rows] == [("inscrit", get_user(CLAIRE).structure_id)]
        assert db.session.get(SupportEvent, event_id).registered_count == 1


def test_full_event_puts_people_on_the_waiting_list_and_a_cancellation_promotes_the_first(app, moved):
    with app.app_context():
        event_id = make_event(capacity=1)
        assert ops.register(get_user(CLAIRE), event_id) == "inscrit"
        moved.current += timedelta(minutes=1)
        assert ops.register(get_user(KARIM), event_id) == "liste_attente"
        moved.current += timedelta(minutes=1)
        assert ops.register(get_user(ISABELLE), event_id) == "liste_attente"
        db.session.commit()
    karim = client_of(app, KARIM)
    body = html.unescape(karim.get(f"/programme/{event_id}").get_data(as_text=True))
    assert "En liste d'attente" in body and "Position 1" in body
    assert "Position 2" in client_of(app, ISABELLE).get(f"/programme/{event_id}").get_data(as_text=True)
    with app.app_context():
        ops.cancel(get_user(CLAIRE), event_id)
        db.session.commit()
        statuses = dict(db.session.execute(select(SupportRegistration.user_id, SupportRegistration.status)).all())
        assert statuses[get_user(KARIM).id] == "inscrit" and statuses[get_user(ISABELLE).id] == "liste_attente"
        assert db.session.get(SupportEvent, event_id).registered_count == 1
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "programme_place"))
        assert message.to_address == get_user(KARIM).email and "Une place s'est libérée" in message.subject


def test_registration_closes_at_the_deadline(app, moved):
    with app.app_context():
        event_id = make_event(starts_in=timedelta(hours=2))  # deadline one hour before
        moved.current += timedelta(minutes=61)
        with pytest.raises(Conflict, match="closes"):
            ops.register(get_user(CLAIRE), event_id)
    assert "Les inscriptions sont closes." in client_of(app, CLAIRE).get(f"/programme/{event_id}").get_data(as_text=True)


def test_capacity_holds_when_four_colleagues_take_the_last_two_places_at_once(app, moved, monkeypatch):
    with app.app_context():
        event_id = make_event(capacity=2)
    users = [CLAIRE, KARIM, SOPHIE_L, ISABELLE]
    barrier = threading.Barrier(len(users), timeout=30)
    lock_event = ops._lock_event

    def at_the_same_moment(event_id):  # every one has read the event and found a place left
        barrier.wait()
        return lock_event(event_id)
    monkeypatch.setattr(ops, "_lock_event", at_the_same_moment)
    outcomes = {}

    def attempt(username):
        with app.app_context():
            try:
                outcomes[username] = ops.register(get_user(username), event_id)
                db.session.commit()
            except Exception as exc:  # a lock timeout would be a failure of the test, reported below
                db.session.rollback()
                outcomes[username] = exc
                barrier.abort()
    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes.values()) == ["inscrit", "inscrit", "liste_attente", "liste_attente"], outcomes
    with app.app_context():
        assert db.session.get(SupportEvent, event_id).registered_count == 2
        registered = db.session.scalars(select(SupportRegistration).where(SupportRegistration.status == "inscrit")).all()
        assert len(registered) == 2


def test_registration_posts_need_the_csrf_token(app, moved):
    with app.app_context():
        event_id = make_event()
    claire = client_of(app, CLAIRE)
    assert claire.post(f"/programme/{event_id}/inscription").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(SupportRegistration.id)) is None


# -- attendance --------------------------------------------------------------------------------

def _registered(event_id, *usernames):
    for username in usernames:
        ops.register(get_user(username), event_id)
    db.session.commit()
    return {username: db.session.scalar(select(SupportRegistration.id).where(
        SupportRegistration.user_id == get_user(username).id, SupportRegistration.event_id == event_id))
        for username in usernames}


def test_only_organisers_record_attendance_once_the_event_started(app, moved):
    with app.app_context():
        regional = make_event(starts_in=timedelta(days=1))
        loiret = make_event(starts_in=timedelta(days=1), departement="45", title="Rencontre du Loiret")
        ids = _registered(regional, CLAIRE, KARIM)
        local_ids = _registered(loiret, CLAIRE)
        with pytest.raises(Conflict, match="commencé"):
            ops.record_attendance(get_user(REGIONAL_ADMIN), regional, [ids[CLAIRE]])
        moved.current += timedelta(days=1, minutes=5)
        with pytest.raises(Forbidden):
            ops.record_attendance(get_user(CLAIRE), regional, [ids[CLAIRE]])
        with pytest.raises(Forbidden):
            ops.record_attendance(get_user(COORDINATOR_45), regional, [ids[CLAIRE]])  # a regional event
        with pytest.raises(NotFound):
            ops.record_attendance(get_user(COORDINATOR_37), loiret, [local_ids[CLAIRE]])
        with pytest.raises(InvalidData):
            ops.record_attendance(get_user(REGIONAL_ADMIN), regional, [local_ids[CLAIRE]])
        db.session.rollback()
    assert client_of(app, CLAIRE).get(f"/programme/{regional}/presences").status_code == 403
    coordinator = client_of(app, COORDINATOR_45)
    page = coordinator.get(f"/programme/{loiret}/presences")
    assert page.status_code == 200 and "Claire Martin" in page.get_data(as_text=True)
    assert post_form(coordinator, f"/programme/{loiret}/presences", {"present": [str(local_ids[CLAIRE])]}).status_code == 303
    admin = client_of(app, REGIONAL_ADMIN)
    response = post_form(admin, f"/programme/{regional}/presences", {"present": [str(ids[KARIM])]})
    assert "Présences enregistrées : 1 participant·e." in admin.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        attended = dict(db.session.execute(select(SupportRegistration.id, SupportRegistration.attended)).all())
        assert attended == {ids[CLAIRE]: False, ids[KARIM]: True, local_ids[CLAIRE]: True}


def test_registrants_names_are_shown_to_organisers_only(app, moved):
    with app.app_context():
        event_id = make_event()
        _registered(event_id, KARIM)
    assert "Karim Benali" in client_of(app, REGIONAL_ADMIN).get(f"/programme/{event_id}").get_data(as_text=True)
    for username in (CLAIRE, COORDINATOR_45, CRIJ_ADMIN):
        response = client_of(app, username).get(f"/programme/{event_id}")
        assert response.status_code == 200 and "Karim Benali" not in response.get_data(as_text=True)
        assert response.headers.get("Cache-Control") == "no-store"


# -- participation -----------------------------------------------------------------------------

def _structure_id(slug):
    return db.session.scalar(select(Structure.id).where(Structure.slug == slug))


def test_participation_per_structure_counts_attendees_events_and_share_of_staff(app, moved):
    with app.app_context():
        first = make_event(starts_in=timedelta(days=2), title="Journée A")
        second = make_event(starts_in=timedelta(days=3), title="Journée B", departement="45")
        a = _registered(first, CLAIRE, KARIM, ISABELLE, SOPHIE_APEC)
        b = _registered(second, CLAIRE)
        moved.current += timedelta(days=4)
        admin = get_user(REGIONAL_ADMIN)
        ops.record_attendance(admin, first, [a[CLAIRE], a[KARIM], a[SOPHIE_APEC]])  # Isabelle absent
        ops.record_attendance(admin, second, [b[CLAIRE]])
        db.session.commit()
        result = queries.participation(admin, 2026)
        rows = {r.structure.slug: r for r in result.rows}
        ml = rows["ml-orleans"]  # Claire, Karim, Sophie Lefebvre
        assert (ml.staff, ml.attendees, ml.events, ml.share) == (3, 2, 2, 67)
        assert (rows["cio-orleans"].attendees, rows["cio-orleans"].share) == (0, 0)
        assert rows["apec-tours"].attendees == 1
        assert result.participating == 2 and result.events_held == 2
        assert queries.participation(admin, 2025).participating == 0
        local = queries.participation(get_user(COORDINATOR_45), 2026)
        assert "apec-tours" not in {r.structure.slug for r in local.rows}
        assert {r.structure.departement for r in local.rows} == {"45"} and local.participating == 1
    page = client_of(app, COORDINATOR_45).get("/programme/participation?annee=2026").get_data(as_text=True)
    assert "Structures ayant participé" in page and "67 %" in page and "APEC Tours" not in page
    csv = client_of(app, REGIONAL_ADMIN).get("/programme/participation.csv?annee=2026")
    text = csv.get_data(as_text=True)
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert text.startswith("\ufeffStructure;Réseau;Département;Professionnel·les;Participant·es")
    assert any(line.endswith(";Mission Locale;45;3;2;67;2") for line in text.splitlines()), text


@pytest.mark.parametrize("path", ["/programme/participation", "/programme/participation.csv"])
@pytest.mark.parametrize("username", [CLAIRE, CRIJ_ADMIN, "julien.mercier"])
def test_participation_is_for_coordinators_and_the_regional_admin(app, moved, path, username):
    assert client_of(app, username).get(path).status_code == 403


# -- reminders ---------------------------------------------------------------------------------

def test_the_worker_reminds_the_registered_once_two_days_before(app, moved):
    from webapp.cli import _retention_pass
    with app.app_context():
        soon = make_event(starts_in=timedelta(days=5), capacity=2, title="Webinaire France Travail")
        _registered(soon, CLAIRE, KARIM, ISABELLE)  # Isabelle waits: no reminder
        _registered(make_event(starts_in=timedelta(days=5), title="Autre journée"), SOPHIE_L)
        ops.cancel(get_user(KARIM), soon)  # Isabelle takes Karim's place
        db.session.commit()
        assert ops.queue_reminders() == 0  # five days before: too early
        moved.current += timedelta(days=3, minutes=1)
        _retention_pass()  # the worker's pass
        reminders = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "rappel_programme")).all()
        assert sorted(m.to_address for m in reminders) == sorted(
            get_user(u).email for u in (CLAIRE, ISABELLE, SOPHIE_L))
        claire = next(m for m in reminders if m.to_address == get_user(CLAIRE).email)
        assert claire.subject.startswith("Rappel : Webinaire France Travail") and claire.to_structure_id == \
            get_user(CLAIRE).structure_id and f"/programme/{soon}" in claire.body
        _retention_pass()
        moved.current += timedelta(hours=12)
        assert ops.queue_reminders() == 0
        assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "rappel_programme")).all()) == 3


# -- demo ----------------------------------------------------------------------------------------

def test_demo_events_have_attendance_registrations_and_a_waiting_list_and_are_seeded_once(app):
    from webapp.demo_support_programme import seed_demo_support_programme
    with app.app_context():
        ids = seed_demo_support_programme()
        assert seed_demo_support_programme() == ids and len(ids) == 5
        webinar = db.session.get(SupportEvent, ids["Webinaire : financer une reconversion"])
        statuses = sorted(db.session.scalars(select(SupportRegistration.status).where(
            SupportRegistration.event_id == webinar.id)))
        assert statuses == ["inscrit"] * 3 + ["liste_attente"] and webinar.registered_count == 3
        year = clock.now().year if clock.now().month > 2 else None
        if year:  # the past events fall in this year except in January and February
            rows = {r.structure.slug: r for r in queries.participation(get_user(REGIONAL_ADMIN), year).rows}
            assert rows["ml-orleans"].attendees == 2 and rows["cio-orleans"].attendees == 1

