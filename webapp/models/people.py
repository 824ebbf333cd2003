"""The people received by the network (usagers), possibly anonymous."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

IDENTITY_FIELDS = ("prenom", "nom", "annee_naissance", "telephone", "email")
PROFILE_FIELDS = ("public", "commune")


class Person(db.Model):
    __tablename__ = "person"
    # the public of each person read from the index alone, in id order (« Indicateurs », receptions)
    __table_args__ = (Index("ix_person_public", "id", postgresql_include=["public"]),)
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
    # A dossier merged into another keeps its row (nothing is lost) and points to the one kept.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime)  # identity and free text removed
    # Follow-up months after a service (operations/followups.py): when the person agreed to be asked by
    # e-mail, and when they refused any further contact (the refusal wins).
    contact_consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    contact_refused_at: Mapped[datetime | None] = mapped_column(DateTime)

    created_by_structure = relationship("Structure")

    @property
    def is_anonymous_person(self) -> bool:
        return not (self.nom or self.prenom)

    @property
    def display_name(self) -> str:
        if self.is_anonymous_person:
            return f"Personne anonyme n°{self.id}"
        return " ".join(p for p in (self.prenom, self.nom) if p)


class PersonAccess(db.Model):
    """Which structure may see which person, and how: `full` (received them or holds one of their
    journeys) or through the snapshots of referrals sent to it. Kept in step by
    operations/person_index; the list « Personnes suivies » and the search read it."""
    __tablename__ = "person_access"
    __table_args__ = (Index("ix_person_access_recent", "structure_id", "last_contact_at"),)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), primary_key=True)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    last_contact_at: Mapped[datetime] = mapped_column(DateTime)

    person = relationship("Person")


# Terms compare byte-wise on PostgreSQL so that a prefix is a range of the index whatever the
# database's collation.
_TERM = String(80).with_variant(String(80, collation="C"), "postgresql")


class PersonSearchTerm(db.Model):
    """One normalised word (lower case, no accents) of what a structure may see of a person:
    names, birth year, phone digits, e-mail, commune. Prefix search is a range over the index."""
    __tablename__ = "person_search_term"
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), primary_key=True)
    term: Mapped[str] = mapped_column(_TERM, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True, index=True)
