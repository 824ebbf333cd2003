"""A journey is one running workflow instance for one person."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

STATUS_LABELS = {"en_cours": "En cours", "terminee": "Terminé", "incident": "Incident"}


class Journey(db.Model):
    __tablename__ = "journey"
    __table_args__ = (Index("ix_journey_ended", "process_key", "ended_at"),  # ends over a period (map of waits)
                      # receptions started over a period, by structure (« Indicateurs »)
                      Index("ix_journey_started", "process_key", "started_at", "structure_id"),
                      # « Indicateurs », index-only: receptions in person order (merged with ix_person_public),
                      # and in journey order (merged with ix_referral_journey_to, structures per reception)
                      Index("ix_journey_reception_person", "process_key", "person_id",
                            postgresql_include=["started_at", "structure_id"]),
                      Index("ix_journey_reception_id", "process_key", "id",
                            postgresql_include=["started_at", "structure_id"]))
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id"))
    process_key: Mapped[str] = mapped_column(String(80), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="en_cours", index=True)
    end_event: Mapped[str | None] = mapped_column(String(120))
    end_label: Mapped[str | None] = mapped_column(String(200))  # the end event's name, for people
    incident: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)  # serialized workflow, without its spec
    next_timer_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}

    definition = relationship("DefinitionVersion")
    person = relationship("Person")
    structure = relationship("Structure")
    started_by = relationship("User")
