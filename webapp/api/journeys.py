"""Starting journeys and reading a person's dossier."""
from ..operations import audit
from ..operations.journeys import start_journey
from ..queries.people import journeys_of, open_tasks, person_for, timeline
from ..queries.referrals import path_of, person_view
from ..queries.tasks import open_tasks_of_journey
from .auth import current_actor
from .blueprint import bp
from .errors import write_transaction
from .openapi import doc
from .schemas import DossierSchema, JourneyStartedSchema, StartJourneyRequest, load_body

# Schemas hold no state between dumps: one instance each, not one per request.
_DOSSIER_SCHEMA = DossierSchema()
_JOURNEY_STARTED_SCHEMA = JourneyStartedSchema()


def journey_open_tasks(actor, journey) -> list:
    """The open tasks of one journey that the actor's structure can see."""
    return open_tasks_of_journey(actor, journey.id)


@bp.post("/journeys")
@doc("Démarrer un parcours", tag="Parcours", body=StartJourneyRequest, response=JourneyStartedSchema,
     status=201, errors=(400, 403, 404))
def start():
    """Démarre un parcours pour un dossier existant, ou pour une nouvelle personne (anonyme d'abord)."""
    body = load_body(StartJourneyRequest())
    actor = current_actor()
    with write_transaction():
        journey = start_journey(actor, body["process_key"], body["person_id"])
        # written before the commit, from the rows in hand: after it, every row would be read again
        answer = _JOURNEY_STARTED_SCHEMA.dump({"journey": journey, "tasks": journey_open_tasks(actor, journey)})
    return answer, 201


@bp.get("/people/<int:person_id>")
@doc("Lire un dossier", tag="Dossiers", response=DossierSchema, errors=(404,))
def person(person_id):
    """La personne, ses parcours, ses tâches ouvertes et l'historique ; la consultation est tracée."""
    actor = current_actor()
    found = person_for(actor, person_id)
    audit.defer(actor, "person.read", "Dossier consulté (API)", person_id=found.id)  # once the answer is built
    return _DOSSIER_SCHEMA.dump({"person": person_view(actor, found), "referrals": path_of(actor, found),
                                 "journeys": journeys_of(actor, found),
                                 "open_tasks": open_tasks(actor, found), "timeline": timeline(actor, found)})
