"""« Être recontacté·e »: a visitor of the public page asks a structure to contact them.

The request opens a reception journey (`accueil`) in that structure's queue, for a new person
holding the contact given, with a deadline in working days. No user acts: the journey is opened
by `PublicRequester`, who belongs to the chosen structure for the audit trail (so the entry shows
in that structure's timeline of the dossier) and holds no role, so nobody is assigned the task.
"""
from dataclasses import dataclass, field

from .. import clock, communes, form_checks
from ..errors import InvalidData, NotFound
from ..extensions import db
from ..models import ContactRequest, Person
from ..queries.public_finder import needs, public_structure, publics
from ..workdays import add_working_days
from . import audit
from .journey_opening import open_journey
from .notifications import public_link, queue_message
from .people import IDENTITY_SCHEMA
from .services import services_for

CONSENT_TEXT = ("J'accepte que la structure choisie enregistre ces informations pour me recontacter et "
                "m'accompagner dans le cadre du service public régional de l'orientation. Je peux demander "
                "à les consulter, les corriger ou les effacer auprès de cette structure.")
# The person's contact fits the reception form's limits (its identity schema), hence the person columns.
NAME_MAX = IDENTITY_SCHEMA["properties"]["prenom"]["maxLength"]  # stored as person.prenom
EMAIL_MAX = IDENTITY_SCHEMA["properties"]["email"]["maxLength"]
PHONE_MAX = IDENTITY_SCHEMA["properties"]["telephone"]["maxLength"]
MESSAGE_MAX = 1000  # contact_request.message is Text: a length chosen for the reader, not the column
DEFAULT_DUE_WORKING_DAYS = 2
REQUIRED = "Ce champ est obligatoire."
HIDDEN_FIELDS = ("public", "besoin", "commune")  # the search's choices, carried by the form


@dataclass
class PublicRequester:
    """The actor of a public request: nobody signed in, speaking for the chosen structure."""
    structure_id: int
    id: None = None
    roles: list = field(default_factory=list)

    def has_role(self, _role: str) -> bool:
        return False


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _unstorable(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def _too_long(text: str, limit: int) -> str | None:
    return f"{limit} caractères au plus (vous en avez saisi {len(text)})." if len(text) > limit else None


def check(data: dict) -> tuple[dict, dict]:
    """(clean values, {field: French message}) for the form's fields."""
    errors, values = {}, {}
    for name in ("nom", "email", "telephone", "message", "public", "besoin", "commune"):
        values[name] = _text(data, name)
        if _unstorable(values[name]):
            if name in HIDDEN_FIELDS:
                values[name] = ""
            else:
                errors[name] = "Ce texte contient des caractères non pris en charge : retapez-le."
    if not values["nom"]:
        errors.setdefault("nom", REQUIRED)
    elif _too_long(values["nom"], NAME_MAX):
        errors.setdefault("nom", _too_long(values["nom"], NAME_MAX))
    if not values["email"] and not values["telephone"]:
        errors.setdefault("email", "Indiquez un courriel ou un numéro de téléphone pour qu'on vous recontacte.")
    if values["email"]:
        problem = _too_long(values["email"], EMAIL_MAX) or form_checks.check_email(values["email"])
        if problem:
            errors.setdefault("email", problem)
    if values["telephone"]:
        problem = _too_long(values["telephone"], PHONE_MAX) or form_checks.check_telephone(values["telephone"])
        if not problem:  # as the reception form, the length that counts is the one written (« ext. » adds some)
            values["telephone"] = form_checks.clean_phone(values["telephone"])
            if len(values["telephone"]) > PHONE_MAX:
                problem = f"Ce numéro fait plus de {PHONE_MAX} caractères une fois mis en forme : raccourcissez-le."
        if problem:
            errors.setdefault("telephone", problem)
    if not values["message"]:
        errors.setdefault("message", REQUIRED)
    elif _too_long(values["message"], MESSAGE_MAX):
        errors.setdefault("message", _too_long(values["message"], MESSAGE_MAX))
    # The search's choices ride along as hidden fields: an unknown one is dropped, not held against the visitor.
    if values["public"] not in dict(publics()):
        values["public"] = ""
    if values["besoin"] not in dict(needs()):
        values["besoin"] = ""
    if data.get("consentement") not in ("oui", True):
        errors["consentement"] = "Cochez cette case pour que la structure puisse vous recontacter."
    return values, errors


def request_contact(structure_id: int, data: dict, due_working_days: int = DEFAULT_DUE_WORKING_DAYS):
    """Record the request and open its reception journey in the structure's queue; returns the
    ContactRequest. Raises InvalidData (nothing written) when a field is wrong."""
    structure = public_structure(structure_id)
    if structure is None:
        raise NotFound("Cette structure n'existe pas ou n'accueille pas de public.")
    values, errors = check(data)
    if errors:
        raise InvalidData("Le formulaire contient des erreurs : corrigez les champs signalés.", errors)
    commune = communes.resolve(values["commune"]) if values["commune"] else None
    now = clock.now()
    person = Person(prenom=values["nom"], email=values["email"] or None,
                    telephone=values["telephone"] or None, public=values["public"] or None,
                    commune=commune.nom if commune else None, commune_code=commune.code if commune else None,
                    created_at=now, last_contact_at=now, created_by_structure_id=structure.id)
    db.session.add(person)
    actor = PublicRequester(structure_id=structure.id)
    journey, created = open_journey(actor, "accueil", person, structure.id, services_for)
    due_at = add_working_days(now, due_working_days)
    for task in created:
        task.due_at = due_at
    request = ContactRequest(structure_id=structure.id, person_id=person.id, journey_id=journey.id,
                             public=values["public"] or None, theme=values["besoin"] or None,
                             commune_code=commune.code if commune else None, message=values["message"],
                             consent_text=CONSENT_TEXT, created_at=now)
    db.session.add(request)
    if structure.email:  # the visitor's words stay in the application, not in the e-mail
        queue_message("demande_publique", structure.email, "Nouvelle demande de recontact (page publique)",
                      f"Une personne demande à être recontactée par {structure.name} depuis la page publique "
                      f"« Trouver une structure ». Sa demande attend dans la file de votre structure, "
                      f"à traiter avant le {due_at:%d/%m/%Y}.\n\nDossier : {public_link(f'/personnes/{person.id}')}",
                      to_structure_id=structure.id, person_id=person.id)
    audit.record(actor, "public.contact_request", "Demande de recontact reçue par la page publique",
                 person_id=person.id, journey_id=journey.id,
                 detail={"source": "page_publique", "besoin": values["besoin"] or None,
                         "consentement": CONSENT_TEXT})
    db.session.flush()
    return request
