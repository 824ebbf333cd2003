"""A referral (orientation) of a person from one structure to another."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

REFERRAL_STATES = {
    "ouverte": "Ouverte", "acceptee": "Acceptée", "refusee": "Refusée", "redirigee": "Redirigée",
    "expiree": "Expirée", "aboutie": "Aboutie", "abandonnee": "Abandonnée",
    "reaffectee": "Réaffectée par la coordination",
}
DECLINE_REASONS = {
    "hors_champ": "La demande ne relève pas de notre champ d'intervention",
    "public_non_couvert": "Public non couvert par la structure",
    "capacite": "Pas de capacité d'accueil dans un délai raisonnable",
    "deja_accompagne": "Personne déjà accompagnée ailleurs",
    "injoignable": "Personne injoignable",
    "autre": "Autre motif (précisé)",
}
SHARED_FIELDS = {
    "identite": ("Identité (prénom, nom)", ("prenom", "nom")),
    "naissance": ("Année de naissance", ("annee_naissance",)),
    "coordonnees": ("Coordonnées (téléphone, courriel)", ("telephone", "email")),
    "situation": ("Situation (public, commune)", ("public", "commune", "commune_code")),
    "demande": ("Demande (thématiques, besoins)", ("thematiques", "besoins")),
}


class Referral(db.Model):
    __tablename__ = "referral"
    # referrals sent over a period, by receiving structure and state (« Indicateurs »)
    __table_args__ = (Index("ix_referral_sent", "sent_at", "to_structure_id", "status"),
                      # structures solicited per journey, index-only in journey order (« Indicateurs »)
                      Index("ix_referral_journey_to", "journey_id", "to_structure_id", postgresql_include=["sent_at"]))
    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journey.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    from_structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), index=True)
    to_structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), index=True)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))  # redirect chain
    status: Mapped[str] = mapped_column(String(20), default="ouverte", index=True)
    motif: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(String(20))  # "cep": to a CEP operator, who then opens the CEP
    shared_fields: Mapped[list] = mapped_column(JSON, default=list)
    shared_data: Mapped[dict] = mapped_column(JSON, default=dict)  # snapshot of what was ticked
    person_informed: Mapped[bool] = mapped_column(Boolean, default=False)
    information_mode: Mapped[str | None] = mapped_column(String(40))
    informed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    informed_at: Mapped[datetime | None] = mapped_column(DateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(40))
    answer_comment: Mapped[str | None] = mapped_column(Text)  # the receiver's word to the sender
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    first_appointment_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_contact_at: Mapped[datetime | None] = mapped_column(DateTime)
    contact_comment: Mapped[str | None] = mapped_column(Text)  # said when confirming the first contact
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    remind_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalate_at: Mapped[datetime | None] = mapped_column(DateTime)
    expire_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)  # accepted, declined or redirected
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)  # aboutie, expirée or abandonnée

    journey = relationship("Journey")
    person = relationship("Person")
    from_structure = relationship("Structure", foreign_keys=[from_structure_id])
    to_structure = relationship("Structure", foreign_keys=[to_structure_id])
    informed_by = relationship("User")
    previous = relationship("Referral", remote_side=[id])

    @property
    def status_label(self) -> str:
        return REFERRAL_STATES.get(self.status, self.status)
