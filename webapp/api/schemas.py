"""Marshmallow schemas: request bodies and query strings in, JSON answers out."""
import re
from datetime import timezone

from flask import g, request
from marshmallow import Schema, ValidationError, fields, validate

from ..converters import MAX_ID, MAX_PAGE
from ..errors import InvalidData
from ..queries.referrals import person_view
from ..queries.tasks import TaskRow, earlier_answers
from .errors import InvalidRequest
from .forms import published_form
from .json_body import NOT_JSON, json_body

REQUIRED = {"required": "Ce champ est obligatoire.", "null": "Ce champ ne peut pas être vide."}
TEXT = {**REQUIRED, "invalid": "Saisissez un texte."}
INTEGER = {**REQUIRED, "invalid": "Saisissez un nombre entier.", "too_large": "Nombre trop grand."}
OBJECT = {**REQUIRED, "invalid": "Saisissez un objet JSON."}


class WholeNumber(fields.Integer):
    """An integer; in a query string, ASCII digits only (int() also reads "١٢٣" and "１２３")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,30}", value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def Page(**kwargs):
    """A page number: 1 to MAX_PAGE."""
    return WholeNumber(load_default=1, error_messages=INTEGER, validate=validate.Range(
        min=1, max=MAX_PAGE, error=f"La page doit être un nombre entre 1 et {MAX_PAGE}."), **kwargs)


def RecordId(**kwargs):
    """The id of a row: a positive integer a database column holds."""
    return WholeNumber(strict=True, error_messages=INTEGER, validate=validate.Range(
        min=1, max=MAX_ID, error="Identifiant invalide : un nombre entier positif est attendu."), **kwargs)


class UtcDateTime(fields.DateTime):
    """Naive UTC datetimes (the storage convention) written as ISO 8601 with their offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.replace(tzinfo=timezone.utc).isoformat()


# --- Requests -------------------------------------------------------------------------------

class RequestSchema(Schema):
    error_messages = {"unknown": "Champ inconnu.", "type": "Un objet JSON est attendu."}


class TokenRequest(RequestSchema):
    username = fields.String(required=True, error_messages=TEXT)
    password = fields.String(required=True, error_messages=TEXT, load_only=True)


class TaskListArgs(RequestSchema):
    scope = fields.String(load_default="mine", error_messages=TEXT, validate=validate.OneOf(
        ("mine", "queue"), error="Choisissez « mine » (mes tâches) ou « queue » (la file)."),
        metadata={"description": "mine : mes tâches ; queue : la file de ma structure"})
    journey = fields.String(load_default=None, error_messages=TEXT,
                            metadata={"description": "Clé du parcours (ex. accueil)"})
    task = fields.String(load_default=None, error_messages=TEXT,
                         metadata={"description": "Identifiant BPMN de la tâche"})
    person = fields.String(load_default=None, error_messages=TEXT,
                           metadata={"description": "Numéro de dossier, nom ou prénom"})
    page = Page()


class ReferralListArgs(RequestSchema):
    direction = fields.String(load_default="received", error_messages=TEXT, validate=validate.OneOf(
        ("received", "sent", "territory"), error="Choisissez « received », « sent » ou « territory »."),
        metadata={"description": "received : reçues par ma structure ; sent : envoyées par elle ; "
                                 "territory : celles du territoire (coordinateur·rice local·e)"})
    status = fields.String(load_default=None, error_messages=TEXT, validate=validate.OneOf(
        ("ouverte", "acceptee", "refusee", "redirigee", "expiree", "aboutie", "abandonnee", "en_cours",
         "en_retard", "escaladees"), error="État inconnu."))
    page = Page()


class ReassignRequest(RequestSchema):
    user_id = RecordId(required=True)


class CompleteRequest(RequestSchema):
    data = fields.Dict(keys=fields.String(), required=True, error_messages=OBJECT,
                       metadata={"description": "Données du formulaire de la tâche"})


class StartJourneyRequest(RequestSchema):
    process_key = fields.String(required=True, error_messages=TEXT)
    person_id = RecordId(load_default=None, allow_none=True,
                         metadata={"description": "Dossier existant ; absent : nouvelle personne"})


def _flatten(messages: dict) -> dict:
    return {name: (value[0] if isinstance(value, list) and value and isinstance(value[0], str)
                   else "Valeur invalide.") for name, value in messages.items()}


def _load(schema: Schema, payload):
    try:
        return schema.load(payload)
    except ValidationError as exc:
        errors = _flatten(exc.messages) if isinstance(exc.messages, dict) else {}
        raise InvalidRequest("La requête contient des erreurs : corrigez les champs signalés.",
                             errors) from exc


# Text no database stores: U+0000 (PostgreSQL refuses it) and lone surrogates (not UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT = "Ce texte contient un caractère non permis (caractère nul ou invalide) : retirez-le."


def _unstorable(value) -> bool:
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def _refuse_unstorable(payload: dict):
    """Refuse text that could not be stored, naming its field: form data (`data`) like any invalid
    form (422, per form field), any other body field as a bad request (400)."""
    form = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    in_form = {str(name): UNSTORABLE_TEXT for name, value in form.items()
               if _unstorable(name) or _unstorable(value)}
    elsewhere = {str(name): UNSTORABLE_TEXT for name, value in payload.items()
                 if not (name == "data" and form) and (_unstorable(name) or _unstorable(value))}
    if elsewhere:
        raise InvalidRequest("La requête contient des erreurs : corrigez les champs signalés.", elsewhere)
    if in_form:
        raise InvalidData("Le formulaire contient des erreurs : corrigez les champs signalés.", in_form)


def load_body(schema: Schema) -> dict:
    """The JSON object body, validated by `schema` (400 when absent, not an object or invalid)."""
    payload = json_body()
    if not isinstance(payload, dict):
        raise InvalidRequest(NOT_JSON)
    _refuse_unstorable(payload)
    return _load(schema, payload)


def load_args(schema: Schema) -> dict:
    """The query string, validated by `schema`."""
    args = request.args.to_dict()
    _refuse_unstorable(args)
    return _load(schema, args)


# --- Answers --------------------------------------------------------------------------------

class UserRef(Schema):
    username = fields.String()
    full_name = fields.String()


class StructureRef(Schema):
    name = fields.String()


class TaskSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    bpmn_id = fields.String()
    process_key = fields.String()
    journey_id = fields.Integer()
    person_id = fields.Integer()
    person_name = fields.Function(lambda task: task.person_name if isinstance(task, TaskRow)
                                  else person_view(g.api_user, task.person).display_name)
    role = fields.String()
    structure = fields.Pluck(StructureRef, "name")
    assignee = fields.Pluck(UserRef, "username", allow_none=True)
    status = fields.String(metadata={"enum": ["ouverte", "terminee", "annulee"]})
    due_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


CHOICE = {"type": "object", "required": ["const", "title"], "properties": {
    "const": {"description": "Valeur à envoyer"},
    "title": {"type": "string", "description": "Libellé à afficher"},
    "description": {"type": "string", "description": "Structures suggérées : raisons de la suggestion"}}}
FORM = {"type": "object", "properties": {
    "schema": {"type": "object", "description":
               "JSON Schema 2020-12 du formulaire, lisible seul. Chaque champ à choix (liste, "
               "vocabulaire, structure partenaire) donne toutes les valeurs permises dans "
               "« oneOf » (ou « items.oneOf » pour une liste à cocher) : [{const, title}]. Pour un "
               "champ de structure (« x-source » : « partenaires »), les structures suggérées "
               "viennent d'abord, avec les raisons de la suggestion en « description », puis toutes "
               "les autres structures que vous pouvez choisir. Un métier (« x-check » : « rome ») "
               "donne les fiches ROME en « oneOf » ; un numéro de certification (« x-check » : "
               "« certification ») et un montant (« x-amount », et chaque financeur du champ "
               "« x-vocabulary » : « financeurs ») ont leur « pattern » : RNCP35830 ou RS5063, "
               "8400 ou 8400.50 euros. Règles vérifiées par le serveur que "
               "JSON Schema ne sait pas dire : « x-check » (email, telephone, commune, "
               "annee_naissance, rome, certification), « x-date » (past : pas après aujourd'hui ; future : pas avant "
               "aujourd'hui) et « x-not-before » (une date antérieure à celle d'une étape "
               "précédente demande le champ d'explication nommé) ; une valeur qui ne les respecte "
               "pas est refusée (422) avec un message sur son champ.",
               "properties": {"properties": {"type": "object", "additionalProperties": {
                   "type": "object", "properties": {
                       "oneOf": {"type": "array", "items": CHOICE},
                       "items": {"type": "object", "properties": {
                           "oneOf": {"type": "array", "items": CHOICE}}}}}}}},
    "ui": {"type": "object", "description": "Schéma d'interface (ordre, widgets)"}}}


class TaskDetailSchema(TaskSchema):
    form = fields.Function(lambda task: published_form(g.api_user, task), metadata=FORM)
    start_values = fields.Function(earlier_answers, metadata={
        "type": "object", "description": "Ce que le formulaire reprend des étapes précédentes (le projet lors "
                                         "d'une nouvelle séance, le plan précédent lors d'une révision), "
                                         "sous les noms de ses champs ; vide sinon."})


class _PageSchema(Schema):
    """A page of a list: subclasses say what the items are."""
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()


class TaskPageSchema(_PageSchema):
    items = fields.List(fields.Nested(TaskSchema))


class CompletionSchema(Schema):
    task = fields.Nested(TaskSchema)
    next_tasks = fields.List(fields.Nested(TaskSchema))


class JourneySummarySchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    status = fields.String()
    person_id = fields.Integer()
    structure = fields.Pluck(StructureRef, "name")


class JourneyStartedSchema(Schema):
    journey = fields.Nested(JourneySummarySchema)
    tasks = fields.List(fields.Nested(TaskSchema))


class PersonSchema(Schema):
    """Dumped from a PersonView: a receiving structure gets only the fields shared with it."""
    id = fields.Integer(attribute="person.id")
    display_name = fields.String()
    full_access = fields.Boolean(attribute="full")
    anonymous = fields.Function(lambda view: not view.full or view.person.is_anonymous_person)
    thematiques = fields.Function(lambda view: view.fields["thematiques"] if "thematiques" in view.fields else None)
    besoins = fields.Function(lambda view: view.fields.get("besoins"))
    prenom = fields.Function(lambda view: view.fields.get("prenom"))
    nom = fields.Function(lambda view: view.fields.get("nom"))
    annee_naissance = fields.Function(lambda view: view.fields.get("annee_naissance"))
    telephone = fields.Function(lambda view: view.fields.get("telephone"))
    email = fields.Function(lambda view: view.fields.get("email"))
    public = fields.Function(lambda view: view.fields.get("public"))
    commune = fields.Function(lambda view: view.fields.get("commune"))


class JourneySchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    status = fields.String(metadata={"enum": ["en_cours", "terminee", "incident"]})
    end_event = fields.String(allow_none=True)
    end_label = fields.String(allow_none=True)
    started_at = UtcDateTime()
    ended_at = UtcDateTime(allow_none=True)


class TimelineEventSchema(Schema):
    at = UtcDateTime()
    user = fields.Pluck(UserRef, "full_name", allow_none=True)
    structure = fields.Pluck(StructureRef, "name", allow_none=True)
    action = fields.String()
    summary = fields.String()


class ReferralSchema(Schema):
    id = fields.Integer()
    journey_id = fields.Integer()
    from_structure = fields.Pluck(StructureRef, "name")
    to_structure = fields.Pluck(StructureRef, "name")
    status = fields.String(metadata={"enum": ["ouverte", "acceptee", "refusee", "redirigee", "expiree",
                                              "aboutie", "abandonnee"]})
    shared_fields = fields.List(fields.String())
    person_informed = fields.Boolean()
    information_mode = fields.String(allow_none=True)
    informed_by = fields.Pluck(UserRef, "username", allow_none=True)
    informed_at = UtcDateTime(allow_none=True)
    sent_at = UtcDateTime()
    answered_at = UtcDateTime(allow_none=True)
    first_appointment_at = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)


def _shared_for(referral):
    """The shared snapshot, for the two ends of the referral and the structure in charge only."""
    mine = g.api_user.structure_id
    if mine in (referral.from_structure_id, referral.to_structure_id, referral.journey.structure_id):
        return referral.shared_data
    return None


class ReferralListItemSchema(ReferralSchema):
    person_id = fields.Integer()
    person_name = fields.Function(lambda referral: person_view(g.api_user, referral.person).display_name
                                  if _shared_for(referral) is not None else None)
    shared_data = fields.Function(_shared_for)
    escalated_at = UtcDateTime(allow_none=True)
    remind_at = UtcDateTime(allow_none=True)
    expire_at = UtcDateTime(allow_none=True)


class ReferralPageSchema(_PageSchema):
    items = fields.List(fields.Nested(ReferralListItemSchema))


class DossierSchema(Schema):
    person = fields.Nested(PersonSchema)
    referrals = fields.List(fields.Nested(ReferralSchema))
    journeys = fields.List(fields.Nested(JourneySchema))
    open_tasks = fields.List(fields.Nested(TaskSchema))
    timeline = fields.List(fields.Nested(TimelineEventSchema))


class TokenSchema(Schema):
    token = fields.String()
    expires_at = UtcDateTime()


class ErrorSchema(Schema):
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "Message par champ en erreur"})
