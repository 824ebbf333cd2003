"""Opening a journey's workflow instance: shared by a person starting one and by a journey's
service task that starts another (the reception's CEP branch, a CEP referral reaching its operator)."""
from .. import clock
from ..errors import InvalidData, NotFound
from ..extensions import db
from ..models import Journey, Person
from ..queries.definition_content import current_content
from ..workflow import EngineError, Instance
from . import audit
from .task_index import save_state

# What a journey's diagram reads before any step has written it.
START_DATA = {"cep": {"suite": None, "decision_projet": None, "decision_plan": None, "bilan_plan": None,
                      "demission_reconversion": None}}


def open_journey(actor, process_key: str, person: Person, structure_id: int, services_factory,
                 data: dict | None = None, keep: bool = False) -> tuple[Journey, list]:
    """Create the journey row and start its instance on the current version; no access check
    (callers decide who may). Returns the journey and its first open tasks; with `keep`, the actor
    keeps those their structure and role allow. The person may be new (not yet written): it is
    written with the journey, so that the person's index is built once."""
    with db.session.no_autoflush:  # a new person is written with the journey, in one flush
        version = current_content(process_key)  # a light statement; specs and forms come from the cache
    if version is None:
        raise NotFound(f"Aucune version publiée du parcours « {process_key} ».")
    now = clock.now()
    journey = Journey(
        definition_version_id=version.id, process_key=process_key, person=person,
        structure_id=structure_id, status="en_cours", state="{}", started_at=now,
        started_by_id=getattr(actor, "id", None),
    )
    db.session.add(journey)
    db.session.flush()
    start = dict(START_DATA.get(process_key, {}))
    if person.public:
        start["public"] = person.public
    start.update(data or {})
    try:
        instance = Instance.start(version.spec_json, start or None, services=services_factory(journey, actor))
    except EngineError as exc:
        raise InvalidData(f"Le parcours n'a pas pu démarrer : {exc}") from exc
    created = save_state(journey, instance, actor, keep=keep)
    audit.record(actor, "journey.started", f"Parcours « {version.name} » démarré",
                 person_id=person.id, journey_id=journey.id)
    return journey, created
