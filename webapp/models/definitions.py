"""Published, immutable versions of BPMN process definitions and DMN tables, and the drafts
process owners work on before publishing."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DefinitionVersion(db.Model):
    __tablename__ = "definition_version"
    __table_args__ = (UniqueConstraint("process_key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="bpmn", server_default="bpmn")  # bpmn | dmn
    bpmn_xml: Mapped[str] = mapped_column(Text)
    spec_json: Mapped[str] = mapped_column(Text)  # serialized specs (process and called subprocesses)
    forms: Mapped[dict] = mapped_column(JSON, default=dict)  # form file name -> {schema, ui}
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    change_note: Mapped[str | None] = mapped_column(Text)  # what changed, in the process owner's words


class DefinitionDraft(db.Model):
    """A process owner's work in progress on one definition: saved (and checked) as often as they
    like; publishing turns it into the next immutable version."""
    __tablename__ = "definition_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="bpmn")  # bpmn | dmn
    file_name: Mapped[str] = mapped_column(String(200))
    xml: Mapped[str] = mapped_column(Text)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("definition_version.id"))
    problems: Mapped[list] = mapped_column(JSON, default=list)  # [{"element": id, "message": French}]
    # Forms edited in the studio for this journey: file name -> {schema, ui}; they replace the
    # version's forms of the same name when the draft is published.
    forms: Mapped[dict] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class JourneyMigration(db.Model):
    """A process owner's move of the journeys waiting on one version to a newer version of the same
    journey. It runs journey by journey (each all or nothing), in order of journey id; `last_journey_id`
    is how far it got, so an interrupted run resumes where it stopped."""
    __tablename__ = "journey_migration"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(80), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id"))
    status: Mapped[str] = mapped_column(String(20), default="en_cours")  # en_cours | terminee
    total: Mapped[int] = mapped_column(Integer, default=0)   # journeys waiting on the old version at the start
    moved: Mapped[int] = mapped_column(Integer, default=0)   # now on the new version
    kept: Mapped[int] = mapped_column(Integer, default=0)    # left on the old version, with their reason
    last_journey_id: Mapped[int] = mapped_column(Integer, default=0)
    kept_reasons: Mapped[dict] = mapped_column(JSON, default=dict)  # reason (French) -> count
    started_at: Mapped[datetime] = mapped_column(DateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
