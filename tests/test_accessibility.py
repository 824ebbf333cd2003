"""Screens speak plain French (no codes, slugs or English) and every control shows a visible
focus ring, on white as on the blue header (RGAA 10.7, WCAG 2.4.7 / 1.4.11)."""
import html
import os
import re
from pathlib import Path

import pytest
from conftest import login
from screen_catalog import screens, stage_screens

# Words that only a developer would write: code names with underscores, version suffixes
# (« v3 »), Python values, English words of error pages and forms.
TECHNICAL = re.compile(r"\b\w+_\w+\b|\bv\d+\b|\b(?:None|True|False|null|Traceback|Error|Exception|"
                       r"Not Found|Forbidden|Submit|Choose|Select|the|and|of)\b")


def _visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(head|script|style|textarea|code)\b.*?</\1>", " ", page)  # code shown as code
    page = re.sub(r"(?s)<(option|select)\b[^>]*>", " ", page)  # values of menus are not shown
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_no_screen_shows_technical_text(app):
    """Each screen, as the user who works with it, shows no code name, version suffix or English."""
    scene = stage_screens(app)
    clients, found = {}, []
    for user, name, path in screens(scene):
        if user not in clients:
            clients[user] = app.test_client()
            if user:
                login(clients[user], user)
        response = clients[user].get(path, follow_redirects=True)
        assert response.status_code in (200, 403, 404), (name, response.status_code)
        words = sorted(set(TECHNICAL.findall(_visible_text(response.get_data(as_text=True)))))
        if words:
            found.append(f"{name} ({path}) : {words}")
    assert not found, "\n".join(found)


def test_the_directory_export_and_import_speak_french(client):
    login(client, "nathalie.bernard")
    header = client.get("/annuaire/export.csv").get_data().decode("utf-8-sig").split("\r\n", 1)[0]
    assert header.startswith("Identifiant;Nom;Réseau;Structure parente (identifiant);Adresse;Commune")
    page = html.unescape(client.get("/annuaire/importer").get_data(as_text=True))
    assert "slug" not in page and "« Identifiant »" in page


# -- focus ring, in a real browser -------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# For the focused element: its outline, and the contrast of the outline's colour with the first
# opaque background behind it (the outline is drawn outside the element, over its container).
_FOCUS = """() => {
  const el = document.activeElement;
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                     .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let box = el.parentElement, bg = 'rgb(255, 255, 255)';
  while (box) { const c = getComputedStyle(box).backgroundColor; const p = rgb(c);
                if (p.length === 3 || (p.length === 4 && p[3] > 0.5)) { bg = c; break; } box = box.parentElement; }
  const style = getComputedStyle(el);
  const [a, b] = [lum(rgb(style.outlineColor)), lum(rgb(bg))];
  return {tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || el.name || '').trim().slice(0, 30),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
          contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
}"""


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("SPRO_REQUIRE_BROWSER"):
            raise RuntimeError("SPRO_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed")
    if os.environ.get("SPRO_REQUIRE_BROWSER"):
        from playwright import sync_api  # required: an ImportError fails instead of skipping
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("user,path", [
    ("claire.martin", "/"),  # header links, badge counts, the sign-out button
    ("claire.martin", "/annuaire"),  # selects, checkbox, text input, buttons
    ("claire.martin", "/personnes/{person}"),  # summary of the identity panel, buttons
    ("isabelle.roux", "/taches/{answer_task}"),  # radios, textarea, date of a task form
    ("julien.mercier", "/pilotage/decisions/orientation_partenaire"),  # file input
])
def test_every_control_shows_a_focus_ring_of_3_to_1(app, server, chromium, user, path):
    scene = stage_screens(app)
    page = chromium.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{server}/login")
    page.fill("#username", user)
    page.fill("#password", "demo-spro-2026")
    page.click("button[type=submit]")
    page.goto(server + path.format(**scene))
    seen, weak = 0, []
    for _ in range(80):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS)
        if focus["tag"] == "body":
            break
        seen += 1
        if focus["outline"] == "none" or focus["width"] < 2 or focus["contrast"] < 3:
            weak.append(focus)
    page.context.close()
    assert seen >= 5, f"only {seen} focusable elements reached on {path}"
    assert not weak, weak
