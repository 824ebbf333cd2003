"""A task's form as the API publishes it: every allowed value of a choice field, readable alone."""
from jsonschema import Draft202012Validator
from sqlalchemy import select

from conftest import api_token, get_user
from webapp.extensions import db
from webapp.models import Person, Structure, User
from webapp.queries.suggestions import suggest_partners
from webapp.vocabularies import PUBLICS_SPRO, thematiques

WELCOME = {"canal": "sur_place", "anonyme": False, "prenom": "Léa", "nom": "Dupont",
           "public": "demandeur_emploi", "commune": "Orléans"}
JOB = next(value for value, _label, _group in thematiques() if value.startswith("trouver-un-emploi--"))


def _walk(schema):
    """Every subschema of a JSON Schema document."""
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _walk(value)


def _form(client, headers, task_id) -> dict:
    response = client.get(f"/api/v1/tasks/{task_id}", headers=headers)
    assert response.status_code == 200
    return response.get_json()["form"]["schema"]


def _complete(client, headers, task_id, data) -> dict:
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _open_task(client, headers, journey_id, bpmn_id) -> dict:
    queue = client.get(f"/api/v1/tasks?scope=queue&task={bpmn_id}", headers=headers).get_json()
    [task] = [t for t in queue["items"] if t["journey_id"] == journey_id]
    return task


def _to_choice(client, claire) -> tuple[dict, dict]:
    """A reception of Léa (Orléans, job seeker, looking for a job) up to the choice of partner."""
    started = client.post("/api/v1/journeys", json={"process_key": "accueil"}, headers=claire).get_json()
    [analyse] = _complete(client, claire, started["tasks"][0]["id"], WELCOME)["next_tasks"]
    [choice] = _complete(client, claire, analyse["id"], {
        "thematiques": [JOB], "besoins": "Trouver un emploi", "urgence": "normale",
        "reponse": "orientation"})["next_tasks"]
    return started["journey"], choice


def _structure_id(slug: str) -> int:
    return db.session.scalar(select(Structure.id).where(Structure.slug == slug))


def test_choice_fields_list_every_value_with_its_label(client):
    """Does a client read every allowed value and its label from the schema alone (oneOf const/title)?"""
    claire = api_token(client, "claire.martin")
    started = client.post("/api/v1/journeys", json={"process_key": "accueil"}, headers=claire).get_json()
    welcome = _form(client, claire, started["tasks"][0]["id"])
    assert welcome["properties"]["canal"]["oneOf"] == [
        {"const": "sur_place", "title": "Sur place"}, {"const": "telephone", "title": "Téléphone"},
        {"const": "en_ligne", "title": "En ligne"}]
    assert welcome["properties"]["public"]["oneOf"] == [{"const": v, "title": t} for v, t in PUBLICS_SPRO]
    [analyse] = _complete(client, claire, started["tasks"][0]["id"], WELCOME)["next_tasks"]
    analysis = _form(client, claire, analyse["id"])
    assert analysis["properties"]["thematiques"]["items"]["oneOf"] == \
        [{"const": v, "title": t} for v, t, _group in thematiques()]
    assert {"const": "documentation", "title": "Documentation remise (réponse de premier niveau)"} in \
        analysis["properties"]["reponse"]["oneOf"]
    for schema in (welcome, analysis):
        Draft202012Validator.check_schema(schema)
        assert not [s for s in _walk(schema) if "enum" in s or "x-enumNames" in s]
    bad = client.post(f"/api/v1/tasks/{analyse['id']}/complete", headers=claire, json={"data": {
        "thematiques": ["pas-une-thematique"], "besoins": "x", "urgence": "normale", "reponse": "cep"}})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"thematiques"}


def test_partner_field_lists_suggestions_with_their_reasons_then_every_other_structure(app, client):
    """Does the partner choice give the ranked suggestions first (name, commune, reasons), then
    every other active structure but one's own, each once?"""
    claire = api_token(client, "claire.martin")
    journey, choice = _to_choice(client, claire)
    one_of = _form(client, claire, choice["id"])["properties"]["partenaire_id"]["oneOf"]
    with app.app_context():
        actor = get_user("claire.martin")
        person = db.session.get(Person, journey["person_id"])
        expected = suggest_partners(actor, person, {"thematiques": [JOB]})
        others = db.session.scalars(select(Structure).where(
            Structure.active.is_(True), Structure.id != actor.structure_id)).all()
        labels = {s.id: f"{s.name} ({s.commune or s.departement})" for s in others}
        ranked = [(s.structure.id, s.reasons) for s in expected]
    assert ranked, "the demo directory suggests partners for a job seeker in Orléans"
    suggested = one_of[:len(ranked)]
    assert [c["const"] for c in suggested] == [structure_id for structure_id, _reasons in ranked]
    for entry, (structure_id, reasons) in zip(suggested, ranked):
        assert entry["title"] == labels[structure_id]
        assert entry["description"] == "Suggestion : " + " ; ".join(reasons) + "."
    assert any("Dans la commune de la personne" in c["description"] for c in suggested)
    rest = one_of[len(ranked):]
    assert all("description" not in c for c in rest)
    assert sorted(c["const"] for c in one_of) == sorted(labels)  # every structure, once
    assert all(c["title"] == labels[c["const"]] for c in rest)


def test_receiving_structure_redirects_among_others_ranked_on_shared_fields_only(app, client):
    """Does the receiver's redirection field leave out itself and the sender, and rank with what
    was shared only (here the request, not the person's situation)?"""
    claire, isabelle = api_token(client, "claire.martin"), api_token(client, "isabelle.roux")
    journey, choice = _to_choice(client, claire)
    with app.app_context():
        cio, mission_locale = _structure_id("cio-orleans"), _structure_id("ml-orleans")
    [inform] = _complete(client, claire, choice["id"], {
        "decision": "orienter", "partenaire_id": cio, "motif": "Recherche d'emploi"})["next_tasks"]
    _complete(client, claire, inform["id"], {"donnees_partagees": ["demande"], "personne_informee": True,
                                             "mode_information": "entretien"})
    answer = _open_task(client, isabelle, journey["id"], "traiter_orientation")
    one_of = _form(client, isabelle, answer["id"])["properties"]["partenaire_redirection_id"]["oneOf"]
    values = [c["const"] for c in one_of]
    assert cio not in values and mission_locale not in values and len(values) == len(set(values))
    reasons = " ".join(c.get("description", "") for c in one_of)
    assert "Suggestion" in reasons and "de la personne" not in reasons
    assert "Accueille le public" not in reasons  # the public was not shared with the CIO
    back = client.post(f"/api/v1/tasks/{answer['id']}/complete", headers=isabelle, json={"data": {
        "reponse": "rediriger", "partenaire_redirection_id": mission_locale, "commentaire": "Retour",
        "personne_informee": True}})
    assert back.status_code == 422
    assert back.get_json()["errors"] == {"partenaire_redirection_id": "Choisissez une structure de la liste."}
    assert client.get(f"/api/v1/tasks/{answer['id']}", headers=isabelle).get_json()["status"] == "ouverte"


def _counsellors() -> dict:
    """{structure id: username} of a counsellor of each structure that has one."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)).all()
    found = {}
    for user in users:
        if "conseiller" in (user.roles or []):
            found.setdefault(user.structure_id, user.username)
    return found


def test_a_structure_that_declined_is_no_longer_suggested_but_still_listed(app, client):
    """After a refusal, is the declining structure out of the suggestions but still a choice?"""
    claire = api_token(client, "claire.martin")
    journey, choice = _to_choice(client, claire)
    first = _form(client, claire, choice["id"])["properties"]["partenaire_id"]["oneOf"]
    with app.app_context():
        staff = _counsellors()
    partner = next(c["const"] for c in first if "description" in c and c["const"] in staff)
    receiver = api_token(client, staff[partner])
    [inform] = _complete(client, claire, choice["id"], {
        "decision": "orienter", "partenaire_id": partner, "motif": "Recherche d'emploi"})["next_tasks"]
    _complete(client, claire, inform["id"], {"donnees_partagees": ["situation", "demande"],
                                             "personne_informee": True, "mode_information": "entretien"})
    answer = _open_task(client, receiver, journey["id"], "traiter_orientation")
    _complete(client, receiver, answer["id"], {"reponse": "refuser", "motif_refus": "capacite"})
    again = _open_task(client, claire, journey["id"], "choisir_partenaire")
    one_of = _form(client, claire, again["id"])["properties"]["partenaire_id"]["oneOf"]
    assert partner not in [c["const"] for c in one_of if "description" in c]
    assert partner in [c["const"] for c in one_of]


def test_a_done_task_still_names_its_choices(client):
    """Can a client read back a completed task's partner choice by its name (no ranking needed)?"""
    claire = api_token(client, "claire.martin")
    journey, choice = _to_choice(client, claire)
    _complete(client, claire, choice["id"], {"decision": "abandonner", "motif_abandon": "Ne souhaite plus"})
    detail = client.get(f"/api/v1/tasks/{choice['id']}", headers=claire).get_json()
    assert detail["status"] == "terminee"
    one_of = detail["form"]["schema"]["properties"]["partenaire_id"]["oneOf"]
    assert one_of and all(set(c) == {"const", "title"} for c in one_of)


def test_openapi_document_describes_the_published_choices(client):
    """Does the OpenAPI document tell integrators how choices and suggestions are published?"""
    spec = client.get("/api/v1/openapi.json").get_json()
    detail = spec["paths"]["/api/v1/tasks/{task_id}"]["get"]["responses"]["200"]["content"]
    ref = detail["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    form = spec["components"]["schemas"][ref]["properties"]["form"]
    described = form["properties"]["schema"]
    assert "oneOf" in described["description"] and "suggérées" in described["description"]
    assert all(rule in described["description"] for rule in ("x-check", "x-date", "x-not-before"))
    field = described["properties"]["properties"]["additionalProperties"]["properties"]
    assert field["oneOf"]["items"]["required"] == ["const", "title"]
    choice = field["items"]["properties"]["oneOf"]["items"]
    assert set(choice["properties"]) == {"const", "title", "description"}
