"""Demo resources of the documentation library (demo data, not reference data): national sites of
public publishers, by their home addresses; one of them past its review date."""
from datetime import timedelta

from sqlalchemy import select

from . import clock
from .extensions import db
from .models import DocumentationResource, User

# (title, publisher, summary, publics, themes, format, owner username, review in days from today, url)
RESOURCES = [
    ("Onisep : métiers, formations et établissements", "Onisep",
     "Le site de l'office national d'information sur les enseignements et les professions : fiches métiers, "
     "formations du collège à l'enseignement supérieur, établissements.",
     ["scolaire", "etudiant", "apprenti"],
     ["choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite", "se-former--trouver-sa-formation"],
     "site", "nathalie.bernard", 300, "https://www.onisep.fr/"),
    ("Parcoursup : les formations de l'enseignement supérieur", "Ministère de l'Enseignement supérieur et de la Recherche",
     "La plateforme nationale de préinscription en première année de l'enseignement supérieur : "
     "fiches des formations, calendrier, attendus.",
     ["scolaire", "etudiant"], ["se-former--trouver-sa-formation"], "site", "nathalie.bernard", 200,
     "https://www.parcoursup.gouv.fr/"),
    ("Mon compte formation : ses droits CPF et les formations éligibles", "Caisse des Dépôts",
     "Consulter ses droits au compte personnel de formation, chercher une formation éligible et s'y inscrire.",
     ["salarie", "demandeur_emploi", "actif_non_salarie"],
     ["se-former--monter-son-dossier-de-formation", "se-former--trouver-sa-formation"], "site",
     "nathalie.bernard", 150, "https://www.moncompteformation.gouv.fr/"),
    ("France Travail : offres d'emploi et services", "France Travail",
     "Offres d'emploi, inscription, conseils pour la recherche d'emploi et les candidatures.",
     ["demandeur_emploi", "salarie"],
     ["trouver-un-emploi--repondre-a-des-offres-demploi",
      "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation"],
     "site", "olivier.lambert", 120, "https://www.francetravail.fr/"),
    ("Service-public.fr : droits et démarches en formation professionnelle",
     "Direction de l'information légale et administrative",
     "Les droits des salariés et des demandeurs d'emploi en formation, les démarches pas à pas.",
     ["salarie", "demandeur_emploi", "apprenti"], ["se-former--monter-son-dossier-de-formation"], "site",
     "olivier.lambert", -20, "https://www.service-public.fr/"),  # past its review date: « À réviser »
]


def seed_demo_documentation() -> int:
    """Add the demo resources not there yet (by title); how many were added."""
    existing = set(db.session.scalars(select(DocumentationResource.title)))
    users = {u.username: u for u in db.session.scalars(select(User))}
    now, added = clock.now(), 0
    for title, publisher, summary, publics, themes, kind, owner, days, url in RESOURCES:
        user = users.get(owner)
        if title in existing or user is None:
            continue
        db.session.add(DocumentationResource(
            title=title, publisher=publisher, summary=summary, publics=publics, themes=themes, format=kind,
            level="nationale", url=url, owner_structure_id=user.structure_id, created_by_id=user.id,
            departement=None if user.has_role("admin") else user.structure.departement,
            created_at=now - timedelta(days=400), updated_at=now - timedelta(days=400),
            review_on=now.date() + timedelta(days=days)))
        added += 1
    db.session.commit()
    return added


def scene_ids() -> dict:
    """For the screen catalogue: the demo resources, {"fresh": id, "late": id}; the overdue one counts
    as already told to its owner, so that no test's worker pass sends a message about it."""
    seed_demo_documentation()
    rows = {r.title: r for r in db.session.scalars(select(DocumentationResource))}
    late = rows[RESOURCES[-1][0]]
    late.overdue_notified_at = late.overdue_notified_at or clock.now()
    db.session.commit()
    return {"fresh": rows[RESOURCES[0][0]].id, "late": late.id}
