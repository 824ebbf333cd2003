"""Demo data for SPRO Centre-Val de Loire: structures and users (the people are in demo_people.py).

The structures themselves are in `demo_structures.py` (re-exported here as STRUCTURES); the
territories and networks are reference data (`reference.py`), re-exported here.
"""
from . import reference
from .demo_structures import COMMUNE_CODES, STRUCTURES  # noqa: F401  (re-exported)

# Every phone (02 61 91 …, the ARCEP fiction range) and e-mail address (.example.org) is
# fictitious.

# Reference data (any deployment loads it with `spro load-reference`), re-exported for the demo.
DEPARTEMENTS, NETWORKS = reference.DEPARTEMENTS, reference.NETWORKS

# The bassins d'emploi 2019 (France Travail): code, name, département, seat (the commune it is
# named after).
BASSINS = [dict(b) for b in reference.bassins_file().bassins]


def bassin_communes() -> dict[str, str]:
    """{commune INSEE code: bassin code} for every current commune of the region."""
    return dict(reference.bassins_file().assignment)


ROLES = [
    ("conseiller", "Conseiller·ère"),
    ("conseiller_cep", "Conseiller·ère CEP"),
    ("coordinateur", "Coordinateur·rice local·e"),
    ("pilote", "Pilote de processus"),
    ("admin", "Administrateur·rice régional·e"),
]

DEMO_PASSWORD = "demo-spro-2026"

EMAIL_DOMAIN = "demo-spro.example.org"

_USERS = [
    # Mission Locale de l'Orléanais: three colleagues sharing a queue.
    {"username": "claire.martin", "full_name": "Claire Martin",
     "structure": "ml-orleans", "roles": ["conseiller", "conseiller_cep"], "password": DEMO_PASSWORD},
    {"username": "karim.benali", "full_name": "Karim Benali",
     "structure": "ml-orleans", "roles": ["conseiller"], "password": DEMO_PASSWORD},
    {"username": "sophie.lefebvre", "full_name": "Sophie Lefebvre",
     "structure": "ml-orleans", "roles": ["conseiller"], "password": DEMO_PASSWORD},
    # CIO.
    {"username": "isabelle.roux", "full_name": "Isabelle Roux",
     "structure": "cio-orleans", "roles": ["conseiller"], "password": DEMO_PASSWORD},
    {"username": "mathieu.girard", "full_name": "Mathieu Girard",
     "structure": "cio-orleans", "roles": ["conseiller"], "password": DEMO_PASSWORD},
    {"username": "aurelie.fontaine", "full_name": "Aurélie Fontaine",
     "structure": "cio-bourges", "roles": ["conseiller"], "password": DEMO_PASSWORD},
    # CEP advisers (CEP operators only).
    {"username": "lucas.moreau", "full_name": "Lucas Moreau",
     "structure": "ft-orleans", "roles": ["conseiller", "conseiller_cep"],
     "password": DEMO_PASSWORD},
    {"username": "nadia.haddad", "full_name": "Nadia Haddad",
     "structure": "transitions-pro-cvl", "roles": ["conseiller", "conseiller_cep"],
     "password": DEMO_PASSWORD},
    {"username": "thomas.petit", "full_name": "Thomas Petit",
     "structure": "apec-orleans", "roles": ["conseiller", "conseiller_cep"],
     "password": DEMO_PASSWORD},
    {"username": "sophie.marchand", "full_name": "Sophie Marchand",
     "structure": "apec-tours", "roles": ["conseiller", "conseiller_cep"],
     "password": DEMO_PASSWORD},
    {"username": "antoine.chevalier", "full_name": "Antoine Chevalier",
     "structure": "cap-emploi-37", "roles": ["conseiller", "conseiller_cep"],
     "password": DEMO_PASSWORD},
    {"username": "julie.lemaire", "full_name": "Julie Lemaire",
     "structure": "ft-bourges", "roles": ["conseiller", "conseiller_cep"],
     "password": DEMO_PASSWORD},
    {"username": "hugo.renard", "full_name": "Hugo Renard",
     "structure": "ml-chartres", "roles": ["conseiller", "conseiller_cep"],
     "password": DEMO_PASSWORD},
    # Local coordinators (Loiret, Indre-et-Loire).
    {"username": "olivier.lambert", "full_name": "Olivier Lambert",
     "structure": "crij-orleans", "roles": ["conseiller", "coordinateur"],
     "password": DEMO_PASSWORD},
    {"username": "helene.garnier", "full_name": "Hélène Garnier",
     "structure": "ml-touraine", "roles": ["conseiller", "coordinateur"],
     "password": DEMO_PASSWORD},
    # Other counsellors, for referrals across the region.
    {"username": "yanis.bouzid", "full_name": "Yanis Bouzid",
     "structure": "ft-blois", "roles": ["conseiller"], "password": DEMO_PASSWORD},
    {"username": "emma.rousseau", "full_name": "Emma Rousseau",
     "structure": "ml-chateauroux", "roles": ["conseiller"], "password": DEMO_PASSWORD},
    {"username": "marie.lopez", "full_name": "Marie Lopez",
     "structure": "suio-orleans", "roles": ["conseiller"], "password": DEMO_PASSWORD},
    {"username": "manon.bertin", "full_name": "Manon Bertin",
     "structure": "ml-chartres", "roles": ["conseiller"], "password": DEMO_PASSWORD},
    # Process owners.
    {"username": "julien.mercier", "full_name": "Julien Mercier",
     "structure": "region-cvl", "roles": ["pilote"], "password": DEMO_PASSWORD},
    {"username": "camille.dubois", "full_name": "Camille Dubois",
     "structure": "ml-touraine", "roles": ["conseiller", "pilote"], "password": DEMO_PASSWORD},
    # Regional administrators.
    {"username": "nathalie.bernard", "full_name": "Nathalie Bernard",
     "structure": "region-cvl", "roles": ["admin"], "password": DEMO_PASSWORD},
    {"username": "pierre.faure", "full_name": "Pierre Faure",
     "structure": "crij-orleans", "roles": ["admin"], "password": DEMO_PASSWORD},
]

# Every demo user gets a fictitious address: <username>@demo-spro.example.org.
USERS = [{**user, "email": f"{user['username']}@{EMAIL_DOMAIN}"} for user in _USERS]
