"""CEP funding: the funders list, a journey's funding plans (one per revision) and their requests."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

Money = Numeric(12, 2)

FUNDER_KINDS = {
    "cpf": "Compte personnel de formation (titulaire)",
    "abondement": "Abondement du CPF",
    "transition": "Projet de transition professionnelle",
    "personne": "Participation de la personne",
    "autre": "Autre financeur",
}
# A request's life: prepared, submitted, then the funder's decision; `reprise` is a line carried
# unchanged from an earlier plan whose funder already granted it (nothing to ask again).
REQUEST_STATES = {
    "a_preparer": "À préparer", "deposee": "Déposée, en attente de décision", "accordee": "Accordée",
    "partielle": "Accordée en partie", "refusee": "Refusée", "reprise": "Accordée (plan précédent)",
    "sans_objet": "Sans demande (participation de la personne)", "annulee": "Annulée",
}
PLAN_STATES = {
    "en_cours": "Demandes en cours", "finance": "Financé", "a_reviser": "À réviser",
    "arrete": "Arrêté", "entree_confirmee": "Entrée en formation confirmée",
}


class Funder(db.Model):
    """A funder a plan may name; the regional admin edits the list (reference data, not demo)."""
    __tablename__ = "funder"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20), default="autre")
    needs_request: Mapped[bool] = mapped_column(Boolean, default=True)  # the person's share needs none
    position: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())


class FundingPlan(db.Model):
    """One version of a journey's funding plan; a revision adds the next number."""
    __tablename__ = "funding_plan"
    __table_args__ = (UniqueConstraint("journey_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journey.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="en_cours", index=True)
    training_title: Mapped[str] = mapped_column(String(300))
    training_organisation: Mapped[str | None] = mapped_column(String(300))
    certification: Mapped[str | None] = mapped_column(String(20))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    duration_hours: Mapped[int | None] = mapped_column(Integer)
    cost_teaching: Mapped[Decimal] = mapped_column(Money)
    cost_other: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total_cost: Mapped[Decimal] = mapped_column(Money)
    cpf_balance: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    requests = relationship("FundingRequest", back_populates="plan", order_by="FundingRequest.position")
    structure = relationship("Structure")

    @property
    def granted(self) -> Decimal:
        """What the funders granted so far (the person's own share counts as granted)."""
        return sum((r.amount_granted or Decimal("0") for r in self.requests), Decimal("0.00"))

    @property
    def remaining(self) -> Decimal:
        """« Reste à financer »: the cost not yet covered by a grant."""
        return self.total_cost - self.granted


class FundingRequest(db.Model):
    """One funder's line of a plan: the amount asked, then the request's progress and decision."""
    __tablename__ = "funding_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("funding_plan.id"), index=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journey.id"), index=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"))
    funder_id: Mapped[int] = mapped_column(ForeignKey("funder.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    amount_requested: Mapped[Decimal] = mapped_column(Money)
    amount_granted: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20), default="a_preparer", index=True)
    reference: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[date | None] = mapped_column(Date)
    remind_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[date | None] = mapped_column(Date)
    comment: Mapped[str | None] = mapped_column(Text)
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("funding_request.id"))

    plan = relationship("FundingPlan", back_populates="requests")
    funder = relationship("Funder")
