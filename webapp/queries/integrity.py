"""The integrity check (`spro check`): each journey's engine state against what the database says of it.

For each journey, its stored workflow state is restored (never advanced: no service runs, nothing is
written) and compared with its row (status, end, next timer), its task index rows, its referrals and
the audit events of its completed steps. Read-only and not scoped to a structure: it is an operator's
tool. Journeys are read by batches of `batch` rows in id order, each batch in a transaction of its own
(REPEATABLE READ on PostgreSQL, so a journey moving meanwhile is seen whole, before or after) that is
rolled back; whatever the session held uncommitted before the check is dropped.
"""
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import AuditEvent, DefinitionVersion, HumanTask, Journey, Person, Referral, Structure
from ..models.referrals import REFERRAL_STATES
from ..workflow import Instance

PARIS = ZoneInfo("Europe/Paris")
JOURNEY_STATUSES = {"en_cours": "en cours", "terminee": "terminé", "incident": "en incident"}
TASK_STATUSES = {"ouverte": "ouverte", "terminee": "terminée", "annulee": "annulée"}
# The referral journey's steps that wait on a referral's receiver, and the referral state each one goes with
# (processes/orientation.bpmn, operations/referral_services.py): `envoyer` creates the referral « ouverte »
# and opens the answer in the receiver's queue; `accepter` makes it « acceptee » and opens the confirmation
# of the first contact there; every other service closes it along with the step that waited on it.
WAITING_STEPS = {"ouverte": "traiter_orientation", "acceptee": "confirmer_premier_contact"}
CLOSED_STATES = ("refusee", "expiree", "aboutie", "reaffectee")  # closed_at set by the service that closes
ANSWERED_STATES = ("acceptee", "redirigee", "refusee", "aboutie")  # answered_at set by the receiver's answer
# The audit purge (worker) may run with a clock slightly ahead of the check's, or during it.
RETENTION_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Difference:
    """One inconsistency of one journey, in French for a process owner or an administrator."""
    journey_id: int
    what: str


def _refusing_services(name, params, data):
    """Handed to the engine instead of the real services: the check must never run one."""
    raise RuntimeError(f"La vérification n'exécute aucune opération de service ({name}).")


def _when(moment: datetime | None) -> str:
    """A stored naive UTC instant, as Paris time to the second."""
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)
    return local.strftime("%d/%m/%Y à %H:%M:%S")


def _second(moment: datetime | None) -> datetime | None:
    return moment.replace(microsecond=0) if moment is not None else None


@dataclass
class _Batch:
    """Everything one batch of journeys needs, read in a fixed number of statements."""
    journeys: list
    tasks: dict
    referrals: dict
    audited: set
    anonymised: set


class _Checker:
    """Reads batches and checks journeys; caches what does not change (versions, structure names)."""

    def __init__(self):
        self.specs: dict[int, tuple[str, str]] = {}  # version id -> (spec_json, « name » version n)
        self.structures = dict(db.session.execute(select(Structure.id, Structure.name)).all())
        days = current_app.config.get("AUDIT_RETENTION_DAYS", 365)
        self.audit_horizon = clock.now() - timedelta(days=days) + RETENTION_MARGIN

    def structure(self, structure_id) -> str:
        return self.structures.get(structure_id, f"structure n°{structure_id}")

    def version(self, version_id: int) -> tuple[str, str]:
        if version_id not in self.specs:
            row = db.session.execute(select(DefinitionVersion.spec_json, DefinitionVersion.version,
                                            DefinitionVersion.name).where(DefinitionVersion.id == version_id)).one()
            self.specs[version_id] = (row.spec_json, f"« {row.name} » version {row.version}")
        return self.specs[version_id]

    def read(self, after: int, wanted: list[int] | None, size: int) -> _Batch:
        query = select(Journey.id, Journey.definition_version_id, Journey.status, Journey.incident,
                       Journey.state, Journey.next_timer_at, Journey.ended_at).where(Journey.id > after)
        if wanted is not None:
            query = query.where(Journey.id.in_(wanted))
        journeys = db.session.execute(query.order_by(Journey.id).limit(size)).all()
        ids = [j.id for j in journeys]
        tasks, referrals = defaultdict(list), defaultdict(list)
        if not ids:
            return _Batch([], tasks, referrals, set(), set())
        for row in db.session.execute(select(
                HumanTask.id, HumanTask.journey_id, HumanTask.person_id, HumanTask.task_uuid, HumanTask.bpmn_id,
                HumanTask.title, HumanTask.status, HumanTask.structure_id, HumanTask.definition_version_id,
                HumanTask.completed_at, HumanTask.completed_by_id)
                .where(HumanTask.journey_id.in_(ids)).order_by(HumanTask.id)):
            tasks[row.journey_id].append(row)
        for row in db.session.execute(select(
                Referral.id, Referral.journey_id, Referral.status, Referral.to_structure_id, Referral.answered_at,
                Referral.closed_at).where(Referral.journey_id.in_(ids)).order_by(Referral.id)):
            referrals[row.journey_id].append(row)
        # Audit events are found through their person (indexed), as the audit trail has no journey index.
        people = sorted({t.person_id for rows in tasks.values() for t in rows
                         if t.completed_by_id is not None and t.completed_at is not None
                         and t.completed_at >= self.audit_horizon})
        audited, anonymised = set(), set()
        for start in range(0, len(people), 1000):
            chunk = people[start:start + 1000]
            for (detail,) in db.session.execute(select(AuditEvent.detail).where(
                    AuditEvent.person_id.in_(chunk), AuditEvent.action == "task.completed")):
                if isinstance(detail, dict) and isinstance(detail.get("task_id"), int):
                    audited.add(detail["task_id"])
            anonymised.update(db.session.scalars(select(Person.id).where(
                Person.id.in_(chunk), Person.anonymised_at.is_not(None))))
        return _Batch(journeys, tasks, referrals, audited, anonymised)

    # -- one journey ------------------------------------------------------------------------------
    def check(self, journey, batch: _Batch) -> Iterator[str]:
        tasks, referrals = batch.tasks.get(journey.id, []), batch.referrals.get(journey.id, [])
        yield from self._rows(journey, tasks, batch)
        yield from self._referral_rows(referrals)
        try:
            spec_json, _label = self.version(journey.definition_version_id)
            instance = Instance.restore(spec_json, journey.state, services=_refusing_services)
            ready = instance.ready_user_tasks()
            completed, stalled, next_timer = instance.completed, instance.stalled(), instance.next_timer_at()
        except Exception as exc:  # noqa: BLE001  (a state the engine cannot read is itself the difference)
            yield f"l'état du moteur ne peut pas être relu ({type(exc).__name__} : {str(exc)[:200]})"
            return
        yield from self._status(journey, completed, stalled)
        yield from self._index(journey, tasks, ready)
        if journey.status != "incident":
            yield from self._timer(journey, next_timer)
        yield from self._waits(referrals, tasks)

    def _status(self, journey, completed: bool, stalled: bool) -> Iterator[str]:
        status = journey.status
        if status not in JOURNEY_STATUSES:
            yield f"statut « {status} » inconnu"
        elif status == "terminee":
            if not completed:
                yield "le parcours est marqué terminé mais le moteur ne l'a pas fini"
            if journey.ended_at is None:
                yield "le parcours est marqué terminé sans date de fin"
        elif status == "en_cours":
            if completed:
                yield "le parcours est marqué en cours mais le moteur l'a fini"
            elif stalled:
                yield "le parcours est marqué en cours mais le moteur ne peut plus avancer (incident non signalé)"
            if journey.ended_at is not None:
                yield f"le parcours est marqué en cours mais une fin est enregistrée le {_when(journey.ended_at)}"
        elif not (journey.incident or "").strip():
            yield "le parcours est marqué en incident sans motif enregistré"

    def _index(self, journey, tasks, ready) -> Iterator[str]:
        by_uuid = {t.task_uuid: t for t in tasks}
        open_rows = {t.task_uuid: t for t in tasks if t.status == "ouverte"}
        waited = {info.uuid: info for info in ready}
        if journey.status == "terminee" and open_rows:
            yield f"{len(open_rows)} tâche(s) encore ouverte(s) dans la file alors que le parcours est terminé"
        for uuid, row in open_rows.items():
            info = waited.get(uuid)
            if info is None:
                yield f"tâche « {row.title} » ouverte dans la file mais le moteur ne l'attend pas"
            elif info.bpmn_id != row.bpmn_id:
                yield (f"tâche « {row.title} » ouverte dans la file pour l'étape « {row.bpmn_id} » mais le "
                       f"moteur attend l'étape « {info.bpmn_id} »")
            if row.definition_version_id != journey.definition_version_id:
                row_on = self.version(row.definition_version_id)[1]
                yield (f"tâche « {row.title} » ouverte sur {row_on} alors que le parcours est sur "
                       f"{self.version(journey.definition_version_id)[1]}")
        for uuid, info in waited.items():
            if uuid in open_rows:
                continue
            row = by_uuid.get(uuid)
            if row is None:
                yield f"le moteur attend « {info.title} » mais aucune tâche n'est ouverte dans la file"
            else:
                yield (f"le moteur attend « {info.title} » mais sa tâche est marquée "
                       f"{TASK_STATUSES.get(row.status, row.status)} dans la file")

    def _rows(self, journey, tasks, batch: _Batch) -> Iterator[str]:
        """Each task row against itself, and the audit event of each step a person completed."""
        for row in tasks:
            if row.status not in TASK_STATUSES:
                yield f"tâche « {row.title} » au statut « {row.status} » inconnu"
            elif row.status == "terminee" and (row.completed_at is None or row.completed_by_id is None):
                yield f"tâche « {row.title} » marquée terminée sans date ou sans auteur"
            elif row.status == "annulee" and row.completed_at is None:
                yield f"tâche « {row.title} » marquée annulée sans date"
            elif (row.status == "terminee" and row.completed_at >= self.audit_horizon
                  and row.person_id not in batch.anonymised and row.id not in batch.audited):
                yield (f"tâche « {row.title} » terminée le {_when(row.completed_at)} sans son entrée "
                       "« Étape enregistrée » dans le journal d'audit")

    def _referral_rows(self, referrals) -> Iterator[str]:
        for ref in referrals:
            if ref.status not in REFERRAL_STATES:
                yield f"orientation n°{ref.id} au statut « {ref.status} » inconnu"
            elif ref.status in CLOSED_STATES and ref.closed_at is None:
                yield f"orientation n°{ref.id} {REFERRAL_STATES[ref.status].lower()} sans date de clôture"
            elif ref.status in ANSWERED_STATES and ref.answered_at is None:
                yield f"orientation n°{ref.id} {REFERRAL_STATES[ref.status].lower()} sans date de réponse"

    def _waits(self, referrals, tasks) -> Iterator[str]:
        """An open referral waits on its receiver's answer, an accepted one on the first contact: both ways."""
        for status, step in WAITING_STEPS.items():
            pending = Counter(r.to_structure_id for r in referrals if r.status == status)
            waiting = Counter(t.structure_id for t in tasks if t.status == "ouverte" and t.bpmn_id == step)
            label = REFERRAL_STATES[status].lower()
            for structure_id in sorted(pending - waiting):
                ids = ", ".join(f"n°{r.id}" for r in referrals
                                if r.status == status and r.to_structure_id == structure_id)
                yield (f"orientation {ids} vers {self.structure(structure_id)} {label} mais aucune tâche ouverte "
                       "ne l'attend dans la file de cette structure")
            for structure_id in sorted(waiting - pending):
                title = next(t.title for t in tasks if t.status == "ouverte" and t.bpmn_id == step
                             and t.structure_id == structure_id)
                yield (f"tâche « {title} » ouverte dans la file de {self.structure(structure_id)} sans orientation "
                       f"{label} vers cette structure")

    def _timer(self, journey, next_timer) -> Iterator[str]:
        stored, expected = _second(journey.next_timer_at), _second(next_timer)
        if stored == expected:
            return
        if expected is None:
            yield f"prochaine échéance enregistrée le {_when(stored)} mais le moteur n'attend aucune échéance"
        elif stored is None:
            yield f"aucune prochaine échéance enregistrée mais le moteur attend le {_when(expected)}"
        else:
            yield f"prochaine échéance enregistrée le {_when(stored)} mais le moteur attend le {_when(expected)}"


def _begin_batch() -> None:
    """A snapshot of its own for each batch on PostgreSQL; SQLite reads what is committed."""
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def journey_differences(journey_ids: Iterable[int] | None = None, batch: int = 500, *,
                        progress: Callable[[int], None] | None = None) -> Iterator[Difference]:
    """Every difference found, journey by journey in id order (only `journey_ids` when given).

    Streams: at most `batch` journeys (with their tasks, referrals and audit ids) are held at once.
    `progress(n)` is told how many journeys each batch checked (the command counts them with it)."""
    wanted = sorted({int(i) for i in journey_ids}) if journey_ids is not None else None
    after = 0
    try:
        _begin_batch()
        checker = _Checker()
        while True:
            current = checker.read(after, wanted, batch)
            if not current.journeys:
                return
            found = [Difference(j.id, what) for j in current.journeys for what in checker.check(j, current)]
            after = current.journeys[-1].id
            if progress is not None:
                progress(len(current.journeys))
            _begin_batch()  # the batch's rows are dropped before the caller sees its differences
            yield from found
    finally:
        db.session.rollback()
