"""Completing or correcting a person's identity and profile (dossier)."""
from .. import clock, communes
from ..errors import Forbidden, InvalidData
from ..queries.people import person_for
from ..queries.referrals import has_full_access
from ..task_forms import clean, expand, validate
from . import audit

IDENTITY_SCHEMA = {
    "type": "object",
    "title": "Identité et situation",
    "additionalProperties": False,
    "properties": {
        "prenom": {"type": "string", "title": "Prénom", "maxLength": 120},
        "nom": {"type": "string", "title": "Nom", "maxLength": 120},
        "annee_naissance": {"type": "integer", "title": "Année de naissance", "x-check": "annee_naissance",
                            "description": "Quatre chiffres, par exemple 2007."},
        "telephone": {"type": "string", "title": "Téléphone", "maxLength": 40, "x-check": "telephone",
                      "description": "Par exemple 06 12 34 56 78 ; un numéro étranger commence par + "
                                     "et l'indicatif du pays."},
        "email": {"type": "string", "title": "Courriel", "maxLength": 200, "x-check": "email",
                  "description": "Par exemple prenom.nom@exemple.fr."},
        "public": {"type": "string", "title": "Public", "x-vocabulary": "publics_spro"},
        "commune": {"type": "string", "title": "Commune de résidence", "maxLength": 120, "x-check": "commune",
                    "description": "Nom ou code postal d'une commune du Centre-Val de Loire, "
                                   "par exemple « Vineuil (41350) »."},
    },
}


def identity_schema() -> dict:
    return expand(IDENTITY_SCHEMA)


def update_identity(actor, person_id: int, data: dict):
    """Set the identity fields given (identity can be added after an anonymous welcome)."""
    person = person_for(actor, person_id)
    if not has_full_access(actor, person):
        raise Forbidden("Seule la structure qui accompagne la personne peut modifier son identité.")
    schema = identity_schema()
    data = clean(schema, data)  # the same checks and spellings as the welcome form
    errors = validate(schema, data)
    if errors:
        raise InvalidData("Le formulaire contient des erreurs : corrigez les champs signalés.", errors)
    changed = sorted(k for k in IDENTITY_SCHEMA["properties"] if getattr(person, k) != data.get(k))
    before = {k: getattr(person, k) for k in changed}  # the rectification, as the person may ask to see it
    for name in IDENTITY_SCHEMA["properties"]:
        setattr(person, name, data.get(name))
    commune = communes.resolve(data.get("commune"))
    person.commune_code = commune.code if commune else None
    person.last_contact_at = clock.now()
    if changed:
        audit.record(actor, "person.updated", "Identité mise à jour", person_id=person.id,
                     detail={"fields": changed, "before": before, "after": {k: data.get(k) for k in changed}})
    return person
