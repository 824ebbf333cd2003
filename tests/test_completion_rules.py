"""The completion operation applies the same rules as the screens, whoever calls it (screens,
API, demo): typed values in their official form, rules comparing with earlier steps, and the
partner choices the page offers."""
from datetime import timedelta

import pytest

from conftest import get_user
from sqlalchemy import func, select
from test_orientation import (RECEIVER, answer, do, send, start_referral, structure, the_task,
                              welcome)

from webapp import clock
from webapp.config import Config
from webapp.errors import InvalidData
from webapp.extensions import db
from webapp.models import AuditEvent, HumanTask, Journey, Person, Referral
from webapp.operations.journeys import complete_task


def _day(offset: int) -> str:
    return (clock.now().date() + timedelta(days=offset)).isoformat()


def test_phone_commune_and_french_dates_are_stored_in_their_official_form(ctx):
    journey = start_referral(person=welcome(telephone="0698123456", commune="orleans"))
    person = db.session.get(Person, journey.person_id)
    assert (person.telephone, person.commune) == ("06 98 12 34 56", "Orléans")
    send(journey)
    day = clock.now().date() + timedelta(days=3)
    answer(journey, {"reponse": "accepter", "date_premier_rdv": day.strftime("%d/%m/%Y")})
    referral = db.session.scalar(select(Referral).where(Referral.journey_id == journey.id))
    assert referral.first_appointment_at.date() == day


def test_a_first_contact_before_the_appointment_needs_an_explanation_whoever_completes(ctx):
    journey = start_referral()
    send(journey)
    answer(journey, {"reponse": "accepter", "date_premier_rdv": _day(5)})
    task = the_task(journey, "confirmer_premier_contact")
    with pytest.raises(InvalidData) as refused:
        do(RECEIVER, task, {"premier_contact": "confirme", "date_premier_contact": _day(0)})
    assert set(refused.value.fields) == {"contact_anticipe"}
    db.session.rollback()
    do(RECEIVER, task, {"premier_contact": "confirme", "date_premier_contact": _day(0),
                        "contact_anticipe": "La personne est venue plus tôt, sans rendez-vous."})
    assert db.session.scalar(select(Referral.status).where(
        Referral.journey_id == journey.id)) == "aboutie"


def test_a_receiver_cannot_redirect_to_the_structure_in_charge(ctx):
    journey = start_referral()
    send(journey)
    with pytest.raises(InvalidData) as refused:
        answer(journey, {"reponse": "rediriger", "partenaire_redirection_id": structure("ml-orleans").id,
                         "commentaire": "Retour", "personne_informee": True})
    assert refused.value.fields == {"partenaire_redirection_id": "Choisissez une structure de la liste."}


def test_dates_far_from_today_and_unstorable_text_are_refused_on_their_field(ctx):
    journey = start_referral()
    send(journey)
    for day, message in ((_day(400), "plus d'un an"), ("9999-12-31", "plus d'un an")):
        with pytest.raises(InvalidData) as refused:
            answer(journey, {"reponse": "accepter", "date_premier_rdv": day})
        assert message in refused.value.fields["date_premier_rdv"]
        db.session.rollback()
    with pytest.raises(InvalidData) as refused:
        answer(journey, {"reponse": "refuser", "motif_refus": "autre", "commentaire": "a\x00b"})
    assert "caractère non permis" in refused.value.fields["commentaire"]


def test_a_step_that_runs_the_engine_past_its_budget_makes_an_incident_and_keeps_nothing(ctx, monkeypatch):
    """One advance of the engine has a step budget: past it, the step is refused, nothing it would
    have written is kept, and the journey is marked as an incident for the process owners."""
    journey = start_referral()  # waits at the partner choice; sending it runs several engine steps
    task = the_task(journey, "choisir_partenaire")
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    monkeypatch.setattr(Config, "ENGINE_STEP_BUDGET", 2, raising=False)
    with pytest.raises(InvalidData) as refused:
        complete_task(get_user("claire.martin"), task.id, {"decision": "abandonner", "motif_abandon": "Plus de besoin."})
    assert "incident" in refused.value.message
    db.session.expire_all()
    journey = db.session.get(Journey, journey.id)
    assert journey.status == "incident" and journey.incident
    assert db.session.get(HumanTask, task.id).status == "ouverte"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
