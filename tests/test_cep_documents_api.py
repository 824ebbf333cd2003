"""CEP documents and API: Sophie Marchand (APEC Tours) downloads the synthesis with its action plan
and the démission-reconversion attestation as PDF (read back with pypdf, each download audited),
a client reads the funding plan as JSON with exact amounts, and drives CEP steps through the API
with nothing but the forms' published JSON Schema. Nobody outside her structure sees any of it."""
import io
import re
from decimal import Decimal

from cep_steps import (ADVISER, decide, in_days, level1, level2, open_cep, plan, plans, submit_all, today,
                       validate_project)
from conftest import api_token, get_user, login
from jsonschema import Draft202012Validator, FormatChecker
from pypdf import PdfReader
from sqlalchemy import select
from test_orientation import do, the_task

from webapp.extensions import db
from webapp.models import AuditEvent, Funder, Journey
from webapp.reference_lists import rome_label

OTHER_CEP_ADVISER = "thomas.petit"  # APEC Orléans
NOT_CEP = "isabelle.roux"  # CIO d'Orléans, no conseiller_cep role
FUNDED = {"cpf": "3200", "transitions_pro": "5200"}
STEPS_TO_TAKE = "Consulter son compte CPF ; rencontrer l'IFAS de Tours."
AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
ATTESTATION = {
    "demarches_realisees": "Enquête métier, immersion de deux semaines en EHPAD.",
    "connaissance_metier": "Connaît les horaires décalés et la charge physique.",
    "formation_visee": "Diplôme d'État d'aide-soignant", "organisme_formation": "IFAS de Tours",
    "programme_formation": "Modules 1 à 10 et stages.", "calendrier_formation": "Septembre à juin",
    "cout_formation": "8 400", "perspectives_emploi": "Fortes tensions de recrutement en Touraine.",
    "avis": "reel_serieux", "commentaire_avis": "Projet mûri pendant six mois.",
    "lieu_attestation": "Tours"}


def drive(app, *steps) -> int:
    """Open a CEP journey for Sophie, run the steps on it; its id."""
    with app.app_context():
        journey = open_cep()
        for step in steps:
            step(journey)
        return journey.id


def to_revision(journey):
    """Level 1 with possible steps, level 2, validation, plan of 8 400 €; the CPF grants, Transitions
    Pro grants 4 000 € of 5 200 €: the plan must be revised (1 200 € left to fund)."""
    level1(journey, demarches_possibles=STEPS_TO_TAKE)
    level2(journey)
    validate_project(journey)
    plan(journey, FUNDED)
    submit_all(journey)
    decide(journey, "CPF", "accorde")
    decide(journey, "Transitions", "partiel", "4000")


def revised_and_submitted(journey):
    plan(journey, {"cpf": "3200", "transitions_pro": "4000", "abondement_region": "1200"})
    submit_all(journey)


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def pdf_text(response) -> str:
    """The PDF's text with runs of spaces (no-break ones included) and line breaks made one space."""
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join("\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ").split())


def downloads(app, journey_id) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(
            AuditEvent.journey_id == journey_id, AuditEvent.action == "cep.document_downloaded")).all()


def test_synthesis_gives_the_plan_figures_the_job_and_the_next_steps_and_is_audited(app):
    """After a partial grant, does the synthesis print the 8 400 € plan, each funder's decision,
    what is left to fund, the target job's ROME label and the action plan; is it an attachment
    never cached, and is the download in the audit trail?"""
    journey_id = drive(app, to_revision)
    client = signed_in(app, ADVISER)
    response = client.get(f"/cep/parcours/{journey_id}/synthese.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="synthese-cep-{journey_id}.pdf"'
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response)
    for expected in ("Nadia Benoît", "8 400,00 €", "8 000,00 €", "3 200,00 €", "5 200,00 €", "4 000,00 €",
                     "CPF (compte personnel de formation du titulaire)", "Accordée en partie",
                     "Reste à financer : 1 200,00 €", rome_label("J1501"), "J1501", "RNCP35830",
                     "Projet validé", "Réviser le plan de financement : 1 200,00 € restent à financer",
                     f"Démarches possibles : {STEPS_TO_TAKE}", "Sophie Marchand"):
        assert expected in text, expected
    [event] = downloads(app, journey_id)
    with app.app_context():
        journey = db.session.get(Journey, journey_id)
        assert (event.user_id, event.kind, event.person_id, event.summary) == (
            get_user(ADVISER).id, "read", journey.person_id, "Synthèse CEP téléchargée")


def test_the_action_plan_follows_the_revised_requests(app):
    """Once the revised plan's request is sent, does the action plan say whose decision to wait
    for and by when, and no longer ask to revise the plan?"""
    journey_id = drive(app, to_revision, revised_and_submitted)
    with app.app_context():
        [region] = [r for r in plans(db.session.get(Journey, journey_id))[-1].requests
                    if r.funder.code == "abondement_region"]
        expected_by = region.remind_at.strftime("%d/%m/%Y")
    text = pdf_text(signed_in(app, ADVISER).get(f"/cep/parcours/{journey_id}/synthese.pdf"))
    assert f"Attendre la décision de Région Centre-Val de Loire (attendue avant le {expected_by})" in text
    assert "Réviser le plan" not in text
    assert "Reste à financer : 1 200,00 €" in text and "Accordée (plan précédent)" in text


def test_nobody_outside_the_structure_downloads_the_documents(app):
    """Does another structure's CEP adviser get 404 (the journey's existence does not leak), a
    user without the CEP role 403, and is nothing audited for them?"""
    journey_id = drive(app, to_revision)
    for username, status in ((OTHER_CEP_ADVISER, 404), ("claire.martin", 404), (NOT_CEP, 403)):
        client = signed_in(app, username)
        for document in ("synthese", "attestation"):
            assert client.get(f"/cep/parcours/{journey_id}/{document}.pdf").status_code == status, username
    assert downloads(app, journey_id) == []
    anonymous = app.test_client().get(f"/cep/parcours/{journey_id}/synthese.pdf")
    assert anonymous.status_code in (302, 401)


def test_the_resignation_attestation_prints_the_training_cost_and_the_opinion(app):
    """On a démission-reconversion path, is the attestation refused until its step is done, then
    printed with the training, its cost and the adviser's opinion, and its download audited?"""
    def to_attestation(journey):
        level1(journey, suite="accompagnement", demission_reconversion=True)
        level2(journey)
        validate_project(journey)

    journey_id = drive(app, to_attestation)
    client = signed_in(app, ADVISER)
    refused = client.get(f"/cep/parcours/{journey_id}/attestation.pdf")
    assert refused.status_code == 404 and "attestation" in refused.get_data(as_text=True).lower()
    with app.app_context():
        journey = db.session.get(Journey, journey_id)
        do(ADVISER, the_task(journey, "attestation_demission"), {**ATTESTATION, "date_attestation": today()})
    response = client.get(f"/cep/parcours/{journey_id}/attestation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response)
    for expected in ("Nadia Benoît", "Diplôme d'État d'aide-soignant", "IFAS de Tours", "8 400,00 €",
                     "Le projet présente un caractère réel et sérieux", "Projet mûri pendant six mois.",
                     "Fait à Tours", rome_label("J1501"), "Sophie Marchand"):
        assert expected in text, expected
    [event] = downloads(app, journey_id)
    assert event.summary.startswith("Attestation")


def test_the_funding_plan_reads_as_json_with_exact_amounts(app, client):
    """Does the API give every plan, latest first, with amounts as two-decimal strings that add up
    to the cent, each line's funder, decision and dates; and 404 for another structure?"""
    journey_id = drive(app, to_revision, revised_and_submitted)
    response = client.get(f"/api/v1/journeys/{journey_id}/funding-plan", headers=api_token(client, ADVISER))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["journey_id"], body["status"]) == (journey_id, "en_cours")
    latest, first = body["plans"]
    assert (latest["number"], latest["status"], first["number"], first["status"]) == (2, "en_cours", 1, "a_reviser")
    assert first["status_label"] == "À réviser"
    for plan_json in body["plans"]:
        costs = plan_json["costs"]
        amounts = [costs["teaching"], costs["other"], costs["total"], plan_json["cpf_balance"],
                   plan_json["total_requested"], plan_json["total_granted"], plan_json["remaining"]]
        amounts += [line["requested"] for line in plan_json["lines"]]
        assert all(isinstance(a, str) and AMOUNT.match(a) for a in amounts), amounts
        assert costs == {"teaching": "8000.00", "other": "400.00", "total": "8400.00"}
        assert Decimal(costs["teaching"]) + Decimal(costs["other"]) == Decimal(costs["total"])
        assert sum(Decimal(line["requested"]) for line in plan_json["lines"]) == Decimal(plan_json["total_requested"])
        granted = sum(Decimal(line["granted"]) for line in plan_json["lines"] if line["granted"] is not None)
        assert granted == Decimal(plan_json["total_granted"])
        assert Decimal(plan_json["total_granted"]) + Decimal(plan_json["remaining"]) == Decimal(costs["total"])
        assert plan_json["training"]["title"] == "Diplôme d'État d'aide-soignant"
    assert first["remaining"] == "1200.00"
    assert [(line["funder"]["code"], line["status"], line["granted"]) for line in first["lines"]] == [
        ("cpf", "accordee", "3200.00"), ("transitions_pro", "partielle", "4000.00")]
    region = latest["lines"][-1]
    assert region["funder"] == {"code": "abondement_region", "label": "Région Centre-Val de Loire",
                                "kind": "abondement"}
    assert (region["status"], region["status_label"], region["granted"]) == (
        "deposee", "Déposée, en attente de décision", None)
    assert region["submitted_on"] == today() and region["decision_expected_by"] > today()
    other = client.get(f"/api/v1/journeys/{journey_id}/funding-plan", headers=api_token(client, OTHER_CEP_ADVISER))
    assert other.status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/journeys/{journey_id}/funding-plan"]["get"]
    assert "404" in operation["responses"]
    assert "remaining" in spec["components"]["schemas"]["FundingPlan"]["properties"]


def _task_id(app, journey_id, bpmn_id) -> int:
    with app.app_context():
        return the_task(db.session.get(Journey, journey_id), bpmn_id).id


def _published(client, headers, task_id) -> dict:
    response = client.get(f"/api/v1/tasks/{task_id}", headers=headers)
    assert response.status_code == 200
    schema = response.get_json()["form"]["schema"]
    Draft202012Validator.check_schema(schema)
    return schema


def _complete(client, headers, task_id, schema, data) -> list[dict]:
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(data)  # the schema alone says yes
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["next_tasks"]


def test_cep_steps_are_completed_through_the_api_from_the_published_forms_alone(app, client):
    """Does the level-2 form list the 532 ROME jobs as choices and give the RNCP/RS pattern, does
    the plan form list every active funder with its label and an amount pattern, and do both steps
    complete through the API with values read from those schemas?"""
    journey_id = drive(app, level1)
    sophie = api_token(client, ADVISER)
    session = _published(client, sophie, _task_id(app, journey_id, "accompagnement_personnalise"))
    jobs = session["properties"]["metier_cible"]["oneOf"]
    assert len(jobs) == 532 and len({job["const"] for job in jobs}) == 532
    assert {"const": "J1501", "title": f"J1501 — {rome_label('J1501')}"} in jobs
    certification = session["properties"]["certification"]
    assert certification["pattern"] == "^(RNCP|RS)[0-9]{1,6}$" and "RNCP" in certification["description"]
    assert not re.match(certification["pattern"], "RNCP 35830")
    job = next(j["const"] for j in jobs if j["title"].endswith(rome_label("J1501")))
    [validation] = _complete(client, sophie, _task_id(app, journey_id, "accompagnement_personnalise"), session, {
        "date_seance": today(), "metier_cible": job, "formation_visee": "Diplôme d'État d'aide-soignant",
        "certification": "RNCP35830", "competences_a_acquerir": "Soins d'hygiène et de confort.",
        "faisabilite": "Nombreuses offres en Indre-et-Loire.", "suite": "validation"})
    assert validation["bpmn_id"] == "valider_projet"
    with app.app_context():
        validate_project(db.session.get(Journey, journey_id))
        funders = {f.code: f.label for f in db.session.scalars(
            select(Funder).where(Funder.active.is_(True)).order_by(Funder.position))}

    plan_task = _task_id(app, journey_id, "plan_financement")
    form = _published(client, sophie, plan_task)
    amounts = form["properties"]["financements"]
    assert {code: prop["title"] for code, prop in amounts["properties"].items()} == funders
    assert amounts["additionalProperties"] is False
    pattern = amounts["properties"]["cpf"]["pattern"]
    assert re.match(pattern, "8400") and re.match(pattern, "8400.50") and not re.match(pattern, "8 400,50")
    assert "8400.00" in amounts["description"]
    cost = form["properties"]["cout_pedagogique"]
    assert cost["pattern"] == pattern and "8400.50" in cost["description"]
    by_label = {prop["title"]: code for code, prop in amounts["properties"].items()}
    cpf = next(code for label, code in by_label.items() if label.startswith("CPF"))
    transition = next(code for label, code in by_label.items() if label.startswith("Transitions Pro"))
    data = {"formation_visee": "Diplôme d'État d'aide-soignant", "organisme_formation": "IFAS de Tours",
            "date_debut": in_days(60), "date_fin": in_days(400), "duree_heures": 1540,
            "cout_pedagogique": "8000", "frais_annexes": "400.00", "solde_cpf": "3200",
            "financements": {cpf: "3200", transition: "5200.00"}, "decision_plan": "soumettre"}
    next_tasks = _complete(client, sophie, plan_task, form, data)
    assert sorted(t["title"].split(" — ", 1)[1] for t in next_tasks) == sorted(
        [funders["cpf"], funders["transitions_pro"]])
    funding = client.get(f"/api/v1/journeys/{journey_id}/funding-plan", headers=sophie).get_json()
    assert funding["plans"][0]["costs"]["total"] == "8400.00"
    assert funding["plans"][0]["total_requested"] == "8400.00"

