"""Demo follow-ups: a dozen demo people with an e-mail agree to be asked for their opinion, and a few
dozen anonymous answers (services ended over the last months, several structures), each with its spent
questionnaire and one left unanswered, give the indicators something to count. Idempotent: nothing is
added when answers exist."""
from sqlalchemy import func, select

from . import clock
from .extensions import db
from .models import Followup, FollowupAnswer, Person, Structure
from .operations.followups import add_months

COMMENTS = ("Conseillère très à l'écoute, j'ai trouvé ma formation.", "Il a fallu attendre trois semaines.",
            "Les fiches métiers m'ont beaucoup aidé.", None, None, None)
CONSENTING = 12
# (months before now, network, found, fit) of the demo answers
ANSWERS = [(m, network, found, fit) for m in (1, 2, 3, 4, 5, 6)
           for network, found, fit in (("mission_locale", "oui", 5), ("cio", "partiellement", 4),
                                       ("mission_locale", "non", 2), ("apec", "oui", 4))]


def seed_demo_followups() -> int:
    """Once (no answer yet): consent for a dozen demo people who have an e-mail, anonymous answers."""
    now = clock.now()
    if db.session.scalar(select(func.count()).select_from(FollowupAnswer)):
        return 0
    # a dozen of the demo people with an e-mail agreed (not all: the demo's worker would write to each)
    for person in db.session.scalars(select(Person).where(Person.email.is_not(None), Person.merged_into_id.is_(None))
                                     .order_by(Person.id).limit(CONSENTING)):
        person.contact_consent_at = person.created_at or now
    by_network = {}
    for structure in db.session.scalars(select(Structure).order_by(Structure.id)):
        by_network.setdefault(structure.network, structure)
    added = 0
    for index, (months, network, found, fit) in enumerate(ANSWERS):
        structure = by_network.get(network)
        if structure is None:
            continue
        process, month = "cep" if network == "apec" else "accueil", add_months(now, -6 - months).strftime("%Y-%m")
        db.session.add(FollowupAnswer(structure_id=structure.id, process_key=process, service_end_month=month,
                                      found=found, structure_fit=fit, comment=COMMENTS[index % len(COMMENTS)]))
        # the questionnaire it answered, and one more left unanswered, as the worker leaves them
        for status in ("repondu", "expire"):
            db.session.add(Followup(structure_id=structure.id, process_key=process, service_end_month=month,
                                    status=status))
        added += 1
    db.session.commit()
    return added
