"""Outgoing notifications, written in the same transaction as what they announce."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    # the oldest message waiting or failed, for the operations page, without reading them all
    __table_args__ = (Index("ix_outbox_message_status_created", "status", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # arrivee, relance, escalade, expiration, issue…
    to_address: Mapped[str] = mapped_column(String(200))
    to_structure_id: Mapped[int | None] = mapped_column(ForeignKey("structure.id"), index=True)
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # the dossier it is about
    # a_envoyer | envoi_en_cours (claimed by a worker) | envoye | echec
    status: Mapped[str] = mapped_column(String(20), default="a_envoyer", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
