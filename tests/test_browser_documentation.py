"""The documentation library in headless Chromium: a coordinator adds a resource with its file, a
counsellor gives it during a reception and finds it in the dossier; its screens pass axe-core and
never scroll sideways at phone width."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select
from test_browser import _OVERFLOW, _RUN_AXE, SHOTS, _axe_source, _login, _new_reception, _welcome, browser  # noqa: F401

from webapp.extensions import db
from webapp.models import DocumentationResource, ResourceGiven

pytest.importorskip("playwright.sync_api")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _library(app, tmp_path):
    folder = app.config["DOCUMENTATION_FOLDER"]
    app.config["DOCUMENTATION_FOLDER"] = str(tmp_path / "documentation")
    _empty(app)
    yield
    app.config["DOCUMENTATION_FOLDER"] = folder
    _empty(app)


def _empty(app):
    with app.app_context():
        db.session.rollback()
        db.session.execute(delete(ResourceGiven))
        db.session.execute(delete(DocumentationResource))
        db.session.commit()


def _check(page, name, problems):
    page.evaluate(_axe_source())
    for v in page.evaluate(_RUN_AXE):
        problems.append(f"{name} : [{v['impact']}] {v['id']} — {v['help']} : {json.dumps(v['nodes'], ensure_ascii=False)}")
    overflow = page.evaluate(_OVERFLOW)
    if overflow:
        problems.append(f"{name} : défile de côté ({overflow['scrollWidth']} px) : {overflow['culprits']}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)  # for a look


def test_a_resource_added_by_a_coordinator_is_given_during_a_reception(app, server, browser, tmp_path):  # noqa: F811
    problems = []
    olivier = _login(browser.new_context(locale="fr-FR", viewport=PHONE), server, "olivier.lambert")
    olivier.goto(f"{server}/documentation")
    olivier.get_by_role("link", name="Ajouter une ressource").click()
    _check(olivier, "documentation-nouvelle", problems)
    olivier.get_by_role("button", name="Enregistrer").click()  # empty: French errors, nothing written
    assert "Le formulaire contient" in olivier.locator("#resume-erreurs").inner_text()
    olivier.fill("#f-title", "Guide des métiers du soin")
    olivier.fill("#f-publisher", "Onisep")
    olivier.get_by_label("Scolaire", exact=True).check()
    olivier.get_by_label("Trouver sa formation").check()
    olivier.get_by_label("Publication, guide").check()
    upload = tmp_path / "guide-soin.pdf"
    upload.write_bytes(PDF)
    olivier.set_input_files("#f-fichier", str(upload))
    olivier.get_by_role("button", name="Enregistrer").click()
    assert olivier.get_by_role("heading", name="Guide des métiers du soin").is_visible()
    assert olivier.get_by_role("link", name="Télécharger guide-soin.pdf").is_visible()
    _check(olivier, "documentation-fiche", problems)
    olivier.get_by_role("link", name="Modifier la ressource").click()
    _check(olivier, "documentation-modifier", problems)
    with app.app_context():  # past its review date: flagged to its owner
        resource = db.session.scalar(select(DocumentationResource))
        resource.review_on = date.today() - timedelta(days=2)
        db.session.commit()
    olivier.goto(f"{server}/documentation")
    assert olivier.get_by_role("heading", name="À réviser 1").is_visible()
    _check(olivier, "documentation-a-reviser", problems)
    olivier.get_by_role("link", name="Guide des métiers du soin").first.click()
    olivier.get_by_role("button", name="Marquer comme révisée").click()
    assert "de nouveau proposée" in olivier.locator(".flash").first.inner_text()

    isabelle = _login(browser.new_context(locale="fr-FR", viewport=PHONE), server, "isabelle.roux")
    _new_reception(isabelle)
    _welcome(isabelle)
    assert isabelle.get_by_role("heading", name="Analyser la demande").is_visible()
    isabelle.get_by_label("Confirmer son choix de métier").check()
    isabelle.fill("#f-besoins", "Veut devenir aide-soignante.")
    isabelle.check("input[name=urgence][value=normale]")
    isabelle.check("input[name=reponse][value=documentation]")
    isabelle.fill("#filtre-ressources", "soin")
    isabelle.get_by_label("Guide des métiers du soin").check()
    _check(isabelle, "tache-analyse-documentation", problems)
    isabelle.get_by_role("button", name="Enregistrer et continuer").click()
    timeline = isabelle.locator("ol.timeline").inner_text()
    assert "Documentation remise : « Guide des métiers du soin »" in timeline
    isabelle.goto(f"{server}/documentation?q=soin")
    assert isabelle.get_by_role("link", name="Guide des métiers du soin").is_visible()
    _check(isabelle, "documentation-recherche", problems)
    assert not problems, "\n".join(problems)
