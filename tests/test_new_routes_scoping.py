"""Attacker's probes of the routes added for the CEP, the person's rights, the audit trail, the
password change and the API: each one as the owner's structure and as someone else holding a real
account. Another structure's object answers 404 with nothing of the person in the body, a wrong
role 403, every form POST needs its CSRF token, and a page showing personal data is never cached.

Data: Sophie Marchand (APEC Tours) receives Nadia Benoît and takes her CEP journey to a revised
funding plan; Claire Martin (Mission Locale d'Orléans) refers Léa Durand to the CIO d'Orléans."""
from datetime import timedelta

import pytest
from cep_steps import decide, level1, level2, open_cep, plan, submit_all, validate_project
from conftest import api_token, csrf_from, get_user, login
from sqlalchemy import select
from test_orientation import open_tasks, send, start_referral

from webapp import clock
from webapp.extensions import db
from webapp.models import Funder, Journey, Person

OWNER, OTHER_CEP, CLAIRE, NOT_CEP = "sophie.marchand", "thomas.petit", "claire.martin", "isabelle.roux"
COORDINATOR, REGIONAL_ADMIN, PILOTE = "olivier.lambert", "nathalie.bernard", "julien.mercier"
CRIJ_ADMIN = "pierre.faure"  # role admin in the CRIJ d'Orléans: a structure's administrator
NAMES = ("Benoît", "Beno&#238;t", "Beno&#xee;t", "nadia.benoit", "06 22 33 44 55")
DURAND = ("Durand", "lea.durand", "06 11 22 33 44")


def leaks(body: str, names=NAMES) -> list[str]:
    return [name for name in names if name in body]


def no_store(response) -> bool:
    return response.headers.get("Cache-Control") == "no-store"


def build_cep(app, anonymise_soon: bool = False, decided: bool = True) -> dict:
    """Sophie's CEP journey waiting for a revised plan (the CPF granted 3 200 €, Transitions Pro
    4 000 € of 5 200 €), or with `decided=False` waiting for both funders' decisions; its ids,
    its reception's, its person's and the first open task's."""
    with app.app_context():
        journey = open_cep()
        level1(journey)
        level2(journey)
        validate_project(journey)
        plan(journey, {"cpf": "3200", "transitions_pro": "5200"})
        submit_all(journey)
        if decided:
            decide(journey, "CPF", "accorde")
            decide(journey, "Transitions", "partiel", "4000")
        revision = open_tasks(journey)[0]
        reception = db.session.scalar(select(Journey).where(Journey.person_id == journey.person_id,
                                                            Journey.process_key == "accueil"))
        ids = {"journey": journey.id, "person": journey.person_id, "reception": reception.id,
               "task": revision.id, "task_key": revision.bpmn_id}
        if anonymise_soon:
            person = db.session.get(Person, journey.person_id)
            person.last_contact_at = clock.now() - timedelta(days=720)
            db.session.commit()
        return ids


@pytest.fixture
def cep(app):
    return build_cep(app)


def client_of(app, username):
    client = app.test_client()
    assert login(client, username).status_code in (302, 303)
    return client


# -- « Mes parcours CEP » and « Demandes de financement » -------------------------------------

@pytest.mark.parametrize("path", ["/cep/", "/cep/?vue=structure", "/cep/?onglet=financement&vue=structure",
                                  "/cep/financements"])
def test_cep_lists_show_only_the_structures_journeys(app, cep, path):
    owner = client_of(app, OWNER).get(path)
    assert owner.status_code == 200 and no_store(owner)
    other = client_of(app, OTHER_CEP).get(path)
    assert other.status_code == 200 and no_store(other)
    assert leaks(other.get_data(as_text=True)) == []


def test_funding_requests_awaiting_show_to_the_owner_only(app):
    build_cep(app, decided=False)
    owner = client_of(app, OWNER).get("/cep/financements")
    assert owner.status_code == 200 and leaks(owner.get_data(as_text=True))
    for username in (OTHER_CEP, CLAIRE):
        other = client_of(app, username).get("/cep/financements")
        assert other.status_code == 200 and leaks(other.get_data(as_text=True)) == [], username
    client = app.test_client()
    plan_json = client.get("/api/v1/tasks", headers=api_token(client, OTHER_CEP)).get_data(as_text=True)
    assert leaks(plan_json) == []


def test_cep_structure_view_names_the_owners_person(app, cep):
    body = client_of(app, OWNER).get("/cep/?vue=structure&onglet=financement").get_data(as_text=True)
    assert leaks(body), "the owner's own CEP list should name Nadia Benoît"


@pytest.mark.parametrize("username", [NOT_CEP, COORDINATOR, REGIONAL_ADMIN, PILOTE])
@pytest.mark.parametrize("path", ["/cep/", "/cep/financements"])
def test_cep_lists_are_for_cep_advisers_only(app, cep, username, path):
    response = client_of(app, username).get(path)
    assert response.status_code == 403
    assert leaks(response.get_data(as_text=True)) == []


# -- funders (regional administration) ---------------------------------------------------------

def _a_funder_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Funder.id).where(Funder.active.is_(True)).order_by(Funder.id))


@pytest.mark.parametrize("username", [OWNER, NOT_CEP, COORDINATOR, PILOTE, CRIJ_ADMIN])
def test_funders_pages_refuse_non_admins(app, username):
    """The funders list is the regional administration's: a structure's admin cannot change it either."""
    client, funder = client_of(app, username), _a_funder_id(app)
    for path in ("/cep/financeurs", "/cep/financeurs/nouveau", f"/cep/financeurs/{funder}/modifier"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("username", [OWNER, NOT_CEP, PILOTE, CRIJ_ADMIN])
def test_funders_writes_refuse_non_admins_even_with_a_token(app, username):
    funder = _a_funder_id(app)
    client = client_of(app, username)
    token = csrf_from(client.get("/compte/mot-de-passe").get_data(as_text=True))
    for path in ("/cep/financeurs/nouveau", f"/cep/financeurs/{funder}/modifier",
                 f"/cep/financeurs/{funder}/desactiver", f"/cep/financeurs/{funder}/reactiver"):
        response = client.post(path, data={"csrf_token": token, "label": "Pirate", "kind": "abondement"})
        assert response.status_code == 403, path
    with app.app_context():
        assert db.session.get(Funder, funder).active is True
        assert db.session.scalar(select(Funder.id).where(Funder.label == "Pirate")) is None


def test_funders_writes_need_the_csrf_token(app):
    funder = _a_funder_id(app)
    client = client_of(app, REGIONAL_ADMIN)
    assert client.get("/cep/financeurs").status_code == 200
    for path in ("/cep/financeurs/nouveau", f"/cep/financeurs/{funder}/modifier",
                 f"/cep/financeurs/{funder}/desactiver", f"/cep/financeurs/{funder}/reactiver"):
        response = client.post(path, data={"label": "Sans jeton", "kind": "abondement"})
        assert response.status_code == 400, path
    with app.app_context():
        assert db.session.get(Funder, funder).active is True


def test_unknown_funder_answers_404(app):
    client = client_of(app, REGIONAL_ADMIN)
    assert client.get("/cep/financeurs/999999/modifier").status_code == 404


# -- CEP documents ------------------------------------------------------------------------------

def test_synthesis_downloads_for_the_owner_uncached(app, cep):
    response = client_of(app, OWNER).get(f"/cep/parcours/{cep['journey']}/synthese.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert no_store(response)


@pytest.mark.parametrize("doc", ["synthese.pdf", "attestation.pdf"])
def test_cep_documents_of_another_structure_answer_404(app, cep, doc):
    response = client_of(app, OTHER_CEP).get(f"/cep/parcours/{cep['journey']}/{doc}")
    assert response.status_code == 404 and response.mimetype != "application/pdf"
    assert leaks(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("doc", ["synthese.pdf", "attestation.pdf"])
def test_cep_documents_of_a_non_cep_journey_or_unknown_id_answer_404(app, cep, doc):
    owner = client_of(app, OWNER)
    for journey_id in (cep["reception"], 999999):
        response = owner.get(f"/cep/parcours/{journey_id}/{doc}")
        assert response.status_code == 404, journey_id
        assert leaks(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("username", [NOT_CEP, COORDINATOR, REGIONAL_ADMIN])
def test_cep_documents_are_for_cep_advisers_only(app, cep, username):
    """The same 403 for an existing journey and an unknown id: the role check tells nothing."""
    client = client_of(app, username)
    for journey_id in (cep["journey"], 999999):
        response = client.get(f"/cep/parcours/{journey_id}/synthese.pdf")
        assert response.status_code == 403 and response.mimetype != "application/pdf"
        assert leaks(response.get_data(as_text=True)) == []


# -- the person's data export -------------------------------------------------------------------

EXPORTS = ("donnees", "donnees.json", "donnees.pdf")


@pytest.mark.parametrize("suffix", EXPORTS)
def test_export_for_the_owner_uncached(app, cep, suffix):
    response = client_of(app, OWNER).get(f"/personnes/{cep['person']}/{suffix}")
    assert response.status_code == 200 and no_store(response)
    if suffix == "donnees.json":
        assert response.get_json()["personne"]["nom"] == "Benoît"


@pytest.mark.parametrize("username", [OTHER_CEP, NOT_CEP, COORDINATOR, REGIONAL_ADMIN, PILOTE])
@pytest.mark.parametrize("suffix", EXPORTS)
def test_export_of_another_structures_person_answers_404(app, cep, username, suffix):
    response = client_of(app, username).get(f"/personnes/{cep['person']}/{suffix}")
    assert response.status_code == 404
    assert response.mimetype not in ("application/pdf", "application/json")
    assert leaks(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("suffix", EXPORTS)
def test_export_of_an_unknown_person_answers_404(app, suffix):
    assert client_of(app, OWNER).get(f"/personnes/999999/{suffix}").status_code == 404


@pytest.fixture
def referred(app) -> int:
    """Léa Durand, referred by the Mission Locale to the CIO d'Orléans: her person id."""
    with app.app_context():
        journey = start_referral()
        send(journey)
        return journey.person_id


def test_receiving_structure_sees_the_person_but_cannot_export(app, referred):
    receiver = client_of(app, NOT_CEP)  # isabelle.roux, CIO d'Orléans
    assert receiver.get(f"/personnes/{referred}").status_code == 200
    for suffix in EXPORTS:
        response = receiver.get(f"/personnes/{referred}/{suffix}")
        assert response.status_code == 404, suffix
        assert leaks(response.get_data(as_text=True), DURAND) == [], suffix


def test_export_lists_only_the_structures_own_audit_entries(app, cep):
    _trail_world(app, cep)  # Olivier Lambert (CRIJ) was refused the dossier
    data = client_of(app, OWNER).get(f"/personnes/{cep['person']}/donnees.json").get_json()
    who = {entry["par"] for entry in data["acces_et_modifications"]}
    assert "Sophie Marchand" in who and "Olivier Lambert" not in who


def test_sending_structure_exports_the_referred_person(app, referred):
    response = client_of(app, CLAIRE).get(f"/personnes/{referred}/donnees.json")
    assert response.status_code == 200 and no_store(response)
    assert response.get_json()["personne"]["nom"] == "Durand"


def test_soon_anonymised_lists_only_the_structures_people(app):
    cep = build_cep(app, anonymise_soon=True)
    with app.app_context():  # the journey in progress holds anonymisation back: end it
        journey = db.session.get(Journey, cep["journey"])
        journey.status = "terminee"
        db.session.commit()
    owner = client_of(app, OWNER).get("/personnes/a-anonymiser")
    assert owner.status_code == 200 and no_store(owner)
    assert leaks(owner.get_data(as_text=True)), "the owner's soon-anonymised list should name Nadia Benoît"
    for username in (OTHER_CEP, NOT_CEP, REGIONAL_ADMIN):
        other = client_of(app, username).get("/personnes/a-anonymiser")
        assert other.status_code == 200 and leaks(other.get_data(as_text=True)) == [], username


# -- the audit trail (« Journal des accès ») --------------------------------------------------

def _trail_world(app, cep) -> None:
    """Sophie downloads the synthesis (an APEC Tours entry on Nadia Benoît); Olivier Lambert (CRIJ)
    asks for her dossier and gets a 404 (a CRIJ « denied » entry naming only her number)."""
    assert client_of(app, OWNER).get(f"/cep/parcours/{cep['journey']}/synthese.pdf").status_code == 200
    assert client_of(app, COORDINATOR).get(f"/personnes/{cep['person']}/donnees").status_code == 404


@pytest.mark.parametrize("username", [OWNER, NOT_CEP, COORDINATOR, PILOTE])
def test_journal_is_for_administrators_only(app, cep, username):
    client = client_of(app, username)
    for path in ("/administration/journal", "/administration/journal/export.csv"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert leaks(response.get_data(as_text=True)) == []


def test_structure_admin_reads_only_their_structures_entries(app, cep):
    _trail_world(app, cep)
    admin = client_of(app, CRIJ_ADMIN)
    page = admin.get("/administration/journal")
    assert page.status_code == 200 and no_store(page)
    body = page.get_data(as_text=True)
    assert "Olivier Lambert" in body  # the CRIJ's own denied entry
    assert "Sophie Marchand" not in body and "Synthèse CEP téléchargée" not in body
    assert leaks(body) == []


@pytest.mark.parametrize("person_filter", ["{id}", "Benoît", "benoit", "Nadia"])
def test_structure_admin_filtering_on_another_structures_person_learns_no_name(app, cep, person_filter):
    _trail_world(app, cep)
    admin = client_of(app, CRIJ_ADMIN)
    value = person_filter.format(id=cep["person"])
    page = admin.get("/administration/journal", query_string={"personne": value})
    assert page.status_code == 200
    assert leaks(page.get_data(as_text=True).replace(f'value="{value}"', "")) == []
    csv = admin.get("/administration/journal/export.csv", query_string={"personne": value})
    assert csv.status_code == 200 and no_store(csv)
    assert leaks(csv.get_data(as_text=True)) == [] and "Sophie Marchand" not in csv.get_data(as_text=True)


def test_structure_admin_filtering_on_another_structures_user_gets_nothing(app, cep):
    _trail_world(app, cep)
    with app.app_context():
        sophie = get_user(OWNER).id
    admin = client_of(app, CRIJ_ADMIN)
    csv = admin.get("/administration/journal/export.csv", query_string={"utilisateur": sophie})
    assert [line for line in csv.get_data(as_text=True).splitlines()[1:] if line] == []
    page = admin.get("/administration/journal", query_string={"utilisateur": sophie}).get_data(as_text=True)
    assert "Synthèse CEP téléchargée" not in page and leaks(page) == []


def test_structure_admin_filter_by_number_finds_the_own_denied_entry_only(app, cep):
    _trail_world(app, cep)
    csv = client_of(app, CRIJ_ADMIN).get("/administration/journal/export.csv",
                                         query_string={"personne": str(cep["person"])}).get_data(as_text=True)
    rows = [line for line in csv.splitlines()[1:] if line]
    assert rows and all("Olivier Lambert" in row for row in rows)
    assert any(f"n°{cep['person']}" in row for row in rows)


def test_regional_admin_reads_every_structure_but_people_by_number(app, cep):
    _trail_world(app, cep)
    admin = client_of(app, REGIONAL_ADMIN)
    page = admin.get("/administration/journal", query_string={"personne": str(cep["person"])})
    assert page.status_code == 200 and no_store(page)
    body = page.get_data(as_text=True)
    assert "Sophie Marchand" in body and "Olivier Lambert" in body
    assert leaks(body) == []
    csv = admin.get("/administration/journal/export.csv")
    assert csv.status_code == 200 and no_store(csv)
    text = csv.get_data(as_text=True)
    assert "Sophie Marchand" in text and leaks(text) == []


def test_journal_export_is_a_get_that_writes_only_the_audit(app, cep):
    """The CSV is a download, not a state change: no CSRF to ask, and it is itself audited."""
    admin = client_of(app, REGIONAL_ADMIN)
    assert admin.get("/administration/journal/export.csv").status_code == 200
    page = admin.get("/administration/journal", query_string={"action": "audit.exported"})
    assert "Journal des accès exporté" in page.get_data(as_text=True)


# -- « Changer mon mot de passe » ---------------------------------------------------------------

def test_password_page_needs_a_session(app):
    response = app.test_client().get("/compte/mot-de-passe")
    assert response.status_code in (302, 303, 401) and "/login" in response.headers.get("Location", "/login")


def test_password_change_needs_the_csrf_token(app):
    client = client_of(app, OTHER_CEP)
    page = client.get("/compte/mot-de-passe")
    assert page.status_code == 200 and no_store(page)
    form = {"current": "demo-spro-2026", "new": "Un-nouveau-mot-de-passe-2026", "confirmation":
            "Un-nouveau-mot-de-passe-2026"}
    assert client.post("/compte/mot-de-passe", data=form).status_code == 400
    assert login(app.test_client(), OTHER_CEP).status_code in (302, 303)  # the old password still works


def test_password_change_needs_the_current_password(app):
    client = client_of(app, OTHER_CEP)
    token = csrf_from(client.get("/compte/mot-de-passe").get_data(as_text=True))
    response = client.post("/compte/mot-de-passe", data={
        "csrf_token": token, "current": "pas-le-bon", "new": "Un-nouveau-mot-de-passe-2026",
        "confirmation": "Un-nouveau-mot-de-passe-2026"})
    assert response.status_code == 422
    assert login(app.test_client(), OTHER_CEP).status_code in (302, 303)


def test_password_change_ends_other_sessions_and_tokens_but_keeps_this_one(app):
    from webapp.operations.users import hash_password
    username, new = "mathieu.girard", "Un-nouveau-mot-de-passe-2026"
    here, elsewhere, api = client_of(app, username), client_of(app, username), app.test_client()
    headers = api_token(api, username)
    try:
        token = csrf_from(here.get("/compte/mot-de-passe").get_data(as_text=True))
        response = here.post("/compte/mot-de-passe", data={
            "csrf_token": token, "current": "demo-spro-2026", "new": new, "confirmation": new})
        assert response.status_code in (302, 303)
        assert here.get("/compte/mot-de-passe").status_code == 200
        assert elsewhere.get("/compte/mot-de-passe").status_code in (302, 303, 401)
        assert api.get("/api/v1/tasks", headers=headers).status_code == 401
    finally:
        with app.app_context():
            get_user(username).password_hash = hash_password("demo-spro-2026")
            db.session.commit()


# -- the API -----------------------------------------------------------------------------------

def test_api_funding_plan_for_the_owner(app, cep):
    client = app.test_client()
    response = client.get(f"/api/v1/journeys/{cep['journey']}/funding-plan", headers=api_token(client, OWNER))
    assert response.status_code == 200 and no_store(response)
    assert response.get_json()["journey_id"] == cep["journey"] and response.get_json()["plans"]


@pytest.mark.parametrize("username", [OTHER_CEP, NOT_CEP, COORDINATOR, REGIONAL_ADMIN])
def test_api_funding_plan_of_another_structure_answers_404(app, cep, username):
    client = app.test_client()
    response = client.get(f"/api/v1/journeys/{cep['journey']}/funding-plan", headers=api_token(client, username))
    assert response.status_code == 404 and no_store(response)
    body = response.get_data(as_text=True)
    assert leaks(body) == [] and "5200" not in body and "plans" not in response.get_json()


def test_api_funding_plan_of_a_non_cep_journey_or_unknown_id_answers_404(app, cep):
    client = app.test_client()
    headers = api_token(client, OWNER)
    for journey_id in (cep["reception"], 999999):
        response = client.get(f"/api/v1/journeys/{journey_id}/funding-plan", headers=headers)
        assert response.status_code == 404, journey_id


def test_api_task_gives_the_owner_the_earlier_plan_as_start_values(app, cep):
    client = app.test_client()
    response = client.get(f"/api/v1/tasks/{cep['task']}", headers=api_token(client, OWNER))
    assert response.status_code == 200 and no_store(response)
    assert cep["task_key"] == "plan_financement"
    assert response.get_json()["start_values"].get("organisme_formation") == "IFAS de Tours"


@pytest.mark.parametrize("username", [OTHER_CEP, NOT_CEP, REGIONAL_ADMIN])
def test_api_task_of_another_structure_answers_404_without_start_values(app, cep, username):
    client = app.test_client()
    response = client.get(f"/api/v1/tasks/{cep['task']}", headers=api_token(client, username))
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "start_values" not in body and "IFAS" not in body and leaks(body) == []


def test_api_task_of_a_referral_shows_the_receiver_no_unshared_identity(app):
    with app.app_context():
        journey = start_referral()
        send(journey, shared=("situation",))
        task_id = open_tasks(journey)[0].id
    client = app.test_client()
    response = client.get(f"/api/v1/tasks/{task_id}", headers=api_token(client, NOT_CEP))
    assert response.status_code == 200 and no_store(response)
    assert response.get_json()["start_values"] == {}
    assert leaks(response.get_data(as_text=True), DURAND) == []
    for username in (CLAIRE, "karim.benali"):  # the sender's structure no longer holds that step
        assert client.get(f"/api/v1/tasks/{task_id}", headers=api_token(client, username)).status_code == 404


def test_api_token_revocation_ends_only_that_token(app):
    client = app.test_client()
    first, second = api_token(client, OWNER), api_token(client, OWNER)
    assert client.delete("/api/v1/auth/token", headers=first).status_code == 204
    assert client.get("/api/v1/tasks", headers=first).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=first).status_code == 401
    assert client.get("/api/v1/tasks", headers=second).status_code == 200


def test_api_token_revocation_needs_a_token(app):
    client = app.test_client()
    assert client.delete("/api/v1/auth/token").status_code == 401
    assert client.delete("/api/v1/auth/token", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_api_ignores_the_session_cookie(app):
    """The API never reads the session: a logged-in browser cannot be made to revoke or read."""
    client = client_of(app, OWNER)
    assert client.delete("/api/v1/auth/token").status_code == 401
    assert client.get("/api/v1/tasks").status_code == 401


def test_soon_anonymised_leaves_out_the_receiving_structures_referrals(app, referred):
    with app.app_context():
        person = db.session.get(Person, referred)
        person.last_contact_at = clock.now() - timedelta(days=720)
        for journey in db.session.scalars(select(Journey).where(Journey.person_id == referred)):
            journey.status = "terminee"
        db.session.commit()
    sender = client_of(app, CLAIRE).get("/personnes/a-anonymiser").get_data(as_text=True)
    assert "Durand" in sender
    receiver = client_of(app, NOT_CEP).get("/personnes/a-anonymiser")
    assert receiver.status_code == 200 and no_store(receiver)
    body = receiver.get_data(as_text=True)
    assert leaks(body, DURAND) == [] and f"/personnes/{referred}" not in body
