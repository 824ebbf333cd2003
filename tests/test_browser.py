"""The app in a real browser (headless Debian Chromium driven by Playwright): a counsellor's
reception, a referral, and an accessibility pass (axe-core, no sideways scrolling) over every
screen at desktop and phone widths."""
import json
import os
from pathlib import Path

import pytest
from screen_catalog import READY, screens, stage_screens

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path("/tmp/shots")

if not Path(CHROMIUM).exists():
    if os.environ.get("SPRO_REQUIRE_BROWSER"):
        raise RuntimeError("SPRO_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed (scripts/ensure_chromium.sh installs it)",
                allow_module_level=True)

if os.environ.get("SPRO_REQUIRE_BROWSER"):
    from playwright import sync_api  # required: an ImportError fails the run instead of skipping
else:
    sync_api = pytest.importorskip("playwright.sync_api")


def _login(context, server, username):
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", "demo-spro-2026")
    page.click("button[type=submit]")
    return page


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _new_reception(page):
    """From the home page: « Nouvel accueil », then straight to the welcome form."""
    page.get_by_role("link", name="Nouvel accueil").click()
    page.get_by_role("button", name="Accueil anonyme (information de premier niveau)").click()


def _welcome(page, commune=None):
    """Fill « Accueillir la personne » for Léa Durand, a pupil, and save."""
    page.check("input[name=canal][value=sur_place]")
    page.check("input[name=anonyme][value=false]")
    page.fill("#f-prenom", "Léa")
    page.fill("#f-nom", "Durand")
    page.select_option("#f-public", "scolaire")
    if commune:
        page.fill("#f-commune", commune)
    page.get_by_role("button", name="Enregistrer et continuer").click()


def _analyse(page, besoins, reponse):
    """Fill « Analyser la demande » (choosing a job) with the given answer, and save."""
    page.get_by_label("Confirmer son choix de métier").check()
    page.fill("#f-besoins", besoins)
    page.check("input[name=urgence][value=normale]")
    page.check(f"input[name=reponse][value={reponse}]")
    page.get_by_role("button", name="Enregistrer et continuer").click()


def test_counsellor_receives_a_person_and_hands_personalised_handling_on(server, browser):
    page = _login(browser.new_context(locale="fr-FR"), server, "claire.martin")
    _new_reception(page)
    assert page.get_by_role("heading", name="Accueillir la personne").is_visible()

    page.get_by_role("button", name="Enregistrer et continuer").click()  # empty: refused
    assert page.locator("#erreur-canal").inner_text() == "Ce champ est obligatoire."

    _welcome(page)
    assert page.get_by_role("heading", name="Analyser la demande").is_visible()
    _analyse(page, "Hésite entre deux filières", "prise_en_charge")

    assert page.get_by_role("heading", name="Entretien individuel d'information").is_visible()
    page.get_by_role("link", name="Mes tâches").click()
    assert page.get_by_role("link", name="Entretien individuel d'information").is_visible()
    page.get_by_role("link", name="Léa Durand").first.click()
    assert "Dossier · Léa Durand" in page.locator("h1").inner_text()
    assert page.get_by_text("« Analyser la demande » terminée").is_visible()


def test_referral_from_mission_locale_to_cio_is_played_in_the_browser(server, browser):
    claire = _login(browser.new_context(locale="fr-FR"), server, "claire.martin")
    _new_reception(claire)
    _welcome(claire, commune="Orléans")
    _analyse(claire, "Choisir entre bac pro et seconde générale", "orientation")

    assert claire.get_by_role("heading", name="Choisir le partenaire").is_visible()
    first = claire.locator("ol.suggestions > li").first
    assert "CIO d'Orléans" in first.inner_text() and "premier interlocuteur" in first.inner_text()
    claire.check("input[name=decision][value=orienter]")
    first.get_by_role("radio").check()  # the first suggestion, the CIO d'Orléans
    claire.fill("#f-motif", "Choix d'orientation en fin de troisième")
    claire.get_by_role("button", name="Enregistrer et continuer").click()
    claire.check("input[name=donnees_partagees][value=situation]")
    claire.check("input[name=donnees_partagees][value=demande]")
    claire.check("input[name=personne_informee][value=true]")
    claire.check("input[name=mode_information][value=entretien]")
    claire.get_by_role("button", name="Enregistrer et continuer").click()
    assert "Dossier · Léa Durand" in claire.locator("h1").inner_text()
    assert "Ouverte" in claire.locator("section", has_text="Parcours entre structures").inner_text()

    isabelle = _login(browser.new_context(locale="fr-FR"), server, "isabelle.roux")
    isabelle.get_by_role("navigation").get_by_role("link", name="File de ma structure").click()
    isabelle.get_by_role("link", name="Répondre à l'orientation reçue").click()
    panel = isabelle.locator(".referral").inner_text()
    assert "Mission Locale de l'Orléanais → CIO d'Orléans" in panel and "Confirmer son choix de métier" in panel
    assert "Durand" not in isabelle.content()  # identity was not shared
    isabelle.check("input[name=reponse][value=accepter]")
    isabelle.fill("#f-date_premier_rdv", "2026-12-03")
    isabelle.get_by_role("button", name="Enregistrer et continuer").click()
    assert isabelle.get_by_role("heading", name="Confirmer le premier contact").is_visible()

    claire.reload()
    path = claire.locator("section", has_text="Parcours entre structures").inner_text()
    assert "Acceptée" in path and "03/12/2026" in path


# -- accessibility pass ---------------------------------------------------------------------

WIDTHS = {"bureau": {"width": 1366, "height": 900}, "telephone": {"width": 390, "height": 844}}


def _axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("SPRO_REQUIRE_BROWSER"):
            raise RuntimeError(f"SPRO_REQUIRE_BROWSER is set but {AXE} is missing (run `make test`)")
        pytest.skip("axe-core is not installed (`make test` installs it from package.json)")
    return AXE.read_text(encoding="utf-8")


_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' — ' + n.failureSummary.split('\\n').slice(1, 2).join(''))}));
}"""

_OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > width + 1)
    .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1));
  return {scrollWidth: document.documentElement.scrollWidth,
          culprits: wide.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                                           + ' « ' + (e.textContent || '').trim().slice(0, 40) + ' »')};
}"""


@pytest.mark.parametrize("device", list(WIDTHS))
def test_every_screen_passes_axe_and_never_scrolls_sideways(app, server, browser, device):
    """Each screen, signed in as the user who works with it, has no axe-core violation and no
    horizontal page scroll; screenshots go to /tmp/shots/ for a look."""
    axe = _axe_source()
    scene = stage_screens(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    contexts, problems = {}, []
    for user, name, path in screens(scene):
        if user not in contexts:
            context = browser.new_context(locale="fr-FR", viewport=WIDTHS[device])
            contexts[user] = _login(context, server, user) if user else context.new_page()
        page = contexts[user]
        page.goto(server + path)
        if name in READY:
            page.wait_for_selector(READY[name])
        page.evaluate(axe)
        for v in page.evaluate(_RUN_AXE):
            problems.append(f"{name} ({path}) : [{v['impact']}] {v['id']} — {v['help']} : {json.dumps(v['nodes'], ensure_ascii=False)}")
        overflow = page.evaluate(_OVERFLOW)
        if overflow:
            problems.append(f"{name} ({path}) : défile de côté ({overflow['scrollWidth']} px > "
                            f"{WIDTHS[device]['width']} px) : {overflow['culprits']}")
        page.screenshot(path=str(SHOTS / f"{name}-{device}.png"), full_page=True)
        page.screenshot(path=str(SHOTS / f"{name}-{device}-ecran.png"))  # what shows first
    for page in contexts.values():
        page.context.close()
    assert not problems, "\n".join(problems)
