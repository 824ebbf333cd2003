"""Opening a reception (« Nouvel accueil ») for a new dossier with what is already known."""
from ..errors import InvalidData
from ..task_forms import validate
from .journeys import start_journey
from .people import identity_schema, update_identity

NEW_PERSON_FIELDS = ("prenom", "nom", "annee_naissance", "telephone", "email")


def open_reception(actor, identity: dict):
    """Start the reception journey for a new person, with the identity typed at « Nouvel
    accueil » (checked like the dossier's identity form), or anonymous when none is given."""
    given = {k: v for k, v in identity.items() if k in NEW_PERSON_FIELDS and v not in (None, "")}
    if given:
        schema = identity_schema()
        errors = validate({**schema, "properties": {k: schema["properties"][k] for k in NEW_PERSON_FIELDS}}, given)
        if errors:
            raise InvalidData("Le formulaire contient des erreurs : corrigez les champs signalés.", errors)
    journey = start_journey(actor, "accueil")
    if given:
        update_identity(actor, journey.person_id, given)
    return journey
