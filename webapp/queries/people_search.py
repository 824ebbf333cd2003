"""Finding people: the search, the list « Personnes suivies » and likely duplicates.

All three read the people index (`person_access`, `person_search_term`) of the user's structure
only, so a receiving structure finds a referred person by the shared snapshot and nothing else.
A search word matches the start of any word of the person (prefix), whatever the case, accents
and order; each word is a range over the index (structure, term).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select

from .. import clock
from ..extensions import db
from ..models import Journey, Person, PersonAccess, PersonSearchTerm, Referral
from ..models.people import IDENTITY_FIELDS, PROFILE_FIELDS
from ..search_terms import first_word, phone_digits, query_terms, terms_of
from .referrals import PersonView

RESULTS = 50
RECENT_DAYS = 90


@dataclass
class Row:
    """One person in a list, as the user's structure may see them."""
    view: PersonView
    last_contact_at: datetime
    in_progress: bool

    @property
    def person(self) -> Person:
        return self.view.person

    # what a PersonView answers, so that a row reads like one (API schemas, templates)
    full = property(lambda self: self.view.full)
    fields = property(lambda self: self.view.fields)
    display_name = property(lambda self: self.view.display_name)


def _after(term: str) -> str:
    """The first string after every string starting with `term` (terms are [a-z0-9] words)."""
    return term[:-1] + chr(ord(term[-1]) + 1)


def _matching(structure_id: int, terms: list[str]):
    """Ids of the structure's people having, for each term, a word that starts with it."""
    driver, *others = sorted(terms, key=len, reverse=True)  # the longest word narrows most
    t1 = PersonSearchTerm.__table__.alias("t1")
    stmt = select(t1.c.person_id).where(
        t1.c.structure_id == structure_id, t1.c.term >= driver, t1.c.term < _after(driver))
    for number, term in enumerate(others):
        t = PersonSearchTerm.__table__.alias(f"t{number + 2}")
        stmt = stmt.where(exists().where(and_(
            t.c.person_id == t1.c.person_id, t.c.structure_id == structure_id,
            t.c.term >= term, t.c.term < _after(term))))
    return stmt.distinct()


def _rows(actor, access_rows) -> list[Row]:
    """Rows for (PersonAccess, Person) pairs: names and flags in a fixed number of statements."""
    if not access_rows:
        return []
    ids = [person.id for _access, person in access_rows]
    mine = actor.structure_id
    running = set(db.session.scalars(select(Journey.person_id).where(
        Journey.person_id.in_(ids), Journey.structure_id == mine, Journey.status == "en_cours")))
    received: dict[int, dict] = {}
    open_received = set()
    for referral in db.session.scalars(select(Referral).where(
            Referral.person_id.in_(ids), Referral.to_structure_id == mine).order_by(Referral.id)):
        received.setdefault(referral.person_id, {}).update(referral.shared_data or {})
        if referral.status in ("ouverte", "acceptee"):
            open_received.add(referral.person_id)
    rows = []
    for access, person in access_rows:
        if access.full:
            fields = {k: getattr(person, k) for k in IDENTITY_FIELDS + PROFILE_FIELDS}
        else:
            fields = received.get(person.id, {})
        rows.append(Row(PersonView(person, access.full, fields), access.last_contact_at,
                        person.id in running or person.id in open_received))
    return rows


def search_people(actor, text: str, limit: int = RESULTS) -> tuple[list[Row], bool]:
    """People of the user's structure matching every word of `text`, latest contact first;
    the flag says whether there were more than `limit`."""
    terms = query_terms(text)
    if not terms:
        return [], False
    ids = _matching(actor.structure_id, terms).subquery()
    pairs = db.session.execute(
        select(PersonAccess, Person).join(Person, Person.id == PersonAccess.person_id)
        .where(PersonAccess.structure_id == actor.structure_id, PersonAccess.person_id.in_(select(ids)))
        .order_by(PersonAccess.last_contact_at.desc(), Person.id.desc()).limit(limit + 1)).all()
    return _rows(actor, pairs[:limit]), len(pairs) > limit


def followed_people(actor, *, in_progress_only: bool = False, page: int = 1, per_page: int = 25):
    """« Personnes suivies »: the structure's people with a journey or referral in progress, or
    contacted in the last RECENT_DAYS days, latest contact first. Returns (rows, total)."""
    mine = actor.structure_id
    running = exists().where(Journey.person_id == PersonAccess.person_id, Journey.structure_id == mine,
                             Journey.status == "en_cours")
    received = exists().where(Referral.person_id == PersonAccess.person_id, Referral.to_structure_id == mine,
                              Referral.status.in_(("ouverte", "acceptee")))
    condition = running | received
    if not in_progress_only:
        condition = condition | (PersonAccess.last_contact_at >= clock.now() - timedelta(days=RECENT_DAYS))
    base = select(PersonAccess, Person).join(Person, Person.id == PersonAccess.person_id).where(
        PersonAccess.structure_id == mine, condition)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    pairs = db.session.execute(base.order_by(PersonAccess.last_contact_at.desc(), Person.id.desc())
                               .limit(per_page).offset((max(1, page) - 1) * per_page)).all()
    return _rows(actor, pairs), total


@dataclass
class Candidate:
    row: Row
    reasons: list


def likely_duplicates(actor, values: dict, limit: int = 10) -> list[Candidate]:
    """Dossiers of the user's structure that look like the person about to be created: same
    phone or e-mail, or a name starting alike with the same first name or birth year."""
    name = first_word(values.get("nom"))
    phone = phone_digits(values.get("telephone"))
    email = (values.get("email") or "").strip().lower()
    probes = []
    if name:
        probes.append([name[:4]])
    if len(phone) >= 10:
        probes.append([phone])
    if email:
        probes.append(sorted(terms_of({"email": email}), key=len, reverse=True)[:2])
    ids = set()
    for terms in probes:
        ids.update(db.session.scalars(_matching(actor.structure_id, terms).limit(200)))
    if not ids:
        return []
    pairs = db.session.execute(select(PersonAccess, Person).join(Person, Person.id == PersonAccess.person_id)
                               .where(PersonAccess.structure_id == actor.structure_id,
                                      PersonAccess.person_id.in_(ids))).all()
    found = []
    for row in _rows(actor, pairs):
        reasons = _resemblance(row.view, values, phone, email)
        if reasons:
            found.append(Candidate(row, reasons))
    found.sort(key=lambda c: (-len(c.reasons), -c.row.last_contact_at.timestamp()))
    return found[:limit]


def _same(a, b) -> bool:
    return bool(a) and bool(b) and terms_of({"nom": a}) == terms_of({"nom": b})


def _resemblance(view: PersonView, values: dict, phone: str, email: str) -> list[str]:
    """Why a dossier looks like the typed identity (empty: it does not)."""
    reasons = []
    if phone and phone_digits(view.get("telephone")) == phone:
        reasons.append("même téléphone")
    if email and (view.get("email") or "").strip().lower() == email:
        reasons.append("même courriel")
    same_name = _same(view.get("nom"), values.get("nom"))
    close_name = same_name or (first_word(view.get("nom"))[:4] != "" and
                               first_word(view.get("nom"))[:4] == first_word(values.get("nom"))[:4])
    if close_name:
        first = _same(view.get("prenom"), values.get("prenom"))
        year = values.get("annee_naissance") and view.get("annee_naissance") == values.get("annee_naissance")
        if first or year:
            reasons.append("même nom" if same_name else "nom proche")
            if first:
                reasons.append("même prénom")
            if year:
                reasons.append("même année de naissance")
    return reasons
