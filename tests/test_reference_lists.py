"""Reference lists for CEP advisers: ROME jobs, certification numbers, their form checks and reloads."""
import shutil

import pytest
from click.testing import CliRunner
from werkzeug.datastructures import MultiDict

from webapp import form_checks, reference_lists, task_forms
from webapp.cli import main

ROME_MESSAGE = "Choisissez un métier de la liste ROME (code à une lettre et quatre chiffres)."
CERTIFICATION_MESSAGE = ("Numéro de certification invalide : RNCP ou RS suivi du numéro de la fiche, "
                         "par exemple RNCP34398.")
SCHEMA = {"type": "object", "properties": {
    "metier": {"type": "string", "x-check": "rome"},
    "certification": {"type": "string", "x-check": "certification"}}}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Copies of the shipped lists in a temporary folder, so reloads never touch the real ones."""
    for name in reference_lists.FILES.values():
        shutil.copy(reference_lists.DATA_DIR / name, tmp_path / name)
    monkeypatch.setattr(reference_lists, "DATA_DIR", tmp_path)
    reference_lists.clear_caches()
    yield tmp_path
    reference_lists.clear_caches()


def _write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return str(path)


def test_rome_list_has_532_fiches_and_names_its_source():
    jobs = reference_lists.rome_jobs()
    assert len(jobs) == 532 == len({code for code, _label in jobs})
    assert jobs[0] == ("A1101", "Conduite d'engins agricoles et forestiers")
    assert all(reference_lists.ROME_CODE.match(code) and label for code, label in jobs)
    first_line = (reference_lists.DATA_DIR / "rome_v346.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# ROME") and "France Travail open data" in first_line
    assert reference_lists.data_version("rome") == first_line[2:]
    assert reference_lists.rome_label("a1101") == "Conduite d'engins agricoles et forestiers"
    assert reference_lists.rome_label("Z9999") is None


def test_shipped_certifications_file_is_empty_and_says_where_the_data_comes_from():
    assert reference_lists.certifications() == []
    source = reference_lists.data_version("certifications")
    assert "France Compétences" in source and "data.gouv.fr" in source and "Numero_Fiche" in source
    lines = (reference_lists.DATA_DIR / "certifications.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == ["numero,intitule"]


@pytest.mark.parametrize("query, expected", [
    ("coiff", "D1202"),            # word prefix
    ("COIFFURE", "D1202"),         # case ignored
    ("elevage porc", "A1411"),     # accents ignored (« Élevage porcin »), every word a prefix
    ("soins hyg", "J1501"),        # « Soins d'hygiène, de confort du patient »
    ("d1202", "D1202"),            # code
    ("engin agri", "A1101"),       # words in any label position
])
def test_search_rome_finds_jobs_by_words_and_code(query, expected):
    assert reference_lists.search_rome(query)[0][0] == expected


def test_search_rome_requires_every_word_and_word_starts():
    assert reference_lists.search_rome("coiff zzz") == []
    assert reference_lists.search_rome("oiffure") == []  # not the start of a word
    assert reference_lists.search_rome("") == []
    by_code = reference_lists.search_rome("A14", limit=50)
    assert by_code and all(code.startswith("A14") for code, _label in by_code)
    assert len(reference_lists.search_rome("e", limit=3)) == 3
    # Shorter, earlier matches first: « Coiffure » before « Coiffure et maquillage spectacle ».
    assert [code for code, _ in reference_lists.search_rome("coiffure")] == ["D1202", "L1501"]


@pytest.mark.parametrize("typed, expected", [
    ("rncp 34398", "RNCP34398"), ("RNCP34398", "RNCP34398"), ("RS 5063", "RS5063"),
    (" rs5063 ", "RS5063"), ("RNCP-1", "RNCP1"),
    ("34398", None), ("RNCP", None), ("RNCP1234567", None), ("RN 34398", None), ("RNCP 34A98", None),
    ("", None), (None, None),
])
def test_certification_numbers_are_normalised_or_refused(typed, expected):
    assert reference_lists.normalise_certification(typed) == expected


def test_rome_check_cleans_a_chosen_suggestion_and_refuses_unknown_codes():
    form = MultiDict({"metier": "A1101 — Conduite d'engins agricoles et forestiers",
                      "certification": "rncp 34398"})
    data = task_forms.coerce(SCHEMA, form)
    assert data == {"metier": "A1101", "certification": "RNCP34398"}
    assert task_forms.validate(SCHEMA, data) == {}
    assert task_forms.clean(SCHEMA, {"metier": "a1101"}) == {"metier": "A1101"}
    assert task_forms.validate(SCHEMA, task_forms.clean(SCHEMA, {"metier": "Z9999"})) == \
        {"metier": ROME_MESSAGE}
    assert task_forms.validate(SCHEMA, {"metier": "plombier"}) == {"metier": ROME_MESSAGE}


def test_certification_check_refuses_malformed_numbers_but_accepts_unlisted_ones():
    assert task_forms.validate(SCHEMA, task_forms.clean(SCHEMA, {"certification": "RS 5063"})) == {}
    for typed in ("34398", "RNCP 1234567", "CAP cuisine"):
        cleaned = task_forms.clean(SCHEMA, {"certification": typed})
        assert task_forms.validate(SCHEMA, cleaned) == {"certification": CERTIFICATION_MESSAGE}


def test_options_offer_every_job_and_the_listed_certifications(data_dir):
    rome = form_checks.options("rome")
    assert len(rome) == 532
    assert rome[0] == ("A1101", "A1101 — Conduite d'engins agricoles et forestiers")
    assert form_checks.options("certification") == []
    assert form_checks.options("email") == []
    _write(data_dir / "export.csv", "Numero_Fiche;Intitule\nRNCP34398;Titre de test\n")
    reference_lists.reload_certifications(data_dir / "export.csv")
    assert form_checks.options("certification") == [("RNCP34398", "RNCP34398 — Titre de test")]


def test_cli_reloads_rome_from_an_official_style_file(data_dir):
    path = _write(data_dir / "unix_referentiel_code_rome_v999_utf8.csv",
                  "code_rome;code_fiche_em;libelle_rome\n"
                  "a1101;01;Conduite d'engins agricoles et forestiers\n"
                  "D1202;02;Coiffure\nM1805;03;\"Études et développement informatique\"\n")
    result = CliRunner().invoke(main, ["reference", "rome", path])
    assert result.exit_code == 0, result.output
    assert "3 fiche(s) ROME chargée(s)." in result.output
    assert "unix_referentiel_code_rome_v999_utf8.csv" in result.output
    assert reference_lists.rome_jobs() == [
        ("A1101", "Conduite d'engins agricoles et forestiers"), ("D1202", "Coiffure"),
        ("M1805", "Études et développement informatique")]
    source = reference_lists.data_version("rome")
    assert "unix_referentiel_code_rome_v999_utf8.csv" in source
    assert form_checks.clean_rome("a1101") == "A1101"
    assert form_checks.check_rome("A1201") == ROME_MESSAGE  # gone from the new list
    assert not list(data_dir.glob(".*.tmp"))


@pytest.mark.parametrize("content", [
    "code_rome,libelle\n",                                          # no rows
    "code_rome,libelle\nA1101,Conduite\nA11O1,Code mal formé\n",    # letter O for a zero
    "code_rome,libelle\n1101,Sans lettre\n",
    "code_rome,libelle\nA1101,\n",                                  # empty label
    "code,nom\nA1101,Conduite\n",                                   # no label column
])
def test_bad_rome_file_is_refused_and_leaves_the_list_intact(data_dir, content):
    before = (data_dir / "rome_v346.csv").read_bytes()
    result = CliRunner().invoke(main, ["reference", "rome", _write(data_dir / "bad.csv", content)])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : ") and "Rien n'a été modifié" in result.output
    assert (data_dir / "rome_v346.csv").read_bytes() == before
    assert len(reference_lists.rome_jobs()) == 532
    assert not list(data_dir.glob(".*.tmp"))


def test_missing_file_is_a_french_error(data_dir):
    result = CliRunner().invoke(main, ["reference", "rome", str(data_dir / "absent.csv")])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : fichier illisible")


def test_cli_reloads_active_certifications_from_france_competences_exports(data_dir):
    rncp = _write(data_dir / "export_fiches_CSV.csv",
                  "\ufeffId_Fiche;Numero_Fiche;Intitule;Actif\n"
                  "1;RNCP34398;\"Titre professionnel ; cuisinier\";ACTIVE\n"
                  "2;RNCP12;Ancien diplôme;INACTIVE\n", encoding="utf-8")
    rs = _write(data_dir / "export_fiches_RS.csv", "Numero_Fiche,Intitule\nRS5063,Habilitation électrique\n",
                encoding="cp1252")
    result = CliRunner().invoke(main, ["reference", "certifications", rncp, rs])
    assert result.exit_code == 0, result.output
    assert "2 certification(s) chargée(s)." in result.output
    assert reference_lists.certifications() == [("RNCP34398", "Titre professionnel ; cuisinier"),
                                                ("RS5063", "Habilitation électrique")]
    assert reference_lists.certification_label("rncp 34398") == "Titre professionnel ; cuisinier"
    assert reference_lists.certification_label("RNCP12") is None
    source = reference_lists.data_version("certifications")
    assert "export_fiches_CSV.csv" in source and "export_fiches_RS.csv" in source
    assert source in result.output


@pytest.mark.parametrize("content", [
    "Numero_Fiche;Intitule;Actif\nRNCP1;Ancien;INACTIVE\n",   # nothing active
    "numero,intitule\n34398,Sans préfixe\n",
    "numero,intitule\nRNCP34398,Titre\nRNCP1234567,Trop long\n",
])
def test_bad_certifications_file_is_refused_and_leaves_the_list_intact(data_dir, content):
    before = (data_dir / "certifications.csv").read_bytes()
    path = _write(data_dir / "bad.csv", content)
    result = CliRunner().invoke(main, ["reference", "certifications", path])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : ") and "Rien n'a été modifié" in result.output
    assert (data_dir / "certifications.csv").read_bytes() == before
    assert reference_lists.certifications() == []
