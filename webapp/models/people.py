"""The people received by the network (usagers), possibly anonymous."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

IDENTITY_FIELDS = ("prenom", "nom", "annee_naissance", "telephone", "email")
PROFILE_FIELDS = ("public", "commune")


class Person(db.Model):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    prenom: Mapped[str | None] = mapped_column(String(120))
    nom: Mapped[str | None] = mapped_column(String(120))
    annee_naissance: Mapped[int | None] = mapped_column(Integer)
    telephone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    public: Mapped[str | None] = mapped_column(String(40))
    commune: Mapped[str | None] = mapped_column(String(120))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_contact_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), index=True)

    created_by_structure = relationship("Structure")

    @property
    def is_anonymous_person(self) -> bool:
        return not (self.nom or self.prenom)

    @property
    def display_name(self) -> str:
        if self.is_anonymous_person:
            return f"Personne anonyme n°{self.id}"
        return " ".join(p for p in (self.prenom, self.nom) if p)
