"""Demo events of the support programme: two past ones with their attendance, three to come with
registrations (one full, with a waiting list). Idempotent: nothing is added when they exist."""
from datetime import timedelta

from sqlalchemy import select

from . import clock
from .extensions import db
from .models import SupportEvent, SupportRegistration, User
from .operations.support_programme import REGISTERED, register

# (title, kind, days from now, departement, organiser, place, link, capacity, networks,
#  registered usernames, usernames present — past events only)
EVENTS = [
    ("Journée technique : le CEP en pratique", "journee_technique", -40, None, "nathalie.bernard",
     "Hôtel de Région, 9 rue Saint-Pierre-Lentin, Orléans", None, 40, [],
     ["claire.martin", "karim.benali", "isabelle.roux", "sophie.marchand", "lucas.moreau"],
     ["claire.martin", "isabelle.roux", "sophie.marchand", "lucas.moreau"]),
    ("Échange de pratiques du Loiret : l'accueil des jeunes", "echange_pratiques", -15, "45", "olivier.lambert",
     "CRIJ Centre-Val de Loire, Orléans", None, 15, ["mission_locale", "cio", "info_jeunesse", "suio"],
     ["claire.martin", "sophie.lefebvre", "isabelle.roux", "marie.lopez"],
     ["claire.martin", "sophie.lefebvre", "isabelle.roux"]),
    ("Webinaire : financer une reconversion", "webinaire", 5, None, "nathalie.bernard",
     None, "https://visio.example.org/spro-financer-reconversion", 3, [],
     ["sophie.marchand", "thomas.petit", "lucas.moreau", "nadia.haddad"], []),
    ("Séminaire régional de l'orientation", "seminaire", 20, None, "nathalie.bernard",
     "Centre de conférences, Orléans", None, 120, [],
     ["claire.martin", "isabelle.roux", "julie.lemaire", "hugo.renard"], []),
    ("Échange de pratiques du Loiret : orienter vers la VAE", "echange_pratiques", 30, "45", "olivier.lambert",
     "CIO d'Orléans", "https://visio.example.org/spro-loiret-vae", 12, ["mission_locale", "cio", "info_jeunesse"],
     ["isabelle.roux"], []),
]


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def seed_demo_support_programme() -> dict:
    """Create the demo events unless present; return their ids by title."""
    present = dict(db.session.execute(select(SupportEvent.title, SupportEvent.id).where(
        SupportEvent.title.in_([e[0] for e in EVENTS]))).all())
    if present:
        return present
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    ids = {}
    for title, kind, days, departement, organiser, place, link, capacity, networks, registered, came in EVENTS:
        starts_at = (now + timedelta(days=days)).replace(hour=8)  # 9:00 or 10:00 in Paris
        event = SupportEvent(
            kind=kind, title=title, description="Programme détaillé et intervenant·es communiqués aux inscrit·es.",
            starts_at=starts_at, duration_minutes=90 if kind == "webinaire" else 210, place=place, online_url=link,
            capacity=capacity, registered_count=0, networks=networks,
            registration_deadline=starts_at - timedelta(days=1), departement=departement,
            created_by_id=_user(organiser).id, created_at=now + timedelta(days=min(days, 0) - 30))
        db.session.add(event)
        db.session.flush()
        ids[title] = event.id
        for username in registered:
            user = _user(username)
            if days > 0:
                register(user, event.id)  # the real path: capacity, then the waiting list
                continue
            db.session.add(SupportRegistration(
                event_id=event.id, user_id=user.id, structure_id=user.structure_id, status=REGISTERED,
                registered_at=starts_at - timedelta(days=10), attended=username in came))
            event.registered_count += 1
        if days < 0:
            event.attendance_recorded_at = starts_at + timedelta(hours=4)
            event.reminder_sent_at = starts_at - timedelta(days=2)
    db.session.commit()
    return ids


def scene_ids() -> dict:
    """The demo events the screen tests open: one to come, a full one, a past one (seeded if needed)."""
    ids = seed_demo_support_programme()
    return {"programme_upcoming": ids["Séminaire régional de l'orientation"],
            "programme_full": ids["Webinaire : financer une reconversion"],
            "programme_past": ids["Journée technique : le CEP en pratique"]}
