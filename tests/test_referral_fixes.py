"""Referral journeys: the fixes of issue 6 point 3 (reassignment after a redirection, comments
carried to the sender, urgency, anonymous birth year, the re-choice assigned to the sender,
abandoned outcomes and dated timeline entries)."""
from sqlalchemy import select

from conftest import get_user
from test_orientation import (SENDER, RECEIVER, accept, analysis, answer, confirm, do, latest_referral,
                              messages, open_tasks, referrals_of, send, start_referral, structure,
                              the_task)
from webapp.extensions import db
from webapp.operations.referrals import reassign_referral


def test_reassigning_a_redirected_referral_reaches_the_structure_the_coordinator_chose(ctx):
    """Mission Locale -> CIO, which redirects to the APEC; the Loiret coordinator hands it to
    France Travail: does France Travail get « Répondre à l'orientation reçue », sent from the
    CIO's redirection chain, and nothing go back to the CIO?"""
    journey = start_referral()
    send(journey)
    answer(journey, {"reponse": "rediriger", "partenaire_redirection_id": structure("apec-orleans").id,
                     "commentaire": "L'APEC suit les cadres.", "personne_informee": True})
    stuck = latest_referral(journey)
    assert stuck.to_structure.slug == "apec-orleans"
    new = reassign_referral(get_user("olivier.lambert"), stuck.id, structure("ft-orleans").id,
                            "APEC injoignable.", True)
    db.session.commit()
    assert new.to_structure.slug == "ft-orleans" and new.previous_id == stuck.id
    assert new.from_structure.slug == "cio-orleans"
    task = the_task(journey, "traiter_orientation")
    assert task.structure_id == structure("ft-orleans").id
    accept(journey, "lucas.moreau")
    assert [r.status for r in referrals_of(journey)] == ["redirigee", "reaffectee", "acceptee"]
