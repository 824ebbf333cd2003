"""The studio's form and decision table editors in headless Chromium: the preview follows the schema
as it is typed; the decision table opens as a table, in French, and the cells the checks refuse are
marked. Screenshots at 1366 and 390 px go to /tmp/shots/."""
import json
from pathlib import Path

import pytest
from test_browser import _OVERFLOW, _RUN_AXE, WIDTHS, _axe_source, _login, browser  # noqa: F401  (fixture)

pytest.importorskip("playwright.sync_api")
SHOTS = Path("/tmp/shots")
FORM = "/pilotage/parcours/accueil/formulaires/accueil_analyse.schema.json"


def _shoot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_preview_follows_the_schema_as_it_is_typed(server, browser, width):  # noqa: F811
    page = _login(browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900}), server,
                  "julien.mercier")
    page.goto(server + FORM)
    preview = page.locator("#fe-apercu")
    assert preview.get_by_text("Thématiques de la demande").first.is_visible()
    assert preview.locator(".field").count() >= 4
    schema = json.loads(page.locator("#fe-schema").input_value())
    schema["properties"]["besoins"]["title"] = "Besoins exprimés par la personne"
    schema["properties"]["date_rappel"] = {"type": "string", "format": "date", "title": "Date de rappel"}
    page.locator("#fe-schema").fill(json.dumps(schema, ensure_ascii=False, indent=2))
    page.wait_for_selector("#fe-apercu label[for=f-date_rappel]")
    assert preview.get_by_text("Besoins exprimés par la personne").is_visible()
    assert preview.locator("#f-date_rappel").get_attribute("placeholder") == "jj/mm/aaaa"
    assert "date_rappel" in page.locator("#fe-champs-liste").inner_text()
    branch = preview.locator("#champ-documentation_remise")  # shown only for « Documentation remise »
    assert branch.is_hidden()
    preview.locator("input[name=reponse][value=documentation]").check()
    assert branch.is_visible()
    _shoot(page, f"studio-formulaire-{width}.png")

    page.fill("#fe-ajout-nom", "orientation_souhaitee")
    page.fill("#fe-ajout-titre", "Orientation souhaitée")
    page.select_option("#fe-ajout-type", "radio")
    page.get_by_role("button", name="Ajouter le champ").click()
    page.wait_for_selector("#fe-apercu #champ-orientation_souhaitee input[type=radio]")
    assert json.loads(page.locator("#fe-ui").input_value())["ui:order"][-1] == "orientation_souhaitee"

    page.locator("#fe-schema").press("End")
    page.locator("#fe-schema").type(",")  # trailing text after the object: invalid JSON
    page.wait_for_selector("#fe-apercu .apercu-erreur")
    message = preview.inner_text()
    assert "JSON invalide ligne" in message and "colonne" in message
    _shoot(page, f"studio-formulaire-erreur-{width}.png")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_table_editor_opens_the_table_in_french_and_marks_refused_cells(server, browser, width,  # noqa: F811
                                                                            restore_versions):  # noqa: F811
    page = _login(browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900}), server,
                  "julien.mercier")
    page.goto(server + "/pilotage/tables/orientation_partenaire/editeur")
    table = page.locator("#te-table")
    page.wait_for_selector("#te-table .tjs-table")
    headers = table.locator("thead").inner_text()
    for french in ("Public", "Thématiques", "Réseau", "Poids", "Raison", "Quand", "Alors"):
        assert french in headers, french
    assert "Règle de combinaison" in table.inner_text()
    assert "Hit policy" not in table.inner_text() and "When" not in headers
    _shoot(page, f"studio-table-{width}.png")
    table.locator('[data-element-id="regle_3_reseau"]').click(button="right")
    menu = page.locator(".context-menu")
    assert "Ajouter une règle au-dessus" in menu.inner_text() and "Add rule" not in menu.inner_text()
    _shoot(page, f"studio-table-menu-{width}.png")
    page.keyboard.press("Escape")

    cell = table.locator('[data-element-id="regle_1_poids"]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("soixante")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_selector('#te-table td.te-probleme[data-element-id="regle_1_poids"]')
    assert "doit être un nombre entier" in page.locator("#te-liste").inner_text()
    assert "Brouillon enregistré" in page.locator("#te-etat").inner_text()
    _shoot(page, f"studio-table-probleme-{width}.png")


EDITOR_SCREENS = [("formulaires", "/pilotage/parcours/accueil/formulaires", None),
                  ("formulaire", FORM, "#fe-apercu .field"),
                  ("formulaire-nouveau", "/pilotage/parcours/accueil/formulaires/accueil_bilan.schema.json",
                   "#fe-apercu .field"),
                  ("table-editeur", "/pilotage/tables/orientation_partenaire/editeur", "#te-table .tjs-table")]


@pytest.mark.parametrize("device", list(WIDTHS))
def test_the_editors_pass_axe_and_never_scroll_sideways(server, browser, device):  # noqa: F811
    axe = _axe_source()
    page = _login(browser.new_context(locale="fr-FR", viewport=WIDTHS[device]), server, "julien.mercier")
    problems = []
    for name, path, ready in EDITOR_SCREENS:
        page.goto(server + path)
        if ready:
            page.wait_for_selector(ready)
        page.evaluate(axe)
        for v in page.evaluate(_RUN_AXE):
            problems.append(f"{name} : [{v['impact']}] {v['id']} — {v['help']} : {v['nodes']}")
        overflow = page.evaluate(_OVERFLOW)
        if overflow:
            problems.append(f"{name} : défile de côté : {overflow}")
    assert not problems, "\n".join(problems)
