"""The demo's CEP journeys (`spro seed-demo`): the issue's story can be played in the browser with
them. CEP operators of five networks have advisers in four départements; Sophie Marchand (APEC de
Tours) has a journey at every stage, Claire Martin (Mission Locale de l'Orléanais) a démission-
reconversion project and a late funding request; the CIO d'Orléans refers an employee to the APEC
d'Orléans. Seeded once into its own SQLite file, like tests/test_demo.py."""
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from webapp import clock, create_app
from webapp.config import TestConfig
from webapp.demo import seed_demo
from webapp.demo_people import seed_demo_people
from webapp.extensions import db
from webapp.models import (AuditEvent, FundingPlan, FundingRequest, HumanTask, Journey, OutboxMessage, Person,
                           Referral, Structure, User)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo_cep") / "demo.sqlite"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        seed_demo()
        seed_demo_people()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def seeded(demo):
    with demo.app_context():
        yield
        db.session.remove()


def _structure(slug: str) -> Structure:
    return db.session.scalar(select(Structure).where(Structure.slug == slug))


def _cep_journeys(slug: str) -> list[Journey]:
    return db.session.scalars(select(Journey).where(Journey.process_key == "cep",
                                                    Journey.structure_id == _structure(slug).id)).all()


def _open_tasks(journey: Journey) -> list[str]:
    return sorted(db.session.scalars(select(HumanTask.bpmn_id).where(
        HumanTask.journey_id == journey.id, HumanTask.status == "ouverte")))


def _done(journey: Journey, bpmn_id: str) -> list[HumanTask]:
    return db.session.scalars(select(HumanTask).where(
        HumanTask.journey_id == journey.id, HumanTask.status == "terminee", HumanTask.bpmn_id == bpmn_id)).all()


def _plans(journey: Journey) -> list[FundingPlan]:
    return db.session.scalars(select(FundingPlan).where(FundingPlan.journey_id == journey.id)
                              .order_by(FundingPlan.number)).all()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_cep_operators_of_five_networks_have_advisers_in_four_departements(seeded):
    advisers = [u for u in db.session.scalars(select(User)) if "conseiller_cep" in (u.roles or [])]
    assert all(u.structure.cep_operator for u in advisers)
    networks = {u.structure.network for u in advisers}
    assert {"france_travail", "apec", "mission_locale", "cap_emploi", "transitions_pro"} <= networks
    assert len({u.structure.departement for u in advisers}) >= 4
    # each adviser has CEP journeys to show on her screen
    with_journeys = {j.structure_id for j in db.session.scalars(select(Journey).where(Journey.process_key == "cep"))}
    assert {u.structure_id for u in advisers} <= with_journeys


def test_sophie_marchand_has_a_cep_journey_at_every_stage(seeded):
    journeys = _cep_journeys("apec-tours")
    waiting = Counter(task for j in journeys for task in _open_tasks(j))
    assert {"accueil_individualise", "accompagnement_personnalise", "plan_financement",
            "confirmer_entree"} <= set(waiting)
    # level 2 with two sessions already done
    level2 = next(j for j in journeys if _open_tasks(j) == ["accompagnement_personnalise"])
    assert len(_done(level2, "accompagnement_personnalise")) == 2
    # the story: 8 400 €, CPF 3 200 € granted, Transitions Pro granted in part: plan n°2 to build
    revising = next(j for j in journeys if _open_tasks(j) == ["plan_financement"])
    [first] = _plans(revising)
    assert (first.status, first.total_cost) == ("a_reviser", Decimal("8400.00"))
    lines = {r.funder.code: (r.status, r.amount_requested, r.amount_granted) for r in first.requests}
    assert lines == {"cpf": ("accordee", Decimal("3200.00"), Decimal("3200.00")),
                     "transitions_pro": ("partielle", Decimal("5200.00"), Decimal("3700.00"))}
    # funded, waiting for a training that starts after today
    funded = next(j for j in journeys if _open_tasks(j) == ["confirmer_entree"])
    assert _plans(funded)[-1].status == "finance" and _plans(funded)[-1].start_date > clock.now().date()
    # a request sent 25 working days ago still without decision: reminded, late on her screen
    late = db.session.scalars(select(FundingRequest).where(
        FundingRequest.structure_id == _structure("apec-tours").id, FundingRequest.status == "deposee")).all()
    assert any(r.reminded_at is not None and r.remind_at < clock.now() for r in late)
    # and one that ended with the training start
    started = [j for j in journeys if j.end_event == "fin_entree_formation"]
    assert started and _plans(started[0])[-1].status == "entree_confirmee"


def test_claire_martin_has_a_late_funding_request_and_a_demission_attestation(seeded):
    now = clock.now()
    journeys = _cep_journeys("ml-orleans")
    assert any(_open_tasks(j) == ["valider_projet"] for j in journeys)
    late = db.session.scalars(select(FundingRequest).where(
        FundingRequest.structure_id == _structure("ml-orleans").id, FundingRequest.status == "deposee",
        FundingRequest.remind_at < now)).all()
    assert late and all(r.reminded_at is not None and r.remind_at <= r.reminded_at < now for r in late)
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "relance_financement",
        OutboxMessage.to_structure_id == _structure("ml-orleans").id)) is not None
    attested = [j for j in journeys if _done(j, "attestation_demission")]
    assert attested
    attestation = _done(attested[0], "attestation_demission")[0].data
    assert attestation["avis"] == "reel_serieux" and attestation["cout_formation"] == "5800.00"
    statuses = {r.status for r in _plans(attested[0])[-1].requests}
    assert statuses == {"deposee", "sans_objet"}  # sent; the person's own share needs no request


def test_every_demo_plan_adds_up_and_requests_follow_their_deadlines(seeded):
    now = clock.now()
    plans = db.session.scalars(select(FundingPlan)).all()
    assert len(plans) >= 8 and any(p.number == 2 for p in plans)
    for plan in plans:
        assert sum((r.amount_requested for r in plan.requests), Decimal("0.00")) == plan.total_cost
    for request in db.session.scalars(select(FundingRequest).where(FundingRequest.submitted_at.is_not(None))):
        assert request.submitted_at < now.date()
        if request.status == "deposee" and request.remind_at > now:
            assert request.reminded_at is None
    statuses = Counter(r.status for r in db.session.scalars(select(FundingRequest)))
    assert {"deposee", "accordee", "partielle", "refusee", "reprise", "sans_objet"} <= set(statuses)
    ends = {j.end_event for j in db.session.scalars(select(Journey).where(Journey.process_key == "cep"))}
    assert {None, "fin_information", "fin_arret", "fin_entree_formation"} <= ends
    assert all(j.started_at < now - timedelta(days=1) for j in
               db.session.scalars(select(Journey).where(Journey.process_key == "cep")))


def test_the_cio_dorleans_refers_an_employee_to_a_cep_operator(seeded):
    referral = db.session.scalar(select(Referral).where(
        Referral.from_structure_id == _structure("cio-orleans").id,
        Referral.to_structure_id == _structure("apec-orleans").id, Referral.purpose == "cep"))
    assert referral is not None and referral.status == "ouverte"
    task = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == referral.journey_id,
                                                     HumanTask.status == "ouverte"))
    assert (task.bpmn_id, task.structure_id) == ("traiter_orientation", _structure("apec-orleans").id)


def test_seeding_twice_adds_nothing(seeded):
    models = (Person, Journey, HumanTask, FundingPlan, FundingRequest, Referral, OutboxMessage, AuditEvent)
    before = [_count(model) for model in models]
    assert seed_demo_people() == 0
    db.session.expire_all()
    assert [_count(model) for model in models] == before
