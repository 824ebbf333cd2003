"""User-task forms as data: coercing HTML input, French validation messages, vocabularies."""
import json
from datetime import date
from pathlib import Path

import pytest
from data_inclusion.schema.v1.thematiques import Categorie, Thematique
from werkzeug.datastructures import MultiDict

from webapp.task_forms import coerce, describe, expand, validate

FORMS = Path(__file__).resolve().parent.parent / "forms"
METIER = "choisir-un-metier--confirmer-son-choix-de-metier"


def schema(name: str) -> dict:
    return json.loads((FORMS / f"{name}.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def personne():
    return expand(schema("accueil_personne"))


@pytest.fixture(scope="module")
def analyse():
    return expand(schema("accueil_analyse"))


def valid_personne(**changes):
    data = {"canal": "sur_place", "anonyme": False, "nom": "Martin", "public": "scolaire"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def valid_analyse(**changes):
    data = {"thematiques": [METIER], "besoins": "Choisir une formation.", "urgence": "normale",
            "reponse": "cep"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# -- vocabularies -------------------------------------------------------------------------------

def test_thematiques_come_from_the_data_inclusion_package(analyse):
    """Is the thematiques field given the data·inclusion values, with a label for each?"""
    items = analyse["properties"]["thematiques"]["items"]
    assert METIER in items["enum"]
    assert len(items["x-enumNames"]) == len(items["enum"])
    assert set(items["enum"]) <= {t.value for t in Thematique}
    categories = {value.split("--", 1)[0] for value in items["enum"]}
    assert "choisir-un-metier" in categories and "se-former" in categories
    assert "sante" not in categories  # health is outside the guidance vocabulary
    assert categories <= {c.value for c in Categorie}


def test_publics_are_the_spro_statuses(personne):
    """Does the public field list the SPRO statuses (scolaire, apprenti, salarié…)?"""
    enum = personne["properties"]["public"]["enum"]
    assert {"scolaire", "apprenti", "salarie", "demandeur_emploi"} <= set(enum)


def test_expand_leaves_the_stored_schema_untouched():
    """Does expand() work on a copy, so stored form schemas keep their vocabulary reference?"""
    original = schema("accueil_analyse")
    expand(original)
    assert "enum" not in original["properties"]["thematiques"]["items"]


def test_vocabularies_are_grouped_by_category_for_display(analyse):
    """Are the thematiques options grouped under their category label?"""
    field = next(f for f in describe(analyse, {}) if f.name == "thematiques")
    groups = {value: group for value, _label, group in field.options}
    assert groups[METIER] == "Choisir un métier"
    assert field.kind == "checkboxes" and field.required


# -- coercing HTML input ------------------------------------------------------------------------

def test_coerce_types_html_strings_after_the_schema(personne, analyse):
    """Are booleans, integers and checkbox lists typed, and empty fields dropped?"""
    form = MultiDict([("canal", "telephone"), ("anonyme", "false"), ("annee_naissance", "2007"),
                      ("nom", "  Martin "), ("prenom", ""), ("public", "apprenti")])
    assert coerce(personne, form) == {"canal": "telephone", "anonyme": False, "annee_naissance": 2007,
                                      "nom": "Martin", "public": "apprenti"}
    form = MultiDict([("thematiques", METIER), ("thematiques", ""), ("thematiques", "se-former--x")])
    assert coerce(analyse, form) == {"thematiques": [METIER, "se-former--x"]}
    assert coerce(analyse, MultiDict()) == {}


def test_an_integer_typed_as_text_is_kept_and_refused_in_french(personne):
    """Is « deux mille » for a year kept as text by coerce and refused with a French message?"""
    data = coerce(personne, MultiDict(valid_personne(annee_naissance="deux mille", anonyme="false")))
    assert data["annee_naissance"] == "deux mille"
    assert validate(personne, data) == {"annee_naissance": "Saisissez un nombre entier."}


# -- French messages per field ------------------------------------------------------------------

def test_valid_data_has_no_error(personne, analyse):
    """Do complete, valid answers pass?"""
    assert validate(personne, valid_personne()) == {}
    assert validate(analyse, valid_analyse()) == {}


def test_required_fields_are_named(personne):
    """Is every missing required field reported on its own, in French?"""
    assert validate(personne, {}) == {name: "Ce champ est obligatoire."
                                      for name in ("canal", "anonyme", "public")}


@pytest.mark.parametrize("field, value, message", [
    ("canal", "pigeon_voyageur", "Choisissez une valeur proposée."),
    ("public", "astronaute", "Choisissez une valeur proposée."),
    ("nom", "x" * 201, "200 caractères au maximum."),
    ("annee_naissance", 1850, f"Année de naissance peu plausible : saisissez une année à partir de {date.today().year - 120}."),
    ("annee_naissance", 2100, "L'année de naissance ne peut pas être dans le futur."),
    ("anonyme", "oui", "Répondez par oui ou non."),
])
def test_each_field_gets_its_french_message(personne, field, value, message):
    """Is a wrong value reported on its own field with the expected French message?"""
    assert validate(personne, valid_personne(**{field: value})) == {field: message}


def test_name_is_required_only_when_the_person_is_not_anonymous(personne):
    """Does the if/then rule require the name for a named person only?"""
    assert validate(personne, valid_personne(nom=None)) == {"nom": "Ce champ est obligatoire."}
    assert validate(personne, valid_personne(nom=None, anonyme=True)) == {}


def test_documentation_remise_is_required_when_the_answer_is_documentation(analyse):
    """Does answering « documentation » require saying which documents were given?"""
    assert validate(analyse, valid_analyse(reponse="documentation")) == \
        {"documentation_remise": "Ce champ est obligatoire."}
    assert validate(analyse, valid_analyse(reponse="documentation",
                                           documentation_remise="Fiches métiers.")) == {}
    assert validate(analyse, valid_analyse(reponse="orientation")) == {}


def test_thematiques_are_checked_against_the_vocabulary(analyse):
    """Are an empty choice and an unknown thématique refused, in French?"""
    assert validate(analyse, valid_analyse(thematiques=[])) == \
        {"thematiques": "Choisissez au moins 1 élément."}
    assert validate(analyse, valid_analyse(thematiques=[METIER, "sante--acces-aux-soins"])) == \
        {"thematiques": "Choisissez une valeur proposée."}
    unexpanded = schema("accueil_analyse")
    assert validate(unexpanded, valid_analyse(thematiques=["nimporte-quoi"])) == {}


def test_long_texts_and_unknown_fields(analyse):
    """Are a too-long text and an unexpected field reported?"""
    assert validate(analyse, valid_analyse(besoins="x" * 5001)) == {"besoins": "5000 caractères au maximum."}
    assert validate(analyse, valid_analyse(_engine="x")) == {"_form": "Champs inconnus : _engine."}


def test_dates_and_confirmations():
    """Are an impossible date and an unconfirmed consent refused in French?"""
    seance = expand(schema("pec_seance"))
    assert validate(seance, {"date_seance": "2026-02-31", "notes": "n", "autre_seance": False}) == \
        {"date_seance": "Date invalide : saisissez-la au format jj/mm/aaaa."}
    information = expand(schema("orientation_information"))
    assert validate(information, {"personne_informee": False, "mode_information": "entretien"}) == \
        {"personne_informee": "Ce point doit être confirmé."}
    assert validate(information, {"personne_informee": True, "mode_information": "entretien"}) == {}
    contact = expand(schema("orientation_premier_contact"))
    assert validate(contact, {"premier_contact": "confirme", "date_premier_contact": "2026-02-30"}) == \
        {"date_premier_contact": "Date invalide : saisissez-la au format jj/mm/aaaa."}


# -- the orientation forms ----------------------------------------------------------------------

PARTNERS = {"partenaires": {12, 34}}


def test_choosing_a_partner_requires_a_listed_structure_and_a_reason():
    """Does « orienter » require a partner from the allowed list and a reason, and « abandonner »
    its own reason?"""
    choice = expand(schema("orientation_choix"))
    assert validate(choice, {"decision": "orienter", "partenaire_id": 12, "motif": "Projet."}, PARTNERS) == {}
    assert validate(choice, {"decision": "orienter"}, PARTNERS) == \
        {"partenaire_id": "Ce champ est obligatoire.", "motif": "Ce champ est obligatoire."}
    assert validate(choice, {"decision": "orienter", "partenaire_id": 56, "motif": "m"}, PARTNERS) == \
        {"partenaire_id": "Choisissez une structure de la liste."}
    assert validate(choice, {"decision": "orienter", "partenaire_id": 12, "motif": "m"}) == \
        {"partenaire_id": "Choisissez une structure de la liste."}  # nothing allowed: nothing passes
    assert validate(choice, {"decision": "abandonner"}, PARTNERS) == {"motif_abandon": "Ce champ est obligatoire."}
    assert validate(choice, {"decision": "abandonner", "motif_abandon": "Plus de besoin."}, PARTNERS) == {}
    assert validate(choice, {"decision": "transmettre"}, PARTNERS) == {"decision": "Choisissez une valeur proposée."}


def test_shared_fields_are_a_closed_list():
    """Are only the five kinds of shared data accepted, and the information mode required?"""
    information = expand(schema("orientation_information"))
    assert validate(information, {"donnees_partagees": ["identite", "situation"], "personne_informee": True,
                                  "mode_information": "courriel"}) == {}
    assert validate(information, {"donnees_partagees": ["dossier_complet"], "personne_informee": True,
                                  "mode_information": "courriel"}) == \
        {"donnees_partagees": "Choisissez une valeur proposée."}
    assert validate(information, {"personne_informee": True}) == {"mode_information": "Ce champ est obligatoire."}


@pytest.mark.parametrize("answer, missing", [
    ({"reponse": "accepter"}, {"date_premier_rdv"}),
    ({"reponse": "refuser"}, {"motif_refus"}),
    ({"reponse": "rediriger"}, {"partenaire_redirection_id", "commentaire", "personne_informee"}),
    ({}, {"reponse"}),
])
def test_each_answer_to_a_referral_requires_its_own_fields(answer, missing):
    """Accept needs the first appointment, decline a coded reason, redirect a partner, a comment
    and the person informed?"""
    assert validate(expand(schema("orientation_reponse")), answer, PARTNERS) == \
        {name: "Ce champ est obligatoire." for name in missing}


def test_a_decline_reason_is_coded_and_a_redirection_goes_to_a_listed_partner():
    reponse = expand(schema("orientation_reponse"))
    assert validate(reponse, {"reponse": "refuser", "motif_refus": "pas envie"}, PARTNERS) == \
        {"motif_refus": "Choisissez une valeur proposée."}
    assert validate(reponse, {"reponse": "refuser", "motif_refus": "capacite"}, PARTNERS) == {}
    assert validate(reponse, {"reponse": "rediriger", "partenaire_redirection_id": 99, "commentaire": "c",
                              "personne_informee": True}, PARTNERS) == \
        {"partenaire_redirection_id": "Choisissez une structure de la liste."}
    assert validate(reponse, {"reponse": "rediriger", "partenaire_redirection_id": 34, "commentaire": "c",
                              "personne_informee": True}, PARTNERS) == {}


def test_a_missed_first_contact_needs_no_date():
    contact = expand(schema("orientation_premier_contact"))
    assert validate(contact, {"premier_contact": "confirme"}) == {"date_premier_contact": "Ce champ est obligatoire."}
    assert validate(contact, {"premier_contact": "non_venue"}) == {}


def test_partner_fields_are_coerced_to_integers():
    """Is a partner chosen in the HTML select typed as an integer, and the shared data as a list?"""
    choice = expand(schema("orientation_choix"))
    assert coerce(choice, MultiDict([("decision", "orienter"), ("partenaire_id", "12"), ("motif", " m ")])) == \
        {"decision": "orienter", "partenaire_id": 12, "motif": "m"}
    information = expand(schema("orientation_information"))
    form = MultiDict([("donnees_partagees", "situation"), ("donnees_partagees", "demande"),
                      ("personne_informee", "true"), ("mode_information", "entretien")])
    assert coerce(information, form) == {"donnees_partagees": ["situation", "demande"],
                                         "personne_informee": True, "mode_information": "entretien"}
    field = next(f for f in describe(choice, {}) if f.name == "partenaire_id")
    assert field.kind == "source"


def test_every_shipped_form_is_a_valid_schema(ctx):
    """Is every form in forms/ a valid JSON Schema after expansion (the funders' amounts come from
    the database), with a title per field?"""
    from jsonschema import Draft202012Validator
    paths = sorted(FORMS.glob("*.schema.json"))
    assert paths
    for path in paths:
        expanded = expand(json.loads(path.read_text(encoding="utf-8")))
        Draft202012Validator.check_schema(expanded)
        assert all("title" in prop for prop in expanded["properties"].values()), path.name
