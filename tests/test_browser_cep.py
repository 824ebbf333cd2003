"""The CEP story of the issue, played in headless Chromium: the CIO d'Orléans refers an employee
to a CEP operator; Sophie, CEP adviser at the APEC of Tours, receives her, builds and validates the
project, builds the funding plan (8 400 €: CPF 3 200 €, Transitions Pro the rest), records a partial
grant, revises the plan, and downloads the synthesis; her screens list the journey by stage."""
import re

import pytest
from test_browser import _analyse, _login, _new_reception, _welcome, browser  # noqa: F401  (fixture)

pytest.importorskip("playwright.sync_api")

SAVE = "Enregistrer et continuer"


def _save(page):
    page.get_by_role("button", name=SAVE).click()


def _open_step(page, title):
    """From « Mes tâches », the step of that title."""
    page.get_by_role("navigation").get_by_role("link", name="Mes tâches").click()
    page.get_by_role("link", name=title).first.click()


def test_the_cep_story_is_played_in_the_browser(server, browser):  # noqa: F811
    isabelle = _login(browser.new_context(locale="fr-FR"), server, "isabelle.roux")
    _new_reception(isabelle)
    _welcome(isabelle, commune="Tours")
    _analyse(isabelle, "Salariée, veut se reconvertir dans le soin", "cep")
    assert isabelle.get_by_role("heading", name="Choisir le partenaire").is_visible()
    listed = isabelle.locator(".partner-list").inner_text()
    assert "APEC Centre-Val de Loire — centre de Tours" in listed and "CIO de Tours" not in listed  # CEP operators only
    isabelle.check("input[name=decision][value=orienter]")
    isabelle.locator("li", has_text="APEC Centre-Val de Loire — centre de Tours").get_by_role("radio").check()
    isabelle.fill("#f-motif", "Projet de reconversion : conseil en évolution professionnelle")
    _save(isabelle)
    for field in ("identite", "coordonnees", "demande"):
        isabelle.check(f"input[name=donnees_partagees][value={field}]")
    isabelle.check("input[name=personne_informee][value=true]")
    isabelle.check("input[name=mode_information][value=entretien]")
    _save(isabelle)

    sophie = _login(browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}), server,
                    "sophie.marchand")
    sophie.get_by_role("navigation").get_by_role("link", name="File de ma structure").click()
    sophie.get_by_role("link", name="Répondre à l'orientation reçue").click()
    sophie.check("input[name=reponse][value=accepter]")
    today = sophie.evaluate("() => new Date().toISOString().slice(0, 10)")
    sophie.fill("#f-date_premier_rdv", today)
    _save(sophie)
    sophie.check("input[name=premier_contact][value=confirme]")
    sophie.fill("#f-date_premier_contact", today)
    _save(sophie)

    # Level 1, then one session of level 2 with the job picked among the ROME fiches
    _open_step(sophie, "Accueil individualisé (niveau 1)")
    sophie.check("input[name=situation_professionnelle][value=salarie_prive]")
    sophie.fill("#f-date_entretien", today)
    sophie.fill("#f-situation", "Assistante commerciale depuis 12 ans.")
    sophie.fill("#f-demande", "Devenir aide-soignante.")
    sophie.check("input[name=demission_reconversion][value=false]")
    sophie.check("input[name=suite][value=accompagnement]")
    _save(sophie)
    assert sophie.get_by_role("heading", name="Accompagnement personnalisé (niveau 2) n°1").is_visible()
    options = sophie.locator("#liste-metier_cible option").count()
    assert options == 532
    sophie.fill("#f-date_seance", today)
    sophie.fill("#f-metier_cible", "J1501 — Soins d'hygiène, de confort du patient")
    sophie.fill("#f-formation_visee", "Diplôme d'État d'aide-soignant")
    sophie.fill("#f-certification", "rncp 35830")
    sophie.fill("#f-competences_a_acquerir", "Soins d'hygiène et de confort.")
    sophie.fill("#f-faisabilite", "Nombreuses offres en Indre-et-Loire.")
    sophie.check("input[name=suite][value=validation]")
    _save(sophie)
    assert sophie.get_by_role("heading", name="Valider le projet").is_visible()
    sophie.fill("#f-date_validation", today)
    for criterion in ("coherence_profil", "debouches", "formation_adaptee"):
        sophie.check(f"input[name=criteres][value={criterion}]")
    sophie.check("input[name=decision_projet][value=valide]")
    sophie.fill("#f-motifs", "Projet cohérent, débouchés nombreux.")
    _save(sophie)

    # The funding plan: the total follows what is typed; a plan short of 200 € is refused
    assert sophie.get_by_role("heading", name="Plan de financement").is_visible()
    assert sophie.locator("#f-formation_visee").input_value() == "Diplôme d'État d'aide-soignant"  # from level 2
    sophie.fill("#f-organisme_formation", "IFAS de Tours")
    sophie.fill("#f-date_debut", "2027-02-01")
    sophie.fill("#f-date_fin", "2027-12-17")
    sophie.fill("#f-duree_heures", "1540")
    sophie.fill("#f-cout_pedagogique", "8 000")
    sophie.fill("#f-frais_annexes", "400")
    sophie.fill("#f-solde_cpf", "3 200")
    sophie.fill("#f-financements", "3 200")  # the first funder's input: the CPF
    sophie.fill("input[name='financements.transitions_pro']", "5 000")
    total = sophie.locator("[data-amounts-total]")
    assert "reste à financer : 200,00" in total.inner_text().replace("\u00a0", " ")
    sophie.check("input[name=decision_plan][value=soumettre]")
    _save(sophie)
    assert "il manque 200,00" in sophie.locator("#resume-erreurs").inner_text().replace("\u00a0", " ")
    sophie.fill("input[name='financements.transitions_pro']", "5 200")
    assert "le plan couvre le coût" in total.inner_text()
    _save(sophie)

    # The two requests, prepared and decided in parallel; Transitions Pro grants part
    for funder in ("CPF", "Transitions Pro"):
        _open_step(sophie, f"Préparer et déposer la demande — {funder}")
        sophie.fill("#f-date_depot", today)
        _save(sophie)
    _open_step(sophie, "Enregistrer la décision du financeur — CPF")
    sophie.check("input[name=decision_financeur][value=accorde]")
    sophie.fill("#f-date_decision", today)
    _save(sophie)
    _open_step(sophie, "Enregistrer la décision du financeur — Transitions Pro")
    sophie.check("input[name=decision_financeur][value=partiel]")
    sophie.fill("#f-montant_accorde", "4 000")
    sophie.fill("#f-date_decision", today)
    _save(sophie)

    # The revised plan starts from the first one; the Région takes the remaining 1 200 €
    _open_step(sophie, "Plan de financement")
    assert sophie.locator("input[name='financements.transitions_pro']").input_value() == "5 200,00"
    sophie.fill("input[name='financements.transitions_pro']", "4 000")
    sophie.fill("input[name='financements.abondement_region']", "1 200")
    sophie.check("input[name=decision_plan][value=soumettre]")
    _save(sophie)

    sophie.get_by_role("link", name="CEP", exact=True).click()
    sophie.get_by_role("link", name=re.compile("Financement")).first.click()
    row = sophie.locator("tr", has_text="Durand").inner_text()
    assert "Financement" in row and "8 400,00" in row.replace("\u00a0", " ")
    sophie.get_by_role("link", name="Demandes de financement").click()
    assert "Région Centre-Val de Loire" in sophie.locator("table").inner_text()

    sophie.get_by_role("link", name="CEP", exact=True).click()
    sophie.get_by_role("link", name=re.compile("Financement")).first.click()
    sophie.locator("tr", has_text="Durand").get_by_role("link", name="Léa Durand").click()
    section = sophie.locator("section.cep-dossier").inner_text().replace("\u00a0", " ")
    assert "Plan de financement n°2" in section and "Plan de financement n°1" in section and "4 000,00 €" in section
    with sophie.expect_download() as download:
        sophie.get_by_role("link", name="Synthèse et plan d'action (PDF)").click()
    assert download.value.suggested_filename.startswith("synthese-cep-")
    sophie.set_viewport_size({"width": 390, "height": 844})
    assert sophie.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
