"""The home page: what to do now and what changed."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..operations import audit
from ..queries.activity import LOOKBACK, whats_new
from ..queries.tasks import task_list

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def home():
    mine = task_list(current_user, "mine", per_page=5)
    news = whats_new(current_user)
    shown = [t.person_id for t in mine.items] + [i.person_id for i in news.received + news.answers + news.late_tasks]
    audit.people_shown(current_user, "home.read", "Page d'accueil", shown)
    return render_template("home.html", mine=mine, news=news, lookback_days=LOOKBACK.days)
