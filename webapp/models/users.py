"""Professionals who log in, and their API tokens."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

ROLES = ("conseiller", "conseiller_cep", "coordinateur", "pilote", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), index=True)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    previous_login_at: Mapped[datetime | None] = mapped_column(DateTime)  # « what changed since »
    messages_seen_at: Mapped[datetime | None] = mapped_column(DateTime)  # unread = newer than this
    # Bumped by logout and password change: a session cookie carrying an older value is refused.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    structure = relationship("Structure")

    @property
    def is_active(self):
        return self.active

    def has_role(self, role: str) -> bool:
        return role in (self.roles or [])


class ApiToken(db.Model):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)

    user = relationship("User")


class SignInThrottle(db.Model):
    """Failed sign-ins counted per key (« user:<name> » or « ip:<address> »), in the shared database
    so that every app process sees them."""
    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(DateTime)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
