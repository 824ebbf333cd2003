"""Finding people: the search (words, prefixes, accents, order, phone groups), the list
« Personnes suivies », likely duplicates at « Nouvel accueil », and what a receiving structure
may find (the shared snapshot, nothing else)."""
import re

from conftest import api_token, csrf_from, get_user, login
from sqlalchemy import func, select
from test_orientation import SENDER, RECEIVER, analysis, do, send, start_referral, the_task, welcome

from webapp import clock
from webapp.extensions import db
from webapp.models import Person, PersonAccess, PersonSearchTerm, User
from webapp.operations.journeys import start_journey
from webapp.operations.person_index import rebuild_all
from webapp.queries.people_search import followed_people, likely_duplicates, search_people
from webapp.queries.referrals import has_full_access
from webapp.search_terms import query_terms

INES = {"prenom": "Inès", "nom": "Dupuis", "telephone": "06 98 12 34 56", "email": "ines.dupuis@example.org",
        "commune": "Saint-Jean-de-Braye"}


def received(username=SENDER, analysis_answer="documentation", anonyme=False, **identity):
    """A person welcomed by `username`'s structure; the reception ends (documentation given)."""
    journey = start_journey(get_user(username), "accueil")
    db.session.commit()
    person = welcome(**identity)
    if anonyme:
        person = {k: v for k, v in person.items() if k not in ("prenom", "nom", "telephone", "email")}
        person["anonyme"] = True
    do(username, the_task(journey, "accueillir"), person)
    if analysis_answer:
        do(username, the_task(journey, "analyser_demande"),
           analysis(analysis_answer, documentation_remise="Fiches métiers de l'ONISEP."))
    return db.session.get(Person, journey.person_id)


def names(rows):
    return [r.view.display_name for r in rows]


def test_query_words_are_normalised_and_phone_groups_kept_whole():
    assert query_terms("  DUPUI  Inès ") == ["dupui", "ines"]
    assert query_terms("06 98") == ["0698"]
    assert query_terms("+33 6 98 12") == ["069812"]
    assert query_terms("Saint-Jean") == ["saint", "jean"]


def test_a_counsellor_finds_a_dossier_by_any_word_prefix_in_any_order(ctx):
    ines = received(**INES)
    received(prenom="Paul", nom="Dupont", telephone="07 81 22 33 44", email="paul@example.org")
    claire = get_user(SENDER)
    for text in ("dupui", "DUPUIS", "ines dupuis", "Dupuis Inès", "inès", "06 98", "0698123456",
                 "+33 6 98 12 34 56", "ines.dupuis", "braye", str(clock.now().year - 16) + " dupu"):
        rows, more = search_people(claire, text)
        assert names(rows) == ["Inès Dupuis"], text
        assert rows[0].person.id == ines.id and not more
    assert sorted(names(search_people(claire, "dup")[0])) == ["Inès Dupuis", "Paul Dupont"]
    assert search_people(claire, "dupuis paul")[0] == []
    assert search_people(claire, "")[0] == []


def test_another_structure_finds_nobody_it_was_not_told_about(ctx):
    received(**INES)
    assert search_people(get_user(RECEIVER), "dupui")[0] == []
    assert followed_people(get_user(RECEIVER))[0] == []


def test_a_receiving_structure_finds_a_referred_person_only_by_what_was_shared(ctx):
    journey = start_referral(person=welcome(**INES))
    send(journey, shared=("situation", "demande"))  # public and commune, not the identity
    isabelle = get_user(RECEIVER)
    assert search_people(isabelle, "dupui")[0] == []
    assert search_people(isabelle, "06 98")[0] == []
    rows = search_people(isabelle, "braye")[0]
    assert len(rows) == 1 and not rows[0].view.full
    assert rows[0].view.display_name == f"Personne orientée n°{journey.person_id}"
    assert rows[0].view.get("telephone") is None and rows[0].in_progress


def test_shared_identity_makes_the_name_findable_by_the_receiver(ctx):
    journey = start_referral(person=welcome(**INES))
    send(journey, shared=("identite", "situation"))
    rows = search_people(get_user(RECEIVER), "ines dupu")[0]
    assert names(rows) == ["Inès Dupuis"] and not rows[0].view.full
    assert search_people(get_user(RECEIVER), "0698")[0] == []  # contact details were not shared


def test_identity_changes_are_searchable_at_once(app, client):
    with app.app_context():  # not around the requests: they must each get their own context
        person_id = received(anonyme=True).id
        assert search_people(get_user(SENDER), "martin")[0] == []
    login(client, SENDER)
    page = client.get(f"/personnes/{person_id}").get_data(as_text=True)
    client.post(f"/personnes/{person_id}/identite", data={
        "csrf_token": csrf_from(page), "prenom": "Zoé", "nom": "Martin-Lefèvre", "public": "scolaire",
        "commune": "Orléans"})
    with app.app_context():
        assert names(search_people(get_user(SENDER), "lefevre zoe")[0]) == ["Zoé Martin-Lefèvre"]
    refused = client.post(f"/personnes/{person_id}/identite", data={
        "csrf_token": csrf_from(page), "nom": "Martin", "telephone": "12"})
    summary = re.search(r'<div class="error-summary[^>]*>(.*?)</div>', refused.get_data(as_text=True), re.S)
    assert refused.status_code == 422 and summary and 'href="#f-telephone"' in summary.group(1)


def test_personnes_suivies_lists_journeys_in_progress_and_recent_contacts(ctx):
    done = received(prenom="Anne", nom="Fini")
    running = received(analysis_answer=None, prenom="Bruno", nom="Encours")
    claire = get_user(SENDER)
    rows, total = followed_people(claire)
    assert total == 2 and set(names(rows)) == {"Anne Fini", "Bruno Encours"}
    assert {r.view.display_name: r.in_progress for r in rows} == {"Anne Fini": False, "Bruno Encours": True}
    rows, total = followed_people(claire, in_progress_only=True)
    assert total == 1 and rows[0].person.id == running.id
    assert done.id != running.id


def test_the_index_agrees_with_access_rules(ctx):
    """For every person and structure involved, the index says « full » exactly when the access
    rule does, and a merged or unknown person is nowhere."""
    journey = start_referral(person=welcome(**INES))
    send(journey, shared=("identite",))
    received(prenom="Anne", nom="Autre")
    rows = db.session.scalars(select(PersonAccess)).all()
    assert rows
    for row in rows:
        actor = db.session.scalars(select(User).where(User.structure_id == row.structure_id)).first()
        assert row.full == has_full_access(actor, db.session.get(Person, row.person_id))
    assert {(r.structure_id, r.full) for r in rows if r.person_id == journey.person_id} == {
        (get_user(SENDER).structure_id, True), (get_user(RECEIVER).structure_id, False)}
    before = {(t.structure_id, t.term, t.person_id) for t in db.session.scalars(select(PersonSearchTerm))}
    assert rebuild_all(db.session) == 2
    after = {(t.structure_id, t.term, t.person_id) for t in db.session.scalars(select(PersonSearchTerm))}
    assert before == after


def test_likely_duplicates_are_offered_before_a_new_dossier(ctx):
    ines = received(**INES, annee_naissance=2008)
    claire = get_user(SENDER)
    found = likely_duplicates(claire, {"nom": "Dupuy", "prenom": "Ines", "annee_naissance": 2008})
    assert [c.row.person.id for c in found] == [ines.id]
    assert "même prénom" in found[0].reasons and "nom proche" in found[0].reasons
    found = likely_duplicates(claire, {"nom": "Autre", "telephone": "+33698123456"})
    assert [c.row.person.id for c in found] == [ines.id] and found[0].reasons == ["même téléphone"]
    assert likely_duplicates(claire, {"nom": "Dupuis", "prenom": "Marc", "annee_naissance": 1970}) == []
    assert likely_duplicates(get_user(RECEIVER), {"nom": "Dupuis", "prenom": "Inès"}) == []


def test_nouvel_accueil_shows_look_alikes_then_creates_the_dossier_with_its_identity(app, client):
    with app.app_context():
        ines = received(**INES)
    login(client, SENDER)
    page = client.get("/accueil/nouveau?nom=dupuis&prenom=ines").get_data(as_text=True)
    assert "Dossiers qui ressemblent à cette personne" in page and "Inès Dupuis" in page
    assert f'name="person_id" value="{ines.id}"' in page
    response = client.post("/accueil/nouveau", data={"csrf_token": csrf_from(page), "nom": "Dupuis",
                                                     "prenom": "Inès", "annee_naissance": "1990"})
    assert response.status_code == 303 and "/taches/" in response.headers["Location"]
    with app.app_context():
        newest = db.session.scalars(select(Person).order_by(Person.id.desc())).first()
        assert (newest.prenom, newest.nom, newest.annee_naissance) == ("Inès", "Dupuis", 1990)
        assert newest.id != ines.id
    task_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Accueillir la personne" in task_page  # what was typed is not asked twice
    assert re.search(r'id="f-nom"[^>]*value="Dupuis"', task_page) and 'value="1990"' in task_page


def test_nouvel_accueil_anonymous_creates_an_anonymous_dossier(app, client):
    login(client, SENDER)
    page = client.get("/accueil/nouveau").get_data(as_text=True)
    response = client.post("/accueil/nouveau", data={"csrf_token": csrf_from(page), "anonyme": "oui",
                                                     "nom": "Ignored"})
    assert response.status_code == 303
    with app.app_context():
        newest = db.session.scalars(select(Person).order_by(Person.id.desc())).first()
        assert newest.is_anonymous_person


def test_nouvel_accueil_refuses_a_wrong_identity_and_creates_nothing(app, client):
    login(client, SENDER)
    page = client.get("/accueil/nouveau").get_data(as_text=True)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Person))
    response = client.post("/accueil/nouveau", data={"csrf_token": csrf_from(page), "nom": "Dupuis",
                                                     "annee_naissance": "3020"})
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S)
    assert summary and "Année de naissance" in summary.group(1) and 'href="#f-annee_naissance"' in summary.group(1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == before


def test_the_people_page_searches_and_lists(app, client):
    with app.app_context():
        received(**INES)
    login(client, SENDER)
    listed = client.get("/personnes").get_data(as_text=True)
    assert "Personnes suivies" in listed and "Inès Dupuis" in listed
    found = client.get("/personnes?q=06+98").get_data(as_text=True)
    assert "Inès Dupuis" in found
    assert "Inès Dupuis" not in client.get("/personnes?q=zzz").get_data(as_text=True)


def test_the_api_searches_with_the_same_rules(app, client):
    with app.app_context():
        journey = start_referral(person=welcome(**INES))
        send(journey, shared=("situation",))
    own = client.get("/api/v1/people?q=dupui", headers=api_token(client, SENDER)).get_json()
    assert [i["display_name"] for i in own["items"]] == ["Inès Dupuis"]
    assert own["items"][0]["telephone"] == "06 98 12 34 56" and own["items"][0]["full_access"] is True
    receiver = api_token(client, RECEIVER)
    assert client.get("/api/v1/people?q=dupui", headers=receiver).get_json()["items"] == []
    shared = client.get("/api/v1/people?q=braye", headers=receiver).get_json()["items"]
    assert len(shared) == 1 and shared[0]["full_access"] is False and shared[0]["nom"] is None
    listed = client.get("/api/v1/people", headers=receiver).get_json()
    assert listed["total"] == 1
    assert client.get("/api/v1/people?q=" + "x" * 201, headers=receiver).status_code == 400
    assert client.get("/api/v1/people?q=dupui").status_code == 401



def test_a_database_from_before_the_index_gets_it_at_upgrade(ctx):
    """People exist but nothing is indexed (a database migrated from before the index):
    ensure_built rebuilds it once, and does nothing when it is there."""
    from sqlalchemy import delete
    from webapp.operations.person_index import ensure_built
    received(**INES)
    db.session.execute(delete(PersonSearchTerm))
    db.session.execute(delete(PersonAccess))
    assert search_people(get_user(SENDER), "dupui")[0] == []
    assert ensure_built(db.session) == 1
    assert names(search_people(get_user(SENDER), "dupui")[0]) == ["Inès Dupuis"]
    assert ensure_built(db.session) == 0


def test_the_people_pages_read_a_fixed_number_of_statements(app, client):
    """Do « Personnes suivies » and a search cost as many statements for four people as for one?"""
    from conftest import statements_of
    with app.app_context():
        received(prenom="Anne", nom="Dupuis")
    login(client, SENDER)
    one_list = statements_of(app, lambda: client.get("/personnes").get_data(as_text=True))
    one_search = statements_of(app, lambda: client.get("/personnes?q=dupuis").get_data(as_text=True))
    with app.app_context():
        for first in ("Bruno", "Chloé", "Denis"):
            received(prenom=first, nom="Dupuis")
    four_list = statements_of(app, lambda: client.get("/personnes").get_data(as_text=True))
    four_search = statements_of(app, lambda: client.get("/personnes?q=dupuis").get_data(as_text=True))
    assert one_list[0].count('data-label="Personne"') == 1 and four_list[0].count('data-label="Personne"') == 4
    assert four_search[0].count('data-label="Personne"') == 4
    assert len(four_list[1]) == len(one_list[1]) and len(four_search[1]) == len(one_search[1])
