"""The regional identity: the regional admin sets the service's name, logo and colours; every screen,
the sign-in page, e-mails and PDFs follow; hostile logos and unreadable colour pairs are refused."""
import io
import os
import re
from email import message_from_bytes, policy

import pytest
from conftest import csrf_from, get_user, login, statements_of
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import delete, select, text

from webapp.extensions import db
from webapp.identity_rules import contrast_ratio
from webapp.models import AuditEvent
from webapp.models.identity import RegionalIdentity
from webapp.operations.identity import save_identity
from webapp.operations.notifications import build_email, queue_message
from webapp.queries import identity as identity_query

ADMIN = "nathalie.bernard"  # regional admin (structure of the Region)
SETTINGS = "/administration/identite"
WINE = "#7a1f3d"
VALID = {"name": "Orientation Région Centre", "short_name": "ORC", "primary": WINE, "accent": "#ffd84d",
         "header_text": "#ffffff"}


@pytest.fixture(autouse=True)
def _default_identity(app):
    yield
    with app.app_context():
        db.session.rollback()
        db.session.execute(delete(RegionalIdentity))
        db.session.commit()
        identity_query.forget()


def image_bytes(width=120, height=40, kind="PNG", colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, kind)
    return buffer.getvalue()


def post_settings(client, values=VALID, logo=None, **extra):
    page = client.get(SETTINGS)
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), **values, **extra}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[1]), logo[0])
    return client.post(SETTINGS, data=data, content_type="multipart/form-data")


def header(html: str) -> str:
    return html[html.index('<header class="top">'):html.index("</header>")]


def stored(app):
    with app.app_context():
        return db.session.scalar(select(RegionalIdentity))


def test_without_settings_the_default_identity_shows(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<title>Connexion · SPRO Centre-Val de Loire</title>" in html
    assert "SPRO <small>Centre-Val de Loire</small>" in header(html)
    assert "<img" not in header(html) and "theme.css" not in html


def test_the_regional_admin_sets_name_colours_and_logo_shown_on_every_screen(app, client):
    login(client, ADMIN)
    logo = image_bytes()
    response = post_settings(client, logo=("logo-region.png", logo))
    assert response.status_code == 303
    html = client.get("/").get_data(as_text=True)
    top = header(html)
    assert "ORC <small>Orientation Région Centre</small>" in top
    assert "<title>Accueil · Orientation Région Centre</title>" in html
    source = re.search(r'<img src="(/identite/logo\?v=[0-9a-f]{12})" alt="" width="(\d+)" height="32">', top)
    assert source and source.group(2) == "96"  # 120 × 40 drawn 32 px high
    served = client.get(source.group(1))
    assert served.status_code == 200 and served.data == logo
    assert served.mimetype == "image/png" and served.headers["X-Content-Type-Options"] == "nosniff"
    theme = re.search(r'<link rel="stylesheet" href="(/identite/theme.css\?v=\w+)">', html).group(1)
    css = client.get(theme)
    assert css.mimetype == "text/css" and "--blue: #7a1f3d" in css.get_data(as_text=True)
    # the sign-in page of a signed-out visitor, and another screen, show the same identity
    signed_out = app.test_client().get("/login").get_data(as_text=True)
    assert "Orientation Région Centre" in signed_out and source.group(1) in signed_out and theme in signed_out
    assert source.group(1) in client.get("/annuaire").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "identity.updated"))


def test_a_new_logo_replaces_the_old_and_can_be_removed(app, client):
    login(client, ADMIN)
    post_settings(client, logo=("a.png", image_bytes()))
    jpeg = image_bytes(300, 100, "JPEG")
    post_settings(client, logo=("b.jpg", jpeg))
    url = re.search(r'src="(/identite/logo[^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    served = client.get(url)
    assert served.mimetype == "image/jpeg" and served.data == jpeg
    post_settings(client, remove_logo="1")
    assert "<img" not in header(client.get("/").get_data(as_text=True))
    assert client.get(url).status_code == 404


HOSTILE = [
    ("page.png", b"<!doctype html><html><script>alert(document.cookie)</script></html>",
     "n'est pas une image PNG ou JPEG"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG n'est pas accepté"),
    ("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
     "SVG n'est pas accepté"),
    ("bruit.png", os.urandom(16), "n'est pas une image PNG ou JPEG"),
]


@pytest.mark.parametrize("name, data, message", HOSTILE, ids=["html-en-png", "svg-script", "svg-en-png", "octets"])
def test_hostile_uploads_are_refused_and_nothing_is_written(app, client, name, data, message):
    login(client, ADMIN)
    response = post_settings(client, logo=(name, data))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html.replace("&#39;", "'")
    assert 'id="erreur-logo"' in html and "rien n'a été enregistré" in html.replace("&#39;", "'")
    assert stored(app) is None  # not even the valid name and colours sent with it
    assert "<img" not in header(client.get("/").get_data(as_text=True))


def test_oversized_damaged_and_tiny_images_are_refused(app, client):
    login(client, ADMIN)
    noise = io.BytesIO()
    Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3)).save(noise, "PNG")  # ~480 KB
    cases = [(noise.getvalue(), "Le logo pèse"), (image_bytes(2000, 100), "2000 × 100 pixels"),
             (image_bytes()[:60], "endommagée ou illisible"), (image_bytes(8, 8), "au moins 16 pixels")]
    for data, message in cases:
        response = post_settings(client, logo=("logo.png", data))
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True), message
    assert stored(app) is None


def test_known_contrast_ratios():
    assert round(contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54  # the lightest grey that passes on white
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48


def test_low_contrast_colours_are_refused_with_the_ratio(app, client):
    login(client, ADMIN)
    response = post_settings(client, {**VALID, "primary": "#777777"})
    assert response.status_code == 422
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert "Contraste insuffisant : 4,47:1 pour la couleur principale en texte sur fond blanc" in html
    assert "il faut au moins 4,5:1" in html
    response = post_settings(client, {**VALID, "header_text": "#888888"})
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422
    assert "Contraste insuffisant : 2,83:1 pour le texte de l'en-tête sur la couleur principale" in html
    response = post_settings(client, {**VALID, "accent": "#8a2a4a"})
    assert "pour la couleur d'accent" in response.get_data(as_text=True).replace("&#39;", "'")
    response = post_settings(client, {**VALID, "primary": "bordeaux", "name": " "})
    html = response.get_data(as_text=True)
    assert "Indiquez une couleur en hexadécimal" in html and "Ce champ est obligatoire." in html
    assert stored(app) is None


@pytest.mark.parametrize("username", ["claire.martin", "julien.mercier", "olivier.lambert", "pierre.faure"])
def test_only_the_regional_admin_changes_the_identity(app, client, username):
    """pierre.faure is an admin, but of the CRIJ, not of the Region."""
    login(client, username)
    assert client.get(SETTINGS).status_code == 403
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post(SETTINGS, data={"csrf_token": token, **VALID}).status_code == 403
    assert client.post(f"{SETTINGS}/reinitialiser", data={"csrf_token": token}).status_code == 403
    assert "Identité" not in header(client.get("/").get_data(as_text=True))
    assert stored(app) is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(SETTINGS).status_code == 302
    assert client.post(SETTINGS, data=VALID).status_code in (302, 400)
    assert client.get("/identite/logo").status_code == 404  # no logo yet: nothing to serve


def test_the_name_is_in_the_emails(app, ctx):
    save_identity(get_user(ADMIN), VALID)
    db.session.commit()
    identity_query.forget()
    message = queue_message("arrivee", "accueil@cio-orleans.example.org", "Nouvelle orientation", "Bonjour.")
    parsed = message_from_bytes(bytes(build_email(message)), policy=policy.default)
    assert parsed["From"].addresses[0].display_name == "Orientation Région Centre"
    assert parsed["From"].addresses[0].addr_spec == "ne-pas-repondre@spro.example.org"
    assert parsed["Organization"] == "Orientation Région Centre"


def test_the_name_and_logo_are_in_the_pdfs(app, client):
    from test_cep_documents_api import drive, pdf_text, signed_in, to_revision
    login(client, ADMIN)
    post_settings(client, logo=("logo.png", image_bytes()))
    journey_id = drive(app, to_revision)
    response = signed_in(app, "sophie.marchand").get(f"/cep/parcours/{journey_id}/synthese.pdf")
    assert response.status_code == 200
    assert "Orientation Région Centre" in pdf_text(response)
    reader = PdfReader(io.BytesIO(response.data))
    assert all(len(page.images) == 1 for page in reader.pages)
    assert reader.metadata.creator == "Orientation Région Centre"


def test_pages_do_not_read_the_identity_again_until_it_changes(app, client):
    login(client, "claire.martin")
    client.get("/")
    _, statements = statements_of(app, lambda: client.get("/"))
    assert not any("regional_identity" in s for s in statements)
    admin = app.test_client()
    login(admin, ADMIN)
    post_settings(admin)  # saved in this process: shown at once
    assert "ORC" in header(client.get("/").get_data(as_text=True))


def test_another_process_change_shows_after_the_recheck_delay(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "IDENTITY_RECHECK_SECONDS", 30)
    now = [1000.0]
    monkeypatch.setattr(identity_query, "_monotonic", lambda: now[0])
    with app.app_context():
        save_identity(get_user(ADMIN), VALID)
        db.session.commit()
        identity_query.forget()
    assert "ORC" in header(client.get("/login").get_data(as_text=True))
    with app.app_context():  # another process writes: this one does not know
        db.session.execute(text("UPDATE regional_identity SET short_name = 'AUTRE', version = version + 1"))
        db.session.commit()
    now[0] += 10
    assert "ORC" in header(client.get("/login").get_data(as_text=True))
    now[0] += 21
    assert "AUTRE" in header(client.get("/login").get_data(as_text=True))


def test_a_broken_row_falls_back_to_the_defaults(app, client):
    with app.app_context():
        db.session.add(RegionalIdentity(id=1, name="", short_name="X", primary_color="#ffffff",
                                        accent_color="#zzzzzz", header_text_color="#fffffe",
                                        logo_type="text/html", logo_sha256="ab" * 32, logo=b"<script>", version=1))
        db.session.commit()
        identity_query.forget()
    html = client.get("/login").get_data(as_text=True)
    assert "<title>Connexion · SPRO Centre-Val de Loire</title>" in html  # empty name: the default
    assert "theme.css" not in html and "<img" not in header(html)  # unreadable colours, unsafe logo type
    assert client.get("/identite/logo").status_code == 404


def test_reset_brings_the_defaults_back(app, client):
    login(client, ADMIN)
    post_settings(client, logo=("logo.png", image_bytes()))
    token = csrf_from(client.get(SETTINGS).get_data(as_text=True))
    assert client.post(f"{SETTINGS}/reinitialiser", data={"csrf_token": token}).status_code == 303
    html = client.get("/").get_data(as_text=True)
    assert "SPRO <small>Centre-Val de Loire</small>" in header(html) and "<img" not in header(html)


WIDTHS = {"telephone": {"width": 390, "height": 844}, "bureau": {"width": 1366, "height": 900}}


@pytest.mark.parametrize("device", list(WIDTHS))
def test_the_browser_draws_the_header_in_the_configured_colour(app, server, device):
    """Chromium at 390 and 1366 px: the header's background is the configured colour (computed style
    and the screenshot's pixels), the logo loads, and nothing scrolls sideways, even with a long name."""
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Debian's chromium is not installed (scripts/ensure_chromium.sh installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with app.app_context():
        long_name = "ORC Orientationprofessionnelletoutaulongdelaviesansespace Centre-Val de Loire"
        save_identity(get_user(ADMIN), {**VALID, "name": long_name}, logo=image_bytes(), logo_name="logo.png")
        db.session.commit()
        identity_query.forget()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(locale="fr-FR", viewport=WIDTHS[device]).new_page()
        page.goto(f"{server}/login")
        page.fill("#username", "claire.martin")
        page.fill("#password", "demo-spro-2026")
        page.click("button[type=submit]")
        page.wait_for_selector("header.top nav")
        assert page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor") \
            == "rgb(122, 31, 61)"
        assert page.evaluate("getComputedStyle(document.querySelector('header.top a')).color") == "rgb(255, 255, 255)"
        assert page.evaluate("document.querySelector('.brand img').naturalWidth") == 120
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[device]["width"]
        os.makedirs("/tmp/shots", exist_ok=True)
        page.screenshot(path=f"/tmp/shots/identite-accueil-{device}.png")  # for a look
        shot = Image.open(io.BytesIO(page.locator("header.top").screenshot())).convert("RGB")
        assert shot.getpixel((shot.width - 3, 3)) == (122, 31, 61)
        assert shot.getpixel((shot.width - 3, shot.height - 3)) == (122, 31, 61)
        browser.close()


def test_an_unreadable_identity_shows_the_defaults_and_spoils_nothing(app, client, monkeypatch):
    """A database that cannot answer (here a column that does not exist, as before the migration):
    the defaults show, and the page's own reads still work (the identity has its own connection)."""
    from sqlalchemy import literal_column
    login(client, "claire.martin")
    monkeypatch.setattr(identity_query, "_COLUMNS", (literal_column("no_such_column"),))
    identity_query.forget()
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Bonjour Claire Martin" in html
    assert "SPRO <small>Centre-Val de Loire</small>" in header(html)
