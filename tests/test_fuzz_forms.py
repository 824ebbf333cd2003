"""Property-based fuzz of every screen's forms: each form of the screen catalogue is read from its page and
posted by its user with a valid CSRF token and Hypothesis-made fields (control characters, NUL, huge
values, odd Unicode, fields missing or added). No answer is a server error; a refusal is in French.

The forms change reference data (structures, funders, bassins), so the fuzz runs on a database of its
own (a temporary SQLite file, or a second PostgreSQL database next to the test one)."""
import html
import io
import os
import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest
from conftest import DEMO_PASSWORD, csrf_from
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from screen_catalog import screens, stage_screens
from test_orientation import send, start_referral
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.models import Funder, JourneyMigration, User
from webapp.views.errors import TITLES

EXAMPLES_PER_FORM = 12
# Screens whose forms the catalogue does not show (a funder's edit page, a deactivated funder to
# reactivate, a referral still open for the coordinator once the catalogue's one has been answered).
EXTRA_SCREENS = [("nathalie.bernard", "financeur-modifier", "/cep/financeurs/{funder}/modifier"),
                 ("nathalie.bernard", "financeurs-reactiver", "/cep/financeurs"),
                 ("olivier.lambert", "coordination-ouverte", "/coordination"),
                 ("claire.martin", "mot-de-passe", "/compte/mot-de-passe")]
SCREENS = [name for _user, name, _path in screens(defaultdict(int))] + [name for _u, name, _p in EXTRA_SCREENS]
# Posting these ends the fuzzing user's session: checked once, not fuzzed.
SESSION_ENDING = {"/logout"}
HOSTILE_TEXT = ["", " ", "\x00", "a\x00b", "\r\n", "\ud7ff\ufffe\uffff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🙂", "١٢٣", "１２３", "²",
                "9" * 5000, "-1", "18446744073709551617", "x" * 100_000, "<script>alert(1)</script>",
                "%s%n{0}{{7*7}}", "../../etc/passwd", "' OR 1=1 --", "2026-02-30", "31/12/9999", "NaN",
                "\u202e\u200b", "a" * 300 + "@" + "b" * 300 + ".fr"]


class FormReader(HTMLParser):
    """The POST forms of a page: action, then each field's name with its type and offered values."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = {"action": attrs.get("action"), "fields": defaultdict(lambda: {"values": []}),
                          "multipart": "multipart" in (attrs.get("enctype") or "")}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button") and attrs.get("name"):
            field = self._form["fields"][attrs["name"]]
            field["type"] = attrs.get("type", tag)
            if attrs.get("value") is not None:
                field["values"].append(attrs["value"])
            self._select = field if tag == "select" else None
        elif tag == "option" and self._select is not None and attrs.get("value") is not None:
            self._select["values"].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def post_forms(page: str, path: str) -> list[dict]:
    reader = FormReader()
    reader.feed(page)
    return [{**form, "action": form["action"] or path} for form in reader.forms]


def field_value(field: dict):
    """Strategy for one field: one of its own values, hostile text, or anything."""
    own = [st.sampled_from(field["values"])] if field["values"] else []
    if field.get("type") == "file":
        return st.tuples(st.binary(max_size=2000).map(io.BytesIO),
                         st.sampled_from(["a.csv", "a.json", "a.dmn", "a\r\nb.csv", "", "x" * 300]))
    return st.one_of(*own, st.sampled_from(HOSTILE_TEXT), st.text(max_size=40),
                     st.lists(st.one_of(*own, st.text(max_size=10)), min_size=2, max_size=3))


def form_data(form: dict):
    """Strategy for a whole submission: every field present or missing, plus unknown extra fields."""
    fields = {name: field for name, field in form["fields"].items() if name != "csrf_token"}
    present = st.fixed_dictionaries({}, optional={name: field_value(f) for name, f in fields.items()})
    extra = st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda n: n not in form["fields"]),
                            st.text(max_size=20), max_size=2)
    return st.tuples(present, extra).map(lambda pair: {**pair[1], **pair[0]})


def is_french_refusal(response) -> bool:
    """A 4xx the user can read: the French error page, or the form again with its French messages."""
    page = html.unescape(response.get_data(as_text=True))
    return 'lang="fr"' in page and (any(f"<h1>{title}</h1>" in page for title in TITLES.values())
                                    or 'role="alert"' in page or 'class="error"' in page
                                    or 'aria-invalid="true"' in page)


# --- A database of its own ----------------------------------------------------------------------

def _own_database(tmp_path_factory):
    """(url, cleanup): a SQLite file, or a PostgreSQL database created beside SPRO_TEST_DATABASE_URL."""
    shared = os.environ.get("SPRO_TEST_DATABASE_URL")
    if not shared:
        return f"sqlite:///{tmp_path_factory.mktemp('fuzz_forms') / 'forms.sqlite'}", lambda: None
    base = make_url(shared)
    name = f"{base.database}_fuzz_forms"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """(app, scene): the demo directory and the catalogue's people and journeys, on the fuzz's database."""
    url, drop = _own_database(tmp_path_factory)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        from webapp.demo import seed_demo
        seed_demo()
        scene = stage_screens(app)
        send(start_referral())
        funders = db.session.scalars(select(Funder).order_by(Funder.id)).all()
        funders[-1].active = False
        db.session.commit()
        scene["funder"] = funders[0].id
        _stage_studio()
    yield app, scene
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    drop()


def _stage_studio():
    """The accueil journey with a second published version and a draft, so that the studio page offers
    its publish, discard and rollback forms."""
    from pathlib import Path

    from conftest import get_user
    from webapp.operations import studio
    pilot = get_user("julien.mercier")
    shipped = (Path(__file__).resolve().parent.parent / "processes" / "accueil.bpmn").read_text(encoding="utf-8")
    edited = shipped.replace('name="Conseil en évolution professionnelle engagé"', 'name="CEP engagé"')
    assert edited != shipped
    studio.save_draft(pilot, "accueil", "bpmn", "accueil.bpmn", edited)
    studio.publish_draft(pilot, "accueil", "bpmn", "Nom de fin raccourci.")
    studio.save_draft(pilot, "accueil", "bpmn", "accueil.bpmn", shipped)
    db.session.commit()


@pytest.fixture(scope="module")
def reached():
    """The POST endpoints the fuzz posted to, filled by the screen tests."""
    return set()


def signed_in(app, username: str | None):
    client = app.test_client()
    if username:
        page = client.get("/login").get_data(as_text=True)
        answer = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                             "csrf_token": csrf_from(page)})
        assert answer.status_code in (302, 303), f"{username} could not sign in"
    return client


def fuzz_form(app, client, token: str, form: dict):
    """Post Hypothesis-made submissions of one form; fail on a server error or a refusal not in French."""
    @settings(max_examples=EXAMPLES_PER_FORM, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(form_data(form))
    def submit(data):
        response = client.post(form["action"], data={**data, "csrf_token": token},
                               content_type="multipart/form-data" if form["multipart"] else None)
        status = response.status_code
        assert status < 500, f"{status} on {form['action']} with {data!r}"[:2000]
        if status >= 400 and status != 413:
            assert is_french_refusal(response), f"{status} not in French on {form['action']}"
    submit()


@pytest.mark.parametrize("name", SCREENS)
def test_no_form_of_the_screen_answers_a_server_error(staged, reached, name):
    """Does every form of this screen answer anything its user may post with a page, a redirect or a
    French refusal, never a 500?"""
    app, scene = staged
    user, path = next((u, p.format(**scene)) for u, n, p in screens(scene) + EXTRA_SCREENS if n == name)
    client = signed_in(app, user)
    page = client.get(path)
    if page.status_code != 200:  # the catalogue's error screens, or a task an earlier form completed
        pytest.skip(f"no form to fuzz: the screen answers {page.status_code}")
    text = page.get_data(as_text=True)
    forms = [f for f in post_forms(text, path) if f["action"].split("?")[0] not in SESSION_ENDING]
    if not forms:
        return
    token = csrf_from(text)
    adapter = app.url_map.bind("localhost")
    for form in forms:
        reached.add(adapter.match(form["action"].split("?")[0], method="POST")[0])
        fuzz_form(app, client, token, form)


def test_logout_with_any_fields_signs_out(staged):
    """Does signing out with odd extra fields still sign out (a redirect to the sign-in page)?"""
    app, _scene = staged
    client = signed_in(app, "claire.martin")
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token, "next": "\x00" + "9" * 5000, "é\r\n": "x"})
    assert response.status_code in (302, 303)
    assert client.get("/").status_code in (302, 303)


@settings(max_examples=EXAMPLES_PER_FORM, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(body=st.one_of(st.text(max_size=300), st.dictionaries(st.sampled_from(["xml", "x", ""]),
                                                             st.one_of(st.text(max_size=300), st.integers(),
                                                                       st.none(), st.lists(st.text(), max_size=3)))))
def test_the_editors_draft_route_answers_any_body_without_a_server_error(staged, reached, body):
    """The studio's JSON save (the diagram editor's) takes anything a client may send: never a 500."""
    app, _scene = staged
    client = signed_in(app, "julien.mercier")
    token = csrf_from(client.get("/pilotage/parcours/accueil").get_data(as_text=True))
    response = client.post("/pilotage/parcours/accueil/brouillon.json", json=body, headers={"X-CSRFToken": token})
    assert response.status_code < 500
    reached.add("studio.save_draft_json")


@settings(max_examples=EXAMPLES_PER_FORM, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(body=st.one_of(st.text(max_size=300), st.dictionaries(
    st.sampled_from(["schema", "ui", "x", ""]),
    st.one_of(st.text(max_size=300), st.integers(), st.none(), st.lists(st.text(), max_size=3),
              st.dictionaries(st.text(max_size=20), st.one_of(st.text(max_size=50), st.integers()), max_size=4)))))
def test_the_form_preview_answers_any_body_without_a_server_error(staged, reached, body):
    """The form editor's live preview takes anything a client may send: a preview or a French refusal."""
    app, _scene = staged
    client = signed_in(app, "julien.mercier")
    token = csrf_from(client.get("/pilotage/parcours/accueil").get_data(as_text=True))
    response = client.post("/pilotage/formulaires/apercu", json=body, headers={"X-CSRFToken": token})
    assert response.status_code < 500
    reached.add("studio_forms.preview")


def test_the_migration_forms_answer_any_fields_without_a_server_error(staged, reached):
    """With a newer version of the reception published, the migration's start and resume forms answer
    anything the process owner may post with a page, a redirect or a French refusal."""
    from test_studio_versions import edited_accueil
    from webapp.operations import studio as studio_ops
    from webapp.operations.journey_migrations import start_migration
    from webapp.queries.definitions import current_version
    app, _scene = staged
    with app.app_context():
        pilote = db.session.scalar(select(User).where(User.username == "julien.mercier"))
        before = current_version("accueil").version
        studio_ops.save_draft(pilote, "accueil", "bpmn", "accueil.bpmn", edited_accueil())
        studio_ops.publish_draft(pilote, "accueil", "bpmn", "Vérification du dossier.")
        db.session.commit()
    client = signed_in(app, "julien.mercier")
    path = f"/pilotage/parcours/accueil/migration?de={before}&a={before + 1}"
    text = client.get(path).get_data(as_text=True)
    token = csrf_from(text)
    [start] = post_forms(text, path)
    reached.add("studio_migrations.start")
    fuzz_form(app, client, token, start)
    with app.app_context():  # started by one of the fuzzed submissions, or now
        migration = db.session.scalar(select(JourneyMigration).where(JourneyMigration.process_key == "accueil")) \
            or start_migration(db.session.scalar(select(User).where(User.username == "julien.mercier")), "accueil",
                               str(before), str(before + 1))
        db.session.commit()
        url = f"/pilotage/parcours/accueil/migration/{migration.id}/reprendre"
    resume = {"action": url, "fields": defaultdict(lambda: {"values": []}), "multipart": False}
    reached.add("studio_migrations.resume")
    fuzz_form(app, client, token, resume)


def test_every_screen_post_route_was_fuzzed(staged, reached):
    """Did the fuzz reach every POST route of the screens (this test runs after the screens' ones)?"""
    app, _scene = staged
    posts = {rule.endpoint for rule in app.url_map.iter_rules()
             if "POST" in rule.methods and not rule.rule.startswith("/api/") and rule.rule not in SESSION_ENDING}
    assert posts - reached == set()
