"""Communes of Centre-Val de Loire (INSEE COG via Etalab), the demo directory, bassins."""
import collections
import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp import communes, demo_data
from webapp.extensions import db
from webapp.models import BassinCommune, Structure, Territory, User

DEPARTEMENTS = ("18", "28", "36", "37", "41", "45")
ROOT = Path(__file__).resolve().parent.parent

# The networks of the cahier des charges (§7), each as (network code, words of the name or
# None): old names map to the current ones (FAFTT → Akto, UNIFAF → OPCO Santé, …).
FOUNDING_NETWORKS = {
    "AFDAS": ("opco", "AFDAS"),
    "APEC": ("apec", None),
    "APECITA": ("apecita", None),
    "BIJ / PIJ / CRIJ": ("info_jeunesse", None),
    "CAP Emploi": ("cap_emploi", None),
    "Centres d'aide à la décision des Chambres de Métiers": ("chambre_metiers", None),
    "CIO": ("cio", None),
    "FAFTT (Akto)": ("opco", "Akto"),
    "FONGECIF (Transitions Pro)": ("transitions_pro", None),
    "Maisons de l'Emploi": ("maison_emploi", None),
    "Missions Locales": ("mission_locale", None),
    "Points A des CCI": ("cci", "Point A"),
    "Pôle Emploi (France Travail)": ("france_travail", None),
    "SUIO": ("suio", None),
    "UNIFAF (OPCO Santé)": ("opco", "OPCO Santé"),
    "UNIFORMATION": ("opco", "Uniformation"),
    "CIDFF": ("cidff", None),
    "Branches professionnelles": ("branche_pro", None),
    "PRC VAE": ("prc_vae", None),
}


# --- resolve ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, code", [
    ("45234", "45234"),                      # INSEE code of Orléans
    ("18033", "18033"),                      # Bourges
    ("45000", "45234"),                      # postal code of Orléans only
    ("  36000 ", "36044"),                   # Châteauroux, spaces trimmed
    ("Orléans", "45234"),
    ("ORLEANS", "45234"),
    ("saint jean de braye", "45284"),        # accents, case and hyphens ignored
    ("St-Jean-de-Braye", "45284"),
    ("chateauroux", "36044"),
    ("romorantin lanthenay", "41194"),
    ("Les Aix-d'Angillon", "18003"),
    ("les aix d angillon", "18003"),
    ("Sully-sur-Loire 45600", "45315"),      # name and postal code
    ("Vineuil 41350", "41295"),              # homonyms told apart by postal code…
    ("41350 Vineuil", "41295"),
    ("Vineuil (36110)", "36247"),
    ("Vineuil (36)", "36247"),               # … or by département
    ("Amilly 45200", "45004"),
    ("Amilly, 28300", "28006"),
])
def test_resolve_finds_one_commune(text, code):
    commune = communes.resolve(text)
    assert commune is not None, text
    assert commune.code == code


@pytest.mark.parametrize("text", [
    "Vineuil", "Amilly", "Saint-Maur", "Thizay",  # names of two communes
    "45300",                                      # postal code shared by 30 communes
    "37100",          # INSEE code of Épeigné-les-Bois and a postal code of Tours
    "Orléans 37000",  # a postal code that is not the commune's
    "Paris", "75056", "Atlantis", "99999", "4523", "", "   ", None,
])
def test_resolve_refuses_unknown_or_ambiguous(text):
    assert communes.resolve(text) is None


def test_by_code_reads_insee_codes_only():
    assert communes.by_code("37100").nom == "Épeigné-les-Bois"
    assert communes.by_code("37261").codes_postaux == ("37000", "37100", "37200")
    assert communes.by_code("45000") is None
    assert communes.by_code("") is None


def test_commune_fields():
    orleans = communes.by_code("45234")
    assert orleans == communes.Commune(code="45234", nom="Orléans", departement="45",
                                       codes_postaux=orleans.codes_postaux,
                                       population=orleans.population)
    assert orleans.codes_postaux[0] == "45000"
    assert orleans.population > 100_000
    assert orleans.label == "Orléans (45000)"


# --- search ----------------------------------------------------------------------------------

def test_search_by_name_prefix_most_populated_first():
    found = communes.search("chât", limit=5)
    assert [c.nom for c in found][:2] == ["Châteauroux", "Châteaudun"]
    assert len(found) == 5
    assert all(communes.normalize(c.nom).startswith("chat") for c in found)
    assert communes.search("saint-jean-de-b")[0].code == "45284"
    assert communes.search("ORL")[0].nom == "Orléans"


def test_search_matches_inner_words_after_prefixes():
    found = communes.search("loire", limit=50)
    names = [c.nom for c in found]
    assert "Sully-sur-Loire" in names and "Saint-Cyr-sur-Loire" in names
    assert all(" loire" in f" {communes.normalize(n)}" for n in names)


def test_search_by_code_or_postal_code_and_limits():
    assert communes.by_code("45234") in communes.search("45000")
    assert communes.search("45234") == [communes.by_code("45234")]
    assert len(communes.search("45", limit=7)) == 7
    assert communes.search("") == []
    assert communes.search("zzzz") == []
    assert communes.search("tours", limit=0) == []


# --- the data file ---------------------------------------------------------------------------

def test_source_names_package_and_version():
    assert communes.source().startswith("source: @etalab/decoupage-administratif ")
    assert "(INSEE COG), extracted 20" in communes.source()
    first = (ROOT / "webapp" / "data" / "communes_cvl.csv").read_text("utf-8").splitlines()[0]
    assert first == f"# {communes.source()}"


def test_six_departements_with_plausible_counts():
    everything = communes.all_communes()
    counts = collections.Counter(c.departement for c in everything)
    assert set(counts) == set(DEPARTEMENTS)
    assert all(count > 200 for count in counts.values()), counts
    assert 1_650 < len(everything) < 1_850
    assert len({c.code for c in everything}) == len(everything)
    for commune in everything:
        assert commune.code.startswith(commune.departement) and len(commune.code) == 5
        assert commune.codes_postaux and all(len(p) == 5 for p in commune.codes_postaux)


def test_update_script_filters_current_communes_of_the_region(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "update_communes", ROOT / "scripts" / "update_communes.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    sample = [
        {"code": "45234", "nom": "Orléans", "departement": "45", "type": "commune-actuelle",
         "codesPostaux": ["45000", "45100"], "population": 116357},
        {"code": "41001", "nom": "Ailleurs", "departement": "41", "type": "commune-deleguee",
         "codesPostaux": ["41000"]},
        {"code": "75056", "nom": "Paris", "departement": "75", "type": "commune-actuelle",
         "codesPostaux": ["75001"], "population": 2_100_000},
        {"code": "18033", "nom": "Bourges", "departement": "18", "type": "commune-actuelle",
         "codesPostaux": ["18000"], "population": 64186},
    ]
    rows = script.select_rows(sample)
    assert [r["code"] for r in rows] == ["18033", "45234"]
    target = tmp_path / "communes.csv"
    script.write_csv(rows, "9.9.9", target)
    lines = target.read_text("utf-8").splitlines()
    assert lines[0].startswith("# source: @etalab/decoupage-administratif 9.9.9 (INSEE COG)")
    assert lines[1:] == ["code,nom,departement,codes_postaux,population",
                         "18033,Bourges,18,18000,64186",
                         "45234,Orléans,45,45000 45100,116357"]


# --- the demo directory ----------------------------------------------------------------------

def test_every_demo_structure_sits_in_a_real_commune_of_its_departement():
    bassins = {b["code"]: b for b in demo_data.BASSINS}
    assignment = demo_data.bassin_communes()
    for row in demo_data.STRUCTURES:
        commune = communes.resolve(row["commune_code"])
        assert commune is not None, row["slug"]
        assert commune.code == row["commune_code"]
        assert commune.departement == row["departement"], row["slug"]
        assert communes.resolve(row["commune"]) == commune, row["slug"]
        assert bassins[row["bassin"]]["departement"] == row["departement"], row["slug"]
        assert assignment[commune.code] == row["bassin"], row["slug"]


def test_demo_directory_covers_every_network_of_the_founding_document():
    structures = demo_data.STRUCTURES
    assert len(structures) >= 42
    assert len({s["slug"] for s in structures}) == len(structures)
    known = {code for code, _label in demo_data.NETWORKS}
    assert {s["network"] for s in structures} <= known
    for network, (code, words) in FOUNDING_NETWORKS.items():
        assert any(s["network"] == code and (words is None or words in s["name"])
                   for s in structures), network
    missions = [s for s in structures if s["network"] == "mission_locale"]
    assert any(s["parent"] is None for s in missions)  # sièges…
    assert any(s["parent"] for s in missions)          # … et antennes


def test_each_departement_has_a_mission_locale_and_a_cio_or_information_jeunesse():
    for departement in DEPARTEMENTS:
        networks = {s["network"] for s in demo_data.STRUCTURES
                    if s["departement"] == departement}
        assert "mission_locale" in networks, departement
        assert networks & {"cio", "info_jeunesse"}, departement


def test_existing_demo_anchors_are_unchanged():
    by_slug = {s["slug"]: s for s in demo_data.STRUCTURES}
    assert "scolaire" in by_slug["cio-orleans"]["publics"]
    assert "choisir-un-metier" in by_slug["cio-orleans"]["themes"]
    users = {u["username"]: u for u in demo_data.USERS}
    assert users["claire.martin"]["structure"] == "ml-orleans"
    assert users["isabelle.roux"]["structure"] == "cio-orleans"
    for user in demo_data.USERS:
        assert user["email"] == f"{user['username']}@demo-spro.example.org"
        assert user["structure"] in by_slug


def test_bassin_seats_are_communes_of_their_departement():
    for bassin in demo_data.BASSINS:
        seat = communes.by_code(bassin["seat"])
        assert seat is not None and seat.departement == bassin["departement"], bassin["code"]


# --- after seed_demo -------------------------------------------------------------------------

def test_seeded_bassins_hold_every_commune_once_in_its_departement(ctx):
    bassin_departement = dict(db.session.execute(
        select(Territory.code, Territory.departement).where(Territory.kind == "bassin")).all())
    rows = db.session.execute(select(BassinCommune.commune_code, BassinCommune.bassin_code)).all()
    bassins_of = collections.defaultdict(list)
    for commune_code, bassin_code in rows:
        bassins_of[commune_code].append(bassin_code)
    assert set(bassins_of) == {c.code for c in communes.all_communes()}
    for commune in communes.all_communes():
        assert len(bassins_of[commune.code]) == 1, commune
        assert bassin_departement[bassins_of[commune.code][0]] == commune.departement, commune
    # Every bassin of the demo holds at least its seat.
    for bassin in demo_data.BASSINS:
        assert bassins_of[bassin["seat"]] == [bassin["code"]]


def test_seeded_structures_and_users_carry_the_new_fields(ctx):
    for structure in db.session.scalars(select(Structure)):
        if structure.slug in {s["slug"] for s in demo_data.STRUCTURES}:
            assert communes.by_code(structure.commune_code).departement == \
                structure.departement
    claire = db.session.scalar(select(User).where(User.username == "claire.martin"))
    assert claire.email == "claire.martin@demo-spro.example.org"


def test_seed_demo_twice_creates_nothing(ctx):
    from webapp.demo import seed_demo

    def counts():
        return [db.session.scalar(select(func.count()).select_from(model))
                for model in (Territory, BassinCommune, Structure, User)]

    before = counts()
    seed_demo()
    assert counts() == before
    assert before[1] == len(communes.all_communes())
    assert before[2] >= len(demo_data.STRUCTURES)
