"""The studio's decision table editor: the table opens with French column titles, each cell the
application could not use is located by its id with a French message (kept in the draft as work
left to do, never published), and code in a cell is refused whole."""
import html

import pytest
from sqlalchemy import func, select

from conftest import csrf_from, login
from test_decisions import DMN
from test_studio_versions import ADVISER, PILOTE
from webapp.extensions import db
from webapp.models import DefinitionDraft, DefinitionVersion
from webapp.operations.definitions import check_decision, check_decision_draft
from webapp.queries.definitions import place_in_table
from webapp.queries.studio_forms import with_column_titles
from webapp.workflow import DefinitionError

PAGE = "/pilotage/tables/orientation_partenaire"
SAVE = f"{PAGE}/brouillon.json"


def _cell(xml: str, cell_id: str, text: str) -> str:
    """The table with the text of the cell `cell_id` replaced."""
    start = xml.index(f'id="{cell_id}"')
    begin = xml.index("<text>", start) + len("<text>")
    return xml[:begin] + text + xml[xml.index("</text>", begin):]


def _pilote(app):
    client = app.test_client()
    login(client, PILOTE)
    return client, csrf_from(client.get(PAGE).get_data(as_text=True))


def _counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (DefinitionDraft, DefinitionVersion))


MISTAKES = [
    ("regle_1_reseau", '"cioo"', "« Réseau » : code inconnu « cioo »", "colonne « Réseau »"),
    ("regle_2_poids", '"quarante"', "« Poids » doit être un nombre entier", "colonne « Poids »"),
    ("regle_3_raison", "", "« Raison » est vide", "colonne « Raison »"),
    ("regle_4_public", '"etudient"', "« Public » : code inconnu « etudient »", "colonne « Public »"),
    ("regle_1_categories", '"choisir-un-metir" in ?', "« Thématiques » : code inconnu",
     "colonne « Thématiques »"),
    ("regle_5_reseau", '"cio', "Expression invalide", "colonne « Réseau »"),
    ("regle_6_raison", "Apprenti", "doit être un texte entre guillemets", "colonne « Raison »"),
]


def test_each_mistyped_cell_is_located_by_its_id_with_a_french_message(ctx):
    xml = DMN
    for cell_id, text, _message, _where in MISTAKES:
        xml = _cell(xml, cell_id, text)
    _key, _text, problems = check_decision_draft(xml, "orientation_partenaire")
    found = {p.element_id: p.message for p in problems}
    assert set(found) == {cell_id for cell_id, *_ in MISTAKES}
    for cell_id, _text, message, where in MISTAKES:
        assert message in found[cell_id], (cell_id, found[cell_id])
        assert place_in_table(xml, cell_id).endswith(where)  # what the editor's list says
    assert all(p.unfinished for p in problems)
    with pytest.raises(DefinitionError):  # publishing (and `spro process validate`) refuses them all
        check_decision(xml)
    assert check_decision_draft(DMN, "orientation_partenaire")[2] == []


def test_a_draft_keeps_its_mistyped_cells_as_work_left_and_cannot_be_published(app, restore_versions):
    client, token = _pilote(app)
    xml = _cell(_cell(DMN, "regle_1_reseau", '"cioo"'), "regle_2_poids", "quarante")
    answer = client.post(SAVE, json={"xml": xml}, headers={"X-CSRFToken": token})
    body = answer.get_json()
    assert answer.status_code == 200 and body["saved"] is True
    located = {p["element"]: p for p in body["problems"]}
    assert set(located) == {"regle_1_reseau", "regle_2_poids"}
    assert located["regle_1_reseau"]["where"] == "règle 1, colonne « Réseau »"
    assert located["regle_2_poids"]["where"] == "règle 2, colonne « Poids »"
    versions = _counts(app)[1]
    page = html.unescape(client.post(f"{PAGE}/publier", data={"csrf_token": token, "note": "Essai"},
                                     follow_redirects=True).get_data(as_text=True))
    assert "Rien n'a été publié" in page and "2 problème(s)" in page
    assert _counts(app)[1] == versions
    table = client.get(f"{PAGE}/editeur/table.json").get_json()
    assert table["from_draft"] is True and {p["element"] for p in table["problems"]} == set(located)


@pytest.mark.parametrize("text, expected", [
    ("__import__('os').system('id')", "Appel de fonction interdit"),
    ("public.__class__", "interdit"),
])
def test_code_in_a_cell_is_refused_whole_and_located(app, text, expected):
    client, token = _pilote(app)
    before = _counts(app)
    answer = client.post(SAVE, json={"xml": _cell(DMN, "regle_2_poids", text)}, headers={"X-CSRFToken": token})
    body = answer.get_json()
    assert answer.status_code == 422 and body["saved"] is False
    assert [p["element"] for p in body["problems"]] == ["regle_2_poids"] and expected in body["problems"][0]["message"]
    assert _counts(app) == before


def test_a_table_whose_columns_changed_is_kept_as_a_draft_located_on_the_table(ctx):
    renamed = DMN.replace('name="poids"', 'name="importance"')
    _key, _text, problems = check_decision_draft(renamed, "orientation_partenaire")
    assert [(p.element_id, p.message.split(" :")[0]) for p in problems] == [
        ("table_orientation_partenaire", "Sorties attendues, dans cet ordre")]


def test_the_editor_opens_the_table_with_french_column_titles(app, client):
    own, _token = _pilote(app)
    page = html.unescape(own.get(f"{PAGE}/editeur").get_data(as_text=True))
    assert "dmn-modeler.production.min.js" in page and "dmn_fr.js" in page and "table_editor.js" in page
    assert "Modifier « Réseaux à suggérer pour une orientation »" in page
    table = own.get(f"{PAGE}/editeur/table.json").get_json()
    assert table["from_draft"] is False and table["problems"] == [] and 'label="Réseau"' in table["xml"]
    login(client, ADVISER)
    assert client.get(f"{PAGE}/editeur").status_code == 403
    assert own.get("/pilotage/tables/inconnue/editeur").status_code == 404


def test_the_columns_carry_the_titles_every_screen_shows(ctx):
    bare = DMN.replace(' label="Public"', "").replace(' label="Raison affichée"', ' label="Why"')
    titled = with_column_titles(bare)
    for title in ("Public", "Thématiques", "Réseau", "Poids", "Raison"):
        assert f'label="{title}"' in titled, title
    assert "Why" not in titled and "Catégories de thématiques" not in titled
    assert check_decision_draft(titled, "orientation_partenaire")[2] == []  # the contract still matches
    assert with_column_titles(titled) == titled
