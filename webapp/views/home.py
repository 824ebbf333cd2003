"""The home page: what to do now and what changed."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..queries.activity import LOOKBACK, whats_new
from ..queries.tasks import task_list

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def home():
    mine = task_list(current_user, "mine", per_page=5)
    return render_template("home.html", mine=mine, news=whats_new(current_user), lookback_days=LOOKBACK.days)
