"""Finding people: GET /api/v1/people?q= (search) or the list of people followed."""
from marshmallow import Schema, fields, validate

from ..operations import audit
from ..queries.people_search import RESULTS, followed_people, search_people
from .auth import current_actor
from .blueprint import bp
from .openapi import doc
from .schemas import TEXT, Page, PersonSchema, RequestSchema, UtcDateTime, load_args


class PeopleArgs(RequestSchema):
    q = fields.String(load_default=None, error_messages=TEXT, validate=validate.Length(
        max=200, error="200 caractères au maximum."), metadata={
        "description": "Mots cherchés (nom, prénom, année de naissance, téléphone, courriel, commune) : "
                       "début des mots, sans accents ni ordre. Absent : les personnes suivies."})
    page = Page(metadata={"description": "Sans « q » seulement"})


class PersonItemSchema(PersonSchema):
    """A person as the dossier shows them (shared fields only when referred to the structure)."""
    last_contact_at = UtcDateTime()
    in_progress = fields.Boolean(metadata={"description": "Parcours ou orientation en cours dans ma structure"})


class PeopleSchema(Schema):
    items = fields.List(fields.Nested(PersonItemSchema))
    total = fields.Integer(allow_none=True, metadata={"description": "Sans « q » : nombre de personnes suivies"})
    more = fields.Boolean(metadata={"description": "Avec « q » : d'autres résultats existent, précisez"})


@bp.get("/people")
@doc("Chercher une personne", tag="Dossiers", query=PeopleArgs, response=PeopleSchema, errors=(400,))
def people():
    """Les personnes que ma structure peut voir qui correspondent à « q » (50 au plus, contact le plus
    récent d'abord), ou, sans « q », les personnes suivies (parcours en cours, contacts récents)."""
    args = load_args(PeopleArgs())
    actor = current_actor()
    if args["q"] and args["q"].strip():
        rows, more = search_people(actor, args["q"], RESULTS)
        audit.people_shown(actor, "person.search", "Recherche de personnes (API)", [r.person.id for r in rows])
        return PeopleSchema().dump({"items": rows, "total": None, "more": more})
    rows, total = followed_people(actor, page=args["page"])
    audit.people_shown(actor, "person.list_read", "Personnes suivies consultées (API)", [r.person.id for r in rows])
    return PeopleSchema().dump({"items": rows, "total": total, "more": total > args["page"] * 25})
