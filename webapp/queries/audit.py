"""The audit trail as an administrator reads it: « Qui a consulté ce dossier ? ».

A structure's administrator (role `admin`) reads the entries of their structure's users; the
regional administrator (role `admin` in the structure of network `region`) reads them all.
Names are shown only for people the reader's structure holds the dossier of; others by number.
"""
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import joinedload

from ..errors import Forbidden
from ..extensions import db
from ..form_checks import parse_date
from ..models import AuditEvent, Person, PersonAccess, User
from .pages import Page

PARIS = ZoneInfo("Europe/Paris")
PER_PAGE = 50
EXPORT_LIMIT = 50_000
NAME_MATCHES = 50  # people a name filter may stand for
KIND_LABELS = {"read": "Consultation", "write": "Modification", "denied": "Accès refusé",
               "auth": "Connexion et jetons"}
ACTION_LABELS = {
    "person.read": "Dossier consulté",
    "person.search": "Recherche de personnes",
    "person.list_read": "Liste des personnes suivies consultée",
    "person.updated": "Identité modifiée",
    "person.merged": "Dossiers fusionnés",
    "person.denied": "Accès refusé à un dossier",
    "task.read": "Tâche consultée",
    "task.list_read": "Liste de tâches consultée",
    "task.denied": "Accès refusé à une tâche",
    "task.completed": "Étape enregistrée",
    "task.claimed": "Tâche prise en charge",
    "task.released": "Tâche remise dans la file",
    "task.reassigned": "Tâche confiée à un·e collègue",
    "journey.started": "Parcours démarré",
    "journey.denied": "Accès refusé à un parcours",
    "referral.list_read": "Liste d'orientations consultée",
    "cep.document_downloaded": "Document CEP téléchargé",
    "directory.exported": "Annuaire exporté",
    "structure.created": "Structure ajoutée à l'annuaire",
    "structure.updated": "Fiche de l'annuaire modifiée",
    "bassin.updated": "Bassin modifié",
    "definition.published": "Parcours publié",
    "decision.published": "Table de décision publiée",
    "token.issued": "Jeton d'API délivré",
    "token.revoked": "Jeton d'API révoqué",
    "auth.login": "Connexion",
    "auth.login_failed": "Connexion refusée",
    "auth.logout": "Déconnexion",
    "auth.password_changed": "Mot de passe changé",
    "person.exported": "Données de la personne exportées",
    "retention.anonymised": "Dossiers anonymisés (durée de conservation)",
    "referral.requested": "Orientation demandée",
    "referral.abandoned": "Orientation abandonnée",
    "funder.created": "Financeur ajouté",
    "funder.updated": "Financeur modifié",
    "audit.read": "Journal des accès consulté",
    "home.read": "Page d'accueil consultée",
    "cep.plan_read": "Plan de financement consulté",
    "message.list_read": "Messages consultés",
    "coordination.read": "Tableau de coordination consulté",
    "audit.exported": "Journal des accès exporté",
    "public.contact_request": "Demande de recontact (page publique)",
}
ACTION_LABELS["identity.updated"] = "Identité régionale modifiée"  # operations/identity.py
ACTION_LABELS.update({  # the support programme (operations/support_programme.py, support_programme_changes.py)
    "support_event.created": "Événement du programme publié", "support_event.updated": "Événement du programme modifié",
    "support_event.cancelled_by_organiser": "Événement du programme annulé",
    "support_event.registered": "Inscription à un événement du programme",
    "support_event.cancelled": "Inscription à un événement du programme annulée",
    "support_event.attendance": "Présences notées", "support_event.read": "Inscrit·es d'un événement consulté·es",
    "support_event.exported": "Participation au programme exportée"})
ACTION_LABELS.update({  # the documentation library (operations/documentation.py)
    "documentation.created": "Ressource de documentation ajoutée", "documentation.updated": "Ressource de documentation modifiée",
    "documentation.reviewed": "Ressource de documentation révisée", "documentation.given": "Documentation remise"})
ACTION_LABELS.update({  # the follow-up after a service (operations/followups.py)
    "person.followup_consent": "Accord pour le questionnaire de suivi", "person.followup_consent_withdrawn":
    "Accord pour le questionnaire de suivi retiré", "person.contact_refused": "La personne refuse tout nouveau contact"})


def action_label(action: str) -> str:
    """The French label of an action; unknown ones by their family (« Orientation : … »)."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    family = {"referral": "Orientation", "cep": "CEP", "funder": "Financeur", "person": "Dossier",
              "auth": "Connexion", "rgpd": "Droits de la personne"}.get(action.split(".")[0], "Autre action")
    return f"{family} ({action.split('.')[-1].replace('_', ' ')})"


def is_regional_admin(actor) -> bool:
    return actor.has_role("admin") and actor.structure is not None and actor.structure.network == "region"


def require_trail_reader(actor) -> None:
    if not actor.has_role("admin"):
        raise Forbidden("Le journal des accès est réservé aux administrateur·rices.")


@dataclass(frozen=True)
class TrailFilters:
    person: str = ""
    user_id: int | None = None
    kind: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> "TrailFilters":
        kind = args.get("type", "")
        action = args.get("action", "")
        user = args.get("utilisateur", "")
        return cls(person=(args.get("personne") or "").strip()[:120],
                   user_id=int(user) if user.isascii() and user.isdigit() and len(user) < 10 else None,
                   kind=kind if kind in KIND_LABELS else "", action=action if action in ACTION_LABELS else "",
                   date_from=parse_date(args.get("du")), date_to=parse_date(args.get("au")))

    def as_args(self) -> dict:
        """The query-string arguments that give these filters back (pager and CSV links)."""
        values = {"personne": self.person, "utilisateur": str(self.user_id or ""), "type": self.kind,
                  "action": self.action, "du": self.date_from.isoformat() if self.date_from else "",
                  "au": self.date_to.isoformat() if self.date_to else ""}
        return {name: value for name, value in values.items() if value}


def _utc(day: date) -> datetime:
    """Midnight in Paris of that day, as the naive UTC time entries are stored in."""
    return datetime.combine(day, time(), PARIS).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _people_named(actor, text: str) -> list[int]:
    """Ids of the people a person filter names: a dossier number, or names (of the reader's
    structure's dossiers; every dossier for the regional administrator)."""
    if text.isascii() and text.isdigit():
        return [int(text)] if len(text) < 10 else []
    like = f"%{text.lower()}%"
    stmt = select(Person.id).where(or_(func.lower(Person.nom).like(like), func.lower(Person.prenom).like(like),
                                       func.lower(Person.prenom + " " + Person.nom).like(like)))
    if not is_regional_admin(actor):
        stmt = stmt.join(PersonAccess, PersonAccess.person_id == Person.id).where(
            PersonAccess.structure_id == actor.structure_id, PersonAccess.full.is_(True))
    return list(db.session.scalars(stmt.order_by(Person.id).limit(NAME_MATCHES)))


def _about_people(ids: list[int]):
    """Entries on one of these people, or lists that showed one of them (`person_ids` in detail,
    stored as JSON text « [3, 14, 15] »)."""
    text = cast(AuditEvent.detail, String)
    listed = [text.like(f"%{pattern}%") for i in ids
              for pattern in (f"[{i}]", f"[{i},", f" {i},", f" {i}]")]
    return or_(AuditEvent.person_id.in_(ids), *listed)


def _trail_statement(actor, filters: TrailFilters):
    stmt = select(AuditEvent)
    if not is_regional_admin(actor):
        stmt = stmt.where(AuditEvent.structure_id == actor.structure_id)
    if filters.person:
        ids = _people_named(actor, filters.person)
        stmt = stmt.where(_about_people(ids) if ids else AuditEvent.id.is_(None))
    if filters.user_id:
        stmt = stmt.where(AuditEvent.user_id == filters.user_id)
    if filters.kind:
        stmt = stmt.where(AuditEvent.kind == filters.kind)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(AuditEvent.at >= _utc(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.at < _utc(filters.date_to + timedelta(days=1)))
    return stmt


def _newest_first(stmt):
    return stmt.options(joinedload(AuditEvent.user), joinedload(AuditEvent.structure)).order_by(
        AuditEvent.at.desc(), AuditEvent.id.desc())


def trail(actor, filters: TrailFilters, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of the entries the reader may see, newest first."""
    require_trail_reader(actor)
    stmt = _trail_statement(actor, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, min(page, -(-total // per_page)))
    items = db.session.scalars(_newest_first(stmt).limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(items=items, total=total, page=page, per_page=per_page)


def trail_for_export(actor, filters: TrailFilters) -> list[AuditEvent]:
    """Every entry matching the filters (at most EXPORT_LIMIT), newest first."""
    require_trail_reader(actor)
    return db.session.scalars(_newest_first(_trail_statement(actor, filters)).limit(EXPORT_LIMIT)).unique().all()


def people_in(events) -> list[int]:
    """The people an entry is about or a list showed, for the reader's page."""
    ids = set()
    for event in events:
        if event.person_id:
            ids.add(event.person_id)
        ids.update((event.detail or {}).get("person_ids") or [])
    return sorted(ids)


def names_for(actor, person_ids) -> dict:
    """{person id: name} for the people whose dossier the reader's structure holds."""
    if not person_ids:
        return {}
    people = db.session.scalars(select(Person).join(PersonAccess, PersonAccess.person_id == Person.id).where(
        Person.id.in_(list(person_ids)), PersonAccess.structure_id == actor.structure_id,
        PersonAccess.full.is_(True))).all()
    return {person.id: person.display_name for person in people}


def user_choices(actor) -> list[tuple[int, str]]:
    """The users whose entries the reader may filter on, by name."""
    stmt = select(User.id, User.full_name).order_by(User.full_name)
    if not is_regional_admin(actor):
        stmt = stmt.where(User.structure_id == actor.structure_id)
    return [(row.id, row.full_name) for row in db.session.execute(stmt)]


CSV_HEADERS = ("Date", "Utilisateur", "Structure", "Type", "Action", "Dossier(s)", "Résumé")
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def _cell(text) -> str:
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(_RISKY_START) else text


def trail_csv(events, local_time) -> str:
    """The entries as CSV (semicolons, UTF-8 with a BOM for spreadsheets); people by dossier number."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for event in events:
        listed = (event.detail or {}).get("person_ids") or ([event.person_id] if event.person_id else [])
        writer.writerow([_cell(value) for value in (
            local_time(event.at), event.user.full_name if event.user else "Système",
            event.structure.name if event.structure else "", KIND_LABELS.get(event.kind, event.kind),
            action_label(event.action), " ".join(f"n°{i}" for i in listed), event.summary)])
    return "\ufeff" + out.getvalue()
