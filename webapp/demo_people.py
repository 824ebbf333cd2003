"""Demo people at every stage of their journeys, built through the operations (`spro seed-demo`).

Each person of `demo_people_data.PEOPLE` has a list of steps dated in working days before today.
All steps of all people run in date order with the application clock (`webapp.clock.now`) moved
to each step's moment, and the due BPMN timers fire before each step as the worker would: dates,
deadlines, reminders, escalations, expiries and messages are those the application would have
produced. Nothing is inserted by hand. Idempotent: the demo people carry e-mail addresses of
DEMO_PEOPLE_DOMAIN; when one exists, nothing is added.
"""
import heapq
import itertools
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from . import clock
from .demo_people_data import DEMO_PEOPLE_DOMAIN, PEOPLE
from .extensions import db
from .models import HumanTask, Journey, OutboxMessage, Person, Referral, Structure, User
from .operations.journeys import complete_task, start_journey
from .operations.notifications import TO_SEND, send_pending
from .operations.referrals import reassign_referral
from .operations.timers import fire_due_timers
from .workdays import is_working_day


class DemoError(RuntimeError):
    """A demo step the operations refused (the demo data no longer fits the forms)."""


def _shift_working_days(day: date, days: int) -> date:
    """`days` working days after (positive) or before (negative) `day`."""
    step = timedelta(days=1 if days > 0 else -1)
    remaining = abs(days)
    while remaining > 0:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


@contextmanager
def _clock_at(moment: datetime):
    """Replace the application clock by a movable one; yields the setter."""
    current = {"at": moment}
    original = clock.now
    clock.now = lambda: current["at"]
    try:
        yield lambda at: current.update(at=at)
    finally:
        clock.now = original


class _Demo:
    """What the steps need: users, structures, the moving clock, the open tasks."""

    def __init__(self, today: date):
        self.today = today
        # Plain values: ORM objects expire at every commit and would be read again.
        self.user_ids = dict(db.session.execute(select(User.username, User.id)).all())
        self.colleagues = {}  # structure id -> [(username, roles)], by username
        for username, structure_id, roles in db.session.execute(
                select(User.username, User.structure_id, User.roles).order_by(User.username)):
            self.colleagues.setdefault(structure_id, []).append((username, roles or []))
        self.structure_ids = dict(db.session.execute(select(Structure.slug, Structure.id)).all())
        self.working_days = [day for day in (today - timedelta(days=n) for n in range(1, 200))
                             if is_working_day(day)]  # [0] is the last working day before today

    def user(self, username: str) -> User:
        return db.session.get(User, self.user_ids[username])

    def moment(self, days_ago: int, hour: str) -> datetime:
        if days_ago < 1:
            raise DemoError("demo steps happen on a working day before today")
        hh, mm = (int(part) for part in hour.split(":"))
        return datetime.combine(self.working_days[days_ago - 1], time(hh, mm))

    def day_after(self, days: int) -> str:
        """ISO date `days` working days after the (moved) clock's day."""
        return _shift_working_days(clock.now().date(), days).isoformat()

    def open_task(self, journey: Journey, bpmn_id: str) -> HumanTask:
        task = db.session.scalar(select(HumanTask).where(
            HumanTask.journey_id == journey.id, HumanTask.status == "ouverte", HumanTask.bpmn_id == bpmn_id))
        if task is None:
            raise DemoError(f"no open task {bpmn_id} in journey {journey.id}")
        return task

    def user_for(self, task: HumanTask, preferred: str) -> User:
        """The person's counsellor for their own structure's tasks, else a colleague of the task's."""
        colleagues = self.colleagues.get(task.structure_id, [])
        for username, roles in sorted(colleagues, key=lambda c: c[0] != preferred):
            if task.role in roles:
                return self.user(username)
        raise DemoError(f"no demo user to answer task {task.bpmn_id} in structure {task.structure_id}")

    def complete(self, person: dict, journey: Journey, bpmn_id: str, data: dict) -> None:
        task = self.open_task(journey, bpmn_id)
        complete_task(self.user_for(task, person["by"]), task.id, data)
        db.session.commit()

    def latest_referral(self, journey: Journey) -> Referral:
        return db.session.scalar(select(Referral).where(Referral.journey_id == journey.id)
                                 .order_by(Referral.id.desc()).limit(1))


# -- the steps: (demo, person, journey, argument) -> journey ---------------------------------

def _welcome(d, p, journey, reponse):
    """Start the reception (accueil), fill « Accueillir la personne »; analyse unless reponse is None."""
    journey = start_journey(d.user(p["by"]), "accueil")
    db.session.commit()
    if reponse == "start":
        return journey
    d.complete(p, journey, "accueillir", p["identity"])
    if reponse is not None:
        _analyse(d, p, journey, reponse)
    return journey


def _analyse(d, p, journey, reponse):
    data = {"thematiques": p["thematiques"], "besoins": p["besoins"], "urgence": p.get("urgence", "normale"),
            "reponse": reponse}
    if reponse == "documentation":
        data["documentation_remise"] = p["documentation"]
    d.complete(p, journey, "analyser_demande", data)
    return journey


def _send(d, p, journey, slug):
    d.complete(p, journey, "choisir_partenaire", {
        "decision": "orienter", "partenaire_id": d.structure_ids[slug], "motif": p["motif"]})
    d.complete(p, journey, "informer_personne", {
        "donnees_partagees": p.get("shared", ["identite", "coordonnees", "situation", "demande"]),
        "personne_informee": True, "mode_information": p.get("mode", "entretien"),
        "message_partenaire": p.get("message", "")})
    return journey


def _accept(d, p, journey, in_days):
    d.complete(p, journey, "traiter_orientation", {
        "reponse": "accepter", "date_premier_rdv": d.day_after(in_days),
        "commentaire": "Rendez-vous proposé par téléphone, la personne a confirmé."})
    return journey


def _refuse(d, p, journey, reason):
    d.complete(p, journey, "traiter_orientation", {
        "reponse": "refuser", "motif_refus": reason, "commentaire": p.get("refus", "")})
    return journey


def _redirect(d, p, journey, slug):
    d.complete(p, journey, "traiter_orientation", {
        "reponse": "rediriger", "partenaire_redirection_id": d.structure_ids[slug],
        "commentaire": p["redirection"], "personne_informee": True})
    return journey


def _first_contact(d, p, journey, outcome):
    data = {"premier_contact": outcome, "commentaire": p.get("contact", "")}
    if outcome == "confirme":
        data["date_premier_contact"] = d.latest_referral(journey).first_appointment_at.date().isoformat()
    d.complete(p, journey, "confirmer_premier_contact", data)
    return journey


def _abandon(d, p, journey, reason):
    d.complete(p, journey, "choisir_partenaire", {"decision": "abandonner", "motif_abandon": reason})
    return journey


def _reassign(d, p, journey, arg):
    coordinator, slug = arg
    reassign_referral(d.user(coordinator), d.latest_referral(journey).id, d.structure_ids[slug],
                      "Aucune réponse malgré la relance ; la structure est saturée ce mois-ci.", True)
    db.session.commit()
    return journey


def _interview(d, p, journey, deeper):
    d.complete(p, journey, "entretien_information", {
        "date_entretien": clock.now().date().isoformat(), "notes": p["notes"],
        "releve_du_champ": True, "conseil_approfondi": deeper})
    return journey


def _session(d, p, journey, another):
    d.complete(p, journey, "seance_conseil", {
        "date_seance": clock.now().date().isoformat(), "notes": p["seance"], "autre_seance": another})
    return journey


def _plan(d, p, journey, issue):
    d.complete(p, journey, "plan_action", {"plan_action": p["plan"], "issue": issue})
    return journey


STEPS = {"accueil": _welcome, "analyse": _analyse, "orienter": _send, "accepter": _accept,
         "refuser": _refuse, "rediriger": _redirect, "contact": _first_contact, "abandonner": _abandon,
         "reaffecter": _reassign, "entretien": _interview, "seance": _session, "plan": _plan}


def journey_of(d, person):
    """One person's steps, as a generator: yields the moment of its next step, then does it (the demo
    people's and the demo history's, whose calendar `d` is longer)."""
    journey = None
    for days_ago, hour, step, argument in person["steps"]:
        yield d.moment(days_ago, hour)
        try:
            journey = STEPS[step](d, person, journey, argument)
        except Exception as exc:
            db.session.rollback()
            name = person["identity"].get("nom") or person["identity"].get("email") or "anonyme"
            raise DemoError(f"demo person {name}, step {step} {argument!r}: {exc} "
                            f"{getattr(exc, 'fields', '')}") from exc


def _catch_up(send_messages: bool) -> None:
    """What the worker does between two steps: fire due timers (and show messages in the demo)."""
    while fire_due_timers() == 50:
        pass
    pending = select(OutboxMessage.id).where(OutboxMessage.status == TO_SEND).limit(1)
    if send_messages and db.session.scalar(pending) is not None:
        while send_pending() == 50:
            pass


def demo_people_present() -> bool:
    return db.session.scalar(select(Person.id).where(Person.email.like(f"%@{DEMO_PEOPLE_DOMAIN}")).limit(1)) \
        is not None


def seed_demo_people() -> int:
    """Create the demo people and their journeys, then the CEP ones (`demo_cep`), each unless
    already there; return how many were added."""
    from .demo_cep import seed_demo_cep  # demo_cep builds on this module's steps
    from .demo_history import seed_demo_history  # a year of past journeys for the « Indicateurs »
    return (0 if demo_people_present() else _seed_people()) + seed_demo_cep() + seed_demo_history()


def _seed_people() -> int:
    end = clock.now()
    demo = _Demo(end.date())
    # Messages are "sent" on the go only where sending means showing them on the « Messages » page.
    send_messages = current_app.config.get("MAIL_BACKEND") == "page"
    queue, order = [], itertools.count()
    for person in PEOPLE:
        steps = journey_of(demo, person)
        heapq.heappush(queue, (next(steps), next(order), steps))
    with _clock_at(end) as move:
        while queue:
            moment, _n, steps = heapq.heappop(queue)
            if moment >= end:
                raise DemoError(f"a demo step is not in the past: {moment}")
            move(moment)
            _catch_up(send_messages)
            upcoming = next(steps, None)
            if upcoming is not None:
                heapq.heappush(queue, (upcoming, next(order), steps))
        move(end)
        _catch_up(send_messages)
    return len(PEOPLE)
