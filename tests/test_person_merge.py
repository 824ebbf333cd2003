"""Merging two dossiers of the same person: nothing lost, both timelines kept, audited, and only
between dossiers that belong to the structure alone."""
import pytest
from conftest import csrf_from, get_user, login
from sqlalchemy import func, select
from test_orientation import RECEIVER, SENDER, send, start_referral, welcome
from test_people_search import received

from webapp.errors import Forbidden, InvalidData
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, Journey, Person, Referral
from webapp.operations.journeys import start_journey
from webapp.operations.person_merge import differing_fields, merge_people
from webapp.queries.people import timeline
from webapp.queries.people_search import search_people


def counts(person_id):
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model).where(
        model.person_id == person_id)) for model in (Journey, HumanTask, AuditEvent)}


def test_merge_moves_everything_to_the_kept_dossier_and_keeps_the_other_row(ctx):
    kept = received(prenom="Inès", nom="Dupuis", telephone="06 98 12 34 56")
    other = received(prenom="Ines", nom="Dupuis", telephone="07 81 22 33 44", email="ines@example.org")
    kept_id, other_id = kept.id, other.id
    before_kept, before_other = counts(kept_id), counts(other_id)
    assert differing_fields(kept, other) == ["prenom", "telephone", "email"]
    with pytest.raises(InvalidData) as refused:
        merge_people(get_user(SENDER), kept_id, other_id, {"prenom": "kept", "email": "other"})
    assert set(refused.value.fields) == {"telephone"}
    db.session.rollback()

    merge_people(get_user(SENDER), kept_id, other_id, {"prenom": "kept", "telephone": "other", "email": "other"})
    db.session.commit()
    kept, other = db.session.get(Person, kept_id), db.session.get(Person, other_id)
    assert (kept.prenom, kept.telephone, kept.email) == ("Inès", "07 81 22 33 44", "ines@example.org")
    assert other.merged_into_id == kept_id and other.telephone == "07 81 22 33 44"  # the row is kept as it was
    after = counts(kept_id)
    assert after["Journey"] == before_kept["Journey"] + before_other["Journey"]
    assert after["HumanTask"] == before_kept["HumanTask"] + before_other["HumanTask"]
    assert after["AuditEvent"] == before_kept["AuditEvent"] + before_other["AuditEvent"] + 1
    assert counts(other_id) == {"Journey": 0, "HumanTask": 0, "AuditEvent": 0}
    merged = [e for e in timeline(get_user(SENDER), kept) if e.action == "person.merged"]
    assert len(merged) == 1 and merged[0].detail["merged_id"] == other_id
    assert merged[0].detail["changed"]["telephone"] == {"avant": "06 98 12 34 56", "apres": "07 81 22 33 44"}
    assert merged[0].detail["merged_values"]["prenom"] == "Ines"
    # the search finds one dossier, with the kept values and the former phone no longer
    assert [r.person.id for r in search_people(get_user(SENDER), "dupuis")[0]] == [kept_id]
    assert search_people(get_user(SENDER), "0698")[0] == []


def test_a_dossier_another_structure_also_holds_cannot_be_merged(ctx):
    mine = received(prenom="Inès", nom="Dupuis")
    theirs = received(username=RECEIVER, prenom="Inès", nom="Dupuis")
    start_journey(get_user(SENDER), "accueil", mine.id)
    db.session.commit()
    with pytest.raises(Exception) as refused:  # another structure's dossier is not even visible
        merge_people(get_user(SENDER), mine.id, theirs.id, {})
    assert refused.value.status == 404
    db.session.rollback()
    journey = start_referral(person=welcome(prenom="Léo", nom="Martin"))
    send(journey, shared=("identite",))
    other = received(prenom="Léo", nom="Martin")
    cio_own = received(username=RECEIVER, prenom="Léo", nom="Martin")
    # the CIO received Léo through a referral: it may not merge the Mission Locale's dossier into its own
    with pytest.raises(Forbidden):
        merge_people(get_user(RECEIVER), cio_own.id, journey.person_id, {})
    db.session.rollback()
    # the Mission Locale may: the CIO keeps seeing only the referral's snapshot
    merge_people(get_user(SENDER), journey.person_id, other.id, {})
    db.session.commit()
    referral = db.session.scalar(select(Referral).where(Referral.journey_id == journey.id))
    assert referral.person_id == journey.person_id
    rows = {r.person.id: r.view.full for r in search_people(get_user(RECEIVER), "leo martin")[0]}
    assert rows == {journey.person_id: False, cio_own.id: True}


def test_the_merge_screen_asks_for_each_differing_value_then_redirects_the_old_dossier(app, client):
    with app.app_context():
        kept_id = received(prenom="Inès", nom="Dupuis", annee_naissance=2008).id
        other_id = received(prenom="Inès", nom="Dupuis", annee_naissance=2009).id
    login(client, SENDER)
    pick = client.get(f"/personnes/{kept_id}/fusionner").get_data(as_text=True)
    assert f"autre_id={other_id}" in pick  # the look-alike is offered
    page = client.get(f"/personnes/{kept_id}/fusionner?autre_id={other_id}").get_data(as_text=True)
    assert 'name="annee_naissance" value="other"' in page
    refused = client.post(f"/personnes/{kept_id}/fusionner", data={
        "csrf_token": csrf_from(page), "autre_id": other_id})
    assert refused.status_code == 422 and "Choisissez les valeurs à garder" in refused.get_data(as_text=True)
    done = client.post(f"/personnes/{kept_id}/fusionner", data={
        "csrf_token": csrf_from(page), "autre_id": other_id, "annee_naissance": "other"})
    assert done.status_code == 303
    old = client.get(f"/personnes/{other_id}")
    assert old.status_code == 303 and old.headers["Location"].endswith(f"/personnes/{kept_id}")
    dossier = client.get(f"/personnes/{kept_id}").get_data(as_text=True)
    assert f"Dossier n°{other_id} fusionné dans ce dossier" in dossier and "2009" in dossier
