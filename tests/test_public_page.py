"""The public page « Trouver une structure » (no sign-in) and its « Être recontacté·e » form."""
import re
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from conftest import csrf_from, login
from sqlalchemy import func, select

from webapp import clock
from webapp.extensions import db, limiter
from webapp.models import AuditEvent, ContactRequest, HumanTask, Journey, OutboxMessage, Person, Structure

T0 = datetime(2026, 12, 1, 9, 0, 0)  # a Tuesday
LEA = {"nom": "Léa", "email": "lea.durand@exemple.fr", "telephone": "0612345678",
       "message": "Je voudrais savoir quels métiers me correspondent.", "consentement": "oui"}


@pytest.fixture(autouse=True)
def _fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def moment(monkeypatch):
    """The application clock, moved by the test: {"now": datetime}."""
    state = {"now": T0}
    monkeypatch.setattr(clock, "now", lambda: state["now"])
    return state


def _structure_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Structure.id).where(Structure.slug == slug))


def _result_names(html: str) -> list[str]:
    return [unescape(n) for n in re.findall(r'<h3 id="structure-\d+">([^<]+)</h3>', html)]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _open_form(client, structure_id: int) -> str:
    page = client.get(f"/trouver/{structure_id}/recontact?commune=Orl%C3%A9ans&public=scolaire&besoin=choisir-un-metier")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _post(client, structure_id: int, html: str, **values):
    stamp = re.search(r'name="depuis" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf_from(html), "depuis": stamp, "commune": "Orléans", "public": "scolaire",
            "besoin": "choisir-un-metier", "site_web": ""}
    data.update(values)
    return client.post(f"/trouver/{structure_id}/recontact", data=data)


# -- search ---------------------------------------------------------------------------------

def test_search_by_commune_lists_the_nearest_suitable_structures_first(client):
    page = client.get("/trouver?commune=Saint-Jean-de-Braye&public=scolaire&besoin=choisir-un-metier")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    names = _result_names(html)
    # Its own commune first, then its bassin (Orléans) by name, then neighbouring départements.
    assert names[:4] == ["UIMM Centre-Val de Loire — promotion des métiers de l'industrie",
                         "CCI Loiret — Point A", "CIO d'Orléans", "CRIJ Centre-Val de Loire"]
    assert "Mission Locale de l'Orléanais" not in names  # does not receive pupils
    assert len(names) == 10
    assert "près de Saint-Jean-de-Braye (45800)" in unescape(html)
    assert "Dans votre commune" in html and "Dans votre bassin d&#39;emploi" in html
    # Hours and contacts of the directory are shown.
    assert "Lundi au vendredi : 9h00–12h30 et 13h30–17h30 ; pendant les vacances scolaires : sur rendez-vous" in unescape(html)


def test_search_by_postal_code_resolves_the_commune(client):
    html = client.get("/trouver?commune=37000&public=scolaire&besoin=choisir-un-metier").get_data(as_text=True)
    names = _result_names(html)
    assert names[:3] == ["Centre Information Jeunesse de Touraine", "CIO de Tours",
                         "Fédération du BTP d'Indre-et-Loire — métiers du bâtiment"]
    assert "près de Tours (37000)" in unescape(html)
    assert all("Orléans" not in n for n in names[:3])


def test_a_postal_code_shared_by_several_communes_asks_which_one(client):
    html = unescape(client.get("/trouver?commune=41000").get_data(as_text=True))
    assert "Plusieurs communes correspondent à « 41000 »" in html
    assert "Villebarou" in html and "Blois" in html
    assert _result_names(html) == []
    chosen = unescape(client.get("/trouver?commune=Blois+41000&public=scolaire").get_data(as_text=True))
    assert _result_names(chosen)[:3] == ["Bureau Information Jeunesse de Loir-et-Cher",
                                         "Chambre de métiers de Loir-et-Cher — centre d'aide à la décision",
                                         "CIO de Blois"]


def test_unknown_commune_and_bad_choices_are_explained_in_french(client):
    page = client.get("/trouver?commune=Paris&public=pirate")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 422
    assert "Commune inconnue en Centre-Val de Loire" in html
    assert "Choisissez une situation de la liste." in html
    assert 'id="f-commune"' in html and 'aria-describedby="aide-commune erreur-commune"' in html
    assert _result_names(html) == []
    empty = client.get("/trouver?commune=")
    assert empty.status_code == 422 and "Indiquez votre commune" in empty.get_data(as_text=True)


def test_the_login_page_links_to_the_public_page(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/trouver"' in html
    first = client.get("/trouver")
    assert first.status_code == 200 and "Trouver une structure" in first.get_data(as_text=True)


# -- « Être recontacté·e » --------------------------------------------------------------------

def test_a_contact_request_lands_in_that_structures_queue_only(app, moment):
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    assert "Être recontacté·e par CIO d&#39;Orléans" in html
    moment["now"] = T0 + timedelta(seconds=40)
    answer = _post(visitor, cio, html, **LEA)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/trouver/{cio}/envoyee")
    assert "Votre demande est envoyée" in visitor.get(answer.headers["Location"]).get_data(as_text=True)

    with app.app_context():
        request = db.session.scalar(select(ContactRequest))
        person = db.session.get(Person, request.person_id)
        journey = db.session.get(Journey, request.journey_id)
        task = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == journey.id))
        assert (person.prenom, person.email, person.telephone) == ("Léa", "lea.durand@exemple.fr", "06 12 34 56 78")
        assert (person.public, person.commune_code) == ("scolaire", "45234")
        assert journey.process_key == "accueil" and journey.structure_id == cio
        assert (task.title, task.status, task.structure_id, task.assignee_id) == \
            ("Accueillir la personne", "ouverte", cio, None)
        assert task.due_at == datetime(2026, 12, 3, 9, 0, 40)  # two working days
        assert request.message == LEA["message"] and "recontacter" in request.consent_text
        message = db.session.scalar(select(OutboxMessage))
        assert message.to_structure_id == cio and message.person_id == person.id
        assert "à traiter avant le 03/12/2026" in message.body and f"/personnes/{person.id}" in message.body
        assert LEA["message"] not in message.body and "lea.durand" not in message.body
        trail = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "public.contact_request"))
        assert trail.structure_id == cio and trail.person_id == person.id and trail.user_id is None
        task_id = task.id
        from conftest import get_user
        from webapp.queries.public_finder import request_for_journey
        assert request_for_journey(get_user("isabelle.roux"), journey.id).id == request.id
        assert request_for_journey(get_user("claire.martin"), journey.id) is None  # another structure

    counsellor = app.test_client()
    login(counsellor, "isabelle.roux")
    queue = counsellor.get("/taches?scope=queue").get_data(as_text=True)
    assert f"/taches/{task_id}" in queue and "Léa" in queue
    task_page = unescape(counsellor.get(f"/taches/{task_id}").get_data(as_text=True))
    assert "Demande reçue par la page publique" in task_page
    assert f"« {LEA['message']} »" in task_page and "06 12 34 56 78" in task_page
    assert "Besoin</dt><dd>Choisir un métier" in task_page
    assert "Demande de recontact (page publique)" in unescape(counsellor.get("/messages").get_data(as_text=True))
    dossier = unescape(counsellor.get(f"/personnes/{person.id}").get_data(as_text=True))
    assert "Demande de recontact reçue par la page publique" in dossier

    other = app.test_client()
    login(other, "claire.martin")  # Mission Locale d'Orléans
    assert f"/taches/{task_id}" not in other.get("/taches?scope=queue").get_data(as_text=True)
    assert other.get(f"/taches/{task_id}").status_code == 404
    assert other.get(f"/personnes/{person.id}").status_code == 404


def test_a_filled_honeypot_is_dropped_silently(app, moment):
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    assert 'class="hp" aria-hidden="true"' in html and 'tabindex="-1"' in html
    moment["now"] = T0 + timedelta(seconds=40)
    answer = _post(visitor, cio, html, site_web="http://promo.example", **LEA)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/envoyee")
    assert _count(app, ContactRequest) == _count(app, Person) == _count(app, Journey) == 0


def _stamp_of(html: str) -> str:
    return re.search(r'name="depuis" value="([^"]+)"', html).group(1)


def test_a_form_sent_back_too_fast_or_with_a_forged_time_creates_nothing(app, moment):
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    moment["now"] = T0 + timedelta(seconds=1)
    assert _post(visitor, cio, html, **LEA).status_code == 422  # shown again, never « envoyée »
    forged = _post(visitor, cio, html, depuis="2026-12-01T08:00:00", **LEA)
    assert forged.status_code == 422 and "Le formulaire a expiré" in forged.get_data(as_text=True)
    assert _stamp_of(forged.get_data(as_text=True)) not in ("2026-12-01T08:00:00", _stamp_of(html))  # a new one
    moment["now"] = T0 + timedelta(hours=5)
    assert _post(visitor, cio, html, **LEA).status_code == 422  # drawn too long ago
    assert _count(app, ContactRequest) == _count(app, Person) == _count(app, Journey) == 0


def test_a_quick_correction_after_an_error_is_recorded(app, moment):
    """Review finding: a redraw used to carry a new display time, so a send 2 s later was taken for a
    robot, dropped, and the visitor told « Votre demande est envoyée »."""
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    moment["now"] = T0 + timedelta(seconds=40)
    unticked = _post(visitor, cio, html, **{k: v for k, v in LEA.items() if k != "consentement"})
    redrawn = unticked.get_data(as_text=True)
    assert unticked.status_code == 422 and "Cochez cette case" in redrawn
    assert _stamp_of(redrawn) == _stamp_of(html)  # the original display time, carried forward
    moment["now"] = T0 + timedelta(seconds=42)
    answer = _post(visitor, cio, redrawn, **LEA)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/envoyee")
    assert _count(app, ContactRequest) == _count(app, Person) == _count(app, Journey) == 1


def test_a_visitor_too_fast_is_asked_to_send_again_and_keeps_what_they_typed(app, moment):
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    moment["now"] = T0 + timedelta(seconds=2)
    answer = _post(visitor, cio, html, **LEA)
    page = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422 and "Location" not in answer.headers
    assert "Votre demande n'a pas été envoyée" in page and "envoyez-la de nouveau" in page
    assert 'value="lea.durand@exemple.fr"' in page and LEA["message"] in page and 'value="oui" checked' in page
    assert _count(app, ContactRequest) == _count(app, Person) == 0
    moment["now"] = T0 + timedelta(seconds=9)  # checked, then sent again from the redrawn form
    assert _post(visitor, cio, answer.get_data(as_text=True), **LEA).status_code == 303
    assert _count(app, ContactRequest) == 1


def test_contact_fields_fit_their_columns(app, moment):
    """Review finding: e-mails of 201 to 254 characters passed the form and failed on PostgreSQL
    (person.email is String(200)); each limit is checked against its column and shown on the input."""
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    moment["now"] = T0 + timedelta(seconds=40)
    columns = Person.__table__.c
    for name, column in (("nom", columns.prenom), ("email", columns.email), ("telephone", columns.telephone)):
        limit = int(re.search(rf'id="f-{name}"[^>]*maxlength="(\d+)"', html).group(1))
        assert limit <= column.type.length, name
    assert 'id="f-email" name="email" type="email" value="" autocomplete="email" maxlength="200"' in html
    domain = "@exemple.fr"
    long_email = "a" * (201 - len(domain)) + domain
    too_long = _post(visitor, cio, html, **{**LEA, "email": long_email})
    page = unescape(too_long.get_data(as_text=True))
    assert too_long.status_code == 422
    assert '<p class="error" id="erreur-email">200 caractères au plus (vous en avez saisi 201).</p>' in page
    assert f'value="{long_email}"' in page  # what was typed stays, to be shortened
    for name, column, text in (("nom", columns.prenom, "L"), ("telephone", columns.telephone, "0")):
        typed = text * (column.type.length + 1)
        answer = _post(visitor, cio, html, **{**LEA, name: typed})
        assert answer.status_code == 422, name
        assert (f'<p class="error" id="erreur-{name}">{column.type.length} caractères au plus '
                f'(vous en avez saisi {column.type.length + 1}).</p>') in unescape(answer.get_data(as_text=True))
    # A valid number under the limit as typed, over it once written out (« +1 650-253-0000 ext. … »).
    extension = _post(visitor, cio, html, **{**LEA, "telephone": "+16502530000 ext 11111111111111111111"})
    assert extension.status_code == 422
    assert "Ce numéro fait plus de 40 caractères une fois mis en forme" in unescape(extension.get_data(as_text=True))
    assert _count(app, ContactRequest) == _count(app, Person) == _count(app, Journey) == 0
    assert _post(visitor, cio, html, **{**LEA, "email": "a" * (200 - len(domain)) + domain}).status_code == 303


def test_bad_input_shows_french_errors_on_each_field_and_creates_nothing(app, moment):
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    moment["now"] = T0 + timedelta(seconds=40)
    answer = _post(visitor, cio, html, nom=" ", email="lea@", telephone="12", message="x" * 1001)
    page = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert "Le formulaire contient 5 erreurs" in page
    assert '<p class="error" id="erreur-nom">Ce champ est obligatoire.</p>' in page
    assert "Adresse de courriel invalide" in page and "Numéro de téléphone invalide" in page
    assert "1000 caractères au plus (vous en avez saisi 1001)" in page
    assert "Cochez cette case pour que la structure puisse vous recontacter." in page
    assert 'id="f-email" name="email" type="email" value="lea@"' in page  # what was typed stays
    assert 'aria-invalid="true" aria-describedby="erreur-consentement"' in page
    no_contact = _post(visitor, cio, html, **{**LEA, "email": "", "telephone": ""})
    assert no_contact.status_code == 422
    assert "Indiquez un courriel ou un numéro de téléphone" in unescape(no_contact.get_data(as_text=True))
    assert _count(app, ContactRequest) == _count(app, Person) == _count(app, Journey) == 0


def test_tampered_search_choices_are_dropped_not_held_against_the_visitor(app, moment):
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    moment["now"] = T0 + timedelta(seconds=40)
    assert _post(visitor, cio, html, public="pirate", besoin="x\x00", commune="Atlantide", **LEA).status_code == 303
    with app.app_context():
        request = db.session.scalar(select(ContactRequest))
        assert (request.public, request.theme, request.commune_code) == (None, None, None)


def test_without_csrf_nothing_is_created(app, moment):
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    moment["now"] = T0 + timedelta(seconds=40)
    assert _post(visitor, cio, html, csrf_token="faux", **LEA).status_code == 400
    assert _count(app, ContactRequest) == 0


def test_too_many_requests_from_one_address_get_a_french_429(app, moment):
    cio = _structure_id(app, "cio-orleans")
    before = app.config["PUBLIC_CONTACT_RATE_LIMIT"]
    app.config["PUBLIC_CONTACT_RATE_LIMIT"] = "2 per hour"
    try:
        visitor = app.test_client()
        html = _open_form(visitor, cio)
        moment["now"] = T0 + timedelta(seconds=40)
        assert _post(visitor, cio, html, **LEA).status_code == 303
        assert _post(visitor, cio, html, **LEA).status_code == 303
        third = _post(visitor, cio, html, **LEA)
        assert third.status_code == 429
        assert "Trop de demandes ont été envoyées depuis votre connexion" in third.get_data(as_text=True)
        assert _count(app, ContactRequest) == 2
    finally:
        app.config["PUBLIC_CONTACT_RATE_LIMIT"] = before


def test_structures_that_receive_no_public_cannot_be_asked(app):
    with app.app_context():
        region = db.session.scalar(select(Structure.id).where(Structure.network == "region"))
    assert region is not None
    assert app.test_client().get(f"/trouver/{region}/recontact").status_code == 404
    assert app.test_client().get("/trouver/999999/recontact").status_code == 404


# -- in a browser, at phone and desktop widths ---------------------------------------------

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}])
def test_browser_search_pick_and_ask_to_be_contacted(app, server, viewport):
    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.skip("Debian's chromium or axe-core is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    cio = _structure_id(app, "cio-orleans")
    before = app.config["PUBLIC_CONTACT_MIN_SECONDS"]
    app.config["PUBLIC_CONTACT_MIN_SECONDS"] = 0  # a robot fills faster than a person
    problems = []

    def check(page, name):
        page.evaluate(AXE.read_text(encoding="utf-8"))
        for v in page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))"
                               ".violations.map(v => v.id + ' ' + v.nodes.map(n => n.target).join(','))"):
            problems.append(f"{name}: {v}")
        if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"):
            problems.append(f"{name}: défile de côté")

    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(locale="fr-FR", viewport=viewport).new_page()
            page.goto(f"{server}/login")
            page.get_by_role("link", name=re.compile("Trouvez une structure près de chez vous")).click()
            check(page, "trouver")
            page.get_by_label("Votre commune ou son code postal").fill("Orléans")
            page.get_by_label("Votre situation").select_option("scolaire")
            page.get_by_label("Ce que vous cherchez").select_option("choisir-un-metier")
            page.get_by_role("button", name="Rechercher").click()
            assert page.get_by_role("heading", name="CIO d'Orléans").is_visible()
            check(page, "résultats")
            page.get_by_role("link", name="Être recontacté·e par CIO d'Orléans").click()
            assert page.get_by_role("heading", name="Être recontacté·e par CIO d'Orléans").is_visible()
            page.get_by_role("button", name="Envoyer ma demande").click()  # empty: refused
            assert page.locator("#erreur-nom").inner_text() == "Ce champ est obligatoire."
            assert page.evaluate("() => document.activeElement.id") == "resume-erreurs"
            check(page, "formulaire en erreur")
            page.get_by_label("Votre prénom ou un pseudonyme").fill("Léa")
            page.get_by_label("Courriel").fill("lea.durand@exemple.fr")
            page.get_by_label("Ce que vous cherchez").fill("Choisir une filière après la troisième.")
            page.get_by_label(re.compile("J'accepte que la structure choisie")).check()
            page.get_by_role("button", name="Envoyer ma demande").click()
            assert page.get_by_role("heading", name="Votre demande est envoyée").is_visible()
            check(page, "envoyée")
            browser.close()
    finally:
        app.config["PUBLIC_CONTACT_MIN_SECONDS"] = before
    assert not problems, "\n".join(problems)
    with app.app_context():
        request = db.session.scalar(select(ContactRequest))
        assert request.structure_id == cio and request.message == "Choisir une filière après la troisième."


def test_anonymising_the_person_removes_what_they_wrote(app, moment):
    from webapp.operations.retention import anonymise_person
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    moment["now"] = T0 + timedelta(seconds=40)
    assert _post(visitor, cio, html, **LEA).status_code == 303
    with app.app_context():
        request = db.session.scalar(select(ContactRequest))
        anonymise_person(request.person_id, T0 + timedelta(days=800))
        db.session.commit()
        request = db.session.scalar(select(ContactRequest))
        person = db.session.get(Person, request.person_id)
        assert request.message == "" and person.email is None and person.telephone is None
        assert (request.public, request.commune_code) == ("scolaire", "45234")  # kept for statistics


def test_the_demo_puts_two_visitors_in_the_orleans_queues_once(app):
    from webapp.demo_public import seed_demo_public
    with app.app_context():
        assert seed_demo_public() == 2 and seed_demo_public() == 0
        slugs = db.session.execute(select(Structure.slug, HumanTask.title).join(
            HumanTask, HumanTask.structure_id == Structure.id).where(HumanTask.status == "ouverte")
            .order_by(Structure.slug)).all()
        assert slugs == [("cio-orleans", "Accueillir la personne"), ("ml-orleans", "Accueillir la personne")]


def test_the_counsellor_carries_the_reception_on_like_any_other(app, moment):
    from conftest import get_user
    from test_orientation import analysis, welcome

    from webapp.operations.journeys import complete_task
    cio = _structure_id(app, "cio-orleans")
    visitor = app.test_client()
    html = _open_form(visitor, cio)
    moment["now"] = T0 + timedelta(seconds=40)
    assert _post(visitor, cio, html, **LEA).status_code == 303
    with app.app_context():
        request = db.session.scalar(select(ContactRequest))
        counsellor = get_user("isabelle.roux")
        first = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == request.journey_id))
        complete_task(counsellor, first.id, welcome(canal="telephone", nom="Durand"))
        db.session.commit()
        second = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == request.journey_id,
                                                           HumanTask.status == "ouverte"))
        assert second.title == "Analyser la demande" and second.assignee_id == counsellor.id
        complete_task(counsellor, second.id, analysis("documentation", documentation_remise="Fiches métiers du CIO."))
        db.session.commit()
        journey = db.session.get(Journey, request.journey_id)
        assert journey.status == "terminee"
        assert db.session.get(Person, request.person_id).nom == "Durand"
