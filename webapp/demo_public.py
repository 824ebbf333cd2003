"""Demo requests sent from the public page « Trouver une structure »: two visitors waiting in the
reception queues of the CIO d'Orléans and of the Mission Locale d'Orléans (idempotent)."""
from sqlalchemy import select

from .demo_people_data import DEMO_PEOPLE_DOMAIN
from .extensions import db
from .models import ContactRequest, Person, Structure
from .operations.contact_requests import request_contact

REQUESTS = (
    ("cio-orleans", {"nom": "Maëlys", "email": f"maelys.public@{DEMO_PEOPLE_DOMAIN}", "public": "scolaire",
                     "besoin": "choisir-un-metier", "commune": "Olivet",
                     "message": "Je suis en seconde et je ne sais pas quelle spécialité choisir pour l'an prochain."}),
    ("ml-orleans", {"nom": "Yanis", "telephone": "06 98 76 54 32", "public": "demandeur_emploi",
                                "besoin": "trouver-un-emploi", "commune": "Saint-Jean-de-Braye",
                                "message": "J'ai arrêté mon CAP et je cherche un apprentissage ou un travail."}),
)


def seed_demo_public() -> int:
    """Add the demo requests unless one of them is there; return how many were added."""
    if db.session.scalar(select(ContactRequest.id).join(Person, Person.id == ContactRequest.person_id)
                         .where(Person.prenom == "Maëlys").limit(1)) is not None:
        return 0
    added = 0
    for slug, values in REQUESTS:
        structure_id = db.session.scalar(select(Structure.id).where(Structure.slug == slug))
        if structure_id is not None:
            request_contact(structure_id, {**values, "consentement": "oui"})
            added += 1
    db.session.commit()
    return added
