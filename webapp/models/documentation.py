"""The documentation library: resources to give people, each with a review date, and the record of
which resource was given during which reception."""
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

FORMATS = [("publication", "Publication, guide"), ("fiche", "Fiche (métier, formation…)"),
           ("site", "Site ou service en ligne"), ("video", "Vidéo"), ("outil", "Outil, questionnaire"),
           ("autre", "Autre")]
LEVELS = [("nationale", "Nationale"), ("regionale", "Régionale"), ("locale", "Locale")]


class DocumentationResource(db.Model):
    __tablename__ = "documentation_resource"
    __table_args__ = (Index("ix_documentation_resource_review", "review_on", "overdue_notified_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    publisher: Mapped[str] = mapped_column(String(200))  # éditeur
    summary: Mapped[str | None] = mapped_column(Text)
    publics: Mapped[list] = mapped_column(JSON, default=list)  # codes of vocabularies.PUBLICS_SPRO
    themes: Mapped[list] = mapped_column(JSON, default=list)  # data·inclusion thématiques
    format: Mapped[str] = mapped_column(String(20))  # FORMATS
    level: Mapped[str] = mapped_column(String(20))  # LEVELS: nationale | regionale | locale
    url: Mapped[str | None] = mapped_column(String(500))  # http(s) only
    # An uploaded file, stored under DOCUMENTATION_FOLDER by a random name (file_key), never under static/.
    file_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    file_name: Mapped[str | None] = mapped_column(String(200))  # the uploaded name, made safe
    file_type: Mapped[str | None] = mapped_column(String(100))  # the checked content type
    file_size: Mapped[int | None] = mapped_column(Integer)
    # The owner: who added it, from which structure; a coordinator's resources belong to the
    # département of their structure, the regional admin's to the whole region (None).
    owner_structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    review_on: Mapped[date] = mapped_column(Date)  # date de révision: overdue the day after
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Set when the owner was told the resource is overdue; cleared when it is reviewed.
    overdue_notified_at: Mapped[datetime | None] = mapped_column(DateTime)

    owner_structure = relationship("Structure")
    created_by = relationship("User", foreign_keys=[created_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    def is_overdue(self, today: date) -> bool:
        return self.review_on < today


class ResourceGiven(db.Model):
    """A resource given to a person during a step of a journey (the reception's analysis)."""
    __tablename__ = "resource_given"
    __table_args__ = (UniqueConstraint("resource_id", "task_id", name="uq_resource_given_task"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("documentation_resource.id"), index=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journey.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), index=True)
    given_at: Mapped[datetime] = mapped_column(DateTime)
    given_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))

    resource = relationship("DocumentationResource")
    given_by = relationship("User")
