"""The documentation library: creation and its French errors, hostile uploads, download headers,
review dates (hidden from counsellors, flagged to owners, the owner told once), scoping, and the
resources given during a reception."""
import html
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import csrf_from, get_user, login
from sqlalchemy import delete, select

from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEvent, DocumentationResource, HumanTask, OutboxMessage, ResourceGiven
from webapp.operations.documentation import notify_overdue
from webapp.operations.journeys import complete_task, start_journey

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture(autouse=True)
def _library(app, tmp_path):
    """Files in a temporary folder; the resources added by a test go afterwards."""
    folder = app.config["DOCUMENTATION_FOLDER"]
    app.config["DOCUMENTATION_FOLDER"] = str(tmp_path / "documentation")
    _empty(app)  # the screen catalogue's demo resources too
    yield
    app.config["DOCUMENTATION_FOLDER"] = folder
    _empty(app)


def _empty(app):
    with app.app_context():
        db.session.rollback()
        db.session.execute(delete(ResourceGiven))
        db.session.execute(delete(DocumentationResource))
        db.session.commit()


def _as(app, username):
    """A fresh client signed in as `username`."""
    client = app.test_client()
    login(client, username)
    return client


def _form(client, page_url="/documentation/nouvelle", **overrides):
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "title": "Guide des métiers de la santé",
            "publisher": "Onisep", "summary": "Fiches métiers et formations.", "publics": ["scolaire", "etudiant"],
            "themes": ["choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite"], "format": "publication",
            "level": "nationale", "url": "https://www.onisep.fr/",
            "review_on": (date.today() + timedelta(days=200)).strftime("%d/%m/%Y")}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _add(app, username="olivier.lambert", title="Ressource", review_in_days=100, **fields):
    """A resource as `username` would have added it, straight in the database."""
    with app.app_context():
        user = get_user(username)
        now = clock.now()
        resource = DocumentationResource(
            title=title, publisher="Onisep", publics=["scolaire"], themes=["se-former--trouver-sa-formation"],
            format="site", level="nationale", url="https://www.onisep.fr/", owner_structure_id=user.structure_id,
            created_by_id=user.id, departement=None if user.has_role("admin") else user.structure.departement,
            created_at=now, updated_at=now, review_on=now.date() + timedelta(days=review_in_days), **fields)
        db.session.add(resource)
        db.session.commit()
        return resource.id


def test_a_coordinator_adds_a_resource_with_a_file_that_anyone_downloads_safely(app, client):
    client = _as(app, "olivier.lambert")
    data = _form(client, fichier=(io.BytesIO(PDF), "guide santé.pdf"))
    response = client.post("/documentation/nouvelle", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        resource = db.session.scalar(select(DocumentationResource))
        assert resource.departement == "45" and resource.file_type == "application/pdf"
        assert resource.created_by_id == get_user("olivier.lambert").id
        resource_id = resource.id
    page = client.get(f"/documentation/{resource_id}").get_data(as_text=True)
    assert "Guide des métiers de la santé" in page and "Télécharger guide santé.pdf" in page

    client = _as(app, "isabelle.roux")
    download = client.get(f"/documentation/{resource_id}/fichier")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "guide" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_the_form_says_in_french_what_is_missing_and_writes_nothing(app, client):
    client = _as(app, "olivier.lambert")
    data = _form(client, title="", publics=None, url="", review_on="01/01/2020")
    response = client.post("/documentation/nouvelle", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Le formulaire contient" in page
    assert "Indiquez un lien ou déposez un fichier." in page
    assert "La date de révision est déjà passée" in page
    assert page.count('class="error"') >= 3  # title and publics too
    with app.app_context():
        assert db.session.scalar(select(DocumentationResource)) is None


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "ftp://example.org/guide.pdf", "https://exa mple.org/"])
def test_a_link_must_be_http_or_https(app, client, url):
    client = _as(app, "olivier.lambert")
    response = client.post("/documentation/nouvelle", data=_form(client, url=url))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Le lien doit commencer par http:// ou https://." in page or "espace" in page
    with app.app_context():
        assert db.session.scalar(select(DocumentationResource)) is None


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def _odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<document/>")
    return out.getvalue()


@pytest.mark.parametrize("content,name,message", [
    (b"<html><script>alert(document.cookie)</script></html>", "guide.pdf", "n'est pas un document"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.png", "n'est pas un document"),
    (PNG, "guide.pdf", "ne correspond pas à son extension"),
    (PDF, "guide.html", "Ce type de fichier n'est pas accepté"),
    (_odt(), "guide.docx", "ne correspond pas à son extension"),
    (b"PK\x03\x04not really a zip", "guide.docx", "n'est pas un document"),
])
def test_a_hostile_upload_is_refused(app, client, content, name, message):
    client = _as(app, "olivier.lambert")
    data = _form(client, fichier=(io.BytesIO(content), name))
    response = client.post("/documentation/nouvelle", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(DocumentationResource)) is None


def test_a_docx_an_odt_and_a_png_are_accepted_by_content_and_extension(app, client):
    client = _as(app, "olivier.lambert")
    for content, name, title in ((_docx(), "fiche.docx", "Fiche Word"), (PNG, "affiche.png", "Affiche"),
                                 (_odt(), "fiche.odt", "Fiche ODT")):
        data = _form(client, title=title, url="", fichier=(io.BytesIO(content), name))
        assert client.post("/documentation/nouvelle", data=data, content_type="multipart/form-data").status_code == 303
    with app.app_context():
        types = {r.title: r.file_type for r in db.session.scalars(select(DocumentationResource))}
    assert types["Affiche"] == "image/png" and "wordprocessingml" in types["Fiche Word"]
    assert types["Fiche ODT"] == "application/vnd.oasis.opendocument.text"


def test_an_oversized_file_is_refused(app, client):
    app.config["DOCUMENTATION_MAX_BYTES"], before = 1024, app.config["DOCUMENTATION_MAX_BYTES"]
    try:
        client = _as(app, "olivier.lambert")
        data = _form(client, fichier=(io.BytesIO(PDF + b"0" * 2000), "gros.pdf"))
        response = client.post("/documentation/nouvelle", data=data, content_type="multipart/form-data")
        assert response.status_code == 422
        assert "Le fichier dépasse la taille maximale de 1 ko." in response.get_data(as_text=True)
        far_too_big = _form(client, fichier=(io.BytesIO(b"%PDF-" + b"0" * 600_000), "enorme.pdf"))
        response = client.post("/documentation/nouvelle", data=far_too_big, content_type="multipart/form-data")
        assert response.status_code == 413 and "Fichier trop volumineux" in response.get_data(as_text=True)
    finally:
        app.config["DOCUMENTATION_MAX_BYTES"] = before
    with app.app_context():
        assert db.session.scalar(select(DocumentationResource)) is None


def test_overdue_resources_are_hidden_from_counsellors_and_flagged_to_their_owner(app, client):
    fresh = _add(app, title="Guide à jour", review_in_days=30)
    late = _add(app, title="Guide périmé", review_in_days=-1)
    client = _as(app, "isabelle.roux")
    page = client.get("/documentation").get_data(as_text=True)
    assert "Guide à jour" in page and "Guide périmé" not in page
    assert client.get(f"/documentation/{late}").status_code == 404
    assert client.get(f"/documentation/{fresh}").status_code == 200
    assert client.get("/documentation?q=guide").get_data(as_text=True).count("Guide ") == 1

    client = _as(app, "olivier.lambert")
    page = client.get("/documentation").get_data(as_text=True)
    assert "À réviser <span class=\"count\">1</span>" in page and "Guide périmé" in page
    assert "badge late" in page
    # reviewed with a new date: visible to counsellors again
    show = client.get(f"/documentation/{late}").get_data(as_text=True)
    next_date = (date.today() + timedelta(days=365)).strftime("%d/%m/%Y")
    response = client.post(f"/documentation/{late}/revision", data={"csrf_token": csrf_from(show), "review_on": next_date})
    assert response.status_code == 303
    assert "À réviser" not in client.get("/documentation").get_data(as_text=True)
    client = _as(app, "isabelle.roux")
    assert client.get(f"/documentation/{late}").status_code == 200


def test_counsellors_search_by_text_public_and_theme(app, client):
    first = _add(app, title="Apprentissage mode d'emploi", review_in_days=10)
    with app.app_context():
        other = db.session.get(DocumentationResource, _add(app, title="Créer son entreprise", review_in_days=10))
        other.publics, other.themes = ["salarie"], ["creer-une-entreprise--developper-son-entreprise"]
        db.session.commit()
    client = _as(app, "claire.martin")
    assert "Créer son entreprise" not in client.get("/documentation?q=apprentissage").get_data(as_text=True)
    by_public = client.get("/documentation?public=salarie").get_data(as_text=True)
    assert "Créer son entreprise" in by_public and "Apprentissage" not in by_public
    by_theme = client.get("/documentation?thematique=se-former").get_data(as_text=True)
    assert "Apprentissage" in by_theme and "Créer son entreprise" not in by_theme
    assert first


def test_the_owner_is_told_once_when_a_resource_becomes_overdue(app):
    late = _add(app, title="Guide périmé", review_in_days=-3)
    _add(app, title="Guide à jour", review_in_days=3)
    with app.app_context():
        assert notify_overdue() == 1
        db.session.commit()
        assert notify_overdue() == 0
        db.session.commit()
        messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "documentation_revision")).all()
        assert len(messages) == 1
        assert messages[0].to_address == get_user("olivier.lambert").email
        assert "Guide périmé" in messages[0].subject and f"/documentation/{late}" in messages[0].body


def test_the_worker_pass_tells_the_owner(app):
    _add(app, title="Guide périmé", review_in_days=-3)
    from webapp.cli import main
    runner = app.test_cli_runner()
    for _ in range(2):
        outcome = runner.invoke(main, ["worker", "--once"])
        assert outcome.exit_code == 0, outcome.output
    with app.app_context():
        assert len(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "documentation_revision")).all()) == 1


def test_scoping_counsellors_cannot_create_and_coordinators_keep_to_their_territory(app, client):
    tours = _add(app, "helene.garnier", title="Ressource de Touraine")
    regional = _add(app, "nathalie.bernard", title="Ressource régionale")
    client = _as(app, "isabelle.roux")
    assert client.get("/documentation/nouvelle").status_code == 403
    token = csrf_from(client.get("/documentation").get_data(as_text=True))
    response = client.post("/documentation/nouvelle", data={"csrf_token": token, "title": "X"})
    assert response.status_code == 403
    assert client.get(f"/documentation/{tours}/modifier").status_code == 403
    assert "Ajouter une ressource" not in client.get("/documentation").get_data(as_text=True)

    client = _as(app, "olivier.lambert")  # Loiret
    assert client.get(f"/documentation/{tours}/modifier").status_code == 403
    assert client.get(f"/documentation/{regional}/modifier").status_code == 403
    data = _form(client, title="Piraté")
    assert client.post(f"/documentation/{tours}/modifier", data=data).status_code == 403
    assert client.post(f"/documentation/{tours}/revision",
                       data={"csrf_token": data["csrf_token"], "review_on": "01/01/2030"}).status_code == 403
    with app.app_context():
        assert db.session.get(DocumentationResource, tours).title == "Ressource de Touraine"

    client = _as(app, "nathalie.bernard")  # the regional admin manages every resource
    data = _form(client, page_url=f"/documentation/{tours}/modifier", title="Ressource de Touraine revue")
    assert client.post(f"/documentation/{tours}/modifier", data=data).status_code == 303
    with app.app_context():
        assert db.session.get(DocumentationResource, tours).title == "Ressource de Touraine revue"


def _analysis_task(app, username="isabelle.roux"):
    from test_processes import accueil_data
    with app.app_context():
        user = get_user(username)
        journey = start_journey(user, "accueil")
        db.session.commit()
        first = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == journey.id, HumanTask.status == "ouverte"))
        complete_task(user, first.id, accueil_data())
        db.session.commit()
        task = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == journey.id, HumanTask.status == "ouverte"))
        assert task.bpmn_id == "analyser_demande"
        return task.id, task.person_id


def test_resources_given_during_a_reception_are_recorded_and_shown(app, client):
    onisep = _add(app, title="Fiches métiers Onisep", review_in_days=30)
    late = _add(app, title="Guide périmé", review_in_days=-1)
    with app.app_context():
        other = db.session.get(DocumentationResource, _add(app, title="Créer son entreprise", review_in_days=30))
        other.publics = ["salarie"]
        db.session.commit()
    task_id, person_id = _analysis_task(app)
    client = _as(app, "isabelle.roux")
    page = client.get(f"/taches/{task_id}").get_data(as_text=True)
    assert "Ressources de la documentation remises" in page
    assert "Fiches métiers Onisep" in page and "Guide périmé" not in page
    # the person is a pupil: resources for pupils first, the others after
    assert page.index("Pour ce public (Scolaire)") < page.index("Fiches métiers Onisep") < \
        page.index("Autres ressources") < page.index("Créer son entreprise")
    form = {"csrf_token": csrf_from(page), "thematiques": "choisir-un-metier--confirmer-son-choix-de-metier",
            "besoins": "Hésite entre deux métiers.", "urgence": "normale", "reponse": "documentation",
            "ressources_remises": [str(onisep)]}
    response = client.post(f"/taches/{task_id}", data=form)
    assert response.status_code == 303
    with app.app_context():
        given = db.session.scalars(select(ResourceGiven)).all()
        assert [(g.resource_id, g.task_id, g.given_by_id) for g in given] == \
            [(onisep, task_id, get_user("isabelle.roux").id)]
        task = db.session.get(HumanTask, task_id)
        assert task.status == "terminee" and given[0].journey_id == task.journey_id
        assert "Fiches métiers Onisep" in task.data["documentation_remise"]  # the empty text took the titles
    dossier = client.get(f"/personnes/{person_id}").get_data(as_text=True)
    assert "Documentation remise : « Fiches métiers Onisep »" in dossier
    assert "Fiches métiers Onisep" in client.get(f"/taches/{task_id}").get_data(as_text=True)
    assert late


def test_an_overdue_resource_cannot_be_given_and_nothing_is_written(app, client):
    late = _add(app, title="Guide périmé", review_in_days=-1)
    task_id, _person = _analysis_task(app)
    client = _as(app, "isabelle.roux")
    form = {"csrf_token": csrf_from(client.get(f"/taches/{task_id}").get_data(as_text=True)),
            "thematiques": "choisir-un-metier--confirmer-son-choix-de-metier", "besoins": "Métiers.",
            "urgence": "normale", "reponse": "documentation", "documentation_remise": "Fiche.",
            "ressources_remises": [str(late)]}
    response = client.post(f"/taches/{task_id}", data=form)
    assert response.status_code == 422
    assert "n'est plus disponible" in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(HumanTask, task_id).status == "ouverte"
        assert db.session.scalar(select(ResourceGiven)) is None
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "documentation.given")) is None


def test_probes_csrf_sign_in_other_structures_task_and_overdue_file(app, client):
    """Forms need their CSRF token, pages need a session, another structure's reception answers 404
    without the resources given, an overdue resource's file is not served to counsellors."""
    assert client.get("/documentation").status_code == 302  # signed out: to the login page
    coordinator = _as(app, "olivier.lambert")
    refused = coordinator.post("/documentation/nouvelle", data={k: v for k, v in _form(coordinator).items()
                                                                if k != "csrf_token"})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(DocumentationResource)) is None

    given = _add(app, title="Fiches métiers Onisep", review_in_days=30)
    late = _add(app, title="Guide périmé", review_in_days=-1, file_key="0" * 32, file_name="guide.pdf",
                file_type="application/pdf", file_size=len(PDF))
    folder = Path(app.config["DOCUMENTATION_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("0" * 32)).write_bytes(PDF)
    task_id, _person = _analysis_task(app)
    isabelle = _as(app, "isabelle.roux")
    page = isabelle.get(f"/taches/{task_id}").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "thematiques": "choisir-un-metier--confirmer-son-choix-de-metier",
            "besoins": "Métiers.", "urgence": "normale", "reponse": "documentation", "ressources_remises": [str(given)]}
    assert isabelle.post(f"/taches/{task_id}", data=form).status_code == 303
    claire = _as(app, "claire.martin")  # another structure
    other = claire.get(f"/taches/{task_id}")
    assert other.status_code == 404 and "Fiches métiers Onisep" not in other.get_data(as_text=True)
    assert isabelle.get(f"/documentation/{late}/fichier").status_code == 404
    owner_file = coordinator.get(f"/documentation/{late}/fichier")
    assert owner_file.status_code == 200 and owner_file.headers["Content-Type"] == "application/pdf"
    assert isabelle.get("/documentation").headers["Cache-Control"] == "no-store"
