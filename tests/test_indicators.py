"""« Indicateurs »: figures on a small known dataset, small counts hidden (and not recomputable from the
totals shown), role and territory scoping, CSV and PDF downloads.

Data (inserted as the operations would leave them, all in the first quarter of 2026): receptions at the
Mission Locale d'Orléans (12 demandeur·ses d'emploi, 6 apprenti·es), the CIO d'Orléans (7 scolaires,
2 étudiant·es) and the Mission Locale de Touraine (8 demandeur·ses d'emploi); referrals from the Mission
Locale d'Orléans to the CIO d'Orléans: 6 accepted (answered after 1 to 6 days, first contact after 2 to
7 days), 5 refused (4 « capacité », 1 « hors champ »), 5 expired."""
import csv
import io
from datetime import datetime, timedelta

import pytest
from conftest import login
from pypdf import PdfReader
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import DefinitionVersion, Journey, Person, Referral, Structure
from webapp.queries.disclosure import Grid, determined, suppress

PERIOD = "periode=personnalisee&du=2026-01-01&au=2026-03-31"
START = datetime(2026, 1, 5, 9, 0)
MASKED = "masqué"


def _structure(slug):
    return db.session.scalar(select(Structure).where(Structure.slug == slug))


def _reception(structure, public, at):
    person = Person(prenom="Test", nom="Indicateur", public=public, created_at=at, last_contact_at=at,
                    created_by_structure_id=structure.id)
    db.session.add(person)
    db.session.flush()
    version = db.session.scalar(select(DefinitionVersion.id).where(DefinitionVersion.process_key == "accueil"))
    journey = Journey(definition_version_id=version, process_key="accueil", person_id=person.id,
                      structure_id=structure.id, status="terminee", state="{}", started_at=at, ended_at=at)
    db.session.add(journey)
    db.session.flush()
    return journey


def _referral(journey, to, status, sent, answered=None, contact=None, reason=None):
    db.session.add(Referral(journey_id=journey.id, person_id=journey.person_id, from_structure_id=journey.structure_id,
                            to_structure_id=to.id, status=status, sent_at=sent, answered_at=answered,
                            first_contact_at=contact, decline_reason=reason,
                            closed_at=sent + timedelta(days=40) if status in ("expiree", "refusee", "aboutie") else None))


@pytest.fixture
def dataset(app):
    with app.app_context():
        ml, cio, touraine = _structure("ml-orleans"), _structure("cio-orleans"), _structure("ml-touraine")
        sent_journeys = []
        for i in range(12):
            sent_journeys.append(_reception(ml, "demandeur_emploi", START + timedelta(days=i)))
        for i in range(6):
            _reception(ml, "apprenti", START + timedelta(days=i))
        for i in range(7):
            _reception(cio, "scolaire", START + timedelta(days=i))
        for i in range(2):
            _reception(cio, "etudiant", START + timedelta(days=i))
        for i in range(8):
            _reception(touraine, "demandeur_emploi", START + timedelta(days=i))
        _reception(ml, "demandeur_emploi", datetime(2025, 12, 20, 10))  # before the period: not counted
        for i in range(6):
            sent = START + timedelta(days=i, hours=1)
            _referral(sent_journeys[i], cio, "aboutie", sent, sent + timedelta(days=i + 1), sent + timedelta(days=i + 2))
        for i, reason in enumerate(["capacite"] * 4 + ["hors_champ"]):
            sent = START + timedelta(days=i, hours=2)
            _referral(sent_journeys[6 + i], cio, "refusee", sent, sent + timedelta(days=1), reason=reason)
        for i in range(5):
            _referral(sent_journeys[11 - i], cio, "expiree", START + timedelta(days=i, hours=3))
        db.session.commit()
        names = {"ml": ml.name, "cio": cio.name, "touraine": touraine.name}
    return names


def _csv(client, query=PERIOD) -> dict:
    answer = client.get(f"/indicateurs/export.csv?{query}")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["tableau", "ligne", "colonne", "valeur"]
    return {(t, r, c): v for t, r, c, v in rows[1:]}


def _table(figures, title_start):
    return {(row, column): value for (table, row, column), value in figures.items() if table.startswith(title_start)}


def test_figures_on_a_known_dataset(client, dataset):
    login(client, "julien.mercier")
    figures = _csv(client)
    receptions = _table(figures, "Personnes reçues (accueils)")
    assert receptions[(dataset["ml"], "Demandeur·se d'emploi")] == "12"
    assert receptions[(dataset["ml"], "Apprenti·e")] == "6"
    assert receptions[(dataset["ml"], "Total")] == "18"
    # 2 étudiant·es hidden, so their 7 scolaires too (the row total would give them away); 9 is shown
    assert receptions[(dataset["cio"], "Scolaire")] == MASKED and receptions[(dataset["cio"], "Total")] == "9"
    assert receptions[(dataset["touraine"], "Demandeur·se d'emploi")] == "8"
    assert receptions[("Total", "Total")] == "35"  # the December reception is outside the period
    departements = _table(figures, "Personnes reçues par département")
    assert departements[("Indre-et-Loire (37)", "Total")] == "8"
    referrals = _table(figures, "Orientations envoyées")
    assert referrals[(dataset["cio"], "Acceptées")] == "6"
    assert referrals[(dataset["cio"], "Refusées")] == "5"
    assert referrals[(dataset["cio"], "Expirées")] == "5"
    assert referrals[("Total", "Total")] == "16"
    reasons = _table(figures, "Orientations refusées")
    assert reasons[("Pas de capacité d'accueil dans un délai raisonnable", "Orientations")] == MASKED  # 4 < 5
    delays = _table(figures, "Délais")
    # answered after 1..6 days (accepted) and 1 day (5 refused): 11 answers, median 1 day
    assert delays[("Délai médian de réponse (jours)", "médiane (jours)")] == "1,0"
    assert delays[("Délai médian de réponse (jours)", "orientations mesurées")] == "11"
    assert delays[("Délai médian jusqu'au premier contact (jours)", "médiane (jours)")] == "4,5"  # 2..7 days
    seen = _table(figures, "Structures sollicitées")
    assert seen[("2 structures", "Accueils")] == "12" and seen[("1 structure", "Accueils")] == "23"
    shares = _table(figures, "Part des accueils")
    assert shares[("2 structures", "%")] == "34" and shares[("1 structure", "%")] == "66"  # 12 and 23 of 35
    page = client.get(f"/indicateurs?{PERIOD}").get_data(as_text=True)
    assert "<svg" in page and 'role="img"' in page and dataset["touraine"] in page
    assert "Étudiant" in page and MASKED in page


def test_small_counts_are_hidden_and_cannot_be_recomputed_from_the_totals(client, dataset):
    login(client, "julien.mercier")
    figures = _csv(client)
    receptions = _table(figures, "Personnes reçues (accueils)")
    assert receptions[(dataset["cio"], "Étudiant·e")] == MASKED  # 2 people: primary suppression
    assert "2" not in {v for (row, _c), v in receptions.items() if row == dataset["cio"]}
    # The attacker: every table's rows and columns add up to their totals, the département table adds the
    # structures of each département, and the referrals refused add up their reasons. Solve every equation
    # with a single unknown, again and again.
    equations = []
    for title in {t for t, _r, _c in figures if t not in ("Périmètre", "Délais des orientations")
                  and not t.startswith("Part des")}:
        cells = {(r, c): v for (t, r, c), v in figures.items() if t == title}
        rows, columns = {r for r, _c in cells} - {"Total"}, {c for _r, c in cells} - {"Total"}
        for row in rows | {"Total"}:
            parts = [(title, row, c) for c in columns]
            if (row, "Total") in cells and len(columns) > 1:
                equations.append(((title, row, "Total"), parts))
        for column in columns | {"Total"}:
            total = (title, "Total", column) if ("Total", column) in cells else (title, "Total", "Total")
            equations.append((total, [(title, r, column) for r in rows]))
    rec, dep = "Personnes reçues (accueils) par structure et public", "Personnes reçues par département et public"
    orleans = [r for (t, r, _c) in figures if t == rec and r in (dataset["ml"], dataset["cio"])]
    for column in {c for (t, _r, c) in figures if t == dep}:
        equations.append(((dep, "Loiret (45)", column), [(rec, r, column) for r in set(orleans)]))
    known = {k: int(v) for k, v in figures.items() if v.isdigit()}
    hidden = {k for k, v in figures.items() if v == MASKED}
    assert hidden, "the dataset has small counts"
    solved = True
    while solved:
        solved = False
        for total, parts in equations:
            unknown = [k for k in [total, *parts] if k not in known]
            if len(unknown) == 1:
                key = unknown[0]
                known[key] = sum(known[p] for p in parts) if key == total else \
                    known[total] - sum(known[p] for p in parts if p != key)
                solved = True
    recovered = hidden & set(known)
    assert not recovered, f"recomputed from the totals: {sorted(recovered)}"


def test_secondary_suppression_leaves_no_hidden_count_determined():
    grid = Grid()
    values = {("a", 1): 3, ("a", 2): 10, ("a", 3): 12, ("b", 1): 8, ("b", 2): 9, ("b", 3): 20}
    for key, value in values.items():
        grid.add(key, value)
    for row in "ab":
        grid.relate(("row", row), [(row, c) for c in (1, 2, 3)])
    for column in (1, 2, 3):
        grid.relate(("col", column), [(r, column) for r in "ab"])
    grid.relate(("total",), [("row", r) for r in "ab"])
    shown = suppress(grid, 5)
    hidden = {k for k, v in shown.items() if v is None}
    assert ("a", 1) in hidden and len(hidden) >= 4  # a 3 alone would be « row total minus the others »
    assert shown[("total",)] == 62
    assert not determined(grid, hidden)
    assert determined(grid, {("a", 1)}) == {("a", 1)}


def test_threshold_is_a_setting(app, client, dataset):
    login(client, "julien.mercier")
    app.config["INDICATORS_MIN_COUNT"] = 2
    try:
        receptions = _table(_csv(client), "Personnes reçues (accueils)")
    finally:
        app.config["INDICATORS_MIN_COUNT"] = 5
    assert receptions[(dataset["cio"], "Étudiant·e")] == "2"


def test_counsellor_is_refused_and_coordinator_sees_only_their_territory(app, client, dataset):
    login(client, "claire.martin")
    for path in ("/indicateurs", "/indicateurs/export.csv", "/indicateurs/rapport.pdf"):
        assert client.get(path).status_code == 403
    assert "Indicateurs" not in client.get("/").get_data(as_text=True)
    client = app.test_client()
    login(client, "olivier.lambert")  # coordinator, CRIJ d'Orléans (Loiret)
    assert 'href="/indicateurs"' in client.get("/").get_data(as_text=True)
    for query in (PERIOD, PERIOD + "&departement=37"):  # asking for another département changes nothing
        figures = _csv(client, query)
        rows = {r for (t, r, _c) in figures if t.startswith("Personnes reçues (accueils)")}
        assert dataset["ml"] in rows and dataset["touraine"] not in rows
        assert _table(figures, "Personnes reçues (accueils)")[("Total", "Total")] == "27"
        page = client.get(f"/indicateurs?{query}").get_data(as_text=True)
        assert dataset["touraine"] not in page and "Indre-et-Loire" not in page


def test_bad_dates_answer_a_french_error_per_field(client, dataset):
    login(client, "julien.mercier")
    page = client.get("/indicateurs?periode=personnalisee&du=2026-13-01&au=2026-01-01").get_data(as_text=True)
    assert "Indiquez la date de début" in page and 'aria-invalid="true"' in page
    page = client.get("/indicateurs?periode=personnalisee&du=2026-03-01&au=2026-01-01").get_data(as_text=True)
    assert "La date de fin doit suivre la date de début." in page


def test_pdf_report_holds_the_figures(client, dataset):
    login(client, "nathalie.bernard")  # regional administration: the whole region
    answer = client.get(f"/indicateurs/rapport.pdf?{PERIOD}")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.headers["Cache-Control"] == "no-store"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)
    assert "Indicateurs du SPRO" in text and "1er janvier 2026" in text
    assert "Mission Locale de Touraine" in " ".join(text.split())
    assert MASKED in text and "35" in text



def test_structures_solicited_count_each_other_structure_once_and_the_settings_come_back(app, client):
    """Per reception: the other structures a referral went to, each once, whatever its answer (a referral
    to the journey's own structure does not count); on PostgreSQL the planner settings the receptions'
    statement changes are back afterwards."""
    with app.app_context():
        ml, cio, touraine = _structure("ml-orleans"), _structure("cio-orleans"), _structure("ml-touraine")
        journeys = [_reception(ml, "demandeur_emploi", START + timedelta(days=i)) for i in range(5)]
        sent = START + timedelta(days=6)
        _referral(journeys[0], cio, "refusee", sent, sent, reason="capacite")
        _referral(journeys[0], cio, "aboutie", sent + timedelta(days=1))  # the same structure again: 2
        _referral(journeys[1], cio, "refusee", sent, sent, reason="capacite")
        _referral(journeys[1], touraine, "expiree", sent)  # two others: 3 or more
        _referral(journeys[2], ml, "ouverte", sent)  # its own structure: 1
        db.session.commit()
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:
            before = db.session.execute(db.text("SELECT current_setting('enable_hashjoin'), "
                                                "current_setting('max_parallel_workers_per_gather')")).one()
    login(client, "julien.mercier")
    app.config["INDICATORS_MIN_COUNT"] = 1
    try:
        seen = _table(_csv(client), "Structures sollicitées")
    finally:
        app.config["INDICATORS_MIN_COUNT"] = 5
    assert seen == {("1 structure", "Accueils"): "3", ("2 structures", "Accueils"): "1",
                    ("3 structures ou plus", "Accueils"): "1", ("Total", "Total"): "5"}
    if postgresql:
        from webapp.queries.indicators import Filters, _receptions
        with app.app_context():
            _receptions(Filters(START.date(), START.date() + timedelta(days=10)))
            after = db.session.execute(db.text("SELECT current_setting('enable_hashjoin'), "
                                               "current_setting('max_parallel_workers_per_gather')")).one()
        assert tuple(after) == tuple(before)
