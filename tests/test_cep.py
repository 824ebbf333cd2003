"""The CEP journey through the operations: Sophie Marchand, CEP adviser at the APEC in Tours,
takes an employee from the first individual reception to a funded training, through every path
(direct validation, project to rework, refusal and partial funding with revised plans, stops),
and nobody outside her structure sees any of it."""
from decimal import Decimal

import pytest
from cep_steps import (ADVISER, decide, in_days, level1, level2, open_cep, plan, plans, request_tasks,
                       submit_all, today, validate_project)
from conftest import get_user
from sqlalchemy import select
from test_orientation import do, open_tasks, structure, the_task
from test_orientation_timers import fire_at, now  # noqa: F401  (fixture)

from webapp.errors import Forbidden, InvalidData, NotFound
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, Journey, OutboxMessage
from webapp.operations.journeys import complete_task, start_journey
from webapp.queries.people import person_for
from webapp.queries.tasks import task_for, task_list
from webapp.workdays import add_working_days

FUNDED = {"cpf": "3200", "transitions_pro": "5200"}


def ended(journey) -> Journey:
    db.session.expire_all()
    journey = db.session.get(Journey, journey.id)
    assert open_tasks(journey) == []
    return journey


def timeline(journey) -> list[str]:
    return [e.summary for e in db.session.scalars(select(AuditEvent).where(AuditEvent.journey_id == journey.id)
                                                  .order_by(AuditEvent.id))]


def to_plan(journey):
    level1(journey)
    level2(journey)
    validate_project(journey)


def test_from_first_reception_to_training_start_with_a_partial_grant_and_a_revised_plan(ctx):
    """Does the story of the issue play: 8 400 € (8 000 € teaching + 400 € other), CPF 3 200 €,
    Transitions Pro the rest; Transitions Pro grants only 4 000 €, the revised plan asks the Région
    for 1 200 € without asking the CPF and Transitions Pro again; then the training starts?"""
    journey = open_cep()
    assert journey.structure_id == structure("apec-tours").id
    first = the_task(journey, "accueil_individualise")
    assert (first.role, first.assignee_id) == ("conseiller_cep", get_user(ADVISER).id)
    level1(journey)
    level2(journey, suite="poursuivre")
    assert the_task(journey, "accompagnement_personnalise").title == "Accompagnement personnalisé (niveau 2) n°2"
    level2(journey)
    validate_project(journey)
    plan(journey, FUNDED)
    assert sorted(request_tasks(journey, "preparer_demande")) == [
        "CPF (compte personnel de formation du titulaire)",
        "Transitions Pro — projet de transition professionnelle (PTP)"]
    submit_all(journey)
    decide(journey, "CPF", "accorde")
    assert [t.bpmn_id for t in open_tasks(journey)] == ["decision_financeur"]  # waits for the other funder
    decide(journey, "Transitions", "partiel", "4 000")
    [first_plan] = plans(journey)
    assert first_plan.status == "a_reviser" and first_plan.total_cost == Decimal("8400.00")
    assert [(r.funder.code, r.status, r.amount_granted) for r in first_plan.requests] == [
        ("cpf", "accordee", Decimal("3200.00")), ("transitions_pro", "partielle", Decimal("4000.00"))]

    plan(journey, {"cpf": "3200", "transitions_pro": "4000", "abondement_region": "1200"})
    assert list(request_tasks(journey, "preparer_demande")) == ["Région Centre-Val de Loire"]
    submit_all(journey)
    decide(journey, "Région", "accorde")
    first_plan, second = plans(journey)
    assert (second.number, second.status) == (2, "finance")
    assert [(r.funder.code, r.status) for r in second.requests] == [
        ("cpf", "reprise"), ("transitions_pro", "reprise"), ("abondement_region", "accordee")]
    assert sum(r.amount_granted for r in second.requests) == second.total_cost

    do(ADVISER, the_task(journey, "confirmer_entree"), {"entree": "confirmee", "date_entree": today()})
    journey = ended(journey)
    assert (journey.status, journey.end_event) == ("terminee", "fin_entree_formation")
    assert plans(journey)[-1].status == "entree_confirmee"
    said = timeline(journey)
    assert "Plan de financement n°1 : 8\u00a0400,00\u00a0€, 2 demandes à déposer" in said
    assert any(s.startswith("Transitions Pro — projet de transition professionnelle (PTP) : accordée en partie "
                            "(4\u00a0000,00\u00a0€ sur 5\u00a0200,00\u00a0€)") for s in said)
    assert any(s.startswith("Entrée en formation confirmée le ") for s in said)


def test_a_mature_project_goes_straight_from_the_first_reception_to_its_validation(ctx):
    journey = open_cep()
    level1(journey, suite="validation")
    the_task(journey, "valider_projet")


def test_a_project_to_rework_goes_back_to_a_session_then_to_validation(ctx):
    journey = open_cep()
    level1(journey, suite="validation")
    validate_project(journey, "a_retravailler")
    level2(journey)  # one more session, then the project is validated
    validate_project(journey, "valide")
    the_task(journey, "plan_financement")


@pytest.mark.parametrize("how, end_event", [("fin", "fin_information"), ("arret", "fin_arret")])
def test_the_first_level_can_be_enough_or_the_person_stops(ctx, how, end_event):
    journey = open_cep()
    level1(journey, suite=how, **({"motif_arret": "A trouvé un emploi."} if how == "arret" else {}))
    journey = ended(journey)
    assert journey.end_event == end_event
    if how == "arret":
        assert "Accompagnement CEP arrêté : A trouvé un emploi." in timeline(journey)


def test_a_project_not_validated_ends_the_journey_with_its_reasons(ctx):
    journey = open_cep()
    level1(journey, suite="validation")
    validate_project(journey, "non_valide")
    journey = ended(journey)
    assert journey.end_event == "fin_non_valide"
    assert any(s.startswith("Projet non validé : ") for s in timeline(journey))


def test_a_resignation_project_gets_its_attestation_before_the_funding_plan(ctx):
    journey = open_cep()
    level1(journey, suite="validation", demission_reconversion=True)
    validate_project(journey)
    attestation = the_task(journey, "attestation_demission")
    do(ADVISER, attestation, {
        "demarches_realisees": "Enquête métier, immersion de deux semaines en EHPAD.",
        "connaissance_metier": "Connaît les horaires décalés et la charge physique.",
        "formation_visee": "Diplôme d'État d'aide-soignant", "organisme_formation": "IFAS de Tours",
        "programme_formation": "Modules 1 à 10 et stages.", "calendrier_formation": "Septembre à juin",
        "cout_formation": "8 400", "perspectives_emploi": "Fortes tensions de recrutement en Touraine.",
        "avis": "reel_serieux", "lieu_attestation": "Tours", "date_attestation": today()})
    done = db.session.get(HumanTask, attestation.id)
    assert done.data["cout_formation"] == "8400.00"
    the_task(journey, "plan_financement")


def test_the_person_stops_at_the_plan_or_before_the_training_and_open_requests_are_withdrawn(ctx):
    journey = open_cep()
    to_plan(journey)
    do(ADVISER, the_task(journey, "plan_financement"), {"decision_plan": "arret", "motif_arret": "Déménage."})
    assert ended(journey).end_event == "fin_arret" and plans(journey) == []

    journey = open_cep()
    to_plan(journey)
    plan(journey, FUNDED)
    submit_all(journey)
    decide(journey, "CPF", "accorde")
    decide(journey, "Transitions", "accorde")
    do(ADVISER, the_task(journey, "confirmer_entree"), {"entree": "arret", "motif_arret": "Raisons de santé."})
    assert ended(journey).end_event == "fin_arret"
    assert plans(journey)[-1].status == "arrete"


def test_every_funder_refusing_leads_to_a_plan_the_person_pays_and_needs_no_request(ctx):
    journey = open_cep()
    to_plan(journey)
    plan(journey, FUNDED)
    submit_all(journey)
    decide(journey, "CPF", "refuse")
    decide(journey, "Transitions", "refuse")
    plan(journey, {"personne": "8400"}, balance="")
    # nothing to ask anyone: straight to the training start
    the_task(journey, "confirmer_entree")
    assert [(r.funder.code, r.status) for r in plans(journey)[-1].requests] == [("personne", "sans_objet")]


@pytest.mark.parametrize("amounts, balance, field, words", [
    ({"cpf": "3200", "transitions_pro": "5000"}, "3200", "financements", "il manque 200,00"),
    ({"cpf": "3200", "transitions_pro": "5300"}, "3200", "financements", "de trop"),
    ({"cpf": "4000", "transitions_pro": "4400"}, "3200", "financements", "son solde est de 3\u00a0200,00"),
    ({"cpf": "3200", "transitions_pro": "5200"}, "", "solde_cpf", "solde CPF"),
    ({"cpf": "3200,001", "transitions_pro": "5200"}, "3200", "financements", "illisible"),
])
def test_a_plan_that_does_not_add_up_cannot_be_sent_and_the_form_says_why(ctx, amounts, balance, field, words):
    journey = open_cep()
    to_plan(journey)
    with pytest.raises(InvalidData) as refused:
        plan(journey, amounts, balance=balance)
    assert words in refused.value.fields[field]
    db.session.rollback()
    assert plans(journey) == [] and the_task(journey, "plan_financement")


def test_amounts_typed_the_french_way_add_up_to_the_cent(ctx):
    journey = open_cep()
    to_plan(journey)
    plan(journey, {"cpf": "1 000,10", "abondement_etat": "0,10", "personne": "7 399,80"}, cost="8 000", other="400",
         balance="1 500,00")
    [row] = plans(journey)
    assert [r.amount_requested for r in row.requests] == [Decimal("1000.10"), Decimal("0.10"), Decimal("7399.80")]
    assert row.total_cost == Decimal("8400.00")


def test_a_partial_grant_must_lie_below_the_amount_asked(ctx):
    journey = open_cep()
    to_plan(journey)
    plan(journey, FUNDED)
    submit_all(journey)
    with pytest.raises(InvalidData) as refused:
        decide(journey, "Transitions", "partiel", "5200")
    assert "inférieur au montant demandé (5\u00a0200,00\u00a0€)" in refused.value.fields["montant_accorde"]


def test_a_funder_silent_past_its_deadline_is_signalled_to_the_adviser(now):  # noqa: F811
    """Submitted on Monday 27 April: after 15 working days without a decision (19 May, with 1, 8
    and 14 May off), the structure is told to chase the funder, and the request is marked reminded."""
    journey = open_cep()
    to_plan(journey)
    plan(journey, {"cpf": "3200", "transitions_pro": "5200"})
    submit_all(journey)
    deadline = add_working_days(now.current, 15)
    assert fire_at(now, deadline - (deadline - now.current) / 2) == 0
    assert fire_at(now, deadline.replace(hour=10)) == 1
    requests = plans(journey)[0].requests
    assert all(r.reminded_at is not None for r in requests)
    reminders = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "relance_financement")).all()
    assert len(reminders) == 2 and all(m.to_structure_id == structure("apec-tours").id for m in reminders)
    assert len(request_tasks(journey, "decision_financeur")) == 2  # still waiting for the decisions


def test_a_request_not_deposited_in_time_is_signalled_to_the_adviser(now):  # noqa: F811
    """A plan sent on Monday 27 April whose requests are still not deposited 5 working days later
    (5 May, with 1 May off): the structure is told which funder is waiting for its file."""
    journey = open_cep()
    to_plan(journey)
    plan(journey, {"cpf": "3200", "transitions_pro": "5200"})
    assert fire_at(now, add_working_days(now.current, 5).replace(hour=10)) == 1
    subjects = sorted(m.subject for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "relance_financement")))
    assert subjects == ["Demande de financement à déposer : CPF (compte personnel de formation du titulaire)",
                        "Demande de financement à déposer : Transitions Pro — projet de transition professionnelle (PTP)"]
    assert len(request_tasks(journey, "preparer_demande")) == 2


def test_another_structures_cep_adviser_sees_nothing_of_the_journey(ctx):
    journey = open_cep()
    task = the_task(journey, "accueil_individualise")
    other = get_user("thomas.petit")  # CEP adviser at the APEC in Orléans
    with pytest.raises(NotFound):
        task_for(other, task.id)
    with pytest.raises(NotFound):
        person_for(other, journey.person_id)
    assert task.id not in {t.id for t in task_list(other, "queue", per_page=500).items}
    with pytest.raises(NotFound):
        complete_task(other, task.id, {"date_entretien": today()})


def test_only_a_cep_adviser_of_a_cep_operator_opens_a_cep_journey(ctx):
    with pytest.raises(Forbidden):
        start_journey(get_user("isabelle.roux"), "cep")  # counsellor of a CIO, not a CEP operator
    with pytest.raises(Forbidden):
        start_journey(get_user("karim.benali"), "cep")  # Mission Locale, but no CEP adviser role
    journey = start_journey(get_user(ADVISER), "cep")
    db.session.commit()
    assert the_task(journey, "accueil_individualise").assignee_id == get_user(ADVISER).id


def test_a_counsellor_of_a_structure_that_is_no_cep_operator_refers_to_one_who_opens_the_cep(ctx):
    """The CIO d'Orléans answers « CEP »: the referral journey offers CEP operators only; the APEC of
    Tours accepts, confirms the first contact, and its CEP journey opens in its advisers' queue."""
    cio = "isabelle.roux"
    reception = start_journey(get_user(cio), "accueil")
    db.session.commit()
    from test_orientation import welcome
    do(cio, the_task(reception, "accueillir"), welcome(public="salarie", annee_naissance=1987))
    do(cio, the_task(reception, "analyser_demande"),
       {"thematiques": ["choisir-un-metier--confirmer-son-choix-de-metier"], "besoins": "Reconversion.",
        "urgence": "normale", "reponse": "cep"})
    choice = the_task(reception, "choisir_partenaire")
    from webapp.queries.task_choices import partner_options
    options = partner_options(get_user(cio), choice)
    chosen_ids = {c[0] for c in options["choices"]}
    assert structure("apec-tours").id in chosen_ids and structure("cio-tours").id not in chosen_ids
    from webapp.queries.task_choices import allowed_partner_ids
    assert allowed_partner_ids(get_user(cio), choice) == chosen_ids  # a completion accepts what the form offers
    assert options["suggestions"] and all(s.structure.cep_operator for s in options["suggestions"])
    with pytest.raises(InvalidData):
        do(cio, choice, {"decision": "orienter", "partenaire_id": structure("crij-orleans").id, "motif": "CEP"})
    db.session.rollback()
    do(cio, the_task(reception, "choisir_partenaire"),
       {"decision": "orienter", "partenaire_id": structure("apec-tours").id, "motif": "Projet de reconversion."})
    do(cio, the_task(reception, "informer_personne"),
       {"donnees_partagees": ["identite", "coordonnees", "demande"], "personne_informee": True,
        "mode_information": "entretien"})
    do(ADVISER, the_task(reception, "traiter_orientation"), {"reponse": "accepter", "date_premier_rdv": today()})
    do(ADVISER, the_task(reception, "confirmer_premier_contact"),
       {"premier_contact": "confirme", "date_premier_contact": today()})
    reception = ended(reception)
    assert reception.end_event == "fin_orientation_cep"
    cep = db.session.scalar(select(Journey).where(Journey.person_id == reception.person_id, Journey.process_key == "cep"))
    assert cep.structure_id == structure("apec-tours").id
    first = the_task(cep, "accueil_individualise")
    assert (first.structure_id, first.assignee_id) == (structure("apec-tours").id, get_user(ADVISER).id)
    assert in_days(0) == today()
