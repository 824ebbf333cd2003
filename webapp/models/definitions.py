"""Published, immutable versions of BPMN process definitions and DMN tables, and the drafts
process owners work on before publishing."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
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
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
