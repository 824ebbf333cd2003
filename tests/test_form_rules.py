"""Form rules a counsellor relies on: fields of the chosen answer only, person checks shared by
the welcome and identity forms, dates in French and in time, the first contact explained when it
comes before the appointment."""
import json
from datetime import datetime
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from webapp import clock
from webapp.operations.people import identity_schema
from webapp.task_forms import coerce, describe, expand, readable, validate

FORMS = Path(__file__).resolve().parent.parent / "forms"
PARTNERS = {"partenaires": {12, 34}}


def form(name: str):
    schema = expand(json.loads((FORMS / f"{name}.schema.json").read_text(encoding="utf-8")))
    ui_path = FORMS / f"{name}.ui.json"
    return schema, json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.exists() else {}


@pytest.fixture
def frozen(monkeypatch):
    """The application clock set to Tuesday 1 December 2026, 10:00 UTC."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 1, 10, 0))


def fields_of(name: str, values=None, context=None) -> dict:
    schema, ui = form(name)
    return {f.name: f for f in describe(schema, ui, values or {}, context=context)}


# -- conditional fields -------------------------------------------------------------------------

def test_each_answer_to_a_referral_shows_only_its_own_fields():
    """Are the appointment, refusal and redirection fields tied to « Accepter », « Refuser » and
    « Rediriger », while the answer and the comment to the sender always show?"""
    fields = fields_of("orientation_reponse")
    assert fields["date_premier_rdv"].show_when == "reponse=accepter"
    assert fields["motif_refus"].show_when == "reponse=refuser"
    assert fields["partenaire_redirection_id"].show_when == "reponse=rediriger"
    assert fields["personne_informee"].show_when == "reponse=rediriger"
    assert fields["reponse"].show_when is None and fields["commentaire"].show_when is None
    assert fields["commentaire"].required_when == "reponse=rediriger"


def test_anonymous_welcome_hides_the_identity_fields():
    """Are first name, name, birth year, phone and e-mail shown only when the person is not
    anonymous, and the name required then?"""
    fields = fields_of("accueil_personne")
    identity = {n for n, f in fields.items() if f.show_when == "anonyme=false"}
    assert identity == {"prenom", "nom", "annee_naissance", "telephone", "email"}
    assert fields["nom"].required_when == "anonyme=false" and fields["prenom"].required_when is None
    assert fields["public"].show_when is None and fields["commune"].show_when is None


def test_partner_choice_fields_follow_the_decision():
    fields = fields_of("orientation_choix")
    assert fields["partenaire_id"].show_when == "decision=orienter"
    assert fields["motif"].show_when == "decision=orienter"
    assert fields["motif_abandon"].show_when == "decision=abandonner"


def test_conditions_are_written_in_french_for_pages_without_javascript():
    """Does a conditional field say when it is required (or wanted) in words, naming the
    question and the answer by their labels?"""
    fields = fields_of("orientation_reponse")
    assert fields["motif_refus"].condition == "Obligatoire si « Réponse » est « Refuser »."
    welcome = fields_of("accueil_personne")
    assert welcome["nom"].condition == \
        "Obligatoire si « La personne souhaite rester anonyme » est « Non »."
    assert welcome["telephone"].condition.startswith("À renseigner seulement si")
    analyse = fields_of("accueil_analyse")
    assert analyse["documentation_remise"].condition == \
        "Obligatoire si « Réponse apportée » est « Documentation remise (réponse de premier niveau) »."


def test_the_required_mark_follows_the_chosen_answer():
    """Is a branch's required field marked required only once its branch is chosen?"""
    assert not fields_of("orientation_reponse")["date_premier_rdv"].required_now
    assert fields_of("orientation_reponse", {"reponse": "accepter"})["date_premier_rdv"].required_now
    assert not fields_of("orientation_reponse", {"reponse": "refuser"})["date_premier_rdv"].required_now
    assert fields_of("orientation_reponse")["reponse"].required_now


def test_fields_left_over_from_another_answer_are_not_recorded():
    """After choosing « Refuser » then « Accepter », is the refusal reason typed first dropped,
    while an answer not chosen yet keeps everything that was typed?"""
    schema, _ui = form("orientation_reponse")
    data = coerce(schema, MultiDict({"reponse": "accepter", "date_premier_rdv": "2026-12-10",
                                     "motif_refus": "capacite"}))
    assert data == {"reponse": "accepter", "date_premier_rdv": "2026-12-10"}
    kept = coerce(schema, MultiDict({"motif_refus": "capacite", "commentaire": "c"}))
    assert kept == {"motif_refus": "capacite", "commentaire": "c"}


def test_help_texts_match_yes_no_questions():
    """Does no yes/no question (drawn as « Oui » / « Non ») tell people to tick or untick a box?"""
    for path in FORMS.glob("*.schema.json"):
        for name, prop in json.loads(path.read_text(encoding="utf-8"))["properties"].items():
            if prop.get("type") == "boolean":
                assert "coch" not in prop.get("description", "").lower(), (path.name, name)
    assert fields_of("pec_seance")["autre_seance"].help == "Répondez « Non » pour passer au plan d'action."


# -- person checks (shared by the welcome form and the identity form) ----------------------------

@pytest.mark.parametrize("schema", ["welcome", "identity"])
@pytest.mark.parametrize("field, value, message", [
    ("telephone", "06 12 34", "Numéro de téléphone invalide"),
    ("telephone", "bonjour", "Numéro de téléphone invalide"),
    ("email", "lea.durand@", "Adresse de courriel invalide"),
    ("email", "lea durand@example.org", "Adresse de courriel invalide"),
    ("commune", "Atlantis", "Commune inconnue en Centre-Val de Loire"),
    ("commune", "Vineuil", "Plusieurs communes correspondent : Vineuil (36110), Vineuil (41350)."),
    ("commune", "Orleens", "Vouliez-vous dire : Orléans (45000)"),
    ("annee_naissance", 2027, "L'année de naissance ne peut pas être dans le futur."),
    ("annee_naissance", 1905, "Année de naissance peu plausible : saisissez une année à partir de 1906."),
])
def test_person_fields_are_checked_the_same_way_in_both_forms(frozen, schema, field, value, message):
    """Is a bad phone, e-mail, commune or birth year refused on its field with a French message,
    on the welcome form and on the dossier's identity form alike?"""
    if schema == "welcome":
        data = {"canal": "sur_place", "anonyme": False, "nom": "Durand", "public": "scolaire", field: value}
        errors = validate(form("accueil_personne")[0], data)
    else:
        errors = validate(identity_schema(), {field: value})
    assert list(errors) == [field]
    assert message in errors[field]


@pytest.mark.parametrize("field, value", [
    ("telephone", "06 12 34 56 78"), ("telephone", "+33612345678"), ("telephone", "+44 20 7946 0958"),
    ("email", "lea.durand@example.org"), ("commune", "Vineuil (41350)"), ("commune", "45000"),
    ("commune", "saint jean de braye"), ("annee_naissance", 2026), ("annee_naissance", 1906),
])
def test_plausible_person_values_pass(frozen, field, value):
    assert validate(identity_schema(), {field: value}) == {}


def test_phones_and_communes_take_their_official_spelling():
    """Is a phone typed without spaces stored as « 06 12 34 56 78 » and a commune as its official
    name (with its postal code when the name has homonyms)?"""
    schema, _ui = form("accueil_personne")
    data = coerce(schema, MultiDict({"telephone": "0033612345678", "commune": "st jean de braye",
                                     "email": " lea@example.org "}))
    assert data == {"telephone": "06 12 34 56 78", "commune": "Saint-Jean-de-Braye",
                    "email": "lea@example.org"}
    assert coerce(schema, MultiDict({"commune": "vineuil 41350"}))["commune"] == "Vineuil (41350)"
    assert coerce(schema, MultiDict({"telephone": "06 12"}))["telephone"] == "06 12"  # kept, then refused


# -- dates ---------------------------------------------------------------------------------------

def test_dates_typed_in_french_are_accepted():
    """Is « 09/03/2026 » (or 9/3/2026) read as 9 March 2026, the browser's ISO value kept, and a
    date that does not exist kept as typed and refused in French?"""
    schema, _ui = form("pec_seance")
    assert coerce(schema, MultiDict({"date_seance": "09/03/2026"}))["date_seance"] == "2026-03-09"
    assert coerce(schema, MultiDict({"date_seance": "9/3/2026"}))["date_seance"] == "2026-03-09"
    assert coerce(schema, MultiDict({"date_seance": "2026-03-09"}))["date_seance"] == "2026-03-09"
    bad = coerce(schema, MultiDict({"date_seance": "31/02/2026"}))
    assert bad["date_seance"] == "31/02/2026"
    assert validate(schema, {**bad, "notes": "n", "autre_seance": False}) == \
        {"date_seance": "Date invalide : saisissez-la au format jj/mm/aaaa."}


def test_dates_are_shown_in_french():
    """Are recorded dates read back as dd/mm/yyyy on the dossier and on finished task pages?"""
    schema, ui = form("pec_entretien")
    rows = dict(readable(schema, ui, {"date_entretien": "2026-03-02", "notes": "n"}))
    assert rows["Date de l'entretien"] == "02/03/2026"
    assert fields_of("pec_entretien", {"date_entretien": "2026-03-02"})["date_entretien"].display == "02/03/2026"


@pytest.mark.parametrize("name, field, base", [
    ("pec_entretien", "date_entretien", {"notes": "n", "releve_du_champ": True, "conseil_approfondi": False}),
    ("pec_seance", "date_seance", {"notes": "n", "autre_seance": False}),
    ("orientation_premier_contact", "date_premier_contact", {"premier_contact": "confirme"}),
])
def test_what_has_happened_cannot_be_dated_in_the_future(frozen, name, field, base):
    """Is an interview, a session or a first contact dated tomorrow refused, today accepted?"""
    schema, _ui = form(name)
    assert validate(schema, {**base, field: "2026-12-02"}) == \
        {field: "Cette date est dans le futur : indiquez une date passée ou celle d'aujourd'hui."}
    assert validate(schema, {**base, field: "2026-12-01"}) == {}


def test_an_appointment_cannot_be_set_in_the_past(frozen):
    schema, _ui = form("orientation_reponse")
    assert validate(schema, {"reponse": "accepter", "date_premier_rdv": "2026-11-30"}, PARTNERS) == \
        {"date_premier_rdv": "Cette date est déjà passée : indiquez la date d'aujourd'hui ou une date à venir."}
    assert validate(schema, {"reponse": "accepter", "date_premier_rdv": "2026-12-01"}, PARTNERS) == {}


# -- a first contact before the appointment ------------------------------------------------------

def test_a_first_contact_before_the_appointment_must_be_explained(frozen):
    """Confirming a first contact on 25/11 when the appointment was fixed on 28/11: is an
    explanation required, with both dates in the message, and accepted once given?"""
    schema, _ui = form("orientation_premier_contact")
    context = {"date_premier_rdv": "2026-11-28"}
    early = {"premier_contact": "confirme", "date_premier_contact": "2026-11-25"}
    assert validate(schema, early, context=context) == {"contact_anticipe": (
        "Le premier contact (25/11/2026) est antérieur au rendez-vous fixé au 28/11/2026 : expliquez pourquoi.")}
    assert validate(schema, {**early, "contact_anticipe": "La personne est passée plus tôt."},
                    context=context) == {}
    on_time = {"premier_contact": "confirme", "date_premier_contact": "2026-11-28"}
    assert validate(schema, on_time, context=context) == {}
    assert validate(schema, early) == {}  # no appointment known: nothing to compare with


def test_the_explanation_field_says_when_it_is_needed(frozen):
    context = {"date_premier_rdv": "2026-11-28"}
    fields = fields_of("orientation_premier_contact", {"date_premier_contact": "2026-11-25"}, context)
    explain = fields["contact_anticipe"]
    assert explain.condition == "Obligatoire si le premier contact a eu lieu avant le rendez-vous fixé au 28/11/2026."
    assert explain.required_before == "date_premier_contact|2026-11-28" and explain.required_now
    assert explain.show_when == "premier_contact=confirme"
    later = fields_of("orientation_premier_contact", {"date_premier_contact": "2026-11-30"}, context)
    assert not later["contact_anticipe"].required_now
