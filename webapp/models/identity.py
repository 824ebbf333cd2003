"""The service's regional identity (name, logo, colours), set by the regional administration."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db


class RegionalIdentity(db.Model):
    """One row (id 1); absent or broken values fall back to the defaults of identity_rules."""
    __tablename__ = "regional_identity"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    short_name: Mapped[str] = mapped_column(String(40))
    primary_color: Mapped[str] = mapped_column(String(7))  # « #1d4f91 »
    accent_color: Mapped[str] = mapped_column(String(7))
    header_text_color: Mapped[str] = mapped_column(String(7))
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # checked PNG or JPEG bytes
    logo_type: Mapped[str | None] = mapped_column(String(20))  # image/png | image/jpeg
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_width: Mapped[int | None] = mapped_column(Integer)
    logo_height: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every save
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
