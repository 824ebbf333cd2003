"""The follow-up months after a service ends, and the satisfaction answers it collects (without identity)."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# prevu (waiting for its due date) | envoye (message queued, link alive, answered or not) | repondu (older
# rows only: answers now keep `envoye`) | expire (link ended, answered or not)
# | annule (the person refused any contact) | sans_contact (due, but no consent or no address: nothing sent)
FOLLOWUP_STATES = {"prevu": "Prévu", "envoye": "Envoyé", "repondu": "Répondu", "expire": "Expiré",
                   "annule": "Annulé", "sans_contact": "Non envoyé (pas d'accord ou pas de courriel)"}
FOUND_CHOICES = {"oui": "Oui", "partiellement": "En partie", "non": "Non"}
COMMENT_MAX = 1000


class Followup(db.Model):
    """One follow-up per ended journey. When its link ends (answered or not: an answer only changes the
    digest, operations/followups.py) it forgets the person, the journey and the dates: only structure,
    process, month and state remain."""
    __tablename__ = "followup"
    __table_args__ = (Index("ix_followup_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("journey.id"), unique=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"))
    process_key: Mapped[str] = mapped_column(String(80))
    service_end_month: Mapped[str] = mapped_column(String(7))  # "2026-06"
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="prevu")
    token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the link's token
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)


class FollowupAnswer(db.Model):
    """A satisfaction answer: no person, no journey, no time finer than the month the service ended."""
    __tablename__ = "followup_answer"
    __table_args__ = (Index("ix_followup_answer_month", "service_end_month", "structure_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"))
    process_key: Mapped[str] = mapped_column(String(80))
    service_end_month: Mapped[str] = mapped_column(String(7))
    found: Mapped[str] = mapped_column(String(20))  # FOUND_CHOICES
    structure_fit: Mapped[int] = mapped_column(SmallInteger)  # 1 (pas du tout) … 5 (tout à fait)
    comment: Mapped[str | None] = mapped_column(Text)


class FollowupOptOutLink(db.Model):
    """The « ne plus me contacter » link of a follow-up message (sha256 of the token, with another
    prefix than the questionnaire's): it still works after the questionnaire was answered.
    `created_at` holds the first day of the month it was sent, no finer (a time would date the answer)."""
    __tablename__ = "followup_opt_out_link"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
