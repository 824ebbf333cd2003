"""Reading follow-ups: a link's questionnaire, a dossier's consent, and the satisfaction counts the
indicators show (answers carry no identity, only structure, process and the month the service ended)."""
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Followup, FollowupAnswer, Structure
from ..models.followups import FOUND_CHOICES, FollowupOptOutLink

SENT_STATES = ("envoye", "repondu", "expire")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def digest(token: str, purpose: str = "q") -> str:
    """The stored form of a link's token: sha256 of « purpose:token » (q: questionnaire, r: opt-out)."""
    return hashlib.sha256(f"{purpose}:{token}".encode()).hexdigest()


def answered_digest(live_digest: str) -> str:
    """What an answered follow-up keeps instead of its link's digest: as opaque as it, so that the row
    does not say it was answered, yet found again from the token (the « déjà répondu » page)."""
    return hashlib.sha256(f"a:{live_digest}".encode()).hexdigest()


@dataclass
class LinkState:
    """What a questionnaire link leads to: `open` (answerable), `answered`, `expired`, `refused`
    (the person asked for no more contact) or `unknown`; with the follow-up and its structure's name."""
    state: str
    followup: Followup | None = None
    structure_name: str = ""


def link_state(token: str) -> LinkState:
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return LinkState("unknown")
    live = digest(token)
    followup = db.session.scalar(select(Followup).where(Followup.token_digest == live))
    answered = followup is None
    if answered:
        followup = db.session.scalar(select(Followup).where(Followup.token_digest == answered_digest(live)))
    if followup is None:
        return LinkState("unknown")
    name = db.session.scalar(select(Structure.name).where(Structure.id == followup.structure_id)) or ""
    if answered or followup.status == "repondu":  # « repondu »: rows answered before the digest change
        return LinkState("answered", followup, name)
    if followup.status == "annule":
        return LinkState("refused", followup, name)
    if followup.status == "expire" or followup.expires_at is None or followup.expires_at < clock.now():
        return LinkState("expired", followup, name)
    return LinkState("open", followup, name)


def opt_out_known(token: str) -> bool:
    """Whether `token` is the « ne plus me contacter » link of a follow-up message."""
    return bool(TOKEN_SHAPE.fullmatch(token or "")) and \
        db.session.get(FollowupOptOutLink, digest(token, "r")) is not None


def consent_state(person) -> dict:
    """For the dossier: `refused_at`, `agreed_at`, whether an e-mail exists, the next follow-up due."""
    due = db.session.scalar(select(func.min(Followup.due_at)).where(
        Followup.person_id == person.id, Followup.status == "prevu"))
    return {"refused_at": person.contact_refused_at, "agreed_at": person.contact_consent_at,
            "has_email": bool(person.email), "next_due": due}


def _months(start: date, end: date) -> tuple[str, str]:
    return f"{start.year:04d}-{start.month:02d}", f"{end.year:04d}-{end.month:02d}"


def satisfaction_counts(start: date, end: date, structure_ids: Iterable[int] | None = None) -> dict:
    """Counts of follow-up answers for services ended from `start`'s month to `end`'s month inclusive,
    for the structures `structure_ids` (None: all of them):

    {"sent": int, "answers": int, "found": {"oui": int, "partiellement": int, "non": int},
     "fit": {1: int, 2: int, 3: int, 4: int, 5: int}, "comments": int}

    `sent` counts the questionnaires sent (answered, waiting or expired unanswered); `fit` is « the
    structure met was right for me », 1 (not at all) to 5 (completely). Two statements."""
    first, last = _months(start, end)
    ids = None if structure_ids is None else list(structure_ids)
    result = {"sent": 0, "answers": 0, "found": {key: 0 for key in FOUND_CHOICES},
              "fit": {note: 0 for note in range(1, 6)}, "comments": 0}
    if ids is not None and not ids:
        return result
    answers = select(FollowupAnswer).where(FollowupAnswer.service_end_month.between(first, last))
    sent = select(func.count()).select_from(Followup).where(
        Followup.status.in_(SENT_STATES), Followup.service_end_month.between(first, last))
    if ids is not None:
        answers = answers.where(FollowupAnswer.structure_id.in_(ids))
        sent = sent.where(Followup.structure_id.in_(ids))
    rows = answers.subquery()
    for found, fit, commented, count in db.session.execute(
            select(rows.c.found, rows.c.structure_fit, rows.c.comment.is_not(None), func.count())
            .group_by(rows.c.found, rows.c.structure_fit, rows.c.comment.is_not(None))):
        result["answers"] += count
        if found in result["found"]:
            result["found"][found] += count
        if fit in result["fit"]:
            result["fit"][fit] += count
        if commented:
            result["comments"] += count
    result["sent"] = db.session.scalar(sent) or 0
    return result
