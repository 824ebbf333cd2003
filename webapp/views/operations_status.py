"""« Exploitation »: how the worker keeps up, for the regional administration (403 for others)."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..queries.worker_status import operations_status

bp = Blueprint("operations_status", __name__, url_prefix="/administration/exploitation")


def duration(seconds: int | None) -> str:
    """« 45 s », « 12 min », « 3 h 05 min », « 2 j 4 h » — a wait in French, coarse enough to read."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} j {hours} h"


@bp.get("")
@login_required
def index():
    return render_template("operations.html", status=operations_status(current_user),
                           duration=duration)
