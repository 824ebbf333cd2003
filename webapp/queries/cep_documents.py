"""The CEP documents' contents, read from a journey's completed steps and its funding plans:
the synthesis with its action plan and the démission-reconversion attestation. Scoped: a
journey that is not a CEP journey of the actor's structure answers NotFound."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..documents import (AttestationDoc, FundingDoc, FundingLineDoc, ProjectDoc, SynthesisDoc,
                         TrainingDoc, ValidationDoc)
from ..errors import NotFound
from ..extensions import db
from ..form_checks import parse_date
from ..models import FundingPlan, FundingRequest, HumanTask, Journey, User
from ..models.funding import REQUEST_STATES
from ..money import euros, parse_amount
from ..operations import audit
from ..reference_lists import certification_label, rome_label

ZERO = Decimal("0.00")
NO_ATTESTATION = ("Aucune attestation de démission-reconversion n'a été établie pour ce parcours : "
                  "terminez d'abord l'étape « Attestation du projet de reconversion ».")


@dataclass(frozen=True)
class JourneySteps:
    """A CEP journey of the actor's structure, its latest completed step of each kind, its open
    steps and its latest funding plan (None before the first one)."""
    journey: Journey
    done: dict  # bpmn_id -> the latest completed HumanTask of that step
    open_steps: tuple[str, ...]
    latest_done: HumanTask | None
    plan: FundingPlan | None


def cep_journey_for(actor, journey_id: int) -> Journey:
    """A CEP journey of the actor's structure, else NotFound (no existence leak)."""
    journey = db.session.get(Journey, journey_id)
    if journey is not None and journey.process_key == "cep" and journey.structure_id != actor.structure_id:
        audit.denied(actor, "journey", journey.id, person_id=journey.person_id)
    if journey is None or journey.process_key != "cep" or journey.structure_id != actor.structure_id:
        raise NotFound("Parcours introuvable.")
    return journey


def funding_plans_of(actor, journey_id: int) -> tuple[Journey, list[FundingPlan]]:
    """The journey and its funding plans, latest first, with their requests and funders."""
    journey = cep_journey_for(actor, journey_id)
    plans = db.session.scalars(
        select(FundingPlan).where(FundingPlan.journey_id == journey.id)
        .options(selectinload(FundingPlan.requests).selectinload(FundingRequest.funder))
        .order_by(FundingPlan.number.desc())).all()
    return journey, list(plans)


def _steps(actor, journey_id: int) -> JourneySteps:
    journey = cep_journey_for(actor, journey_id)
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id)
                               .order_by(HumanTask.completed_at, HumanTask.id)).all()
    done = {}
    for task in tasks:
        if task.status == "terminee":
            done[task.bpmn_id] = task  # completion order: the last one wins (latest session)
    finished = [t for t in tasks if t.status == "terminee"]
    plan = db.session.scalar(select(FundingPlan).where(FundingPlan.journey_id == journey.id)
                             .options(selectinload(FundingPlan.requests)
                                      .selectinload(FundingRequest.funder))
                             .order_by(FundingPlan.number.desc()).limit(1))
    return JourneySteps(journey, done, tuple(t.bpmn_id for t in tasks if t.status == "ouverte"),
                        finished[-1] if finished else None, plan)


def _data(steps: JourneySteps, bpmn_id: str) -> dict:
    task = steps.done.get(bpmn_id)
    return dict(task.data or {}) if task is not None else {}


def _choice_label(task: HumanTask | None, name: str, value) -> str:
    """The label the task's form gives a choice value (the value itself when unknown)."""
    if task is None or value is None:
        return ""
    form = (task.journey.definition.forms or {}).get(task.form_key or "") or {}
    prop = form.get("schema", {}).get("properties", {}).get(name, {})
    values, labels = prop.get("enum") or [], prop.get("x-enumNames") or []
    return str(labels[values.index(value)]) if value in values and values.index(value) < len(labels) \
        else str(value)


def _day(value) -> str:
    return value.strftime("%d/%m/%Y")


def _adviser(actor, steps: JourneySteps, bpmn_id: str | None = None) -> User:
    """Who completed the named step (or the latest one), else the actor."""
    task = steps.done.get(bpmn_id) if bpmn_id else steps.latest_done
    return (task.completed_by if task is not None and task.completed_by is not None else actor)


def _person_name(journey: Journey) -> str | None:
    person = journey.person
    return None if person.is_anonymous_person else person.display_name


def _job(code) -> tuple[str | None, str | None]:
    if not code:
        return None, None
    return str(code), rome_label(code) or str(code)


def _certification(number, title) -> str | None:
    if not number:
        return None
    title = title or certification_label(number)
    return f"{number} — {title}" if title else str(number)


def _project(steps: JourneySteps) -> ProjectDoc:
    """The project of the latest level-2 session; the plan's training when no session shaped it."""
    project, plan = _data(steps, "accompagnement_personnalise"), steps.plan
    code, label = _job(project.get("metier_cible"))
    return ProjectDoc(
        target_job_code=code, target_job_label=label,
        training_title=project.get("formation_visee") or (plan.training_title if plan else None),
        training_organisation=project.get("organisme_formation")
        or (plan.training_organisation if plan else None),
        certification=_certification(project.get("certification") or (plan.certification if plan else None),
                                     project.get("certification_intitule")),
        skills=project.get("competences_a_acquerir") or "", feasibility=project.get("faisabilite") or "")


def _validation(steps: JourneySteps) -> ValidationDoc | None:
    task = steps.done.get("valider_projet")
    if task is None:
        return None
    data = task.data or {}
    decided_on = parse_date(data.get("date_validation")) or task.completed_at.date()
    return ValidationDoc(_choice_label(task, "decision_projet", data.get("decision_projet")),
                         decided_on, data.get("motifs") or "")


def _granted(request: FundingRequest) -> Decimal | None:
    return None if request.status in ("a_preparer", "deposee", "annulee") else request.amount_granted


def _funding(plan: FundingPlan | None) -> FundingDoc | None:
    if plan is None:
        return None
    lines = [FundingLineDoc(r.funder.label, r.amount_requested, REQUEST_STATES.get(r.status, r.status),
                            _granted(r)) for r in plan.requests if r.status != "annulee"]
    return FundingDoc.from_lines(plan.cost_teaching, plan.cost_other or ZERO, lines, plan.start_date,
                                 plan.end_date, plan.duration_hours)


def plan_totals(plan: FundingPlan) -> tuple[Decimal, Decimal, Decimal]:
    """(requested, granted, remaining) of a plan: remaining = total cost − granted."""
    live = [r for r in plan.requests if r.status != "annulee"]
    requested = sum((r.amount_requested for r in live), ZERO)
    return requested, plan.granted, plan.remaining


def next_steps(steps: JourneySteps) -> list[str]:
    """The action plan, in French, from where the journey stands."""
    found, plan, journey = [], steps.plan, steps.journey
    level1 = _data(steps, "accueil_individualise")
    if journey.status != "en_cours":
        if journey.end_event == "fin_entree_formation" and plan is not None and plan.start_date:
            found.append(f"Suivre la formation commencée le {_day(plan.start_date)}")
        elif journey.end_label:
            found.append(f"Accompagnement terminé : {journey.end_label}")
    opened = set(steps.open_steps)
    if "accueil_individualise" in opened:
        found.append("Tenir l'entretien d'accueil individualisé (niveau 1)")
    if "accompagnement_personnalise" in opened:
        found.append("Poursuivre la construction du projet lors de la prochaine séance")
    if "valider_projet" in opened:
        found.append("Valider le projet professionnel avec le conseiller")
    if "attestation_demission" in opened:
        found.append("Établir l'attestation du caractère réel et sérieux du projet (démission-reconversion)")
    if "plan_financement" in opened:
        if plan is not None and plan.status == "a_reviser":
            remaining = plan_totals(plan)[2]
            found.append(f"Réviser le plan de financement : {euros(remaining)} restent à financer")
        else:
            found.append("Établir le plan de financement de la formation")
    if plan is not None and plan.status == "en_cours":
        for request in plan.requests:
            if request.status == "a_preparer":
                found.append(f"Déposer la demande auprès de {request.funder.label} "
                             f"({euros(request.amount_requested)})")
            elif request.status == "deposee":
                expected = f" (attendue avant le {_day(request.remind_at)})" if request.remind_at else ""
                found.append(f"Attendre la décision de {request.funder.label}{expected}")
    if "confirmer_entree" in opened and plan is not None:
        start = f" le {_day(plan.start_date)}" if plan.start_date else ""
        found.append(f"Confirmer l'entrée en formation{start}")
    if journey.status == "en_cours" and level1.get("demarches_possibles"):
        found.append(f"Démarches possibles : {level1['demarches_possibles']}")
    return found


def _contacts(journey: Journey, adviser: User) -> list[str]:
    structure = journey.structure
    reach = " — ".join(p for p in (structure.address, structure.phone, structure.email) if p)
    contacts = [f"{structure.name}" + (f" : {reach}" if reach else "")]
    contacts.append(f"{adviser.full_name}, conseil en évolution professionnelle"
                    + (f" : {adviser.email}" if adviser.email else ""))
    return contacts


def _situation(steps: JourneySteps) -> str:
    task = steps.done.get("accueil_individualise")
    data = _data(steps, "accueil_individualise")
    status = _choice_label(task, "situation_professionnelle", data.get("situation_professionnelle"))
    return "\n".join(p for p in (f"{status}." if status else "", data.get("situation") or "") if p)


def synthesis_for(actor, journey_id: int) -> SynthesisDoc:
    """The synthesis and action plan of a CEP journey of the actor's structure."""
    steps = _steps(actor, journey_id)
    journey, structure = steps.journey, steps.journey.structure
    adviser = _adviser(actor, steps)
    return SynthesisDoc(
        person_name=_person_name(journey), structure_name=structure.name,
        structure_address=structure.address or "", structure_phone=structure.phone or "",
        structure_email=structure.email or "", adviser_name=adviser.full_name,
        generated_on=clock.now().date(), situation=_situation(steps),
        request=_data(steps, "accueil_individualise").get("demande") or "",
        project=_project(steps), validation=_validation(steps), funding=_funding(steps.plan),
        next_steps=tuple(next_steps(steps)), contacts=tuple(_contacts(journey, adviser)))


def attestation_for(actor, journey_id: int) -> AttestationDoc:
    """The adviser's démission-reconversion attestation, once its step is completed."""
    steps = _steps(actor, journey_id)
    task = steps.done.get("attestation_demission")
    if task is None:
        raise NotFound(NO_ATTESTATION)
    data, journey, plan = task.data or {}, steps.journey, steps.plan
    structure = journey.structure
    code, label = _job(_data(steps, "accompagnement_personnalise").get("metier_cible"))
    opinion = _choice_label(task, "avis", data.get("avis"))
    if data.get("commentaire_avis"):
        opinion = f"{opinion}.\n{data['commentaire_avis']}" if opinion else data["commentaire_avis"]
    signed_on = parse_date(data.get("date_attestation")) or task.completed_at.date()
    return AttestationDoc(
        person_name=journey.person.display_name, structure_name=structure.name,
        structure_address=structure.address or "", structure_phone=structure.phone or "",
        structure_email=structure.email or "",
        adviser_name=_adviser(actor, steps, "attestation_demission").full_name,
        issued_on=clock.now().date(),
        target_job_label=f"{label} (code ROME {code})" if code else None,
        steps_taken=data.get("demarches_realisees") or "",
        knowledge_of_job=data.get("connaissance_metier") or "",
        training=TrainingDoc(
            title=data.get("formation_visee") or "", organisation=data.get("organisme_formation") or "",
            programme=data.get("programme_formation") or "",
            calendar=data.get("calendrier_formation") or "",
            start_date=plan.start_date if plan else None, end_date=plan.end_date if plan else None,
            cost=parse_amount(data.get("cout_formation")),
            duration_hours=plan.duration_hours if plan else None),
        job_prospects=data.get("perspectives_emploi") or "", opinion=opinion,
        signature_place=data.get("lieu_attestation") or "", signature_date=signed_on)

