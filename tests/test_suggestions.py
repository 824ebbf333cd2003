"""Ranked partner suggestions: the regional decision table (DMN), the directory's publics and
themes, and nearness (same commune > same bassin > same département > neighbour)."""
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import get_user
from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import DefinitionVersion, Structure
from webapp.operations.definitions import current_version, publish_decision
from webapp.queries.suggestions import DECISION_KEY, partner_choices, partner_ids, suggest_partners

DMN = Path(__file__).resolve().parent.parent / "processes" / "orientation_partenaire.dmn"
METIER = "choisir-un-metier--confirmer-son-choix-de-metier"
SE_FORMER = "se-former--trouver-sa-formation"
EMPLOI = "trouver-un-emploi--repondre-a-des-offres-demploi"
ORLEANS, SAINT_JEAN_DE_BRAYE, MONTARGIS, BOURGES, TOURS = "45234", "45284", "45208", "18033", "37261"


def person(public=None, commune_code=ORLEANS):
    return SimpleNamespace(public=public, commune_code=commune_code)


def ranked(username, who, thematiques, limit=100):
    return suggest_partners(get_user(username), who, {"thematiques": thematiques}, limit=limit)


def slugs(suggestions):
    return [s.structure.slug for s in suggestions]


def dmn_networks(xml: str) -> set[str]:
    return set(re.findall(r'<outputEntry id="regle_\d+_reseau"><text>"([^"]+)"</text>', xml))


# -- a small directory of our own, on a theme no demo structure offers ------------------------

PLACES = [  # slug, name, commune code, bassin, département: names sort against the expected rank
    ("t-commune", "Zêta — même commune", ORLEANS, "2421", "45"),
    ("t-bassin", "Upsilon — même bassin", SAINT_JEAN_DE_BRAYE, "2421", "45"),
    ("t-departement", "Sigma — même département", MONTARGIS, "2419", "45"),
    ("t-voisin", "Oméga — département voisin", BOURGES, "2401", "18"),
    ("t-loin", "Alpha — hors des départements voisins", TOURS, "2415", "37"),
    # two structures alike in everything but their names, on a theme of their own
    ("t-ex-aequo-b", "Bêta ex aequo", ORLEANS, "2421", "45"),
    ("t-ex-aequo-a", "Alpha ex aequo", ORLEANS, "2421", "45"),
]


@pytest.fixture
def directory(ctx):
    rows = []
    for slug, name, commune_code, bassin, departement in PLACES:
        theme = "zz-ex-aequo" if "ex-aequo" in slug else "zz-essai"
        rows.append(Structure(slug=slug, name=name, network="reseau_essai", departement=departement,
                              bassin=bassin, commune=name, commune_code=commune_code, publics=[],
                              themes=[theme], cep_operator=False, convention="regionale", active=True))
    db.session.add_all(rows)
    db.session.commit()
    yield {row.slug: row for row in rows}
    db.session.rollback()
    db.session.execute(delete(Structure).where(Structure.slug.in_([p[0] for p in PLACES])))
    db.session.commit()


def test_nearness_breaks_ties_commune_then_bassin_then_departement_then_neighbour(directory):
    """Same network, public and themes everywhere: is the order commune > bassin > département >
    neighbouring département > farther, whatever the names, each with its reason?"""
    found = ranked("claire.martin", person(), ["zz-essai--x"])
    assert slugs(found) == ["t-commune", "t-bassin", "t-departement", "t-voisin", "t-loin"]
    assert [s.reasons[1:] for s in found] == [["Dans la commune de la personne"], ["Dans le bassin de la personne"],
                                              ["Dans le département de la personne"], ["Département voisin"], []]
    assert all(s.reasons[0] == "Thématiques : zz-essai" for s in found)
    assert [s.score for s in found] == [50, 40, 30, 15, 10]


def test_equal_scores_are_ordered_by_name(directory):
    """Two structures alike but for their names: alphabetical order, whichever was created first?"""
    found = ranked("claire.martin", person(), ["zz-ex-aequo--x"])
    assert slugs(found) == ["t-ex-aequo-a", "t-ex-aequo-b"]
    assert found[0].score == found[1].score


def test_without_the_persons_commune_the_senders_place_counts(directory):
    """With no commune for the person, is nearness measured from the sender's structure: from
    Orléans for the Mission Locale, from Tours for the Mission Locale de Touraine?"""
    from_orleans = ranked("claire.martin", person(commune_code=None), ["zz-essai--x"])
    assert slugs(from_orleans)[:2] == ["t-commune", "t-bassin"]
    assert from_orleans[0].reasons[1] == "Dans la commune de votre structure"
    from_tours = ranked("helene.garnier", person(commune_code=None), ["zz-essai--x"])
    assert slugs(from_tours)[0] == "t-loin"
    assert from_tours[0].reasons[1] == "Dans la commune de votre structure"


def test_the_limit_keeps_the_best(directory):
    assert slugs(ranked("claire.martin", person(), ["zz-essai--x"], limit=2)) == ["t-commune", "t-bassin"]


# -- the demo directory and the shipped decision table ----------------------------------------

def test_a_pupil_choosing_a_job_in_orleans_is_sent_to_the_cio_first(ctx):
    """Scolaire + choisir-un-métier in Orléans: the CIO d'Orléans first, with the decision
    table's strongest reason, its public, its theme and its commune; the CRIJ after it?"""
    found = ranked("claire.martin", person("scolaire"), [METIER])
    first = found[0]
    assert first.structure.slug == "cio-orleans"
    assert first.reasons == ["Public scolaire qui choisit un métier : le CIO est le premier interlocuteur.",
                             "Accueille le public « Scolaire »", "Thématiques : Choisir un métier",
                             "Dans la commune de la personne"]
    assert "crij-orleans" in slugs(found)
    assert slugs(found).index("cio-orleans") < slugs(found).index("crij-orleans")
    # the farther CIO come after, in the order of nearness
    assert slugs(found).index("cio-bourges") < slugs(found).index("cio-tours")


def test_an_employee_who_wants_training_is_sent_to_transitions_pro_first(ctx):
    """Salarié·e + se former in Orléans: Transitions Pro Centre-Val de Loire first, with the
    table's reason and the CEP mention, its Tours antenna farther down?"""
    found = ranked("claire.martin", person("salarie"), [SE_FORMER])
    assert found[0].structure.slug == "transitions-pro-cvl"
    assert found[0].reasons[0] == ("Salarié·e avec un projet de formation : Transitions Pro (CEP, projet de "
                                   "transition professionnelle).")
    assert "Opérateur du conseil en évolution professionnelle (CEP)" in found[0].reasons
    assert slugs(found).index("transitions-pro-cvl") < slugs(found).index("transitions-pro-tours")


def test_a_network_absent_from_the_table_still_appears_when_it_serves_the_public(ctx):
    """Professional branches are not in the decision table: does the UIMM, which receives
    pupils, still appear for a pupil, on its public and theme alone?"""
    assert "branche_pro" not in dmn_networks(DMN.read_text(encoding="utf-8"))
    found = {s.structure.slug: s for s in ranked("claire.martin", person("scolaire"), [METIER])}
    uimm = found["uimm-cvl"]
    assert uimm.reasons == ["Accueille le public « Scolaire »", "Thématiques : Choisir un métier",
                            "Dans le bassin de la personne"]
    # a structure with nothing for this person is not suggested at all
    assert "cidff-loiret" not in found and "region-cvl" not in found


def test_the_senders_own_structure_never_appears(ctx):
    """A young job seeker: the table suggests Missions Locales; is the sender's own Mission Locale
    left out of suggestions and choices, while the other Missions Locales remain?"""
    for username, own in (("claire.martin", "ml-orleans"), ("lucas.moreau", "ft-orleans")):
        user = get_user(username)
        found = slugs(ranked(username, person("demandeur_emploi"), [EMPLOI]))
        assert own not in found
        assert user.structure_id not in partner_ids(user)
        assert user.structure_id not in [value for value, _label, _group in partner_choices(user)]
    assert "ml-montargis" in slugs(ranked("claire.martin", person("demandeur_emploi"), [EMPLOI]))
    assert "ml-orleans" in slugs(ranked("lucas.moreau", person("demandeur_emploi"), [EMPLOI]))


@pytest.fixture
def restore_decision(ctx):
    before = current_version(DECISION_KEY, "dmn")
    yield before
    db.session.rollback()
    db.session.execute(delete(DefinitionVersion).where(DefinitionVersion.process_key == DECISION_KEY,
                                                       DefinitionVersion.id != before.id))
    db.session.get(DefinitionVersion, before.id).is_current = True
    db.session.commit()


def test_a_published_new_table_changes_the_ranking(restore_decision):
    """After publishing a table giving the CIDFF weight 100 for pupils, is the CIDFF du Loiret
    first for a pupil (with the new reason), and was it absent before?"""
    assert "cidff-loiret" not in slugs(ranked("claire.martin", person("scolaire"), [METIER]))
    xml = DMN.read_text(encoding="utf-8").replace("</decisionTable>", (
        '<rule id="regle_essai"><inputEntry id="regle_essai_public"><text>"scolaire"</text></inputEntry>'
        '<inputEntry id="regle_essai_categories"><text>-</text></inputEntry>'
        '<outputEntry id="regle_essai_reseau"><text>"cidff"</text></outputEntry>'
        '<outputEntry id="regle_essai_poids"><text>100</text></outputEntry>'
        '<outputEntry id="regle_essai_raison"><text>"Essai : le CIDFF en premier."</text></outputEntry>'
        '</rule></decisionTable>'))
    version = publish_decision("orientation_partenaire.dmn", xml)
    db.session.commit()
    assert version is not None and version.version == restore_decision.version + 1
    assert current_version(DECISION_KEY, "dmn").id == version.id
    found = ranked("claire.martin", person("scolaire"), [METIER])
    assert found[0].structure.slug == "cidff-loiret"
    assert found[0].reasons == ["Essai : le CIDFF en premier.", "Dans la commune de la personne"]
    assert found[1].structure.slug == "cio-orleans"
    assert db.session.scalar(select(DefinitionVersion.is_current).where(
        DefinitionVersion.id == restore_decision.id)) is False
