"""Retention of personal data: anonymising people with no contact for ANONYMISE_AFTER_DAYS.

What goes: the identity (first name, surname, birth year, phone, e-mail, commune name), every free
text the forms collected (task data, and the same values inside the stored workflow state of the
finished journeys), referral snapshots, reasons and comments, the funders' file references and
comments, training titles, the texts of the messages about the person, the details of the audit
entries about them and any summary quoting a free text or an identity value. The merged-away
dossiers of the person go the same way. What stays, for statistics: the public, the commune's
official code, every date, state, count, structure, funder and amount, and the choices made in
forms (codes from a list, dates, amounts, ROME job and RNCP/RS codes). Nothing kept leads back to
the person: names and contact details are removed, not hashed.
"""
import json
import re
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..models import (AuditEvent, FundingPlan, FundingRequest, HumanTask, Journey, OutboxMessage, Person,
                      Referral)
from ..models import ContactRequest
from ..queries.person_export import journey_in_progress
from . import audit

REMOVED_FIELDS = ("prenom", "nom", "annee_naissance", "telephone", "email", "commune")
PERSONAL_CHECKS = {"telephone", "email", "annee_naissance", "commune"}
KEPT_CHECKS = {"rome", "certification"}
BATCH = 200
PER_RUN = 1000  # people per worker pass; a backlog drains over the next passes
# Audit summaries that quote a free text after « : »: the label is kept, the text goes.
_QUOTING_ACTIONS = {"referral.abandoned": "Orientation abandonnée"}
_GONE = object()  # a value scrubbed away
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?$")
_AMOUNT = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")
_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,79}$")
ANONYMISED_SUBJECT = "Message d'un dossier anonymisé"
ANONYMISED_BODY = "Le contenu de ce message a été supprimé : le dossier de la personne a été anonymisé."
ANONYMISED_SUMMARY = "Entrée d'un dossier anonymisé"


def anonymise_after() -> timedelta:
    return timedelta(days=int(current_app.config.get("ANONYMISE_AFTER_DAYS", 730)))


def anonymise_inactive(now: datetime, limit: int = PER_RUN) -> int:
    """Anonymise up to `limit` people inactive since before the cut-off, in batches flushed one by
    one; the run is audited once with the count. The caller commits (the worker, each pass)."""
    cutoff = now - anonymise_after()
    done = 0
    while done < limit:
        ids = list(db.session.scalars(select(Person.id).where(
            Person.anonymised_at.is_(None), Person.merged_into_id.is_(None), Person.last_contact_at < cutoff,
            ~journey_in_progress()).order_by(Person.last_contact_at, Person.id).limit(min(BATCH, limit - done))))
        for person_id in ids:
            anonymise_person(person_id, now)
        db.session.flush()
        done += len(ids)
        if len(ids) < BATCH:
            break
    if done:
        audit.record(None, "retention.anonymised", f"Anonymisation de {done} dossier(s) sans contact depuis "
                     f"{anonymise_after().days} jours", detail={"count": done})
        db.session.flush()
    return done


def anonymise_person(person_id: int, now: datetime) -> None:
    """Remove one person's identity and free texts (and those of the dossiers merged into it)."""
    people = db.session.scalars(select(Person).where(
        or_(Person.id == person_id, Person.merged_into_id == person_id))).all()
    identity = {str(getattr(p, k)) for p in people for k in REMOVED_FIELDS if getattr(p, k)}
    ids = [p.id for p in people]
    for person in people:
        for name in REMOVED_FIELDS:
            setattr(person, name, None)
        person.anonymised_at = now
    schemas: dict[int, dict] = {}
    for task in db.session.scalars(select(HumanTask).where(HumanTask.person_id.in_(ids))):
        if task.data:
            form = (task.journey.definition.forms or {}).get(task.form_key) or {}
            task.data = scrub(task.data, form.get("schema", {}).get("properties", {}))
    for journey in db.session.scalars(select(Journey).where(Journey.person_id.in_(ids))):
        if journey.definition_version_id not in schemas:
            schemas[journey.definition_version_id] = declared_fields(journey.definition.forms or {})
        journey.state = _scrub_state(journey.state, schemas[journey.definition_version_id])
    referral_ids = []
    for referral in db.session.scalars(select(Referral).where(Referral.person_id.in_(ids))):
        referral_ids.append(referral.id)
        referral.shared_data = {}
        referral.motif = referral.answer_comment = referral.contact_comment = None
    for plan in db.session.scalars(select(FundingPlan).where(FundingPlan.person_id.in_(ids))):
        plan.training_title, plan.training_organisation = "", None
        for request in db.session.scalars(select(FundingRequest).where(FundingRequest.plan_id == plan.id)):
            request.comment = request.reference = None
    for contact in db.session.scalars(select(ContactRequest).where(ContactRequest.person_id.in_(ids))):
        contact.message = ""  # what the visitor wrote on the public page
    message_about = OutboxMessage.person_id.in_(ids)
    if referral_ids:
        message_about = or_(message_about, OutboxMessage.referral_id.in_(referral_ids))
    for message in db.session.scalars(select(OutboxMessage).where(message_about)):
        message.subject, message.body, message.last_error = ANONYMISED_SUBJECT, ANONYMISED_BODY, None
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.person_id.in_(ids))):
        event.detail = None
        event.summary = _anonymised_summary(event, identity)


def _anonymised_summary(event: AuditEvent, identity: set[str]) -> str:
    if event.action in _QUOTING_ACTIONS:
        return _QUOTING_ACTIONS[event.action]
    lowered = event.summary.lower()
    if any(value.lower() in lowered for value in identity if len(value) > 1):
        return ANONYMISED_SUMMARY
    return event.summary


# --- free text in recorded data ---------------------------------------------------------------

def _keeps_strings(field: dict) -> bool:
    """A string of this field is a choice, a date, an amount or an official code, not free text."""
    target = field.get("items", field) if field.get("type") == "array" else field
    return bool("enum" in target or "oneOf" in target or field.get("x-vocabulary") or field.get("x-source")
                or target.get("format") in ("date", "date-time") or field.get("x-date")
                or field.get("x-amount") or field.get("x-check") in KEPT_CHECKS)


def _undeclared_keeps(value: str) -> bool:
    """A value no form declares (written by the engine's services): dates, amounts, code words."""
    return bool(_DATE.match(value) or _AMOUNT.match(value) or _CODE.match(value))


def scrub(data: dict, fields: dict) -> dict:
    """`data` without its free text: strings survive only as the form's choices, dates, amounts or
    codes (see _keeps_strings); what the forms check as personal (phone, e-mail, birth year,
    commune) never; a key no form declares keeps only dates, amounts and code words."""
    return _clean(data, None, fields)


def _clean(value, field: dict | None, fields: dict):
    if field is not None and field.get("x-check") in PERSONAL_CHECKS:
        return _GONE
    if isinstance(value, dict):
        props = (field or {}).get("properties") or {}
        default = {"x-amount": True} if (field or {}).get("x-vocabulary") == "financeurs" else None
        cleaned = {key: _clean(item, props.get(key) or default or fields.get(key), fields)
                   for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item is not _GONE}
    if isinstance(value, list):
        item_field = field if field is not None and _keeps_strings(field) else (field or {}).get("items")
        cleaned = [_clean(item, item_field, fields) for item in value]
        return [item for item in cleaned if item is not _GONE]
    if isinstance(value, str):
        if field is None:
            return value if _undeclared_keeps(value) else _GONE
        return value if _keeps_strings(field) else _GONE
    return value



def declared_fields(forms: dict) -> dict:
    """Every field the version's forms declare, by name; a name free text anywhere stays free text."""
    merged: dict = {}
    for form in forms.values():
        for name, field in (form.get("schema") or {}).get("properties", {}).items():
            if name in merged and not _keeps_strings(field):
                merged[name] = field
            merged.setdefault(name, field)
    return merged


def _scrub_state(state: str, fields: dict) -> str:
    """The stored workflow state with its recorded data scrubbed (names of keys and structure kept)."""
    try:
        tree = json.loads(state)
    except (TypeError, ValueError):
        return state
    return json.dumps(_walk_state(tree, fields))


# Where the serialized workflow keeps recorded values: each task's and the workflow's data, the
# changes a task made (its delta's updates) and the data objects.
STATE_DATA_KEYS = {"data", "updates", "data_objects"}


def _walk_state(node, fields: dict):
    if isinstance(node, dict):
        return {key: (scrub(item, fields) if key in STATE_DATA_KEYS and isinstance(item, dict)
                      else _walk_state(item, fields)) for key, item in node.items()}
    if isinstance(node, list):
        return [_walk_state(item, fields) for item in node]
    return node
