"""Reference data of Centre-Val de Loire, loaded in any deployment (`spro load-reference`).

Départements, the bassins d'emploi 2019 of France Travail with their communes
(`data/bassins_emploi_2019_cvl.csv`, source in its first line), the partner networks (a fixed
vocabulary, no table) and the funders a CEP funding plan starts with (the regional admin edits them). Nothing here is demo data: no structure, user or person.
"""
import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import insert, select

from . import communes

BASSINS_FILE = Path(__file__).resolve().parent / "data" / "bassins_emploi_2019_cvl.csv"

DEPARTEMENTS = [
    {"code": "18", "name": "Cher"},
    {"code": "28", "name": "Eure-et-Loir"},
    {"code": "36", "name": "Indre"},
    {"code": "37", "name": "Indre-et-Loire"},
    {"code": "41", "name": "Loir-et-Cher"},
    {"code": "45", "name": "Loiret"},
]

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


# The funders of a training plan: the CPF first, its top-ups, the transition project, the person.
# (code, label, kind, needs a request)
FUNDERS = [
    ("cpf", "CPF (compte personnel de formation du titulaire)", "cpf", True),
    ("abondement_etat", "Abondement de l'État", "abondement", True),
    ("abondement_ft_aif", "France Travail — aide individuelle à la formation (AIF)", "abondement", True),
    ("abondement_region", "Région Centre-Val de Loire", "abondement", True),
    ("abondement_opco", "OPCO", "abondement", True),
    ("abondement_employeur", "Employeur", "abondement", True),
    ("transitions_pro", "Transitions Pro — projet de transition professionnelle (PTP)", "transition", True),
    ("personne", "Participation de la personne", "personne", False),
]


@dataclass(frozen=True)
class BassinsFile:
    source: str
    bassins: tuple[dict, ...]  # code, name, departement, seat (INSEE code of the named commune)
    assignment: dict[str, str]  # current commune code -> bassin code
    obsolete_codes: tuple[str, ...]  # 2019 codes of communes merged since (not current)
    unmapped: tuple[str, ...]  # current communes the file could not place


def _elided(name: str) -> str:
    return f"Bassin d'{name}" if name[:1] in "AEIOUYÉÈÂÎ" else f"Bassin de {name}"


def _seat(bassin_name: str, members: list) -> communes.Commune:
    """The commune the bassin is named after (« ROMORANTIN » → Romorantin-Lanthenay)."""
    wanted = communes.normalize(bassin_name)
    exact = [c for c in members if communes.normalize(c.nom) == wanted]
    prefixed = [c for c in members if communes.normalize(c.nom).startswith(wanted + " ")]
    return (exact or prefixed or sorted(members, key=lambda c: -(c.population or 0)))[0]


@lru_cache(maxsize=1)
def bassins_file() -> BassinsFile:
    """Read the bassins d'emploi 2019 and place every current commune of the region in one.

    Commune codes are of 2019: a current commune keeps its own code's bassin; a 2019 code that
    is no longer a current commune (merged since) is counted, not used; a current commune
    missing from the file takes the bassin of a 2019 commune of the same name and département."""
    with BASSINS_FILE.open(encoding="utf-8", newline="") as handle:
        source = handle.readline().lstrip("#").strip()
        rows = list(csv.DictReader(handle))
    names, by_code, by_name = {}, {}, {}
    for row in rows:
        names[row["code_bassin"]] = (row["nom_bassin"], row["departement"])
        by_code[row["code_commune"]] = row["code_bassin"]
        by_name[(row["departement"], communes.normalize(row["nom_commune"]))] = row["code_bassin"]
    assignment, unmapped = {}, []
    for commune in communes.all_communes():
        code = by_code.get(commune.code) or by_name.get((commune.departement, communes.normalize(commune.nom)))
        if code is None:
            unmapped.append(commune.code)
        else:
            assignment[commune.code] = code
    current = {c.code for c in communes.all_communes()}
    bassins = []
    for code, (raw_name, departement) in sorted(names.items()):
        members = [communes.by_code(c) for c, b in assignment.items() if b == code]
        seat = _seat(raw_name, members)
        bassins.append({"code": code, "name": _elided(seat.nom), "departement": departement, "seat": seat.code})
    return BassinsFile(source=source, bassins=tuple(bassins), assignment=assignment,
                       obsolete_codes=tuple(sorted(set(by_code) - current)), unmapped=tuple(unmapped))


def bassin_of(commune_code: str) -> str | None:
    """The bassin d'emploi of a current commune (INSEE code)."""
    return bassins_file().assignment.get(commune_code)


def load_reference() -> dict:
    """Create the missing départements, bassins and commune assignments (idempotent).

    Communes already in a bassin keep it (the regional admin may have moved them). Flushes only;
    returns counts of what was created."""
    from .extensions import db
    from .models import BassinCommune, Funder, Territory
    created = {"departements": 0, "bassins": 0, "communes": 0, "financeurs": 0}
    known = set(db.session.scalars(select(Funder.code)))
    for position, (code, label, kind, needs_request) in enumerate(FUNDERS):
        if code not in known:  # an edited or deactivated funder stays as the admin left it
            db.session.add(Funder(code=code, label=label, kind=kind, needs_request=needs_request,
                                  position=10 * (position + 1), active=True))
            created["financeurs"] += 1
    for dep in DEPARTEMENTS:
        if db.session.get(Territory, dep["code"]) is None:
            db.session.add(Territory(code=dep["code"], name=dep["name"], kind="departement",
                                     departement=dep["code"]))
            created["departements"] += 1
    reference = bassins_file()
    for bassin in reference.bassins:
        if db.session.get(Territory, bassin["code"]) is None:
            db.session.add(Territory(code=bassin["code"], name=bassin["name"], kind="bassin",
                                     departement=bassin["departement"]))
            created["bassins"] += 1
    db.session.flush()
    assigned = set(db.session.scalars(select(BassinCommune.commune_code)))
    missing = [{"bassin_code": bassin_code, "commune_code": commune_code}
               for commune_code, bassin_code in reference.assignment.items() if commune_code not in assigned]
    if missing:  # ~1,750 rows the first time: one bulk insert
        db.session.execute(insert(BassinCommune), missing)
    created["communes"] = len(missing)
    return created
