"""The regional support programme for professionals: events and who registered (and attended)."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class SupportEvent(db.Model):
    """A technical day, an exchange of practice, a seminar or a webinar of the programme."""
    __tablename__ = "support_event"
    __table_args__ = (Index("ix_support_event_starts", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # journee_technique | echange_pratiques | seminaire | webinaire
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    duration_minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str | None] = mapped_column(String(250))
    online_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer)
    # Places taken (registrations « inscrit »): moved only by conditional UPDATEs, never past capacity.
    registered_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    networks: Mapped[list] = mapped_column(JSON, default=list)  # audience: network codes, empty = all
    registration_deadline: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    # None: a regional event (regional admin); a département code: a coordinator's territory event.
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime)  # the worker's reminder, once
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)  # called off by an organiser

    created_by = relationship("User")


class SupportRegistration(db.Model):
    """One professional's registration to one event (one row per pair, reused after a cancellation)."""
    __tablename__ = "support_registration"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_support_registration_event_user"),
                      Index("ix_support_registration_event_status", "event_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("support_event.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), index=True)  # at registration
    status: Mapped[str] = mapped_column(String(20))  # inscrit | liste_attente | annule
    registered_at: Mapped[datetime] = mapped_column(DateTime)  # the waiting list's order
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    attended: Mapped[bool | None] = mapped_column(Boolean)  # None until the organiser records it

    event = relationship("SupportEvent")
    user = relationship("User")
    structure = relationship("Structure")
