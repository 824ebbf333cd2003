"""The French screens: login, reception started and worked, queues, claim, scoping, CSRF."""
import re

from sqlalchemy import func, select

from conftest import csrf_from, get_user, login
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, Person


def _start_reception(client):
    home = client.get("/")
    response = client.post("/parcours", data={"process_key": "accueil",
                                              "csrf_token": csrf_from(home.get_data(as_text=True))})
    assert response.status_code == 303
    return int(response.location.rsplit("/", 1)[1])


def _post_task(client, task_id, data):
    page = client.get(f"/taches/{task_id}")
    return client.post(f"/taches/{task_id}", data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


WELCOME = {"canal": "sur_place", "anonyme": "false", "prenom": "Léa", "nom": "Durand", "public": "scolaire"}


def test_login_page_is_french_and_refuses_bad_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Connexion" in page and "Mot de passe" in page
    response = login(client, "claire.martin", "wrong")
    assert response.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still logged out


def test_pages_require_login(client):
    response = client.get("/taches?scope=queue")
    assert response.status_code == 302 and "/login" in response.location


def test_reception_worked_from_welcome_to_documentation(client, app):
    login(client, "claire.martin")
    task_id = _start_reception(client)
    page = client.get(f"/taches/{task_id}").get_data(as_text=True)
    assert "Accueillir la personne" in page and "Canal d&#39;accueil" in page
    response = _post_task(client, task_id, WELCOME)
    assert response.status_code == 303
    next_id = int(response.location.rsplit("/", 1)[1])
    page = client.get(f"/taches/{next_id}").get_data(as_text=True)
    assert "Analyser la demande" in page and "Confirmer son choix de métier" in page
    response = _post_task(client, next_id, {
        "thematiques": "choisir-un-metier--confirmer-son-choix-de-metier", "besoins": "Choisir une filière",
        "urgence": "normale", "reponse": "documentation", "documentation_remise": "Fiches métiers ONISEP"})
    assert response.status_code == 303 and "/personnes/" in response.location
    dossier = client.get(response.location).get_data(as_text=True)
    assert "Léa Durand" in dossier and "Terminé" in dossier and "Réponse de premier niveau apportée" in dossier
    assert "<dt>Réponse apportée</dt><dd>Documentation remise (réponse de premier niveau)</dd>" in dossier
    assert "« Analyser la demande » terminée" in dossier


def test_invalid_form_keeps_input_shows_errors_and_stores_nothing(client, app):
    login(client, "claire.martin")
    task_id = _start_reception(client)
    response = _post_task(client, task_id, {"canal": "sur_place", "anonyme": "false", "prenom": "Léa",
                                            "annee_naissance": "deux mille"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Léa"' in html  # what was typed is kept
    assert re.search(r'id="erreur-nom"[^>]*>Ce champ est obligatoire', html)
    assert re.search(r'id="erreur-public"[^>]*>Ce champ est obligatoire', html)
    assert re.search(r'id="erreur-annee_naissance"[^>]*>Saisissez un nombre entier', html)
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        assert task.status == "ouverte" and task.data is None
        assert db.session.get(Person, task.person_id).prenom is None
        assert db.session.scalar(select(func.count()).select_from(HumanTask)) == 1


def test_double_submission_is_refused_without_second_effect(client, app):
    login(client, "claire.martin")
    task_id = _start_reception(client)
    page = client.get(f"/taches/{task_id}").get_data(as_text=True)
    form = {**WELCOME, "csrf_token": csrf_from(page)}
    assert client.post(f"/taches/{task_id}", data=form).status_code == 303
    again = client.post(f"/taches/{task_id}", data=form, follow_redirects=True)
    assert "déjà été traitée" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HumanTask)) == 2


def test_colleague_claims_from_queue_and_other_structure_never_sees_it(app):
    claire, karim, isabelle = app.test_client(), app.test_client(), app.test_client()
    login(claire, "claire.martin")
    task_id = _start_reception(claire)
    claire_page = claire.get(f"/taches/{task_id}").get_data(as_text=True)
    claire.post(f"/taches/{task_id}/liberer", data={"csrf_token": csrf_from(claire_page)})
    login(karim, "karim.benali")
    queue = karim.get("/taches?scope=queue").get_data(as_text=True)
    assert f"/taches/{task_id}" in queue
    page = karim.get(f"/taches/{task_id}").get_data(as_text=True)
    assert "M'attribuer" in page
    karim.post(f"/taches/{task_id}/prendre", data={"csrf_token": csrf_from(page)})
    assert f"/taches/{task_id}" in karim.get("/taches?scope=mine").get_data(as_text=True)
    login(isabelle, "isabelle.roux")
    assert f"/taches/{task_id}" not in isabelle.get("/taches?scope=queue").get_data(as_text=True)
    assert isabelle.get(f"/taches/{task_id}").status_code == 404
    with app.app_context():
        person_id = db.session.get(HumanTask, task_id).person_id
    assert isabelle.get(f"/personnes/{person_id}").status_code == 404
    home = isabelle.get("/").get_data(as_text=True)
    assert isabelle.post(f"/taches/{task_id}/prendre", data={"csrf_token": csrf_from(home)}).status_code == 404


def test_reassign_within_structure(app):
    claire, sophie = app.test_client(), app.test_client()
    login(claire, "claire.martin")
    task_id = _start_reception(claire)
    with app.app_context():
        sophie_id = get_user("sophie.lefebvre").id
        outsider_id = get_user("isabelle.roux").id
    page = claire.get(f"/taches/{task_id}").get_data(as_text=True)
    assert claire.post(f"/taches/{task_id}/reaffecter", data={
        "user_id": outsider_id, "csrf_token": csrf_from(page)}).status_code == 404
    claire.post(f"/taches/{task_id}/reaffecter", data={"user_id": sophie_id, "csrf_token": csrf_from(page)})
    login(sophie, "sophie.lefebvre")
    assert f"/taches/{task_id}" in sophie.get("/taches?scope=mine").get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, app):
    login(client, "claire.martin")
    response = client.post("/parcours", data={"process_key": "accueil"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HumanTask)) == 0


def test_no_state_change_on_get(client):
    login(client, "claire.martin")
    assert client.get("/parcours").status_code == 405
    assert client.get("/logout").status_code == 405


def test_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_login_is_rate_limited(client, app):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [login(client, "claire.martin", "wrong").status_code for _ in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert codes[:3] == [401, 401, 401] and codes[3] == 429


def test_dossier_read_is_audited(client, app):
    login(client, "claire.martin")
    task_id = _start_reception(client)
    _post_task(client, task_id, WELCOME)
    with app.app_context():
        person_id = db.session.get(HumanTask, task_id).person_id
    client.get(f"/personnes/{person_id}")
    with app.app_context():
        reads = db.session.scalars(select(AuditEvent).where(
            AuditEvent.person_id == person_id, AuditEvent.action == "person.read")).all()
        assert len(reads) == 1 and reads[0].user.username == "claire.martin"


def test_queue_filters_and_pagination(client, app):
    app.config["TASKS_PER_PAGE"] = 2
    try:
        login(client, "claire.martin")
        ids = [_start_reception(client) for _ in range(3)]
        page1 = client.get("/taches?scope=mine").get_data(as_text=True)
        assert "Page 1 sur 2" in page1
        page2 = client.get("/taches?scope=mine&page=2").get_data(as_text=True)
        shown = set(re.findall(r'href="/taches/(\d+)"', page1 + page2))
        assert shown == {str(i) for i in ids}
        filtered = client.get("/taches?scope=mine&task=analyser_demande").get_data(as_text=True)
        assert "Aucune tâche." in filtered
        # the journey menu names the journey (even when none of its tasks is on the page), never its key
        assert '<option value="accueil" >Accueil</option>' in filtered
        assert '<option value="accueil" selected>Accueil</option>' in \
            client.get("/taches?scope=mine&journey=accueil").get_data(as_text=True)
    finally:
        app.config["TASKS_PER_PAGE"] = 25


def test_identity_added_after_anonymous_welcome(client, app):
    login(client, "claire.martin")
    task_id = _start_reception(client)
    _post_task(client, task_id, {"canal": "telephone", "anonyme": "true", "public": "salarie"})
    with app.app_context():
        person_id = db.session.get(HumanTask, task_id).person_id
    dossier = client.get(f"/personnes/{person_id}").get_data(as_text=True)
    assert f"Personne anonyme n°{person_id}" in dossier and "Compléter l&#39;identité" in dossier
    bad = client.post(f"/personnes/{person_id}/identite", data={
        "nom": "Martin", "annee_naissance": "soixante", "public": "salarie", "csrf_token": csrf_from(dossier)})
    assert bad.status_code == 422 and "Saisissez un nombre entier" in bad.get_data(as_text=True)
    ok = client.post(f"/personnes/{person_id}/identite", data={
        "prenom": "Paul", "nom": "Martin", "annee_naissance": "1987", "public": "salarie",
        "csrf_token": csrf_from(dossier)}, follow_redirects=True)
    html = ok.get_data(as_text=True)
    assert "Dossier · Paul Martin" in html and "Identité mise à jour" in html


def test_session_expires_after_the_configured_lifetime(client, app):
    response = login(client, "claire.martin")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Expires=" in cookie and "HttpOnly" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"] == 8 * 3600
