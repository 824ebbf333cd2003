"""Moving waiting journeys: the screens (preview, start, progress, resume) and who may use them."""
import html
import re

import pytest
from conftest import csrf_from, get_user, login
from sqlalchemy import select
from test_accessibility import TECHNICAL, _visible_text
from test_journey_migration import ADVISER, PILOTE, WAIT, confirmation_due_in, publish_orientation, waiting_for_answer

from webapp.extensions import db
from webapp.models import JourneyMigration
from webapp.operations import journey_migrations as migration_ops

# -- screens ------------------------------------------------------------------------------------

def _prepare(app, count: int = 2) -> list[int]:
    with app.app_context():
        ids = [waiting_for_answer().id for _ in range(count)]
        publish_orientation(confirmation_due_in(8))
        return ids


def test_the_screens_preview_start_and_follow_a_run(app, client, restore_versions):
    ids = _prepare(app)
    login(client, PILOTE)
    raw = client.get("/pilotage/parcours/accueil/migration?de=1&a=2").get_data(as_text=True)
    assert not TECHNICAL.findall(_visible_text(raw))
    page = html.unescape(raw)
    assert "Version 1 → version 2" in page
    assert "2 parcours en attente sur 2" in page.replace("<strong>", "").replace("</strong>", "")
    assert f"n°{ids[0]}" in page and "Lancer la migration" in page
    token = csrf_from(page)
    answer = client.post("/pilotage/parcours/accueil/migration", data={"csrf_token": token, "de": "1", "a": "2"})
    assert answer.status_code == 303
    progress_url = answer.headers["Location"]
    migration_id = int(re.search(r"/migration/(\d+)$", progress_url).group(1))
    raw = client.get(progress_url).get_data(as_text=True)
    assert not TECHNICAL.findall(_visible_text(raw))
    page = html.unescape(raw)
    assert "Terminée" in page and "<progress" in page and "migration.js" in page
    status = client.get(f"/pilotage/parcours/accueil/migration/{migration_id}.json").get_json()
    assert (status["done"], status["percent"], status["moved"], status["kept"], status["total"]) == (True, 100, 2, 0, 2)
    again = client.post("/pilotage/parcours/accueil/migration", data={"csrf_token": token, "de": "1", "a": "2"},
                        follow_redirects=True)
    again = html.unescape(again.get_data(as_text=True))
    assert "Aucun parcours n'attend sur la version 1 : il n'y a rien à migrer." in again
    assert "Aucun parcours ne peut passer à la version 2." in again
    assert client.get(f"/pilotage/parcours/accueil/migration/{10**20}.json").status_code == 404
    assert client.get("/pilotage/parcours/cep/migration/" + str(migration_id)).status_code == 404  # not cep's
    wrong = client.post("/pilotage/parcours/accueil/migration", data={"csrf_token": token, "de": str(10**20), "a": "x"},
                        follow_redirects=True)
    assert "nombre entier positif" in html.unescape(wrong.get_data(as_text=True))
    with app.app_context():
        assert len(db.session.scalars(select(JourneyMigration)).all()) == 1


def test_a_second_start_from_the_screen_says_one_is_running(app, client, restore_versions):
    _prepare(app, 1)
    with app.app_context():
        migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2)
        db.session.commit()
    login(client, PILOTE)
    page = client.get("/pilotage/parcours/accueil/migration?de=1&a=2").get_data(as_text=True)
    assert "suivre la migration" in page and "Lancer la migration" not in page
    answer = client.post("/pilotage/parcours/accueil/migration",
                         data={"csrf_token": csrf_from(page), "de": "1", "a": "2"}, follow_redirects=True)
    assert "déjà en cours" in html.unescape(answer.get_data(as_text=True))
    with app.app_context():
        assert len(db.session.scalars(select(JourneyMigration)).all()) == 1


def test_a_run_no_worker_advances_can_be_resumed_from_its_page(app, client, restore_versions):
    _prepare(app, 1)
    with app.app_context():
        migration_id = migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2).id
        db.session.commit()
    login(client, PILOTE)
    url = f"/pilotage/parcours/accueil/migration/{migration_id}"
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "En cours" in page and "Reprendre la migration" in page
    assert client.get(f"{url}.json").get_json()["done"] is False
    answer = client.post(f"{url}/reprendre", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "1 parcours traité(s)" in html.unescape(answer.get_data(as_text=True))
    assert client.get(f"{url}.json").get_json()["done"] is True


def test_only_process_owners_reach_the_migration_screens(app, client, restore_versions):
    _prepare(app, 1)
    with app.app_context():
        migration_id = migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2).id
        db.session.commit()
    login(client, ADVISER)
    token = csrf_from(client.get("/").get_data(as_text=True))
    base = "/pilotage/parcours/accueil/migration"
    for url in (base, f"{base}/{migration_id}", f"{base}/{migration_id}.json"):
        assert client.get(url).status_code == 403, url
    assert client.post(base, data={"csrf_token": token, "de": "1", "a": "2"}).status_code == 403
    assert client.post(f"{base}/{migration_id}/reprendre", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        migration = db.session.get(JourneyMigration, migration_id)
        assert (migration.moved, migration.last_journey_id) == (0, 0)
        assert len(db.session.scalars(select(JourneyMigration)).all()) == 1


def test_the_progress_page_follows_the_run_in_the_browser_at_390_px(app, server, restore_versions):
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_browser import ARGS, CHROMIUM, _login
    _prepare(app, 2)
    with app.app_context():
        migration_id = migration_ops.start_migration(get_user(PILOTE), "accueil", 1, 2).id
        db.session.commit()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = _login(browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}), server, PILOTE)
            page.goto(f"{server}/pilotage/parcours/accueil/migration?de=1&a=2")
            assert page.get_by_role("link", name="suivre la migration n°" + str(migration_id)).is_visible()
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            errors = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.get_by_role("link", name="suivre la migration n°" + str(migration_id)).click()
            progress = page.get_by_label("Progression")
            assert progress.get_attribute("value") == "0" and page.get_by_text("En cours").is_visible()
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            with app.app_context():  # the worker's pass, while the page polls
                assert migration_ops.run_pending_migrations() == 2
            sync_api.expect(page.locator("[data-field=status]")).to_have_text("Terminée", timeout=WAIT * 1000)
            sync_api.expect(page.get_by_label("Progression")).to_have_attribute("value", "100", timeout=WAIT * 1000)
            sync_api.expect(page.locator("[data-field=moved]")).to_have_text("2")
            assert not page.get_by_role("button", name="Reprendre la migration").count()
            assert errors == []
        finally:
            browser.close()
