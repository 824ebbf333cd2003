"""A counsellor's reception in a real browser (headless Debian Chromium driven by Playwright)."""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():
    if os.environ.get("SPRO_REQUIRE_BROWSER"):
        raise RuntimeError("SPRO_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed (scripts/ensure_chromium.sh installs it)",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()


@pytest.fixture
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="fr-FR")
        yield context.new_page()
        browser.close()


def test_counsellor_receives_a_person_and_hands_personalised_handling_on(server, page):
    page.goto(f"{server}/login")
    page.fill("#username", "claire.martin")
    page.fill("#password", "demo-spro-2026")
    page.click("button[type=submit]")
    page.get_by_role("button", name="Nouvel accueil").click()
    assert page.get_by_role("heading", name="Accueillir la personne").is_visible()

    page.get_by_role("button", name="Enregistrer et continuer").click()  # empty: refused
    assert page.locator("#erreur-canal").inner_text() == "Ce champ est obligatoire."

    page.check("input[name=canal][value=sur_place]")
    page.check("input[name=anonyme][value=false]")
    page.fill("#f-prenom", "Léa")
    page.fill("#f-nom", "Durand")
    page.select_option("#f-public", "scolaire")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    assert page.get_by_role("heading", name="Analyser la demande").is_visible()
    page.get_by_label("Confirmer son choix de métier").check()
    page.fill("#f-besoins", "Hésite entre deux filières")
    page.check("input[name=urgence][value=normale]")
    page.check("input[name=reponse][value=prise_en_charge]")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    assert page.get_by_role("heading", name="Entretien individuel d'information").is_visible()
    page.get_by_role("link", name="Mes tâches").click()
    assert page.get_by_role("link", name="Entretien individuel d'information").is_visible()
    page.get_by_role("link", name="Léa Durand").first.click()
    assert "Dossier · Léa Durand" in page.locator("h1").inner_text()
    assert page.get_by_text("« Analyser la demande » terminée").is_visible()
