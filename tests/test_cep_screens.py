"""CEP advisers' screens: « Mes parcours CEP » by stage, « Demandes de financement » with the late
ones first, the CEP section of the dossier, and the regional administration's funders list.
Sophie Marchand (APEC Tours) works the journeys; Thomas Petit (APEC Orléans) must see none of them."""
import html as html_lib
import re
from datetime import timedelta

from cep_steps import ADVISER, decide, level1, level2, open_cep, plan, plans, request_tasks, submit_all, validate_project
from conftest import csrf_from, get_user, login, statements_of
from sqlalchemy import func, select
from test_orientation import do, the_task

from webapp import clock
from webapp.extensions import db
from webapp.funding_checks import funder_properties
from webapp.models import AuditEvent, Funder, FundingRequest, HumanTask, Journey
from webapp.reference import FUNDERS

OTHER_ADVISER = "thomas.petit"
ADMIN = "nathalie.bernard"
FUNDED = {"cpf": "3200", "transitions_pro": "5200"}


def drive(app, *steps, name=None) -> int:
    """Open a CEP journey for Sophie and run the steps on it; its id."""
    with app.app_context():
        journey = open_cep()
        if name:
            journey.person.prenom = name
            db.session.commit()
        for step in steps:
            step(journey)
        return journey.id


def to_validation(journey):
    level1(journey)
    level2(journey)


def to_requests(journey):
    to_validation(journey)
    validate_project(journey)
    plan(journey, FUNDED)


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html_lib.unescape(response.get_data(as_text=True))


def tab_counts(html: str) -> dict[str, int]:
    nav = re.search(r'<nav class="tabs" aria-label="Étapes">(.*?)</nav>', html, re.S).group(1)
    return {label.strip(): int(count) for label, count in
            re.findall(r'>([^<>]+?) <span class="count">(\d+)</span>', nav)}


def rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S) if 'class="empty"' not in r]


def person_of(app, journey_id) -> int:
    with app.app_context():
        return db.session.get(Journey, journey_id).person_id


def test_journeys_are_listed_by_stage_with_counts(app):
    """Does « Mes parcours CEP » put each journey in the tab of its open step, count them in the
    tabs, and show the open step, its due date, the adviser and the latest plan?"""
    drive(app, name="Alice")
    drive(app, to_validation, name="Bruno")
    funding = drive(app, to_requests, name="Chloé")
    ended = drive(app, lambda j: level1(j, suite="fin"), name="Denis")
    client = signed_in(app, ADVISER)
    html = page(client, "/cep/")
    assert tab_counts(html) == {"Niveau 1 — accueil individualisé": 1, "Niveau 2 — accompagnement personnalisé": 0,
                                "Validation du projet": 1, "Financement": 1, "Entrée en formation": 0, "Terminés": 1}
    [row] = rows(page(client, "/cep/?onglet=niveau1"))
    assert "Alice Benoît" in row and "Accueil individualisé (niveau 1)" in row and "Sophie Marchand" in row
    assert "échéance" in row and "en retard" not in row
    [row] = rows(page(client, "/cep/?onglet=financement"))
    assert "Chloé Benoît" in row and "Plan n°1 : 8\u00a0400,00\u00a0€" in row
    assert "Reste à financer : 8\u00a0400,00\u00a0€" in row
    assert f'href="/personnes/{person_of(app, funding)}"' in row and 'href="/taches/' in row
    [row] = rows(page(client, "/cep/?onglet=termines"))
    assert "Denis Benoît" in row
    with app.app_context():
        assert db.session.get(Journey, ended).end_label in row


def test_a_late_step_is_in_red_and_mine_excludes_colleagues_journeys(app):
    """Is a step past its due date marked « en retard », and does « les miens » leave out a journey
    Sophie never worked, which « toute la structure » shows?"""
    late = drive(app, name="Alice")
    with app.app_context():
        task = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == late, HumanTask.status == "ouverte"))
        task.due_at = clock.now() - timedelta(days=2)
        other = drive(app, name="Bruno")
        task = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == other, HumanTask.status == "ouverte"))
        task.assignee_id = None
        db.session.commit()
    client = signed_in(app, ADVISER)
    [row] = rows(page(client, "/cep/?onglet=niveau1"))
    assert "Alice Benoît" in row and "en retard" in row
    both = rows(page(client, "/cep/?onglet=niveau1&vue=structure"))
    assert len(both) == 2 and any("Bruno Benoît" in r and "file de la structure" in r for r in both)


def test_journeys_page_costs_the_same_statements_for_one_and_several(app):
    """Do the lists read names, steps, advisers and plans in batches (as many statements for one
    journey as for three, and for six funding requests as for eight)?"""
    drive(app, to_requests, name="Alice")
    client = signed_in(app, ADVISER)
    url = "/cep/?onglet=financement"
    html, one = statements_of(app, lambda: page(client, url))
    assert len(rows(html)) == 1
    drive(app, to_requests, name="Bruno")
    drive(app, lambda j: (to_requests(j), submit_all(j)), name="Chloé")
    html, three = statements_of(app, lambda: page(client, url))
    assert len(rows(html)) == 3
    assert len(three) == len(one)
    html, requests_one = statements_of(app, lambda: page(client, "/cep/financements"))
    assert len(rows(html)) == 6
    drive(app, to_requests, name="Denis")
    html, requests_more = statements_of(app, lambda: page(client, "/cep/financements"))
    assert len(rows(html)) == 8 and len(requests_more) == len(requests_one)


def test_funding_requests_late_first_then_by_deadline(app):
    """Does « Demandes de financement » list requests to prepare and awaiting a decision, late
    ones first (a decision past its reminder date), with amounts in euros and the task link?"""
    waiting = drive(app, lambda j: (to_requests(j), submit_all(j)), name="Alice")
    drive(app, to_requests, name="Bruno")
    with app.app_context():
        late = db.session.scalar(select(FundingRequest).join(Funder).where(
            FundingRequest.journey_id == waiting, Funder.code == "transitions_pro"))
        late.remind_at = clock.now() - timedelta(days=1)
        db.session.commit()
        decision_task = db.session.scalar(select(HumanTask.id).where(
            HumanTask.journey_id == waiting, HumanTask.status == "ouverte",
            HumanTask.title.endswith("Transitions Pro — projet de transition professionnelle (PTP)")))
    client = signed_in(app, ADVISER)
    found = rows(page(client, "/cep/financements"))
    assert len(found) == 4
    assert "Alice Benoît" in found[0] and "Transitions Pro" in found[0] and "en retard" in found[0]
    assert "5\u00a0200,00\u00a0€" in found[0] and f'href="/taches/{decision_task}"' in found[0]
    assert "Déposée, en attente de décision" in found[0]
    assert all("en retard" not in r for r in found[1:])
    assert sum("À préparer" in r for r in found) == 2


def test_dossier_shows_plans_latest_first_with_the_remaining_amount(app):
    """Does the dossier show the CEP stage and each plan (latest first) with its lines and the
    remaining amount, after a partial grant led to a revision?"""
    def partial(journey):
        to_requests(journey)
        submit_all(journey)
        decide(journey, "CPF", "accorde")
        decide(journey, "Transitions", "partiel", "4000")
    journey_id = drive(app, partial)
    client = signed_in(app, ADVISER)
    html = page(client, f"/personnes/{person_of(app, journey_id)}")
    section = html.split("<h2>Conseil en évolution professionnelle</h2>", 1)[1].split("</section>", 1)[0]
    assert "Financement" in section
    assert "Plan de financement n°1 — À réviser" in section
    assert "Accordée en partie" in section and "4\u00a0000,00\u00a0€" in section
    assert "Reste à financer" in section and "1\u00a0200,00\u00a0€" in section
    with app.app_context():
        journey = db.session.get(Journey, journey_id)
        plan(journey, {"cpf": "3200", "transitions_pro": "4000", "abondement_region": "1200"})
    section = page(client, f"/personnes/{person_of(app, journey_id)}").split(
        "<h2>Conseil en évolution professionnelle</h2>", 1)[1]
    assert section.index("Plan de financement n°2") < section.index("Plan de financement n°1")


def test_another_structures_cep_adviser_sees_none_of_it(app):
    """Does Thomas Petit (APEC Orléans) see none of Sophie's journeys or requests, and get 404 on
    her person's dossier?"""
    journey_id = drive(app, lambda j: (to_requests(j), submit_all(j)), name="Alice")
    client = signed_in(app, OTHER_ADVISER)
    html = page(client, "/cep/?vue=structure")
    assert set(tab_counts(html).values()) == {0}
    for tab in ("niveau1", "financement", "termines"):
        assert rows(page(client, f"/cep/?onglet={tab}&vue=structure")) == []
    assert rows(page(client, "/cep/financements")) == []
    assert client.get(f"/personnes/{person_of(app, journey_id)}").status_code == 404


def test_a_counsellor_without_the_cep_role_is_refused(app):
    client = signed_in(app, "isabelle.roux")
    response = client.get("/cep/")
    assert response.status_code == 403 and "CEP" in response.get_data(as_text=True)
    assert client.get("/cep/financements").status_code == 403
    assert ">CEP<" not in page(client, "/")


def _funder_form(client, url, **values):
    html = page(client, url)
    data = {"csrf_token": csrf_from(html), "kind": "abondement", "needs_request": "true", "position": "80"}
    data.update(values)
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def test_admin_adds_edits_and_deactivates_a_funder(app):
    """Can the regional admin add a funder (offered in new plans), rename it, deactivate it (gone
    from new plans' forms) and reactivate it, each change audited?"""
    client = signed_in(app, ADMIN)
    response = _funder_form(client, "/cep/financeurs/nouveau", label="Conseil départemental d'Indre-et-Loire")
    assert response.status_code == 303
    assert "Conseil départemental d'Indre-et-Loire" in page(client, "/cep/financeurs")
    with app.app_context():
        funder = db.session.scalar(select(Funder).where(Funder.label == "Conseil départemental d'Indre-et-Loire"))
        assert funder.code == "conseil_departemental_d_indre_et"  # made from the label, never shown
        funder_id = funder.id
        assert funder.kind == "abondement" and funder.needs_request and funder.position == 80
        assert funder.code in funder_properties()
    response = _funder_form(client, f"/cep/financeurs/{funder_id}/modifier", label="Département d'Indre-et-Loire",
                            position="85", needs_request=None)
    assert response.status_code == 303
    html = page(client, "/cep/financeurs")
    token = csrf_from(html)
    assert client.post(f"/cep/financeurs/{funder_id}/desactiver", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        edited = db.session.get(Funder, funder_id)
        assert (edited.label, edited.position, edited.needs_request) == ("Département d'Indre-et-Loire", 85, False)
        assert edited.code not in funder_properties()
    assert client.post(f"/cep/financeurs/{funder_id}/reactiver", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert edited.code in funder_properties()
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("funder.%"))
                                     .order_by(AuditEvent.id)).all()
        assert actions == ["funder.created", "funder.updated", "funder.deactivated", "funder.reactivated"]
        db.session.delete(db.session.get(Funder, funder_id))
        db.session.commit()


def test_funder_form_refuses_bad_values_in_french(app):
    client = signed_in(app, ADMIN)
    response = _funder_form(client, "/cep/financeurs/nouveau", label="Employeur")
    assert response.status_code == 422
    assert "Un autre financeur porte déjà ce libellé" in html_lib.unescape(response.get_data(as_text=True))
    response = _funder_form(client, "/cep/financeurs/nouveau", label="")
    assert response.status_code == 422 and "Ce champ est obligatoire." in response.get_data(as_text=True)
    response = _funder_form(client, "/cep/financeurs/nouveau", label="x" * 161)
    assert response.status_code == 422 and "160 caractères au maximum." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Funder)) == len(FUNDERS)


def test_a_plan_made_with_a_funder_keeps_it_after_deactivation(app):
    """Is a deactivated funder absent from new plans' forms while an existing plan keeps its line?"""
    journey_id = drive(app, to_requests)
    client = signed_in(app, ADMIN)
    with app.app_context():
        funder_id = db.session.scalar(select(Funder.id).where(Funder.code == "transitions_pro"))
    token = csrf_from(page(client, "/cep/financeurs"))
    try:
        assert client.post(f"/cep/financeurs/{funder_id}/desactiver", data={"csrf_token": token}).status_code == 303
        with app.app_context():
            assert "transitions_pro" not in funder_properties()
            journey = db.session.get(Journey, journey_id)
            assert [r.funder.code for r in plans(journey)[0].requests] == ["cpf", "transitions_pro"]
            assert len(request_tasks(journey, "preparer_demande")) == 2
        html = page(signed_in(app, ADVISER), f"/personnes/{person_of(app, journey_id)}")
        assert "Transitions Pro — projet de transition professionnelle (PTP)" in html
    finally:
        client.post(f"/cep/financeurs/{funder_id}/reactiver", data={"csrf_token": token})


def test_only_the_admin_manages_funders(app):
    client = signed_in(app, ADVISER)
    assert client.get("/cep/financeurs").status_code == 403
    assert client.get("/cep/financeurs/nouveau").status_code == 403
    with app.app_context():
        funder_id = db.session.scalar(select(Funder.id).where(Funder.code == "cpf"))
    token = csrf_from(page(client, "/cep/"))
    assert client.post(f"/cep/financeurs/{funder_id}/desactiver", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.get(Funder, funder_id).active
    assert ">Financeurs<" in page(signed_in(app, ADMIN), "/cep/financeurs")


def test_the_attestation_step_done_is_read_from_the_task_index(app):
    """The dossier knows a démission attestation was completed (the PDF link depends on it)."""
    journey_id = drive(app, lambda j: (level1(j, demission_reconversion=True), level2(j), validate_project(j)))
    with app.app_context():
        from webapp.queries.cep import dossier_cep
        journey = db.session.get(Journey, journey_id)
        [item] = dossier_cep(get_user(ADVISER), journey.person_id)
        assert item.stage == "validation" and not item.attestation_done
        do(ADVISER, the_task(journey, "attestation_demission"), ATTESTATION)
        [item] = dossier_cep(get_user(ADVISER), journey.person_id)
        assert item.attestation_done and item.stage == "financement"
        assert dossier_cep(get_user(OTHER_ADVISER), journey.person_id) == []


def test_dossier_links_to_the_synthesis_and_once_done_the_attestation(app):
    """Does the dossier offer the synthesis PDF, and the attestation PDF only once its step is done?"""
    journey_id = drive(app, lambda j: (level1(j, demission_reconversion=True), level2(j), validate_project(j)))
    client = signed_in(app, ADVISER)
    url = f"/personnes/{person_of(app, journey_id)}"
    html = page(client, url)
    assert f'href="/cep/parcours/{journey_id}/synthese.pdf"' in html
    assert "attestation.pdf" not in html
    with app.app_context():
        do(ADVISER, the_task(db.session.get(Journey, journey_id), "attestation_demission"), ATTESTATION)
    assert f'href="/cep/parcours/{journey_id}/attestation.pdf"' in page(client, url)


ATTESTATION = {"demarches_realisees": "Enquêtes métier, immersion de deux jours.",
               "connaissance_metier": "Connaît les conditions de travail en EHPAD.",
               "formation_visee": "Diplôme d'État d'aide-soignant", "organisme_formation": "IFAS de Tours",
               "programme_formation": "Dix modules, stages.", "calendrier_formation": "Septembre à juin.",
               "cout_formation": "8400", "perspectives_emploi": "Fortes.", "avis": "reel_serieux",
               "lieu_attestation": "Tours", "date_attestation": clock.now().date().isoformat()}
