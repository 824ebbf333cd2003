"""Append-only audit trail of reads and writes of personal data and of task actions."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_person_at", "person_id", "at"),
                      Index("ix_audit_event_structure_at", "structure_id", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structure.id"))
    # A second structure that may see this entry (the other side of a referral).
    shared_with_structure_id: Mapped[int | None] = mapped_column(ForeignKey("structure.id"))
    action: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # read | write | denied | auth
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("journey.id"))
    summary: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict | None] = mapped_column(JSON)

    user = relationship("User")
    structure = relationship("Structure", foreign_keys=[structure_id])
