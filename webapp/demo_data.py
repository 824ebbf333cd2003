"""Demo reference data for SPRO Centre-Val de Loire: territories, networks, structures, users.

The structures themselves are in `demo_structures.py` (re-exported here as STRUCTURES).
"""
from . import communes
from .demo_structures import COMMUNE_CODES, STRUCTURES  # noqa: F401  (re-exported)

# Every phone (02 61 91 …, the ARCEP fiction range) and e-mail address (.example.org) is
# fictitious.

DEPARTEMENTS = [
    {"code": "18", "name": "Cher"},
    {"code": "28", "name": "Eure-et-Loir"},
    {"code": "36", "name": "Indre"},
    {"code": "37", "name": "Indre-et-Loire"},
    {"code": "41", "name": "Loir-et-Cher"},
    {"code": "45", "name": "Loiret"},
]

# "seat": INSEE code of the bassin's main commune. The first bassin of each département is the
# fallback of bassin_communes() below.
BASSINS = [
    {"code": "18-bourges", "name": "Bassin de Bourges", "departement": "18", "seat": "18033"},
    {"code": "18-vierzon", "name": "Bassin de Vierzon", "departement": "18", "seat": "18279"},
    {"code": "18-saint-amand", "name": "Bassin de Saint-Amand-Montrond", "departement": "18",
     "seat": "18197"},
    {"code": "28-chartres", "name": "Bassin de Chartres", "departement": "28", "seat": "28085"},
    {"code": "28-dreux", "name": "Bassin de Dreux", "departement": "28", "seat": "28134"},
    {"code": "28-chateaudun", "name": "Bassin de Châteaudun", "departement": "28",
     "seat": "28088"},
    {"code": "36-chateauroux", "name": "Bassin de Châteauroux", "departement": "36",
     "seat": "36044"},
    {"code": "36-issoudun", "name": "Bassin d'Issoudun", "departement": "36", "seat": "36088"},
    {"code": "36-le-blanc", "name": "Bassin du Blanc", "departement": "36", "seat": "36018"},
    {"code": "37-tours", "name": "Bassin de Tours", "departement": "37", "seat": "37261"},
    {"code": "37-chinon", "name": "Bassin de Chinon", "departement": "37", "seat": "37072"},
    {"code": "37-loches", "name": "Bassin de Loches", "departement": "37", "seat": "37132"},
    {"code": "37-amboise", "name": "Bassin d'Amboise", "departement": "37", "seat": "37003"},
    {"code": "41-blois", "name": "Bassin de Blois", "departement": "41", "seat": "41018"},
    {"code": "41-vendome", "name": "Bassin de Vendôme", "departement": "41", "seat": "41269"},
    {"code": "41-romorantin", "name": "Bassin de Romorantin-Lanthenay", "departement": "41",
     "seat": "41194"},
    {"code": "45-orleans", "name": "Bassin d'Orléans", "departement": "45", "seat": "45234"},
    {"code": "45-montargis", "name": "Bassin de Montargis", "departement": "45",
     "seat": "45208"},
    {"code": "45-pithiviers", "name": "Bassin de Pithiviers", "departement": "45",
     "seat": "45252"},
]


def bassin_communes(bassins=None) -> dict[str, str]:
    """{commune INSEE code: bassin code} for every commune of communes_cvl.csv.

    A demo approximation, not the official bassins de vie (bassins are configurable): a
    commune goes to the bassin of its département whose seat shares the first three digits
    of the commune's first postal code, else to the département's first bassin.
    """
    bassins = BASSINS if bassins is None else bassins
    by_prefix, first = {}, {}
    for bassin in bassins:
        first.setdefault(bassin["departement"], bassin["code"])
        seat = communes.by_code(bassin["seat"])
        if seat is not None and seat.codes_postaux:
            by_prefix.setdefault((bassin["departement"], seat.codes_postaux[0][:3]),
                                 bassin["code"])
    assignment = {}
    for commune in communes.all_communes():
        if commune.departement not in first:
            continue
        prefix = commune.codes_postaux[0][:3] if commune.codes_postaux else ""
        assignment[commune.code] = by_prefix.get((commune.departement, prefix),
                                                 first[commune.departement])
    return assignment


NETWORKS = [
    ("mission_locale", "Mission Locale"),
    ("cio", "CIO"),
    ("france_travail", "France Travail (ex-Pôle emploi)"),
    ("apec", "APEC"),
    ("apecita", "APECITA"),
    ("cap_emploi", "Cap emploi"),
    ("info_jeunesse", "Information Jeunesse (BIJ/PIJ/CRIJ)"),
    ("transitions_pro", "Transitions Pro (ex-FONGECIF)"),
    ("chambre_metiers", "Chambre de métiers et de l'artisanat (centre d'aide à la décision)"),
    ("cci", "CCI (Point A)"),
    ("suio", "SUIO (université)"),
    ("maison_emploi", "Maison de l'emploi"),
    ("cidff", "CIDFF"),
    # One code for the OPCO (ex-OPCA), told apart by name: AFDAS, Akto (ex-FAFTT),
    # OPCO Santé (ex-UNIFAF), Uniformation (OPCO Cohésion sociale).
    ("opco", "OPCO"),
    ("branche_pro", "Branche professionnelle"),
    ("chambre_agriculture", "Chambre d'agriculture"),
    ("prc_vae", "Point relais conseil VAE"),
    ("region", "Région Centre-Val de Loire"),
]

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
     "structure": "ml-orleans", "roles": ["conseiller"], "password": DEMO_PASSWORD},
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
    {"username": "antoine.chevalier", "full_name": "Antoine Chevalier",
     "structure": "cap-emploi-37", "roles": ["conseiller", "conseiller_cep"],
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
