"""The JSON API under /api/v1: bearer tokens, task work, journeys, dossiers, OpenAPI document."""
import re
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, select

from conftest import api_token, get_user
from webapp.extensions import db, limiter
from webapp.models import AuditEvent, Journey
from webapp.operations.users import issue_token

WELCOME = {"canal": "sur_place", "anonyme": False, "prenom": "Léa", "nom": "Dupont",
           "public": "demandeur_emploi", "commune": "Orléans"}


def start(client, headers, **body):
    response = client.post("/api/v1/journeys", json={"process_key": "accueil", **body}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def complete(client, headers, task_id, data):
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)


def analysis(client, headers, task_id, **data):
    """Valid 'analyser la demande' data, with a thématique taken from the task's own form."""
    form = client.get(f"/api/v1/tasks/{task_id}", headers=headers).get_json()["form"]
    thematique = form["schema"]["properties"]["thematiques"]["items"]["oneOf"][0]["const"]
    return {"thematiques": [thematique], "besoins": "Se reconvertir", "urgence": "normale", **data}


def test_token_is_issued_for_valid_credentials(client):
    """Do good credentials give a bearer token that expires in API_TOKEN_HOURS?"""
    response = client.post("/api/v1/auth/token",
                           json={"username": "claire.martin", "password": "demo-spro-2026"})
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["token"]) > 30
    expires = datetime.fromisoformat(body["expires_at"])
    assert abs(expires - datetime.now(timezone.utc) - timedelta(hours=12)) < timedelta(minutes=1)
    tasks = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {body['token']}"})
    assert tasks.status_code == 200


def test_token_is_refused_for_bad_credentials(client):
    """Are a wrong password, an unknown user and a malformed body refused in French?"""
    for body in ({"username": "claire.martin", "password": "mauvais"},
                 {"username": "personne.inconnue", "password": "demo-spro-2026"}):
        response = client.post("/api/v1/auth/token", json=body)
        assert response.status_code == 401
        assert response.get_json() == {"message": "Identifiant ou mot de passe incorrect."}
    missing = client.post("/api/v1/auth/token", json={"username": "claire.martin"})
    assert missing.status_code == 400
    assert missing.get_json()["errors"] == {"password": "Ce champ est obligatoire."}
    not_json = client.post("/api/v1/auth/token", data="username=claire.martin")
    assert not_json.status_code == 400
    assert not_json.get_json()["message"] == "Le corps de la requête doit être un objet JSON."


def test_token_endpoint_is_rate_limited(app, client):
    """Does the token endpoint answer 429 in JSON past LOGIN_RATE_LIMIT?"""
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code
                 for _ in range(3)]
        assert codes == [401, 401, 429]
        blocked = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
        assert "patientez" in blocked.get_json()["message"]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
        limiter.reset()


def test_requests_without_a_valid_token_are_refused(app, client):
    """Are missing, unknown and expired tokens (and a session cookie alone) answered 401 JSON?"""
    calls = [("get", "/api/v1/tasks"), ("get", "/api/v1/tasks/1"), ("post", "/api/v1/tasks/1/claim"),
             ("post", "/api/v1/tasks/1/release"), ("post", "/api/v1/tasks/1/reassign"),
             ("post", "/api/v1/tasks/1/complete"), ("post", "/api/v1/journeys"),
             ("get", "/api/v1/people/1")]
    with app.app_context():
        user = get_user("claire.martin")
        expired, _row = issue_token(user, -1)
        user_id = user.id
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(user_id), True
    for headers in ({}, {"Authorization": "Bearer inconnu"}, {"Authorization": f"Bearer {expired}"},
                    {"Authorization": "Basic Y2xhaXJlOng="}):
        for method, path in calls:
            response = getattr(client, method)(path, json={}, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.is_json and response.get_json()["message"]
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_reception_journey_is_worked_by_api(app, client):
    """Can a counsellor start a reception, complete its first two tasks and see it wait for the referral?"""
    claire = api_token(client, "claire.martin")
    started = start(client, claire)
    journey, tasks = started["journey"], started["tasks"]
    assert journey["process_key"] == "accueil" and journey["status"] == "en_cours"
    with app.app_context():
        assert journey["structure"] == get_user("claire.martin").structure.name
    assert [t["bpmn_id"] for t in tasks] == ["accueillir"]
    first = tasks[0]  # whoever opens a reception carries on with it
    assert first["assignee"] == "claire.martin" and first["role"] == "conseiller"
    assert first["status"] == "ouverte"
    assert first["person_id"] == journey["person_id"]

    detail = client.get(f"/api/v1/tasks/{first['id']}", headers=claire).get_json()
    public = detail["form"]["schema"]["properties"]["public"]
    assert {"const": "demandeur_emploi", "title": "Demandeur·se d'emploi"} in public["oneOf"]
    assert detail["form"]["ui"]["ui:order"][0] == "canal"

    queue = client.get("/api/v1/tasks?scope=queue&journey=accueil", headers=claire).get_json()
    assert first["id"] in [t["id"] for t in queue["items"]]
    released = client.post(f"/api/v1/tasks/{first['id']}/release", headers=claire)
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert client.get("/api/v1/tasks?scope=mine", headers=claire).get_json()["total"] == 0
    claimed = client.post(f"/api/v1/tasks/{first['id']}/claim", headers=claire)
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "claire.martin"
    mine = client.get("/api/v1/tasks?scope=mine", headers=claire).get_json()
    assert [t["id"] for t in mine["items"]] == [first["id"]] and mine["total"] == 1

    done = complete(client, claire, first["id"], WELCOME)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["task"]["status"] == "terminee"
    [second] = done.get_json()["next_tasks"]
    assert second["bpmn_id"] == "analyser_demande" and second["person_name"] == "Léa Dupont"

    done = complete(client, claire, second["id"], analysis(client, claire, second["id"],
                                                            reponse="orientation"))
    assert done.status_code == 200, done.get_json()
    [waiting] = done.get_json()["next_tasks"]
    assert waiting["bpmn_id"] == "choisir_partenaire" and waiting["due_at"] is not None

    dossier = client.get(f"/api/v1/people/{journey['person_id']}", headers=claire).get_json()
    assert dossier["person"]["display_name"] == "Léa Dupont" and dossier["person"]["anonymous"] is False
    assert dossier["person"]["public"] == "demandeur_emploi" and dossier["person"]["commune"] == "Orléans"
    assert [(j["id"], j["status"], j["end_event"]) for j in dossier["journeys"]] == \
        [(journey["id"], "en_cours", None)]
    assert [t["bpmn_id"] for t in dossier["open_tasks"]] == ["choisir_partenaire"]
    actions = [e["action"] for e in dossier["timeline"]]
    assert actions.count("task.completed") == 2 and "journey.started" in actions
    assert {e["user"] for e in dossier["timeline"]} == {"Claire Martin"}
    with app.app_context():
        reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.read")).all()
        assert [(r.kind, r.person_id, r.summary) for r in reads] == \
            [("read", journey["person_id"], "Dossier consulté (API)")]


def test_documentation_answer_ends_the_journey(client):
    """Does an anonymous first-level answer end the journey with no task left?"""
    claire = api_token(client, "claire.martin")
    started = start(client, claire)
    first = started["tasks"][0]
    done = complete(client, claire, first["id"], {"canal": "telephone", "anonyme": True, "public": "salarie"})
    [second] = done.get_json()["next_tasks"]
    done = complete(client, claire, second["id"], analysis(
        client, claire, second["id"], reponse="documentation", documentation_remise="Fiches métiers"))
    assert done.status_code == 200 and done.get_json()["next_tasks"] == []
    dossier = client.get(f"/api/v1/people/{started['journey']['person_id']}", headers=claire).get_json()
    assert dossier["person"]["anonymous"] is True and dossier["person"]["nom"] is None
    assert [(j["status"], j["end_event"]) for j in dossier["journeys"]] == [("terminee", "fin_documentation")]
    assert dossier["journeys"][0]["ended_at"] is not None


def test_invalid_data_is_refused_field_by_field_and_nothing_is_stored(client):
    """Does invalid form data get 422 with French messages per field, leaving task and person untouched?"""
    claire = api_token(client, "claire.martin")
    started = start(client, claire)
    task_id, person_id = started["tasks"][0]["id"], started["journey"]["person_id"]
    bad = {"canal": "pigeon", "anonyme": False, "prenom": "Léa", "annee_naissance": "1990",
           "public": "salarie"}
    response = complete(client, claire, task_id, bad)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"].startswith("Le formulaire contient des erreurs")
    assert body["errors"] == {"canal": "Choisissez une valeur proposée.",
                              "annee_naissance": "Saisissez un nombre entier.",
                              "nom": "Ce champ est obligatoire."}
    assert client.get(f"/api/v1/tasks/{task_id}", headers=claire).get_json()["status"] == "ouverte"
    dossier = client.get(f"/api/v1/people/{person_id}", headers=claire).get_json()
    assert dossier["person"]["prenom"] is None and dossier["person"]["public"] is None
    assert [e["action"] for e in dossier["timeline"]] == ["journey.started"]
    for body in ({"data": "texte"}, {}, {"data": {}, "extra": 1}):
        response = client.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers=claire)
        assert response.status_code == 400 and response.get_json()["errors"]
    for raw in ("[1, 2]", "pas du json"):
        response = client.post(f"/api/v1/tasks/{task_id}/complete", data=raw, headers=claire,
                               content_type="application/json")
        assert response.status_code == 400
        assert response.get_json()["message"] == "Le corps de la requête doit être un objet JSON."


def test_second_completion_conflicts(client):
    """Is completing an already completed task a 409, without a second step?"""
    claire = api_token(client, "claire.martin")
    task_id = start(client, claire)["tasks"][0]["id"]
    assert complete(client, claire, task_id, WELCOME).status_code == 200
    again = complete(client, claire, task_id, WELCOME)
    assert again.status_code == 409 and "déjà été traitée" in again.get_json()["message"]
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=claire).status_code == 409
    mine = client.get("/api/v1/tasks?scope=queue&task=analyser_demande", headers=claire).get_json()
    assert mine["total"] == 1


def test_task_claimed_by_a_colleague_conflicts(client):
    """When Karim holds a task, do Claire's claim and completion get 409, and does release free it?"""
    claire, karim = api_token(client, "claire.martin"), api_token(client, "karim.benali")
    task_id = start(client, claire)["tasks"][0]["id"]
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=karim).status_code == 409
    assert client.post(f"/api/v1/tasks/{task_id}/release", headers=claire).status_code == 200
    taken = client.post(f"/api/v1/tasks/{task_id}/claim", headers=karim)
    assert taken.status_code == 200 and taken.get_json()["assignee"] == "karim.benali"
    claim = client.post(f"/api/v1/tasks/{task_id}/claim", headers=claire)
    assert claim.status_code == 409 and "Karim Benali" in claim.get_json()["message"]
    done = complete(client, claire, task_id, WELCOME)
    assert done.status_code == 409 and "Karim Benali" in done.get_json()["message"]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=claire).get_json()["status"] == "ouverte"
    assert client.post(f"/api/v1/tasks/{task_id}/release", headers=claire).status_code == 403
    released = client.post(f"/api/v1/tasks/{task_id}/release", headers=karim)
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=claire).status_code == 200


def get_id(app, username):
    with app.app_context():
        return get_user(username).id


def test_reassign_within_the_structure_only(app, client):
    """Can a task be handed to a colleague of the structure, and not to another structure's counsellor?"""
    claire = api_token(client, "claire.martin")
    task_id = start(client, claire)["tasks"][0]["id"]
    with app.app_context():
        sophie_id, isabelle_id = get_user("sophie.lefebvre").id, get_user("isabelle.roux").id
    outside = client.post(f"/api/v1/tasks/{task_id}/reassign", json={"user_id": isabelle_id}, headers=claire)
    assert outside.status_code == 404
    assert outside.get_json()["message"] == "Collègue introuvable dans votre structure."
    typo = client.post(f"/api/v1/tasks/{task_id}/reassign", json={"user_id": "sophie"}, headers=claire)
    assert typo.status_code == 400 and typo.get_json()["errors"] == {"user_id": "Saisissez un nombre entier."}
    given = client.post(f"/api/v1/tasks/{task_id}/reassign", json={"user_id": sophie_id}, headers=claire)
    assert given.status_code == 200 and given.get_json()["assignee"] == "sophie.lefebvre"
    # now Sophie holds it: Claire can neither hand it on nor take it back
    again = client.post(f"/api/v1/tasks/{task_id}/reassign", json={"user_id": get_id(app, "karim.benali")},
                        headers=claire)
    assert again.status_code == 403 and "Sophie" in again.get_json()["message"]


def test_other_structures_see_nothing(client):
    """Does Isabelle (CIO) get 404 on Claire's task and person, and not find the task in her lists?"""
    claire, isabelle = api_token(client, "claire.martin"), api_token(client, "isabelle.roux")
    started = start(client, claire)
    task_id, person_id = started["tasks"][0]["id"], started["journey"]["person_id"]
    for method, path, body in (("get", f"/api/v1/tasks/{task_id}", None),
                               ("post", f"/api/v1/tasks/{task_id}/claim", None),
                               ("post", f"/api/v1/tasks/{task_id}/release", None),
                               ("post", f"/api/v1/tasks/{task_id}/complete", {"data": WELCOME}),
                               ("get", f"/api/v1/people/{person_id}", None),
                               ("post", "/api/v1/journeys",
                                {"process_key": "accueil", "person_id": person_id})):
        response = getattr(client, method)(path, json=body, headers=isabelle)
        assert response.status_code == 404, path
        assert response.get_json()["message"] in ("Tâche introuvable.", "Dossier introuvable.")
    for scope in ("mine", "queue"):
        listed = client.get(f"/api/v1/tasks?scope={scope}", headers=isabelle).get_json()
        assert task_id not in [t["id"] for t in listed["items"]]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=claire).get_json()["status"] == "ouverte"


@contextmanager
def _row_locked_by_another_transaction(journey_id):
    """Hold a competing write lock (SQLite) or row lock (PostgreSQL), with short waits for the app."""
    sqlite = db.engine.dialect.name == "sqlite"

    def short_wait(dbapi_connection, _record, _proxy):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=50" if sqlite else "SET lock_timeout = '100ms'")
        cursor.close()

    event.listen(db.engine, "checkout", short_wait)
    if sqlite:
        other = sqlite3.connect(db.engine.url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        other = db.engine.connect()
        other.execute(select(Journey.id).where(Journey.id == journey_id).with_for_update())
    try:
        yield
    finally:
        other.rollback()
        other.close()
        event.remove(db.engine, "checkout", short_wait)
        db.engine.dispose()  # drop connections that kept the short wait


def test_concurrent_write_becomes_a_conflict(app, client):
    """When another transaction holds the lock, is completion a 409 with nothing stored, then retryable?"""
    claire = api_token(client, "claire.martin")
    started = start(client, claire)
    task_id = started["tasks"][0]["id"]
    with app.app_context(), _row_locked_by_another_transaction(started["journey"]["id"]):
        blocked = complete(client, claire, task_id, WELCOME)
    assert blocked.status_code == 409, blocked.get_json()
    assert "au même moment" in blocked.get_json()["message"]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=claire).get_json()["status"] == "ouverte"
    retried = complete(client, claire, task_id, WELCOME)
    assert retried.status_code == 200
    assert [t["bpmn_id"] for t in retried.get_json()["next_tasks"]] == ["analyser_demande"]


def test_task_list_filters_and_pages(client):
    """Do the list's filters and pagination narrow the queue, and are bad parameters refused?"""
    claire = api_token(client, "claire.martin")
    first, second = start(client, claire), start(client, claire)
    complete(client, claire, first["tasks"][0]["id"], WELCOME)
    by_task = client.get("/api/v1/tasks?scope=queue&task=accueillir", headers=claire).get_json()
    assert [t["id"] for t in by_task["items"]] == [second["tasks"][0]["id"]]
    by_name = client.get("/api/v1/tasks?scope=queue&person=dupont", headers=claire).get_json()
    assert [t["bpmn_id"] for t in by_name["items"]] == ["analyser_demande"]
    beyond = client.get("/api/v1/tasks?scope=queue&page=9", headers=claire).get_json()
    assert beyond["items"] == [] and beyond["total"] == 2 and beyond["page"] == 9 and beyond["pages"] == 1
    bad = client.get("/api/v1/tasks?scope=toutes&page=0", headers=claire)
    assert bad.status_code == 400
    assert set(bad.get_json()["errors"]) == {"scope", "page"}


def test_unknown_process_and_routes_answer_json(client):
    """Do an unknown process, an unknown API address and a wrong method answer in JSON?"""
    claire = api_token(client, "claire.martin")
    unknown = client.post("/api/v1/journeys", json={"process_key": "inconnu"}, headers=claire)
    assert unknown.status_code == 404 and unknown.get_json()["message"] == "Parcours inconnu : inconnu."
    missing = client.get("/api/v1/nulle-part", headers=claire)
    assert missing.status_code == 404 and missing.is_json
    wrong = client.delete("/api/v1/tasks", headers=claire)
    assert wrong.status_code == 405 and wrong.is_json and "GET" in wrong.headers["Allow"]
    absent = client.get("/api/v1/tasks/999999", headers=claire)
    assert absent.status_code == 404 and absent.get_json() == {"message": "Tâche introuvable."}


def test_openapi_document_lists_every_path(app, client):
    """Does /api/v1/openapi.json (public) describe every endpoint with its schemas and bearer security?"""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    routes = {re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/")}
    assert set(spec["paths"]) == routes
    assert routes >= {
        "/api/v1/auth/token", "/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/claim",
        "/api/v1/tasks/{task_id}/release", "/api/v1/tasks/{task_id}/reassign",
        "/api/v1/tasks/{task_id}/complete", "/api/v1/journeys", "/api/v1/people/{person_id}",
        "/api/v1/referrals", "/api/v1/openapi.json"}
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert spec["paths"]["/api/v1/auth/token"]["post"]["security"] == []
    completion = spec["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]
    assert {"200", "401", "409", "422"} <= set(completion["responses"])
    assert completion["requestBody"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/CompleteRequest"}
    assert spec["paths"]["/api/v1/journeys"]["post"]["responses"]["201"]
    task = spec["components"]["schemas"]["Task"]["properties"]
    assert {"id", "title", "bpmn_id", "process_key", "journey_id", "person_id", "person_name", "role",
            "structure", "assignee", "status", "due_at", "created_at"} == set(task)


def test_text_no_database_can_store_is_refused_on_its_field(client):
    """Are a NUL character (PostgreSQL cannot store it) and a lone surrogate (not UTF-8) refused
    on their field, in French, with nothing stored, instead of failing with a 500?"""
    claire = api_token(client, "claire.martin")
    started = start(client, claire)
    task_id = started["tasks"][0]["id"]
    for bad in ({**WELCOME, "nom": "Du\x00pont"}, {**WELCOME, "commune": "Orl\ud800ans"}):
        response = complete(client, claire, task_id, bad)
        assert response.status_code == 422, response.get_json()
        [(name, message)] = response.get_json()["errors"].items()
        assert bad[name] != WELCOME[name] and message.startswith("Ce texte contient un caractère non permis")
    assert client.get(f"/api/v1/tasks/{task_id}", headers=claire).get_json()["status"] == "ouverte"
    token = client.post("/api/v1/auth/token", json={"username": "claire\x00", "password": "x"})
    assert token.status_code == 400 and set(token.get_json()["errors"]) == {"username"}
    search = client.get("/api/v1/tasks?scope=queue&person=du%00pont", headers=claire)
    assert search.status_code == 400 and set(search.get_json()["errors"]) == {"person"}
    assert complete(client, claire, task_id, WELCOME).status_code == 200
