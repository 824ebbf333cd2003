"""Outgoing messages: queued in the caller's transaction (outbox), sent by the worker.

Delivery guarantee: AT MOST ONCE. A message is claimed (`a_envoyer` -> `envoi_en_cours`,
committed) before it is handed to the sender, so two workers never send the same message:
candidates are picked with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite ignores it and
serialises writers) and the claim is a conditional UPDATE that only one worker can win.

The price is paid when a worker dies between the claim and the result: the message stays
`envoi_en_cours` and nobody knows whether it left. We prefer never writing twice to a person's
counsellor over writing late, so such a claim older than STALE_CLAIM_AFTER is not re-sent: it is
marked `echec` with an explanation, for a human to check and send again by hand if needed
(at-least-once would re-send it automatically, and sometimes twice).

`claimed_at` records when a worker took the message.
A failed send (the sender raised) is retried on the next passes, one try per message and pass,
until MAX_ATTEMPTS; then the message stays `echec`.
"""
import smtplib
import ssl
from datetime import timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

from flask import current_app, has_request_context, request
from sqlalchemy import case, select, update

from .. import clock
from ..extensions import db
from ..models import OutboxMessage

TO_SEND, SENDING, SENT, FAILED = "a_envoyer", "envoi_en_cours", "envoye", "echec"
STATUS_LABELS = {TO_SEND: "À envoyer", SENDING: "Envoi en cours", SENT: "Envoyé", FAILED: "Échec"}
KIND_LABELS = {"arrivee": "Nouvelle orientation", "relance": "Relance", "escalade": "Escalade",
               "expiration": "Orientation expirée", "issue": "Issue de l'orientation",
               "acceptation": "Orientation acceptée", "refus": "Orientation refusée",
               "aboutie": "Orientation aboutie", "reaffectation": "Orientation réaffectée",
               "redirection": "Orientation redirigée"}
KIND_LABELS["suivi"] = "Questionnaire de suivi (à la personne)"  # operations/followups: after a service
KIND_LABELS["documentation_revision"] = "Ressource à réviser"  # operations/documentation.notify_overdue
KIND_LABELS.update(rappel_programme="Rappel d'un événement du programme",  # operations/support_programme
                   programme_place="Place libérée à un événement du programme",
                   programme_modification="Changement d'un événement du programme",
                   programme_annulation="Annulation d'un événement du programme")
KIND_LABELS["demande_publique"] = "Demande de recontact (page publique)"  # operations/contact_requests
MAX_ATTEMPTS = 5
STALE_CLAIM_AFTER = timedelta(minutes=15)
SMTP_TIMEOUT_SECONDS = 30
STALE_CLAIM_ERROR = (
    "Envoi interrompu : le processus d'envoi s'est arrêté pendant l'envoi. Le message a peut-être "
    "été reçu ; il n'est pas renvoyé automatiquement pour éviter un doublon. Vérifiez auprès du "
    "destinataire avant de le renvoyer.")


def public_link(path: str) -> str:
    """An absolute link for a message: the configured public address (SPRO_PUBLIC_URL) or, when
    none is set, the address the current request came to; outside a request, the path alone."""
    base = current_app.config.get("PUBLIC_URL")
    if not base and has_request_context():
        base = request.url_root
    return f"{base.rstrip('/')}{path}" if base else path


def queue_message(kind: str, to_address: str, subject: str, body: str, *,
                  to_structure_id: int | None = None, referral_id: int | None = None,
                  person_id: int | None = None) -> OutboxMessage:
    """Add a message to send in the caller's transaction: it exists iff the caller commits."""
    message = OutboxMessage(
        kind=kind, to_address=(to_address or "")[:200], subject=subject[:250], body=body,
        to_structure_id=to_structure_id, referral_id=referral_id, person_id=person_id, status=TO_SEND,
        attempts=0, created_at=clock.now())
    db.session.add(message)
    db.session.flush()
    return message


def send_pending(limit: int = 50, sender=None) -> int:
    """Send up to `limit` queued messages; return how many were sent.

    `sender(message)` delivers one message or raises; by default it follows MAIL_BACKEND.
    Commits as it goes (claim, then result, per message): call it from the worker, never
    inside another unit of work.
    """
    sender = default_sender() if sender is None else sender
    fail_stale_claims()
    tried: list[int] = []  # one try per message and pass: a failure waits for the next pass
    sent = 0
    for _ in range(limit):
        candidate_id = _next_candidate(tried)
        if candidate_id is None:
            break
        message = _claim(candidate_id)
        if message is None:  # another worker claimed it first
            continue
        tried.append(message.id)
        try:
            sender(message)
        except Exception as exc:  # any sender failure is recorded on the message, never lost
            db.session.rollback()
            _record_failure(message.id, f"{type(exc).__name__}: {exc}")
        else:
            _record_success(message.id)
            sent += 1
    return sent


def fail_stale_claims() -> int:
    """Mark `echec` the messages claimed more than STALE_CLAIM_AFTER ago and never finished."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < clock.now() - STALE_CLAIM_AFTER)
        .values(status=FAILED, last_error=STALE_CLAIM_ERROR, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def _next_candidate(excluded: list[int]) -> int | None:
    """The oldest message to send that no other worker holds (the row stays locked until commit)."""
    stmt = select(OutboxMessage.id).where(OutboxMessage.status == TO_SEND)
    if excluded:
        stmt = stmt.where(OutboxMessage.id.not_in(excluded))
    return db.session.scalar(stmt.order_by(OutboxMessage.id).limit(1).with_for_update(skip_locked=True))


def _claim(message_id: int) -> OutboxMessage | None:
    """Take the message for this worker and commit; None when another worker won it.

    The returned message is detached from the session, with its columns loaded, so that
    sending holds no transaction open and the sender reads no row.
    """
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == TO_SEND)
        .values(status=SENDING, claimed_at=clock.now())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.commit()
        return None
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    db.session.expunge(message)
    db.session.commit()
    return message


def _record_success(message_id: int) -> None:
    # By id only: if a slow send outlived STALE_CLAIM_AFTER, the truth is still "sent".
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id)
        .values(status=SENT, sent_at=clock.now(), last_error=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def _record_failure(message_id: int, error: str) -> None:
    attempts = OutboxMessage.attempts + 1
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == SENDING)
        .values(attempts=attempts, last_error=error[:2000],
                status=case((attempts < MAX_ATTEMPTS, TO_SEND), else_=FAILED))
        .execution_options(synchronize_session=False))
    db.session.commit()


# --- senders -------------------------------------------------------------------------------

def default_sender():
    """The sender chosen by MAIL_BACKEND: "page" (demo, nothing leaves) or "smtp"."""
    backend = current_app.config.get("MAIL_BACKEND", "page")
    if backend == "page":
        return page_sender
    if backend == "smtp":
        return smtp_sender
    raise ValueError(f"unknown MAIL_BACKEND {backend!r} (expected 'page' or 'smtp')")


def page_sender(message: OutboxMessage) -> None:
    """Demo backend: no network; the message is marked sent and read on the messages page."""


def build_email(message: OutboxMessage) -> EmailMessage:
    """The e-mail of a queued message, sent under the service's name (the regional identity)."""
    from ..queries.identity import current_identity
    name = current_identity().name
    email = EmailMessage()
    email["From"] = formataddr((name, parseaddr(current_app.config["MAIL_SENDER"])[1]))
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(clock.now().replace(tzinfo=timezone.utc))
    email["Message-ID"] = make_msgid(idstring=f"spro-outbox-{message.id}")
    email["Organization"] = name
    email.set_content(message.body, cte="quoted-printable")  # 7-bit: any relay accepts it
    return email


def smtp_sender(message: OutboxMessage) -> None:
    """Send one message through the SMTP server of the settings (STARTTLS and login if set)."""
    config = current_app.config
    if not message.to_address:
        raise ValueError("pas d'adresse de destination")
    email = build_email(message)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if config.get("SMTP_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(email)


# --- the reader ---------------------------------------------------------------------------

def mark_messages_seen(actor) -> None:
    """The actor opened « Messages »: what was created until now is read (the caller commits)."""
    actor.messages_seen_at = clock.now()
