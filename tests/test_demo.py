"""Reference data apart from the demo, and a demo that looks alive: people at every stage of
their journeys, built through the operations with the clock moved back. Each test module database
here is its own fresh SQLite file (the session database stays without journeys)."""
import json
from collections import Counter
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask import current_app
from sqlalchemy import func, select

from webapp import clock, communes, create_app, reference
from webapp.cli import main
from webapp.config import Config, TestConfig
from webapp.demo import seed_everything
from webapp.demo_data import USERS
from webapp.demo_people import seed_demo_people
from webapp.extensions import db
from webapp.models import (AuditEvent, BassinCommune, HumanTask, Journey, OutboxMessage, Person,
                           Referral, Structure, Territory, User)
from webapp.reference import load_reference
from webapp.workdays import add_working_days


def _fresh_app(path):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
    return app


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A fresh database after `spro seed-demo`: reference, directory, users, then the people."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    app = _fresh_app(path)
    with app.app_context():
        _logins, people = seed_everything()  # as `spro seed-demo` does
        assert people >= 36
        db.session.remove()
    yield app, path
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def seeded(demo):
    """The seeded demo database's application context, for one test."""
    app, path = demo
    with app.app_context():
        yield path
        db.session.remove()


def test_reference_alone_creates_territories_and_real_bassins_but_no_demo_data(tmp_path):
    """`spro load-reference` on an empty database: the six départements, the 22 bassins d'emploi
    2019 holding every commune once, the funders of training plans, and no structure, user or person;
    run twice, nothing more."""
    app = _fresh_app(tmp_path / "reference.sqlite")
    with app.app_context():
        created = load_reference()
        db.session.commit()
        kinds = Counter(db.session.scalars(select(Territory.kind)))
        assert kinds == {"departement": 6, "bassin": 22}
        assert created == {"departements": 6, "bassins": 22, "communes": len(communes.all_communes()),
                           "financeurs": len(reference.FUNDERS)}
        assert _count(BassinCommune) == len(communes.all_communes())
        assert (_count(Structure), _count(User), _count(Person), _count(Journey)) == (0, 0, 0, 0)
        # The real bassins of France Travail, not groups by postal code: Le Blanc (36) lies in the
        # bassin of Argenton-sur-Creuse, Gien (45) has its own bassin.
        bassin_of = dict(db.session.execute(select(BassinCommune.commune_code, BassinCommune.bassin_code)).all())
        assert bassin_of["36018"] == "2409" and db.session.get(Territory, "2409").name == "Bassin d'Argenton-sur-Creuse"
        assert bassin_of["45155"] == "2420" and db.session.get(Territory, "2420").name == "Bassin de Gien"
        assert load_reference() == {"departements": 0, "bassins": 0, "communes": 0, "financeurs": 0}
        db.session.remove()
        db.engine.dispose()


def test_demo_structures_carry_the_real_bassin_of_their_commune(seeded):
    bassin_of = dict(db.session.execute(select(BassinCommune.commune_code, BassinCommune.bassin_code)).all())
    structures = db.session.scalars(select(Structure)).all()
    assert structures
    for structure in structures:
        assert structure.bassin == bassin_of[structure.commune_code], structure.slug


def test_every_stage_of_the_journeys_exists_after_seeding(seeded):
    referrals = db.session.scalars(select(Referral)).all()
    statuses = Counter(r.status for r in referrals)
    assert {"ouverte", "acceptee", "aboutie", "refusee", "redirigee", "expiree", "reaffectee"} <= set(statuses)
    open_ones = [r for r in referrals if r.status == "ouverte"]
    assert any(r.reminded_at is None for r in open_ones)                                # just sent
    assert any(r.reminded_at and r.escalated_at is None for r in open_ones)             # late, reminded
    assert any(r.escalated_at for r in open_ones)                                       # escalated
    assert any(r.previous_id for r in referrals)                   # redirected or reassigned chains
    # the README's receiver (CIO d'Orléans) has an urgent referral waiting for her answer
    assert any(r.urgent and r.to_structure.slug == "cio-orleans" for r in open_ones)
    # refused, then the sender chose another partner
    refused_journeys = {r.journey_id for r in referrals if r.status == "refusee"}
    assert any(r.journey_id in refused_journeys and r.status != "refusee" and r.previous_id is None
               for r in referrals)
    ends = Counter(j.end_event for j in db.session.scalars(select(Journey)))
    assert {"fin_documentation", "fin_prise_en_charge", "fin_orientation", None} <= set(ends)
    open_tasks = set(db.session.scalars(select(HumanTask.bpmn_id).where(HumanTask.status == "ouverte")))
    assert {"accueillir", "analyser_demande", "entretien_information", "seance_conseil", "accueil_individualise",
            "choisir_partenaire", "traiter_orientation", "confirmer_premier_contact"} <= open_tasks
    sessions = Counter(db.session.scalars(select(HumanTask.journey_id).where(
        HumanTask.bpmn_id == "seance_conseil", HumanTask.status == "terminee")))
    assert max(sessions.values()) >= 3
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.abandoned")) is not None
    kinds = set(db.session.scalars(select(OutboxMessage.kind)))
    assert {"arrivee", "relance", "escalade", "expiration", "acceptation", "refus", "redirection", "aboutie",
            "reaffectation"} <= kinds


def test_demo_people_are_spread_dated_in_the_past_and_consistent_with_the_deadlines(seeded):
    now = clock.now()
    people = db.session.scalars(select(Person)).all()
    assert any(p.nom is None for p in people) and sum(p.nom is not None for p in people) >= 30
    journeys = db.session.scalars(select(Journey)).all()
    assert len({j.structure.departement for j in journeys}) == 6
    assert len({j.structure_id for j in journeys}) >= 10
    starts = [j.started_at for j in journeys]
    assert max(starts) < now and min(starts) < now - timedelta(days=60)
    cfg = current_app.config
    for referral in db.session.scalars(select(Referral)):
        assert referral.sent_at < now
        assert referral.remind_at == add_working_days(referral.sent_at, cfg["REFERRAL_REMINDER_DAYS"])
        assert referral.expire_at == add_working_days(referral.sent_at, cfg["REFERRAL_EXPIRY_DAYS"])
        if referral.reminded_at:  # fired by the timers, when due
            assert referral.remind_at <= referral.reminded_at < now
        elif referral.status == "ouverte":
            assert referral.remind_at > now
        if referral.status == "expiree":
            assert referral.expire_at <= referral.closed_at < now
    assert all(m.created_at < now for m in db.session.scalars(select(OutboxMessage)))


def test_seeding_twice_adds_nothing_and_json_lists_the_logins(seeded, monkeypatch):
    path = seeded
    models = (Territory, BassinCommune, Structure, User, Person, Journey, HumanTask, Referral, OutboxMessage,
              AuditEvent)
    before = [_count(model) for model in models]
    db.session.rollback()
    monkeypatch.setattr(Config, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{path}")
    result = CliRunner().invoke(main, ["seed-demo", "--json"])
    assert result.exit_code == 0, result.output
    assert [row["username"] for row in json.loads(result.output)] == [u["username"] for u in USERS]
    db.session.expire_all()
    assert [_count(model) for model in models] == before
    assert seed_demo_people() == 0


def test_db_upgrade_of_a_real_deployment_loads_the_reference_without_the_demo(tmp_path, monkeypatch):
    """A deployment that only runs `spro db upgrade` has its territories, and no demo data."""
    url = f"sqlite:///{tmp_path / 'deployment.sqlite'}"
    monkeypatch.setattr(Config, "SQLALCHEMY_DATABASE_URI", url)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "22 bassin(s) d'emploi" in result.output
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        assert _count(Territory) == 28 and _count(BassinCommune) == len(communes.all_communes())
        assert (_count(Structure), _count(User), _count(Person)) == (0, 0, 0)
        db.session.remove()
        db.engine.dispose()
