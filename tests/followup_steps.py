"""A follow-up questionnaire sent, for the screens' catalogue: a reception ended with documentation
for a person who agreed, its follow-up due now, the worker's pass queuing the message."""
import re

from conftest import get_user
from sqlalchemy import select
from test_orientation import do, the_task, welcome
from test_processes import analyse

from webapp import clock
from webapp.extensions import db
from webapp.models import Followup, OutboxMessage, Person
from webapp.operations.followups import worker_pass
from webapp.operations.journeys import start_journey


def questionnaire_token(username: str = "claire.martin") -> str:
    """The token of a questionnaire link just queued (read from the message before it is sent)."""
    journey = start_journey(get_user(username), "accueil")
    db.session.commit()
    do(username, the_task(journey, "accueillir"), welcome(prenom="Maëlle", nom="Suivi", email="maelle.suivi@example.org"))
    do(username, the_task(journey, "analyser_demande"), analyse("documentation"))
    db.session.get(Person, journey.person_id).contact_consent_at = clock.now()
    followup = db.session.scalar(select(Followup).where(Followup.journey_id == journey.id))
    followup.due_at = clock.now()
    db.session.commit()
    from flask import current_app
    saved, current_app.config["PUBLIC_URL"] = current_app.config.get("PUBLIC_URL"), "http://localhost"
    try:
        worker_pass()
    finally:
        current_app.config["PUBLIC_URL"] = saved
    body = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.kind == "suivi")
                              .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"/suivi/([A-Za-z0-9_-]{32,64})\n", body).group(1)
