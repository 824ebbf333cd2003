"""Territories (départements, bassins) and partner structures."""
from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Territory(db.Model):
    __tablename__ = "territory"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # departement | bassin
    departement: Mapped[str] = mapped_column(String(3), index=True)


class BassinCommune(db.Model):
    """A bassin is a configurable group of communes (official INSEE codes)."""
    __tablename__ = "bassin_commune"
    bassin_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True, index=True)


class Structure(db.Model):
    __tablename__ = "structure"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    network: Mapped[str] = mapped_column(String(40), index=True)
    departement: Mapped[str] = mapped_column(String(3), index=True)
    bassin: Mapped[str | None] = mapped_column(String(40))
    commune: Mapped[str | None] = mapped_column(String(120))
    commune_code: Mapped[str | None] = mapped_column(String(5))  # official geographic code (INSEE)
    address: Mapped[str | None] = mapped_column(String(250))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    opening_hours: Mapped[str | None] = mapped_column(String(250))
    publics: Mapped[list] = mapped_column(JSON, default=list)
    themes: Mapped[list] = mapped_column(JSON, default=list)
    cep_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    convention: Mapped[str] = mapped_column(String(20), default="regionale")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("structure.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    parent = relationship("Structure", remote_side=[id])

    def __repr__(self):
        return f"<Structure {self.slug}>"
