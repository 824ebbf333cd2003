"""The human-task index: one row per user task, kept in step with the workflow state."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class HumanTask(db.Model):
    __tablename__ = "human_task"
    __table_args__ = (
        # The lists read these indexes alone (every column they sort on is in them): a structure's
        # queue of thousands of open tasks is counted and paged without reading the table.
        Index("ix_human_task_queue", "status", "structure_id", "role", "priority", "due_at", "created_at", "id",
              postgresql_include=["process_key", "bpmn_id"]),  # the queue's filter menus too
        Index("ix_human_task_assignee", "status", "assignee_id", "priority", "due_at", "created_at", "id"),
        # the studio's map of where people wait, and what was completed over a period
        Index("ix_human_task_heatmap", "process_key", "status", "bpmn_id", "created_at",
              postgresql_include=["definition_version_id"]),  # the map of one version reads the index only
        Index("ix_human_task_entered", "process_key", "created_at"),  # steps entered over a period
        Index("ix_human_task_done", "process_key", "status", "completed_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journey.id"), index=True)
    # the journey's version when the task was open: an open task follows its journey when the journey is
    # migrated, a completed or cancelled one keeps the version it was done on (operations.task_index)
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    task_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    process_key: Mapped[str] = mapped_column(String(80))
    form_key: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(40))
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(20), default="ouverte")  # ouverte | terminee | annulee
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 1: urgent, listed first
    created_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    data: Mapped[dict | None] = mapped_column(JSON)  # what was submitted, for the timeline

    journey = relationship("Journey")
    person = relationship("Person")
    structure = relationship("Structure")
    assignee = relationship("User", foreign_keys=[assignee_id])
    completed_by = relationship("User", foreign_keys=[completed_by_id])
