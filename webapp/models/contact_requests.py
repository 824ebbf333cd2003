"""A request to be contacted, sent from the public page « Trouver une structure » (no sign-in)."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ContactRequest(db.Model):
    """What the person typed, the consent they gave and the reception journey it opened; the
    person's contact itself lives on the `person` row. Deleted with the person or the journey."""
    __tablename__ = "contact_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structure.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journey.id", ondelete="CASCADE"), index=True)
    public: Mapped[str | None] = mapped_column(String(40))
    theme: Mapped[str | None] = mapped_column(String(80))  # a data·inclusion category code
    commune_code: Mapped[str | None] = mapped_column(String(5))
    message: Mapped[str] = mapped_column(Text)
    consent_text: Mapped[str] = mapped_column(Text)  # the exact wording the person ticked
    created_at: Mapped[datetime] = mapped_column(DateTime)
