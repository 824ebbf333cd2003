"""The operations the CEP journey's service tasks may call, and the reception's CEP branch.

Funding plans and requests are rows (`models/funding.py`): the diagram carries only what its
gateways and timers read (the new requests to prepare, the plan's outcome, the deadlines)."""
from datetime import date, datetime, time, timezone

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Funder, FundingPlan, FundingRequest, Person
from ..models.funding import REQUEST_STATES
from ..money import amount_text, euros, parse_amount, plan_figures
from ..workdays import add_working_days
from .service_params import delay_days
from ..workflow import EngineError
from . import audit
from .journey_opening import open_journey
from .notifications import public_link, queue_message

GRANTED = ("accordee", "reprise", "sans_objet")
DECISIONS = {"accorde": "accordee", "partiel": "partielle", "refuse": "refusee"}
VALIDATION_LABELS = {"valide": "Projet validé", "a_retravailler": "Projet à retravailler",
                     "non_valide": "Projet non validé"}


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=timezone.utc).isoformat()


def _record(ctx, action, summary, detail=None):
    return audit.record(ctx.actor, action, summary, person_id=ctx.journey.person_id,
                        journey_id=ctx.journey.id, detail=detail)


def _tell_structure(ctx, kind, subject, body):
    """A message to the structure in charge of the journey (its CEP advisers read it)."""
    structure = ctx.journey.structure
    if structure.email:
        link = public_link(f"/personnes/{ctx.journey.person_id}")
        queue_message(kind, structure.email, subject, f"{body}\n\nDossier : {link}",
                      to_structure_id=structure.id, person_id=ctx.journey.person_id)


def _latest_plan(ctx) -> FundingPlan | None:
    return db.session.scalar(select(FundingPlan).where(FundingPlan.journey_id == ctx.journey.id)
                             .order_by(FundingPlan.number.desc()).limit(1))


def _request(ctx, data) -> FundingRequest:
    request_id = (data.get("sollicitation") or {}).get("id")
    request = db.session.get(FundingRequest, request_id) if request_id else None
    if request is None or request.journey_id != ctx.journey.id:
        raise EngineError("Demande de financement introuvable pour ce parcours.")
    return request


# -- the reception's CEP branch -------------------------------------------------------------
def operateur(ctx, params, data):
    """Whether the structure in charge is a CEP operator (else the person is referred to one)."""
    return bool(ctx.journey.structure.cep_operator)


def demarrer(ctx, params, data):
    """Open the CEP journey for the person in the structure in charge."""
    return start_cep(ctx, ctx.journey.structure_id)


def start_cep(ctx, structure_id: int) -> int:
    """Open a CEP journey for the journey's person in the given structure; returns its id."""
    person = db.session.get(Person, ctx.journey.person_id)
    journey, _created = open_journey(ctx.actor, "cep", person, structure_id, ctx.services_for,
                                     keep=True)  # the adviser who opened it keeps its first step
    return journey.id


# -- the project ----------------------------------------------------------------------------
def valider(ctx, params, data):
    decision = data.get("decision_projet")
    _record(ctx, "cep.project_decided", f"{VALIDATION_LABELS.get(decision, decision)} : {data.get('motifs') or ''}",
            {"decision": decision, "criteres": data.get("criteres") or []})
    return decision


# -- the funding plan -----------------------------------------------------------------------
def _granted_before(ctx, funder_id) -> FundingRequest | None:
    """The funder's latest granted line in an earlier plan of this journey."""
    return db.session.scalar(select(FundingRequest).where(
        FundingRequest.journey_id == ctx.journey.id, FundingRequest.funder_id == funder_id,
        FundingRequest.status.in_(("accordee", "partielle", "reprise")))
        .order_by(FundingRequest.id.desc()).limit(1))


def enregistrer_plan(ctx, params, data):
    """Store the plan as typed (a new number on each revision) and open one request per funder
    still to ask; a funder that already granted this very amount is carried over, the person's
    own share needs no request. Returns the new requests, for the parallel preparation."""
    funders = {f.code: f for f in db.session.scalars(select(Funder).where(Funder.active.is_(True)))}
    figures = plan_figures(data, {code: f.kind for code, f in funders.items()})
    if figures.problems:  # the form refuses this already: a diagram or a client went around it
        raise EngineError("Plan de financement incohérent : " + " ".join(figures.problems.values()))
    previous = _latest_plan(ctx)
    now = clock.now()
    if previous is not None and previous.status in ("en_cours", "a_reviser"):
        previous.status, previous.closed_at = "a_reviser", now
    plan = FundingPlan(
        journey_id=ctx.journey.id, person_id=ctx.journey.person_id, structure_id=ctx.journey.structure_id,
        number=(previous.number + 1) if previous else 1, status="en_cours",
        training_title=data.get("formation_visee") or "", training_organisation=data.get("organisme_formation"),
        certification=data.get("certification"), start_date=date.fromisoformat(data["date_debut"]),
        end_date=date.fromisoformat(data["date_fin"]), duration_hours=data.get("duree_heures"),
        cost_teaching=parse_amount(data["cout_pedagogique"]),
        cost_other=parse_amount(data.get("frais_annexes") or "0"), total_cost=figures.total_cost,
        cpf_balance=parse_amount(data["solde_cpf"]) if data.get("solde_cpf") else None,
        created_at=now, created_by_id=getattr(ctx.actor, "id", None))
    db.session.add(plan)
    db.session.flush()
    new = []
    deposit_by = _iso(add_working_days(now, delay_days(params, "jours_relance", "FUNDING_DEPOSIT_DAYS")))
    for position, (code, amount) in enumerate(figures.lines.items()):
        funder = funders[code]
        line = FundingRequest(plan_id=plan.id, journey_id=ctx.journey.id, structure_id=plan.structure_id,
                              funder_id=funder.id, position=position, amount_requested=amount)
        earlier = _granted_before(ctx, funder.id)
        if not funder.needs_request:
            line.status, line.amount_granted = "sans_objet", amount
        elif earlier is not None and earlier.amount_granted == amount:
            line.status, line.amount_granted, line.carried_from_id = "reprise", amount, earlier.id
            line.submitted_at, line.decided_at, line.reference = earlier.submitted_at, earlier.decided_at, earlier.reference
        else:
            line.status = "a_preparer"
        db.session.add(line)
        db.session.flush()
        if line.status == "a_preparer":
            new.append({"id": line.id, "financeur": code, "libelle": funder.label, "montant": amount_text(amount),
                        "relance": deposit_by})
    _record(ctx, "cep.plan_saved", f"Plan de financement n°{plan.number} : {euros(plan.total_cost)}, "
            f"{len(new)} demande{'s' if len(new) > 1 else ''} à déposer", {"plan_id": plan.id})
    return new


def deposer(ctx, params, data):
    request = _request(ctx, data)
    request.status = "deposee"
    request.submitted_at = date.fromisoformat(data["date_depot"]) if data.get("date_depot") else clock.now().date()
    request.reference = data.get("reference_dossier")
    request.remind_at = add_working_days(clock.now(), delay_days(params, "jours_relance", "FUNDING_REMINDER_DAYS"))
    _record(ctx, "cep.request_submitted", f"Demande de financement déposée auprès de {request.funder.label} "
            f"({euros(request.amount_requested)})", {"request_id": request.id})
    return {"relance": _iso(request.remind_at)}


def _remind(ctx, request, why: str, body: str) -> bool:
    """Tell the structure a funding request is waiting (« à déposer », « sans décision »)."""
    subject = f"Demande de financement {why} : {request.funder.label}"
    _record(ctx, "cep.request_reminded", subject, {"request_id": request.id})
    _tell_structure(ctx, "relance_financement", subject, body)
    return True


def relancer_depot(ctx, params, data):
    request = _request(ctx, data)
    return _remind(ctx, request, "à déposer",
                   f"La demande de {euros(request.amount_requested)} auprès de {request.funder.label} prévue au "
                   f"plan de financement n°{request.plan.number} n'est pas encore déposée.")


def relancer_demande(ctx, params, data):
    request = _request(ctx, data)
    request.reminded_at = clock.now()
    return _remind(ctx, request, "sans décision",
                   f"La demande de {euros(request.amount_requested)} déposée le {request.submitted_at:%d/%m/%Y} "
                   f"auprès de {request.funder.label} attend toujours sa décision : relancez le financeur.")


def enregistrer_decision(ctx, params, data):
    request = _request(ctx, data)
    decision = data.get("decision_financeur")
    if decision not in DECISIONS:
        raise EngineError("Décision du financeur inconnue.")
    request.status = DECISIONS[decision]
    request.amount_granted = {"accorde": request.amount_requested, "refuse": parse_amount("0"),
                              "partiel": parse_amount(data.get("montant_accorde"))}[decision]
    if request.amount_granted is None:
        raise EngineError("Montant accordé illisible.")
    request.decided_at = date.fromisoformat(data["date_decision"]) if data.get("date_decision") else clock.now().date()
    request.comment = data.get("commentaire")
    _record(ctx, "cep.request_decided", f"{request.funder.label} : {REQUEST_STATES[request.status].lower()} "
            f"({euros(request.amount_granted)} sur {euros(request.amount_requested)})", {"request_id": request.id})
    return request.status


def bilan(ctx, params, data):
    """Funded when every line is granted in full; otherwise the plan is to revise."""
    plan = _latest_plan(ctx)
    if plan is None:
        raise EngineError("Aucun plan de financement pour ce parcours.")
    funded = all(r.status in GRANTED for r in plan.requests)
    plan.status = "finance" if funded else "a_reviser"
    if not funded:
        plan.closed_at = clock.now()
        _record(ctx, "cep.plan_to_revise", f"Plan de financement n°{plan.number} à réviser : "
                f"{euros(plan.remaining)} restent à financer", {"plan_id": plan.id})
        return {"issue": "a_reviser", "entree": None}
    _record(ctx, "cep.plan_funded", f"Formation financée : plan n°{plan.number}, {euros(plan.total_cost)}",
            {"plan_id": plan.id})
    start = datetime.combine(plan.start_date, time(8, 0))
    return {"issue": "finance", "entree": _iso(start)}


def rappeler_entree(ctx, params, data):
    plan = _latest_plan(ctx)
    _tell_structure(ctx, "rappel_entree", "Début de formation : confirmez l'entrée",
                    f"La formation « {plan.training_title} » commence le {plan.start_date:%d/%m/%Y} : "
                    "confirmez l'entrée en formation de la personne, ou son arrêt.")
    _record(ctx, "cep.start_reminded", "Rappel : confirmer l'entrée en formation")
    return True


def entree(ctx, params, data):
    plan = _latest_plan(ctx)
    if plan is not None:
        plan.status = "entree_confirmee"
    day = date.fromisoformat(data["date_entree"]) if data.get("date_entree") else clock.now().date()
    _record(ctx, "cep.training_started", f"Entrée en formation confirmée le {day:%d/%m/%Y}")
    return True


def arreter(ctx, params, data):
    """The person stops: the reason is kept, open requests are withdrawn."""
    plan = _latest_plan(ctx)
    now = clock.now()
    if plan is not None and plan.status in ("en_cours", "finance", "a_reviser"):
        plan.status, plan.closed_at = "arrete", now
        for request in plan.requests:
            if request.status in ("a_preparer", "deposee"):
                request.status = "annulee"
    _record(ctx, "cep.stopped", f"Accompagnement CEP arrêté : {data.get('motif_arret') or 'motif non précisé'}")
    return True


SERVICES = {f"cep.{fn.__name__}": fn for fn in (
    operateur, demarrer, valider, enregistrer_plan, deposer, relancer_depot, relancer_demande,
    enregistrer_decision, bilan, rappeler_entree, entree, arreter)}
