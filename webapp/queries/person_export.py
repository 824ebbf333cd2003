"""Right of access: everything the user's structure holds about a person, as plain data (JSON and
the PDF are drawn from it), and the people of the structure soon to be anonymised.

Scope: a structure with full access to the person (received them or holds one of their journeys)
answers for what it holds: the identity, its journeys and the steps it recorded, the referrals of
those journeys (who they were shared with, which fields, the snapshot), the funding plans it made,
the messages about the person sent to it or about those referrals, and the audit entries of the
person it may see (who consulted or changed the dossier)."""
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..errors import NotFound
from ..extensions import db
from ..models import (AuditEvent, FundingPlan, HumanTask, Journey, OutboxMessage, Person, PersonAccess,
                      Referral)
from ..models.funding import PLAN_STATES, REQUEST_STATES
from ..models.journeys import STATUS_LABELS
from ..models.people import IDENTITY_FIELDS, PROFILE_FIELDS
from ..models.referrals import SHARED_FIELDS
from ..task_forms import expand, readable
from .people import person_for
from .referrals import has_full_access, path_of
from .suggestions import structure_names

SOON_DAYS = 30
TASK_STATES = {"ouverte": "À faire", "terminee": "Terminée", "annulee": "Annulée"}


def _when(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def exportable_person(actor, person_id: int) -> Person:
    """The person, if the actor's structure has full access; else 404 (existence not leaked)."""
    person = person_for(actor, person_id)
    if not has_full_access(actor, person):
        raise NotFound("Dossier introuvable.")
    return person


def person_export(actor, person_id: int) -> dict:
    """What the actor's structure holds about the person, as JSON-ready data in French labels."""
    person = exportable_person(actor, person_id)
    names = structure_names()
    journeys = db.session.scalars(select(Journey).where(
        Journey.person_id == person.id, Journey.structure_id == actor.structure_id)
        .options(selectinload(Journey.definition)).order_by(Journey.started_at)).all()
    referrals = path_of(actor, person)
    return {
        "document": "Données détenues sur la personne (droit d'accès, article 15 du RGPD)",
        "genere_le": _when(clock.now()),
        "structure": names.get(actor.structure_id),
        "demande_par": actor.full_name,
        "personne": _identity(person, names),
        "dossiers_fusionnes": list(db.session.scalars(select(Person.id).where(Person.merged_into_id == person.id))),
        "parcours": [_journey(actor, journey, names) for journey in journeys],
        "orientations": [_referral(referral, names) for referral in referrals],
        "plans_de_financement": _plans(actor, person),
        "messages": _messages(actor, person, [r.id for r in referrals]),
        "acces_et_modifications": _audit(actor, person),
    }


def _identity(person: Person, names: dict) -> dict:
    values = {name: getattr(person, name) for name in IDENTITY_FIELDS + PROFILE_FIELDS}
    values.update(commune_code=person.commune_code, numero_dossier=person.id,
                  cree_le=_when(person.created_at), cree_par=names.get(person.created_by_structure_id),
                  dernier_contact=_when(person.last_contact_at), anonymise_le=_when(person.anonymised_at))
    values.update(accord_questionnaire_suivi_le=_when(person.contact_consent_at),  # operations/followups
                  refus_de_tout_contact_le=_when(person.contact_refused_at))
    return values


def _journey(actor, journey: Journey, names: dict) -> dict:
    tasks = db.session.scalars(select(HumanTask).where(
        HumanTask.journey_id == journey.id, HumanTask.structure_id == actor.structure_id)
        .options(selectinload(HumanTask.completed_by)).order_by(HumanTask.created_at, HumanTask.id)).all()
    forms = journey.definition.forms or {}
    return {
        "numero": journey.id, "parcours": journey.definition.name,
        "etat": STATUS_LABELS.get(journey.status, journey.status), "issue": journey.end_label,
        "debut": _when(journey.started_at), "fin": _when(journey.ended_at),
        "etapes": [_step(task, forms, names) for task in tasks],
    }


def _step(task: HumanTask, forms: dict, names: dict) -> dict:
    form = forms.get(task.form_key) or {"schema": {}, "ui": {}}
    recorded = readable(expand(form["schema"]), form.get("ui", {}), task.data, names) if task.data else []
    return {
        "etape": task.title, "etat": TASK_STATES.get(task.status, task.status),
        "ouverte_le": _when(task.created_at), "terminee_le": _when(task.completed_at),
        "par": task.completed_by.full_name if task.completed_by else None,
        "donnees": [{"champ": label, "valeur": text} for label, text in recorded],
    }


def _referral(referral: Referral, names: dict) -> dict:
    return {
        "numero": referral.id, "de": names.get(referral.from_structure_id),
        "vers": names.get(referral.to_structure_id), "etat": referral.status_label,
        "envoyee_le": _when(referral.sent_at), "close_le": _when(referral.closed_at),
        "motif": referral.motif,
        "donnees_partagees": [SHARED_FIELDS.get(k, (k,))[0] for k in referral.shared_fields or []],
        "valeurs_partagees": referral.shared_data or {},
        "personne_informee": referral.person_informed, "informee_le": _when(referral.informed_at),
        "reponse": referral.answer_comment, "premier_contact": _when(referral.first_contact_at),
        "commentaire_premier_contact": referral.contact_comment,
    }


def _plans(actor, person: Person) -> list[dict]:
    plans = db.session.scalars(select(FundingPlan).where(
        FundingPlan.person_id == person.id, FundingPlan.structure_id == actor.structure_id)
        .options(selectinload(FundingPlan.requests)).order_by(FundingPlan.journey_id, FundingPlan.number)).all()
    return [{
        "parcours": plan.journey_id, "numero": plan.number, "etat": PLAN_STATES.get(plan.status, plan.status),
        "formation": plan.training_title, "organisme": plan.training_organisation,
        "certification": plan.certification, "debut": _when(plan.start_date), "fin": _when(plan.end_date),
        "cout_total": str(plan.total_cost),
        "demandes": [{"financeur": request.funder.label, "montant_demande": str(request.amount_requested),
                      "montant_accorde": None if request.amount_granted is None else str(request.amount_granted),
                      "etat": REQUEST_STATES.get(request.status, request.status), "reference": request.reference,
                      "commentaire": request.comment} for request in plan.requests],
    } for plan in plans]


def _messages(actor, person: Person, referral_ids: list[int]) -> list[dict]:
    about = OutboxMessage.person_id == person.id
    if referral_ids:
        about = or_(about, OutboxMessage.referral_id.in_(referral_ids))
    rows = db.session.scalars(select(OutboxMessage).where(about, or_(
        OutboxMessage.to_structure_id == actor.structure_id, OutboxMessage.referral_id.in_(referral_ids or [0])))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)).all()
    names = structure_names()
    return [{"le": _when(m.created_at), "destinataire": names.get(m.to_structure_id, m.to_address),
             "objet": m.subject, "texte": m.body} for m in rows]


def _audit(actor, person: Person) -> list[dict]:
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.person_id == person.id, or_(AuditEvent.structure_id == actor.structure_id,
                                               AuditEvent.shared_with_structure_id == actor.structure_id))
        .options(selectinload(AuditEvent.user), selectinload(AuditEvent.structure))
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    return [{"le": _when(e.at), "par": e.user.full_name if e.user else None,
             "structure": e.structure.name if e.structure else None,
             "type": "Consultation" if e.kind == "read" else "Modification" if e.kind == "write" else e.kind,
             "action": e.summary} for e in events]


def journey_in_progress():
    """SQL condition on Person: a journey of theirs is not finished (in progress or in incident)."""
    return exists().where(Journey.person_id == Person.id, Journey.status != "terminee")


def soon_anonymised(actor, now: datetime | None = None, days: int = SOON_DAYS,
                    after_days: int = 730) -> list[tuple[Person, datetime]]:
    """People the actor's structure fully sees whose anonymisation falls within `days`: (person, date).
    A journey in progress holds it back, so those are left out; a new contact postpones it."""
    now = now or clock.now()
    horizon = now + timedelta(days=days) - timedelta(days=after_days)
    people = db.session.scalars(select(Person).join(PersonAccess, PersonAccess.person_id == Person.id).where(
        PersonAccess.structure_id == actor.structure_id, PersonAccess.full.is_(True),
        Person.anonymised_at.is_(None), Person.merged_into_id.is_(None), Person.last_contact_at < horizon,
        ~journey_in_progress()).order_by(Person.last_contact_at, Person.id).limit(500)).all()
    return [(person, person.last_contact_at + timedelta(days=after_days)) for person in people]
