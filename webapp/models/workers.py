"""Worker processes report they are alive: the health endpoint and the operations page read it."""
from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class WorkerHeartbeat(db.Model):
    """One row per running `spro worker` (host and process id), refreshed at every pass."""
    __tablename__ = "worker_heartbeat"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # « host:pid »
    started_at: Mapped[datetime] = mapped_column(DateTime)
    beat_at: Mapped[datetime] = mapped_column(DateTime)
    passes: Mapped[int] = mapped_column(Integer, default=0)
