"""CEP advisers' screens: their structure's CEP journeys by stage, funding requests awaiting a
decision, and the CEP part of a dossier. Always scoped by the user's structure; the stage of a
journey is read from its open tasks (the task index), never from the workflow state."""
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload

from .. import clock
from ..extensions import db
from ..models import Funder, FundingPlan, FundingRequest, HumanTask, Journey, User
from .referrals import display_names
from .pages import Page

# Tabs of « Mes parcours CEP »: key -> label. The in-progress ones are ranked by how far the
# journey went; « termines » holds those ended in the last 12 months.
STAGES = {
    "niveau1": "Niveau 1 — accueil individualisé",
    "niveau2": "Niveau 2 — accompagnement personnalisé",
    "validation": "Validation du projet",
    "financement": "Financement",
    "entree": "Entrée en formation",
    "termines": "Terminés",
}
STAGE_RANKS = {"niveau1": 1, "niveau2": 2, "validation": 3, "financement": 4, "entree": 5}
STEP_STAGES = {
    "accueil_individualise": "niveau1", "accompagnement_personnalise": "niveau2",
    "valider_projet": "validation", "attestation_demission": "validation",
    "plan_financement": "financement", "preparer_demande": "financement",
    "decision_financeur": "financement", "confirmer_entree": "entree",
}
ENDED_WINDOW = timedelta(days=365)
AWAITING = ("a_preparer", "deposee")


def _rank():
    """The furthest stage among a journey's open tasks, as a number (0: none known)."""
    return func.max(case(*[(HumanTask.bpmn_id == step, STAGE_RANKS[stage])
                           for step, stage in STEP_STAGES.items()], else_=0))


_TASK = aliased(HumanTask, name="task")  # made once: a new alias sets up its columns again on first use


def _own_cep(actor):
    return and_(Journey.process_key == "cep", Journey.structure_id == actor.structure_id)


def _mine(actor):
    """A journey with an open task assigned to the actor, or a task the actor completed."""
    task = _TASK
    return exists().where(task.journey_id == Journey.id, or_(
        and_(task.status == "ouverte", task.assignee_id == actor.id), task.completed_by_id == actor.id))


def _in_progress(actor, mine_only: bool):
    """(journey id, stage rank) of the structure's CEP journeys in progress, as a subquery."""
    stmt = (select(Journey.id.label("journey_id"), _rank().label("rank"))
            .join(HumanTask, and_(HumanTask.journey_id == Journey.id, HumanTask.status == "ouverte"))
            .where(_own_cep(actor), Journey.status == "en_cours").group_by(Journey.id))
    if mine_only:
        stmt = stmt.where(_mine(actor))
    return stmt.subquery()


def _ended(actor, mine_only: bool):
    stmt = select(Journey).where(_own_cep(actor), Journey.status == "terminee",
                                 Journey.ended_at >= clock.now() - ENDED_WINDOW)
    return stmt.where(_mine(actor)) if mine_only else stmt


def stage_counts(actor, mine_only: bool = False) -> dict[str, int]:
    """How many journeys each tab holds, in one statement (grouped by stage, plus the ended)."""
    stages = _in_progress(actor, mine_only)
    ended = _ended(actor, mine_only).subquery()
    stmt = union_all(
        select(stages.c.rank, func.count()).group_by(stages.c.rank),
        select(literal(-1), func.count()).select_from(ended))
    by_rank = {rank: stage for stage, rank in STAGE_RANKS.items()} | {-1: "termines"}
    counts = {key: 0 for key in STAGES}
    for rank, count in db.session.execute(stmt):
        if rank in by_rank:
            counts[by_rank[rank]] += count
    return counts


@dataclass
class JourneyRow:
    """One line of « Mes parcours CEP »."""
    journey: Journey
    name: str
    stage: str
    step: HumanTask | None = None  # the open step shown (the earliest due)
    adviser: str | None = None
    plan: FundingPlan | None = None
    plan_granted: Decimal = Decimal("0.00")

    @property
    def late(self) -> bool:
        return bool(self.step and self.step.due_at and self.step.due_at < clock.now())

    @property
    def remaining(self) -> Decimal | None:
        return None if self.plan is None else self.plan.total_cost - self.plan_granted


def cep_journeys(actor, stage: str, *, mine_only: bool = False, page: int = 1, per_page: int = 25,
                 total: int | None = None) -> Page:
    """A page of the structure's CEP journeys at a stage (or ended), with names, the open step,
    the adviser and the latest plan, in a fixed number of statements."""
    page = max(1, page)
    if stage == "termines":
        stmt = _ended(actor, mine_only).order_by(Journey.ended_at.desc(), Journey.id.desc())
        journeys = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    else:
        stages = _in_progress(actor, mine_only)
        stmt = (select(Journey).join(stages, stages.c.journey_id == Journey.id)
                .where(stages.c.rank == STAGE_RANKS[stage])
                .order_by(Journey.started_at.desc(), Journey.id.desc()))
        journeys = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    if total is None:
        total = stage_counts(actor, mine_only)[stage]
    return Page(items=_rows(actor, journeys, stage), total=total, page=page, per_page=per_page)


def _rows(actor, journeys, stage) -> list[JourneyRow]:
    ids = [j.id for j in journeys]
    names = display_names(actor, {j.person_id for j in journeys}) if journeys else {}
    tasks = db.session.scalars(select(HumanTask).where(
        HumanTask.journey_id.in_(ids), HumanTask.status.in_(("ouverte", "terminee")),
        HumanTask.structure_id == actor.structure_id)
        .order_by(HumanTask.completed_at, HumanTask.id)).all()
    user_ids = {t.assignee_id for t in tasks} | {t.completed_by_id for t in tasks}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids - {None})))}
    plans = latest_plans(ids)
    granted = _granted(p.id for p in plans.values())
    rows = {j.id: JourneyRow(j, names.get(j.person_id, ""), stage, plan=plans.get(j.id)) for j in journeys}
    for row in rows.values():
        if row.plan is not None:
            row.plan_granted = granted.get(row.plan.id, Decimal("0.00"))
    last_done: dict[int, int] = {}
    for task in tasks:
        row = rows[task.journey_id]
        if task.status == "terminee":
            if task.completed_by_id:
                last_done[task.journey_id] = task.completed_by_id
        elif row.step is None or (task.due_at or task.created_at) < (row.step.due_at or row.step.created_at):
            row.step = task
    for journey_id, row in rows.items():
        adviser_id = (row.step.assignee_id if row.step else None) or last_done.get(journey_id)
        row.adviser = users[adviser_id].full_name if adviser_id in users else None
    return [rows[i] for i in ids]


def latest_plans(journey_ids) -> dict[int, FundingPlan]:
    """The latest funding plan of each journey, in one statement."""
    latest = (select(FundingPlan.journey_id, func.max(FundingPlan.number).label("number"))
              .where(FundingPlan.journey_id.in_(list(journey_ids))).group_by(FundingPlan.journey_id).subquery())
    plans = db.session.scalars(select(FundingPlan).join(latest, and_(
        latest.c.journey_id == FundingPlan.journey_id, latest.c.number == FundingPlan.number)))
    return {p.journey_id: p for p in plans}


def _granted(plan_ids) -> dict[int, Decimal]:
    rows = db.session.execute(select(FundingRequest.plan_id, func.sum(FundingRequest.amount_granted))
                              .where(FundingRequest.plan_id.in_(list(plan_ids))).group_by(FundingRequest.plan_id))
    return {plan_id: Decimal(total or 0).quantize(Decimal("0.01")) for plan_id, total in rows}


# -- funding requests -------------------------------------------------------------------------
@dataclass
class RequestRow:
    request: FundingRequest
    person_id: int
    name: str
    task_id: int | None
    deadline: object  # datetime: the funder's decision expected by, or the preparation's due date
    late: bool


def funding_requests(actor, *, page: int = 1, per_page: int = 25) -> Page:
    """Requests of the structure's journeys still to prepare or awaiting a decision: late ones
    first, then by deadline; each with the open task of that journey for that funder."""
    task = _TASK
    step = case((FundingRequest.status == "deposee", "decision_financeur"), else_="preparer_demande")
    deadline = case((FundingRequest.status == "deposee", FundingRequest.remind_at), else_=task.due_at)
    late = case((deadline < clock.now(), 0), else_=1)
    stmt = (select(FundingRequest, FundingPlan.person_id, task.id, deadline.label("deadline"), late.label("late"))
            .join(FundingPlan, FundingPlan.id == FundingRequest.plan_id)
            .join(Journey, Journey.id == FundingRequest.journey_id)
            .join(Funder, Funder.id == FundingRequest.funder_id)
            .outerjoin(task, and_(task.journey_id == FundingRequest.journey_id, task.status == "ouverte",
                                  task.bpmn_id == step, task.title.endswith(" — " + Funder.label)))
            .where(_own_cep(actor), Journey.status == "en_cours", FundingPlan.status == "en_cours",
                   FundingRequest.structure_id == actor.structure_id, FundingRequest.status.in_(AWAITING)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, page)
    rows = db.session.execute(stmt.options(joinedload(FundingRequest.funder))
                              .order_by(late, deadline.is_(None), deadline, FundingRequest.id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    names = display_names(actor, {person_id for _r, person_id, *_rest in rows}) if rows else {}
    items = [RequestRow(req, person_id, names.get(person_id, ""), task_id, when, is_late == 0)
             for req, person_id, task_id, when, is_late in rows]
    return Page(items=items, total=total, page=page, per_page=per_page)


# -- the dossier -----------------------------------------------------------------------------
@dataclass
class DossierJourney:
    """A CEP journey of the user's structure, as the dossier shows it."""
    journey: Journey
    stage: str | None
    plans: list = field(default_factory=list)  # latest first
    attestation_done: bool = False


def dossier_cep(actor, person_id: int) -> list[DossierJourney]:
    """The person's CEP journeys held by the actor's structure, with their funding plans."""
    journeys = db.session.scalars(select(Journey).where(
        _own_cep(actor), Journey.person_id == person_id).order_by(Journey.started_at.desc())).all()
    if not journeys:
        return []
    ids = [j.id for j in journeys]
    steps = db.session.execute(select(HumanTask.journey_id, HumanTask.bpmn_id, HumanTask.status).where(
        HumanTask.journey_id.in_(ids), HumanTask.status.in_(("ouverte", "terminee")))).all()
    plans = db.session.scalars(select(FundingPlan).where(FundingPlan.journey_id.in_(ids))
                               .options(selectinload(FundingPlan.requests).joinedload(FundingRequest.funder))
                               .order_by(FundingPlan.number.desc())).all()
    found = []
    for journey in journeys:
        open_ranks = [STAGE_RANKS[STEP_STAGES[b]] for j, b, s in steps
                      if j == journey.id and s == "ouverte" and b in STEP_STAGES]
        stage = "termines" if journey.status == "terminee" else \
            next((k for k, r in STAGE_RANKS.items() if open_ranks and r == max(open_ranks)), None)
        found.append(DossierJourney(
            journey, stage, [p for p in plans if p.journey_id == journey.id],
            any(j == journey.id and b == "attestation_demission" and s == "terminee" for j, b, s in steps)))
    return found


def all_funders() -> list[Funder]:
    """Every funder for the admin's list: active ones first, in the forms' order."""
    return db.session.scalars(select(Funder).order_by(Funder.active.desc(), Funder.position, Funder.label)).all()
