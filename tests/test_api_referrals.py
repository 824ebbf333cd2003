"""GET /api/v1/referrals: what each structure may list, with shared data for the two ends only."""
from conftest import api_token
from test_orientation import send, start_referral


def _referral_sent(app):
    with app.app_context():
        journey = start_referral()
        referral = send(journey, "cio-orleans", shared=("situation", "demande"))
        return referral.id, journey.person_id


def test_receiver_lists_received_referrals_with_only_the_shared_fields(client, app):
    referral_id, person_id = _referral_sent(app)
    isabelle = api_token(client, "isabelle.roux")
    body = client.get("/api/v1/referrals?direction=received", headers=isabelle).get_json()
    [item] = body["items"]
    assert (item["id"], item["person_id"], item["status"]) == (referral_id, person_id, "ouverte")
    assert item["from_structure"] == "Mission Locale de l'Orléanais"
    assert item["shared_data"]["public"] == "scolaire" and "nom" not in item["shared_data"]
    assert item["person_name"] == f"Personne orientée n°{person_id}"
    assert "Durand" not in str(body)
    assert client.get("/api/v1/referrals?direction=sent", headers=isabelle).get_json()["total"] == 0


def test_sender_lists_sent_referrals_and_filters_by_state(client, app):
    referral_id, _person = _referral_sent(app)
    claire = api_token(client, "claire.martin")
    body = client.get("/api/v1/referrals?direction=sent&status=en_cours", headers=claire).get_json()
    assert [i["id"] for i in body["items"]] == [referral_id]
    assert body["items"][0]["person_name"] == "Léa Durand"
    assert client.get("/api/v1/referrals?direction=sent&status=aboutie", headers=claire).get_json()["total"] == 0
    bad = client.get("/api/v1/referrals?direction=partout", headers=claire)
    assert bad.status_code == 400 and "direction" in bad.get_json()["errors"]


def test_territory_is_for_coordinators_and_shows_no_shared_data(client, app):
    referral_id, _person = _referral_sent(app)
    claire = api_token(client, "claire.martin")
    assert client.get("/api/v1/referrals?direction=territory", headers=claire).status_code == 403
    olivier = api_token(client, "olivier.lambert")
    [item] = client.get("/api/v1/referrals?direction=territory", headers=olivier).get_json()["items"]
    assert item["id"] == referral_id and item["shared_data"] is None and item["person_name"] is None
    helene = api_token(client, "helene.garnier")  # coordinator of Indre-et-Loire
    assert client.get("/api/v1/referrals?direction=territory", headers=helene).get_json()["total"] == 0


def test_uninvolved_structure_lists_nothing(client, app):
    _referral_sent(app)
    aurelie = api_token(client, "aurelie.fontaine")  # CIO de Bourges
    for direction in ("received", "sent"):
        assert client.get(f"/api/v1/referrals?direction={direction}", headers=aurelie).get_json()["total"] == 0


def test_urgency_comments_for_the_two_ends_only_and_the_screens_tabs(client, app):
    """The CIO refuses with a comment: do the sender and the CIO get it, urgency included, while the
    Loiret's coordinator gets no comment; and do the screens' tabs (refusee, abandonnees) filter?"""
    from test_orientation import answer
    from webapp.extensions import db
    from webapp.models import Journey, Referral
    with app.app_context():
        journey = start_referral()
        referral = send(journey, "cio-orleans")
        # No operation marks a referral urgent yet: the flag is set as the schema allows.
        referral.urgent = True
        db.session.commit()
        answer(db.session.get(Journey, journey.id), {"reponse": "refuser", "motif_refus": "capacite",
                                                     "commentaire": "Plus de place avant juin."})
        referral_id = db.session.scalar(db.select(Referral.id).where(Referral.journey_id == journey.id))
    for username, direction in (("claire.martin", "sent"), ("isabelle.roux", "received")):
        headers = api_token(client, username)
        url = f"/api/v1/referrals?direction={direction}&status=refusee"
        [item] = client.get(url, headers=headers).get_json()["items"]
        assert (item["id"], item["urgent"], item["status"]) == (referral_id, True, "refusee")
        assert item["answer_comment"] == "Plus de place avant juin." and item["contact_comment"] is None
        assert client.get(f"/api/v1/referrals?direction={direction}&status=abandonnees",
                          headers=headers).get_json()["total"] == 0
    olivier = api_token(client, "olivier.lambert")
    [item] = client.get("/api/v1/referrals?direction=territory&status=refusee", headers=olivier).get_json()["items"]
    assert item["id"] == referral_id and item["answer_comment"] is None and item["urgent"] is True
    bad = client.get("/api/v1/referrals?status=partout", headers=olivier)
    assert bad.status_code == 400 and bad.get_json()["errors"]["status"] == "État inconnu."


def test_the_openapi_document_describes_the_new_fields_and_tabs(client):
    """Does the OpenAPI document list urgent and the two comments on each referral, and the tab
    names among the accepted states?"""
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/referrals"]["get"]
    [status] = [p for p in operation["parameters"] if p["name"] == "status"]
    assert {"abandonnees", "en_retard", "ouverte", "reaffectee"} <= set(status["schema"]["enum"])
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    item = spec["components"]["schemas"][page]["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[1]
    properties = spec["components"]["schemas"][item]["properties"]
    assert {"urgent", "answer_comment", "contact_comment"} <= set(properties)
    assert "reaffectee" in properties["status"]["enum"]
