"""A year of past receptions for the « Indicateurs » (`spro seed-demo`), through the operations.

A few hundred people, generated from a fixed seed, are received over the last 12 months by the demo
structures whose counsellors can act; their journeys run like `demo_people`'s (the application clock
moved to each step, the due timers fired between steps): documentation, personalised handling, and
referrals accepted then confirmed, refused, redirected, expired, reassigned by a coordinator, or
still waiting. Idempotent: the people carry e-mail addresses of HISTORY_DOMAIN.
"""
import heapq
import itertools
import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, text

from . import clock
from .demo_people import _catch_up, _clock_at, _Demo, journey_of
from .extensions import db
from .models import Person, Structure
from .workdays import is_working_day

HISTORY_DOMAIN = "historique.demo-spro.example.org"
SIZE = 300
WORKING_DAYS_BACK = 245  # about 12 months
# structures where a demo counsellor receives people: their counsellors and the publics they receive most
DESKS = {
    "ml-orleans": (("claire.martin", "karim.benali", "sophie.lefebvre"), ("demandeur_emploi", "apprenti", "autre")),
    "cio-orleans": (("isabelle.roux", "mathieu.girard"), ("scolaire", "etudiant")),
    "cio-bourges": (("aurelie.fontaine",), ("scolaire", "etudiant")),
    "ft-orleans": (("lucas.moreau",), ("demandeur_emploi", "salarie")),
    "ft-bourges": (("julie.lemaire",), ("demandeur_emploi", "salarie")),
    "ft-blois": (("yanis.bouzid",), ("demandeur_emploi", "salarie", "actif_non_salarie")),
    "apec-orleans": (("thomas.petit",), ("salarie", "demandeur_emploi")),
    "apec-tours": (("sophie.marchand",), ("salarie", "demandeur_emploi")),
    "cap-emploi-37": (("antoine.chevalier",), ("demandeur_emploi", "salarie")),
    "ml-chartres": (("hugo.renard", "manon.bertin"), ("demandeur_emploi", "apprenti")),
    "ml-touraine": (("helene.garnier", "camille.dubois"), ("demandeur_emploi", "apprenti", "autre")),
    "ml-chateauroux": (("emma.rousseau",), ("demandeur_emploi", "apprenti")),
    "crij-orleans": (("olivier.lambert",), ("scolaire", "etudiant", "benevole")),
    "suio-orleans": (("marie.lopez",), ("etudiant",)),
    "transitions-pro-cvl": (("nadia.haddad",), ("salarie",)),
}
# partners that answer (a demo counsellor works there), by département; the regional ones anywhere
PARTNERS = {"45": ["cio-orleans", "ml-orleans", "ft-orleans", "crij-orleans", "suio-orleans", "apec-orleans"],
            "37": ["ml-touraine", "cap-emploi-37", "apec-tours"], "18": ["cio-bourges", "ft-bourges"],
            "28": ["ml-chartres"], "41": ["ft-blois"], "36": ["ml-chateauroux"]}
REGIONAL = ["transitions-pro-cvl", "apec-orleans"]
SILENT = {"45": "cci-loiret", "37": "ft-tours", "18": "cma-cher", "28": "cci-eure-et-loir", "41": "bij-blois",
          "36": "cidff-indre"}  # partners without a demo counsellor: their referrals expire
COORDINATORS = {"45": "olivier.lambert", "37": "helene.garnier"}
FIRST = ["Léa", "Lucas", "Emma", "Hugo", "Chloé", "Louis", "Inès", "Jules", "Manon", "Nathan", "Sarah", "Adam",
         "Zoé", "Ethan", "Lina", "Noé", "Jade", "Tom", "Rose", "Théo"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"]
THEMES = ["choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite", "se-former--trouver-sa-formation",
          "trouver-un-emploi--repondre-a-des-offres-demploi", "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation"]
REASONS = ["hors_champ", "public_non_couvert", "capacite", "deja_accompagne", "injoignable"]
# (weight, scenario): the share of each kind of journey
SCENARIOS = [(30, "documentation"), (12, "prise_en_charge"), (22, "aboutie"), (9, "refusee"), (5, "redirigee"),
             (6, "expiree"), (2, "reaffectee"), (2, "non_venue")]


class _HistoryDemo(_Demo):
    """The demo's helpers over a whole year of working days."""

    def __init__(self, today):
        super().__init__(today)
        self.working_days = [day for day in (today - timedelta(days=n) for n in range(1, 380))
                             if is_working_day(day)]


def _partner(rng, departement: str, *not_slugs: str) -> str:
    choices = [s for s in dict.fromkeys(PARTNERS[departement] + REGIONAL) if s not in not_slugs]
    return rng.choice(choices)


def _steps(rng, kind: str, d: int, home: str, departement: str) -> list:
    """The steps of one journey starting `d` working days ago (steps on later days have smaller d)."""
    if kind == "documentation":
        return [(d, "10:00", "accueil", "documentation")]
    if kind == "prise_en_charge":
        return [(d, "10:00", "accueil", "prise_en_charge"), (d - 1, "10:00", "entretien", False)]
    partner = _partner(rng, departement, home)
    sent = [(d, "10:00", "accueil", "orientation"), (d, "10:40", "orienter", partner)]
    wait = rng.choice([1, 1, 2, 3, 5])
    if kind == "aboutie":
        if d - wait < 3:  # too recent: still waiting for the answer or the first contact
            return sent + ([(d - wait, "11:00", "accepter", 1)] if d - wait >= 1 else [])
        return sent + [(d - wait, "11:00", "accepter", 1), (d - wait - 2, "09:00", "contact", "confirme")]
    if kind == "non_venue":
        return sent + [(d - wait, "11:00", "accepter", 1), (d - wait - 2, "09:00", "contact", "non_venue"),
                       (d - wait - 3, "09:00", "abandonner", "La personne ne s'est pas présentée.")]
    if kind == "refusee":
        then = _partner(rng, departement, partner, home)
        after = [(d - wait - 1, "09:00", "abandonner", "La personne a trouvé une solution.")] if rng.random() < .4 \
            else [(d - wait - 1, "09:40", "orienter", then), (d - wait - 2, "11:00", "accepter", 1),
                  (d - wait - 4, "09:00", "contact", "confirme")]
        return sent + [(d - wait, "11:00", "refuser", rng.choice(REASONS))] + after
    if kind == "redirigee":
        return sent + [(d - wait, "11:00", "rediriger", _partner(rng, departement, partner, home)),
                       (d - wait - 1, "11:30", "accepter", 1), (d - wait - 3, "09:00", "contact", "confirme")]
    silent = SILENT[departement]
    sent[1] = (d, "10:40", "orienter", silent)
    if kind == "reaffectee" and departement in COORDINATORS:
        return sent + [(d - 12, "10:00", "reaffecter", (COORDINATORS[departement], partner)),
                       (d - 13, "11:00", "accepter", 1), (d - 15, "09:00", "contact", "confirme")]
    return sent + [(d - 33, "09:00", "abandonner", "Pas de réponse du partenaire ; la personne est suivie ici.")]


def _people(rng, communes: dict) -> list:
    weights, kinds = zip(*SCENARIOS)
    people, serial = [], itertools.count(1)
    for _ in range(SIZE):
        home = rng.choice(list(DESKS))
        users, publics = DESKS[home]
        departement = communes[home][1]
        kind = rng.choices(kinds, weights)[0]
        oldest = WORKING_DAYS_BACK
        low = {"documentation": 1, "prise_en_charge": 2}.get(kind, 40 if kind in ("expiree", "reaffectee",
                                                                                  "non_venue") else 8)
        d = rng.randint(low, oldest) if rng.random() < .85 or kind in ("expiree", "reaffectee") else \
            rng.randint(low, min(oldest, low + 15))
        if kind == "aboutie" and rng.random() < .12:  # a few recent ones still open or waiting the contact
            d = rng.randint(1, 6)
        prenom, nom = rng.choice(FIRST), rng.choice(LAST)
        number = next(serial)
        identity = {"canal": rng.choice(["sur_place", "sur_place", "telephone", "en_ligne"]), "anonyme": False,
                    "public": rng.choice(publics), "commune": communes[home][0], "prenom": prenom, "nom": nom,
                    "annee_naissance": 1960 + rng.randint(0, 48),
                    "email": f"personne{number}@{HISTORY_DOMAIN}"}
        people.append({"identity": identity, "by": rng.choice(users),
                       "steps": [s for s in _steps(rng, kind, d, home, departement) if s[0] >= 1],
                       "thematiques": [rng.choice(THEMES)], "besoins": "Demande d'information et de conseil.",
                       "documentation": "Fiches métiers et calendrier des informations collectives.",
                       "notes": "Entretien d'information ; pas de conseil approfondi demandé.",
                       "motif": "Accompagnement plus adapté à la demande de la personne.",
                       "redirection": "Cette demande relève plutôt de ce partenaire.",
                       "contact": "Premier rendez-vous tenu.", "refus": "Voir le motif indiqué."})
    return people


def history_present() -> bool:
    return db.session.scalar(select(Person.id).where(Person.email.like(f"%@{HISTORY_DOMAIN}")).limit(1)) is not None


def seed_demo_history() -> int:
    """The year of past journeys, unless already there; how many people were added."""
    if history_present():
        return 0
    communes = {slug: (commune, departement) for slug, commune, departement in db.session.execute(
        select(Structure.slug, Structure.commune, Structure.departement))}
    people = _people(random.Random(2026), communes)
    end = clock.now()
    demo = _HistoryDemo(end.date())
    send_messages = current_app.config.get("MAIL_BACKEND") == "page"
    queue, order = [], itertools.count()
    for person in people:
        steps = journey_of(demo, person)
        heapq.heappush(queue, (next(steps), next(order), steps))
    quick = db.engine.dialect.name == "sqlite"  # a demo database: no fsync at each of the ~2 000 commits
    if quick:
        db.session.execute(text("PRAGMA synchronous = OFF"))
    with _clock_at(end) as move:
        while queue:
            moment, _n, steps = heapq.heappop(queue)
            move(moment)
            _catch_up(send_messages)
            upcoming = next(steps, None)
            if upcoming is not None:
                heapq.heappush(queue, (upcoming, next(order), steps))
        move(end)
        _catch_up(send_messages)
    if quick:
        db.session.execute(text("PRAGMA synchronous = FULL"))
        db.session.commit()
    return len(people)
