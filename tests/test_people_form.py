"""Forms on the screens: checked person details, the error summary, conditional fields, the partner
picker, the task header (role, urgency, the partner's comment) and the early first contact."""
import html
import re
from datetime import timedelta

from conftest import csrf_from, login
from test_orientation import (RECEIVER, SENDER, accept, answer, send, start_referral, structure,
                              the_task, today)

from webapp import clock
from webapp.extensions import db
from webapp.models import HumanTask, Person


def _post(client, path, data):
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def _reception(client) -> int:
    home = client.get("/")
    response = client.post("/parcours", data={"process_key": "accueil",
                                              "csrf_token": csrf_from(home.get_data(as_text=True))})
    assert response.status_code == 303
    return int(response.location.rsplit("/", 1)[1])


def _input(page: str, name: str) -> str:
    match = re.search(rf'<input id="f-{name}"[^>]*>', page)
    assert match, f"no input f-{name}"
    return match.group(0)


# -- person details -----------------------------------------------------------------------------

def test_identity_form_refuses_bad_details_in_french_and_keeps_them(client, app):
    """On the dossier, are a truncated phone, a broken e-mail and an ambiguous commune each
    refused on their field, marked invalid, with what was typed kept and nothing stored?"""
    login(client, SENDER)
    task_id = _reception(client)
    _post(client, f"/taches/{task_id}", {"canal": "telephone", "anonyme": "true", "public": "salarie"})
    with app.app_context():
        person_id = db.session.get(HumanTask, task_id).person_id
    response = _post(client, f"/personnes/{person_id}/identite", {
        "nom": "Martin", "telephone": "06 12 34", "email": "paul.martin@", "commune": "Vineuil",
        "public": "salarie"})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert re.search(r'id="erreur-telephone"[^>]*>Numéro de téléphone invalide', page)
    assert re.search(r'id="erreur-email"[^>]*>Adresse de courriel invalide', page)
    assert "Plusieurs communes correspondent : Vineuil (36110), Vineuil (41350)." in page
    telephone = _input(page, "telephone")
    assert 'aria-invalid="true"' in telephone and 'value="06 12 34"' in telephone
    assert re.search(r'aria-describedby="[^"]*erreur-telephone', telephone)
    with app.app_context():
        assert db.session.get(Person, person_id).telephone is None


def test_identity_form_stores_phone_and_commune_in_their_official_spelling(client, app):
    login(client, SENDER)
    task_id = _reception(client)
    _post(client, f"/taches/{task_id}", {"canal": "telephone", "anonyme": "true", "public": "salarie"})
    with app.app_context():
        person_id = db.session.get(HumanTask, task_id).person_id
    response = _post(client, f"/personnes/{person_id}/identite", {
        "nom": "Martin", "telephone": "0612345678", "commune": "vineuil 41350", "public": "salarie",
        "annee_naissance": str(clock.now().year - 30)})
    assert response.status_code == 303
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert (person.telephone, person.commune, person.commune_code) == \
            ("06 12 34 56 78", "Vineuil (41350)", "41295")


# -- error summary and conditional fields -------------------------------------------------------

def test_a_failed_submission_lists_each_error_at_the_top_with_a_link(client):
    """After a failed welcome, is there one summary before the form (alert, focusable) whose links
    lead to each faulty field, and no second generic alert?"""
    login(client, SENDER)
    task_id = _reception(client)
    response = _post(client, f"/taches/{task_id}", {"canal": "sur_place", "anonyme": "false",
                                                    "annee_naissance": "deux mille"})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    summary = re.search(r'<div class="error-summary[^>]*>(.*?)</div>', page, re.S)
    assert summary and 'role="alert"' in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    assert "Le formulaire contient 3 erreurs" in summary.group(1)
    links = re.findall(r'<a href="#f-(\w+)"[^>]*>([^<]*)</a>', summary.group(1))
    assert [name for name, _text in links] == ["nom", "annee_naissance", "public"]
    assert "Nom : Ce champ est obligatoire." in dict((t, t) for _n, t in links)
    assert page.index("error-summary") < page.index('<form method="post" action="/taches/')
    assert page.count('role="alert"') == 1
    # every link has its target: the first radio of the public's choices included
    for name, _text in links:
        assert f'id="f-{name}"' in page
    assert 'aria-invalid="true"' in re.search(r'<select id="f-public"[^>]*>', page).group(0)


def test_welcome_page_ties_identity_fields_to_the_anonymity_answer(client):
    """Does the page carry, for the script, the branch of each identity field, with the name's
    required mark shown only once « Non » is answered, and the condition in words?"""
    login(client, SENDER)
    task_id = _reception(client)
    page = html.unescape(client.get(f"/taches/{task_id}").get_data(as_text=True))
    assert re.search(r'id="champ-nom" data-show-when="anonyme=false"', page)
    assert re.search(r'id="champ-email" data-show-when="anonyme=false"', page)
    assert 'id="champ-public" data-show-when' not in page
    assert re.search(r'<span class="req" title="obligatoire" data-required-when="anonyme=false" hidden>', page)
    assert "Obligatoire si « La personne souhaite rester anonyme » est « Non »." in page
    assert 'src="/static/spro.js"' in page or "spro.js" in page


# -- the partner picker -------------------------------------------------------------------------

def test_partner_picker_lists_suggestions_first_with_details_and_every_structure_once(client, app):
    """Is the partner chosen among radio buttons, suggestions first with their reasons, each
    structure once with its address, hours, phone and e-mail, never the sender itself, and a
    filter ready for the script?"""
    with app.app_context():
        journey = start_referral()
        task_id = the_task(journey, "choisir_partenaire").id
        cio = structure("cio-orleans")
        cio_id, cio_phone, cio_email, cio_address = cio.id, cio.phone, cio.email, cio.address
        own_id = structure("ml-orleans").id
    login(client, SENDER)
    page = html.unescape(client.get(f"/taches/{task_id}").get_data(as_text=True))
    assert '<select id="f-partenaire_id"' not in page
    assert page.count(f'name="partenaire_id" value="{cio_id}"') == 1
    assert f'name="partenaire_id" value="{own_id}"' not in page
    suggestions = re.search(r'<ol class="suggestions">(.*?)</ol>\s*\n', page, re.S).group(1)
    first = re.search(r"<strong>(.*?)</strong>", suggestions).group(1)
    assert first == "CIO d'Orléans" and "premier interlocuteur" in suggestions
    assert cio_phone in suggestions and cio_email in suggestions and cio_address in suggestions
    assert "Horaires :" in suggestions
    assert page.index('class="suggestions"') < page.index('class="structures"')
    assert re.search(r'<p class="partner-filter" hidden data-filter-box>', page)
    assert 'data-filter="liste-partenaire_id"' in page


def test_choosing_a_partner_through_the_radio_list_sends_the_referral(client, app):
    with app.app_context():
        journey = start_referral()
        task_id = the_task(journey, "choisir_partenaire").id
        cio_id = structure("cio-orleans").id
    login(client, SENDER)
    response = _post(client, f"/taches/{task_id}", {"decision": "orienter", "partenaire_id": str(cio_id),
                                                    "motif": "Choix de seconde."})
    assert response.status_code == 303
    with app.app_context():
        assert the_task(journey, "informer_personne").data is None


# -- the task header ----------------------------------------------------------------------------

def test_task_header_speaks_french_and_shows_urgency(client, app):
    """Is the role named as people say it (no code), and an urgent task badged « Urgent »?"""
    with app.app_context():
        journey = start_referral()
        task = the_task(journey, "choisir_partenaire")
        task_id = task.id
    login(client, SENDER)
    page = html.unescape(client.get(f"/taches/{task_id}").get_data(as_text=True))
    assert "Rôle : conseiller·ère" in page and "Rôle : conseiller\n" not in page
    assert "Urgent" not in page
    with app.app_context():
        db.session.get(HumanTask, task_id).priority = 1
        db.session.commit()
    page = html.unescape(client.get(f"/taches/{task_id}").get_data(as_text=True))
    assert '<span class="badge late">Urgent</span>' in page


def test_the_sender_reads_the_partners_comment(client, app):
    """After the CIO refuses with a comment, does the sender's next task show that comment?"""
    with app.app_context():
        journey = start_referral()
        send(journey)
        answer(journey, {"reponse": "refuser", "motif_refus": "capacite",
                         "commentaire": "Plus de créneau avant février."})
        task_id = the_task(journey, "choisir_partenaire").id
    login(client, SENDER)
    page = html.unescape(client.get(f"/taches/{task_id}").get_data(as_text=True))
    assert "Commentaire de CIO d'Orléans : Plus de créneau avant février." in page


# -- dates on the screens -----------------------------------------------------------------------

def test_a_first_contact_before_the_appointment_needs_an_explanation_on_screen(client, app):
    """Accepted for in three days, a first contact confirmed today (typed jj/mm/aaaa): is an
    explanation asked for, with the appointment date in French, and accepted once given?"""
    appointment = (clock.now() + timedelta(days=3)).date()
    with app.app_context():
        journey = start_referral()
        send(journey)
        accept(journey, day=appointment.isoformat())
        task_id = the_task(journey, "confirmer_premier_contact").id
    login(client, RECEIVER)
    page = html.unescape(client.get(f"/taches/{task_id}").get_data(as_text=True))
    french = appointment.strftime("%d/%m/%Y")
    assert f"Obligatoire si le premier contact a eu lieu avant le rendez-vous fixé au {french}." in page
    typed = clock.now().strftime("%d/%m/%Y")
    response = _post(client, f"/taches/{task_id}", {"premier_contact": "confirme", "date_premier_contact": typed})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert f"Le premier contact ({typed}) est antérieur au rendez-vous fixé au {french} : expliquez pourquoi." in page
    response = _post(client, f"/taches/{task_id}", {"premier_contact": "confirme", "date_premier_contact": typed,
                                                    "contact_anticipe": "Venue plus tôt, un créneau s'est libéré."})
    assert response.status_code == 303
    with app.app_context():
        done = db.session.get(HumanTask, task_id)
        assert done.data["date_premier_contact"] == today()


def test_a_finished_task_shows_its_dates_in_french(client, app):
    with app.app_context():
        journey = start_referral()
        send(journey)
        accept(journey)
        task_id = db.session.scalar(db.select(HumanTask.id).where(
            HumanTask.journey_id == journey.id, HumanTask.bpmn_id == "traiter_orientation"))
    login(client, RECEIVER)
    page = client.get(f"/taches/{task_id}").get_data(as_text=True)
    assert f'value="{clock.now().strftime("%d/%m/%Y")}" disabled' in page


# -- in a real browser: the script that shows branches, focuses the summary, filters partners ----

def test_the_form_script_in_a_browser(app):
    """In headless Chromium: are identity fields hidden until « Non » (anonymous) is answered, the
    name's required mark shown with them, the error summary focused after a failed submission and
    its link leading to the field, and the partner list narrowed by the filter?"""
    import os
    import threading
    from pathlib import Path

    import pytest
    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("SPRO_REQUIRE_BROWSER"):
            raise RuntimeError("SPRO_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    from werkzeug.serving import make_server

    from conftest import get_user
    from test_orientation import open_tasks

    from webapp.operations.journeys import start_journey
    with app.app_context():
        journey = start_referral()
        choice_id = the_task(journey, "choisir_partenaire").id
        reception = start_journey(get_user(SENDER), "accueil")
        db.session.commit()
        welcome_id = open_tasks(reception)[0].id
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_context(locale="fr-FR").new_page()
            page.goto(f"{base}/login")
            page.fill("#username", SENDER)
            page.fill("#password", "demo-spro-2026")
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
            page.goto(f"{base}/taches/{welcome_id}")
            assert not page.locator("#f-nom").is_visible()
            page.check("input[name=anonyme][value=false]")
            assert page.locator("#f-nom").is_visible() and page.locator("#champ-nom .req").is_visible()
            page.check("input[name=anonyme][value=true]")
            assert not page.locator("#f-nom").is_visible()
            page.check("input[name=anonyme][value=false]")
            page.fill("#f-telephone", "06 12")
            page.get_by_role("button", name="Enregistrer et continuer").click()
            page.wait_for_load_state("load")
            assert page.evaluate("document.activeElement.id") == "resume-erreurs"
            page.click(".error-summary a[data-field=telephone]")
            assert page.evaluate("document.activeElement.id") == "f-telephone"

            page.goto(f"{base}/taches/{choice_id}")
            assert not page.locator(".partner-list").is_visible()
            page.check("input[name=decision][value=orienter]")
            assert page.locator("#filtre-partenaire_id").is_visible()
            everyone = page.locator(".partner-list li[data-search]:visible").count()
            page.fill("#filtre-partenaire_id", "bourges")
            shown = page.locator(".partner-list li[data-search]:visible")
            assert 0 < shown.count() < everyone
            assert all("Bourges" in shown.nth(i).inner_text() for i in range(shown.count()))
            browser.close()
    finally:
        srv.shutdown()
