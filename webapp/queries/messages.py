"""Messages as one user reads them: unread counts."""
from sqlalchemy import func, select

from ..extensions import db
from ..models import OutboxMessage


def unread_count(actor) -> int:
    """Messages to the actor's structure created since the actor last opened « Messages »."""
    stmt = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.to_structure_id == actor.structure_id)
    if actor.messages_seen_at is not None:
        stmt = stmt.where(OutboxMessage.created_at > actor.messages_seen_at)
    return db.session.scalar(stmt) or 0
