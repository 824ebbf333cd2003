"""The follow-up after a service: scheduled when a journey ends, sent by the worker months later to a
person who agreed, answered once through a random link without any account, refused in one click.

The link's token is never stored: the follow-up keeps its sha256 (prefixed « q: »), the opt-out link
another one (« r: »). The outbox message carries the link until it is sent; the worker's next pass
removes it from the stored body, with the address and the person (`scrub_sent_links`).

Nobody reading the rows can tell who answered: an answer changes only the follow-up's digest (to
`answered_digest`, opaque without the token), so an answered follow-up stays `envoye` and tied to the
person until its link's end like an unanswered one; then every one of them becomes `expire` and
forgets the person, the journey and the dates (`expire_links`). The answers themselves carry no identity."""
import calendar
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from .. import clock
from ..errors import Forbidden
from ..extensions import db
from ..models import Followup, OutboxMessage, Person, Structure
from ..models.followups import COMMENT_MAX, FOUND_CHOICES, FollowupAnswer, FollowupOptOutLink
from ..queries.followups import TOKEN_SHAPE, answered_digest, digest
from ..queries.identity import current_identity
from . import audit
from .notifications import public_link, queue_message

KIND = "suivi"
# Ends that hand the person over to a journey that goes on (the CEP opened here or at the operator):
# the follow-up waits for that journey's own end.
CONTINUED_ELSEWHERE = {("accueil", "fin_cep_ouvert"), ("accueil", "fin_orientation_cep")}
_LINK_IN_BODY = re.compile(r"\S*/suivi/[A-Za-z0-9_-]{32,64}(/refus)?")
LINK_REMOVED = "(lien retiré après l'envoi)"


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole months, the day clamped to the month's length (31 August + 6 = 28/29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def schedule_after_end(journey) -> Followup | None:
    """Called when a journey's status becomes `terminee`: one follow-up row due months later (one
    INSERT; consent and address are looked at when it is due, as they may change meanwhile)."""
    if (journey.process_key, journey.end_event) in CONTINUED_ELSEWHERE:
        return None
    ended = journey.ended_at or clock.now()
    if journey.id is None:
        db.session.flush()
    followup = Followup(
        person_id=journey.person_id, journey_id=journey.id, structure_id=journey.structure_id,
        process_key=journey.process_key, service_end_month=ended.strftime("%Y-%m"), status="prevu",
        due_at=add_months(ended, current_app.config["FOLLOWUP_AFTER_MONTHS"]))
    db.session.add(followup)
    return followup


# --- the worker --------------------------------------------------------------------------------

def worker_pass(limit: int = 50) -> int:
    """Remove sent links from stored messages, close expired links, then send the due follow-ups
    (each in its own transaction) if SPRO_PUBLIC_URL is set; return how many messages were queued."""
    scrub_sent_links()
    expire_links()
    if not current_app.config.get("PUBLIC_URL"):  # a bare path in a person's e-mail leads nowhere
        state = current_app.extensions.setdefault("spro_followups", {})
        if not state.get("warned_no_public_url"):  # once per process, not on every pass
            current_app.logger.warning("SPRO_PUBLIC_URL n'est pas défini : les questionnaires de suivi attendent.")
            state["warned_no_public_url"] = True
        return 0
    queued = 0
    for _ in range(limit):
        outcome = send_next_due()
        if outcome is None:
            break
        queued += outcome
    return queued


def send_next_due() -> int | None:
    """Take the oldest due follow-up, send its message or close it without contact, commit.
    None when nothing is due; 1 when a message was queued, else 0."""
    now = clock.now()
    followup = db.session.scalar(
        select(Followup).where(Followup.status == "prevu", Followup.due_at <= now)
        .order_by(Followup.due_at, Followup.id).limit(1).with_for_update(skip_locked=True))
    if followup is None:
        db.session.commit()
        return None
    person = _current_person(followup.person_id)
    original = db.session.get(Person, followup.person_id) if followup.person_id else None
    refused_before_merge = original is not None and original.contact_refused_at is not None
    reachable = person is not None and _may_contact(person) and not refused_before_merge
    live_until = _live_link_until(person.id, followup.id) if reachable else None
    if live_until is not None:  # one questionnaire at a time: this one waits for the other's end
        followup.due_at = live_until + timedelta(minutes=1)
        db.session.commit()
        return 0
    claimed = db.session.execute(
        update(Followup).where(Followup.id == followup.id, Followup.status == "prevu")
        .values(status="envoye" if reachable else "sans_contact", sent_at=now if reachable else None)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1 or not reachable:  # another worker took it, or nobody to write to
        db.session.commit()
        return 0
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=current_app.config["FOLLOWUP_LINK_DAYS"])
    db.session.execute(update(Followup).where(Followup.id == followup.id)
                       .values(token_digest=digest(token), expires_at=expires_at)
                       .execution_options(synchronize_session=False))
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)  # no finer time kept
    db.session.add(FollowupOptOutLink(digest=digest(token, "r"), person_id=person.id, created_at=month_start))
    structure = db.session.get(Structure, followup.structure_id)
    service = " ".join(current_identity().name.split())  # the regional identity, on one line (a subject)
    queue_message(KIND, person.email, f"Votre avis sur l'accompagnement reçu — {service}",
                  _body(token, structure.name if structure else "une structure du réseau", expires_at, service),
                  person_id=person.id)
    db.session.commit()
    return 1


def _body(token: str, structure_name: str, expires_at: datetime, service: str) -> str:
    months = current_app.config["FOLLOWUP_AFTER_MONTHS"]
    return (
        "Bonjour,\n\n"
        f"Il y a {months} mois, vous avez été accompagné·e par {structure_name} dans le cadre du Service "
        "public régional de l'orientation. Avez-vous trouvé ce dont vous aviez besoin ?\n\n"
        "Trois questions, deux minutes, sans créer de compte :\n"
        f"{public_link(f'/suivi/{token}')}\n\n"
        f"Ce lien est personnel, ne sert qu'une fois et fonctionne jusqu'au {expires_at:%d/%m/%Y}. "
        "Vos réponses sont enregistrées sans votre nom.\n\n"
        "Vous ne souhaitez plus être contacté·e par le SPRO ? Un clic suffit :\n"
        f"{public_link(f'/suivi/{token}/refus')}\n\n"
        f"Bonne continuation,\n{service}\n")


def _current_person(person_id: int | None) -> Person | None:
    """The person, or the dossier it was merged into."""
    person = db.session.get(Person, person_id) if person_id else None
    for _ in range(10):
        if person is None or person.merged_into_id is None:
            return person
        person = db.session.get(Person, person.merged_into_id)
    return None


def _may_contact(person: Person) -> bool:
    """Agreed, never refused, not anonymised, with an e-mail address (no SMS channel exists)."""
    return bool(person.contact_consent_at and not person.contact_refused_at and not person.anonymised_at
                and person.email)


def _live_link_until(person_id: int, other_than: int) -> datetime | None:
    """When the questionnaire already waiting for this person's answer expires (None: there is none)."""
    return db.session.scalar(select(func.max(Followup.expires_at)).where(
        Followup.person_id == person_id, Followup.status == "envoye", Followup.id != other_than))


def expire_links() -> int:
    """Close the links past their end, answered or not (the rows cannot tell), and forget who they
    were sent to and when: only structure, process and month remain (committed)."""
    result = db.session.execute(
        update(Followup).where(Followup.status == "envoye", Followup.expires_at < clock.now())
        .values(status="expire", person_id=None, journey_id=None, sent_at=None, due_at=None, expires_at=None)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def scrub_sent_links() -> int:
    """Replace the links of follow-up messages already sent (or given up) by a mention, and drop the
    address and the person: the message no longer says whom it went to (committed). The follow-up
    row keeps the person until the link's end (one questionnaire at a time, the refusal)."""
    # Messages older than a link's life carry only dead links (the index on status and time bounds the scan).
    since = clock.now() - timedelta(days=current_app.config["FOLLOWUP_LINK_DAYS"] + 1)
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status.in_(("envoye", "echec")), OutboxMessage.created_at >= since,
        OutboxMessage.kind == KIND, OutboxMessage.body.contains("/suivi/"))).all()
    for message in messages:
        message.body = _LINK_IN_BODY.sub(LINK_REMOVED, message.body)
        message.to_address, message.person_id = "", None
    db.session.commit()
    return len(messages)


# --- the answer ---------------------------------------------------------------------------------

def check_answer(form) -> tuple[dict, dict]:
    """The questionnaire's values, cleaned, and a French message per faulty field."""
    values = {"trouve": (form.get("trouve") or "").strip(), "adaptee": (form.get("adaptee") or "").strip(),
              "commentaire": (form.get("commentaire") or "").strip()}
    errors = {}
    if values["trouve"] not in FOUND_CHOICES:
        errors["trouve"] = "Choisissez une réponse : oui, en partie ou non."
    if values["adaptee"] not in ("1", "2", "3", "4", "5"):
        errors["adaptee"] = "Choisissez une note de 1 à 5."
    comment = values["commentaire"]
    if len(comment) > COMMENT_MAX:
        errors["commentaire"] = f"Votre commentaire dépasse {COMMENT_MAX} caractères ({len(comment)}) : raccourcissez-le."
    elif "\x00" in comment or any(0xD800 <= ord(c) <= 0xDFFF for c in comment):
        errors["commentaire"] = "Votre commentaire contient des caractères qui ne peuvent pas être enregistrés."
    return values, errors


def record_answer(followup_id: int, values: dict) -> bool:
    """Store the answer without identity and spend the link (a conditional UPDATE: once only, and
    only before it expires). Only the digest changes, so that the row still looks like an unanswered
    one (`expire_links` later unlinks both alike). False when the link was spent or expired meanwhile."""
    followup = db.session.get(Followup, followup_id)
    live = followup.token_digest if followup is not None else None
    if live is None:
        return False
    spent = db.session.execute(
        update(Followup).where(Followup.id == followup_id, Followup.status == "envoye",
                               Followup.token_digest == live, Followup.expires_at >= clock.now())
        .values(token_digest=answered_digest(live))
        .execution_options(synchronize_session=False)).rowcount
    if spent != 1:
        return False
    db.session.add(FollowupAnswer(structure_id=followup.structure_id, process_key=followup.process_key,
                                  service_end_month=followup.service_end_month, found=values["trouve"],
                                  structure_fit=int(values["adaptee"]), comment=values["commentaire"] or None))
    return True


# --- consent and refusal ---------------------------------------------------------------------

def set_consent(actor, person_id: int, agreed: bool) -> Person:
    """A counsellor of a structure holding the whole dossier records whether the person agrees to be
    asked for their opinion; agreeing again lifts an earlier refusal (the person said so)."""
    from ..queries.people import person_for
    from ..queries.referrals import has_full_access
    person = person_for(actor, person_id)
    if not has_full_access(actor, person):
        raise Forbidden("Seule la structure qui accompagne la personne peut enregistrer son accord.")
    now = clock.now()
    if agreed:
        person.contact_consent_at, person.contact_refused_at = now, None
        audit.record(actor, "person.followup_consent", "Accord pour le suivi à distance enregistré",
                     person_id=person.id)
    else:
        person.contact_consent_at = None
        _cancel_pending(person.id)
        audit.record(actor, "person.followup_consent_withdrawn", "Pas d'accord pour le suivi à distance",
                     person_id=person.id)
    return person


def refuse_contact(token: str) -> bool:
    """The person's « ne plus me contacter »: through the opt-out link or the questionnaire's link.
    Sets the refusal and cancels every follow-up not answered yet. False for an unknown link."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return False
    link = db.session.get(FollowupOptOutLink, digest(token, "r"))
    if link is None:
        return False
    person = _current_person(link.person_id)
    if person is None:
        return False
    if person.contact_refused_at is None:
        person.contact_refused_at = clock.now()
        audit.record(None, "person.contact_refused", "La personne a demandé à ne plus être contactée",
                     person_id=person.id)
    _cancel_pending(person.id)
    if link.person_id != person.id:
        _cancel_pending(link.person_id)
    return True


def _cancel_pending(person_id: int) -> None:
    db.session.execute(update(Followup).where(Followup.person_id == person_id,
                                              Followup.status.in_(("prevu", "envoye")))
                       .values(status="annule").execution_options(synchronize_session=False))
