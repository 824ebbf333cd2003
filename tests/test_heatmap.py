"""The studio's heatmap, as a table: how many people wait at each step now, their median and longest
wait, and how many steps were completed over a period, against journeys built step by step with
the clock moved so every wait is known."""
import html
from datetime import datetime, timedelta

import pytest
from conftest import MovableClock, get_user, login, statements_of
from test_orientation import do, start_referral, the_task, welcome
from test_studio_versions import edited_accueil

from webapp import clock
from webapp.extensions import db
from webapp.operations import studio as studio_ops
from webapp.operations.journeys import start_journey
from webapp.queries.definitions import current_version
from webapp.queries.heatmap import element_load, french_duration

T0 = datetime(2026, 4, 27, 9, 0)
ADVISER, PILOTE = "claire.martin", "julien.mercier"
PAGE = "/pilotage/parcours/accueil"


@pytest.fixture
def now(monkeypatch):
    movable = MovableClock(T0)
    monkeypatch.setattr(clock, "now", movable)
    return movable


def arrive(now, hours: float):
    """A person welcomed `hours` after T0: the journey waits at « Accueillir la personne »."""
    now.current = T0 + timedelta(hours=hours)
    journey = start_journey(get_user(ADVISER), "accueil")
    db.session.commit()
    return journey


def first_morning(now):
    """Four people waiting at « accueillir » (arrived at T0, +1 h, +5 h, +6 h), one welcomed at +3 h
    waiting at « analyser_demande », one referred at +4 h waiting at « choisir_partenaire »
    (a step of the called orientation process)."""
    for hours in (0, 1, 5, 6):
        arrive(now, hours)
    welcomed = arrive(now, 2)
    now.current = T0 + timedelta(hours=3)
    do(ADVISER, the_task(welcomed, "accueillir"), welcome())
    now.current = T0 + timedelta(hours=4)
    start_referral(ADVISER)


def build(now):
    """The first morning; then the clock stands at T0 + 2 days."""
    first_morning(now)
    now.current = T0 + timedelta(days=2)


def test_waiting_median_longest_and_completed_per_step(ctx, now):
    build(now)
    loads = element_load("accueil", since=T0, until=T0 + timedelta(days=1))
    assert set(loads) == {"accueillir", "analyser_demande", "choisir_partenaire"}
    welcome_step = loads["accueillir"]
    assert welcome_step.waiting == 4
    # waits 48 h, 47 h, 43 h, 42 h: the median lies between the two middle ones
    assert welcome_step.median_wait == timedelta(hours=45)
    assert welcome_step.longest_wait == timedelta(hours=48)
    assert welcome_step.completed == 2  # the welcomed person and the referred one
    analysis_step = loads["analyser_demande"]
    assert (analysis_step.waiting, analysis_step.median_wait, analysis_step.longest_wait) == \
        (1, timedelta(hours=45), timedelta(hours=45))
    assert analysis_step.completed == 1
    # the orientation's step sits under its own element id on the map of the accueil journeys
    assert (loads["choisir_partenaire"].waiting, loads["choisir_partenaire"].median_wait) == (1, timedelta(hours=44))
    assert element_load("cep") == {}


def test_odd_count_median_is_the_middle_wait(ctx, now):
    for hours in (0, 10, 11):
        arrive(now, hours)
    now.current = T0 + timedelta(days=1)
    load = element_load("accueil")["accueillir"]
    assert (load.waiting, load.median_wait, load.longest_wait) == (3, timedelta(hours=14), timedelta(hours=24))


def test_period_counts_only_completions_within_it(ctx, now):
    build(now)
    # completions at T0+3h (welcome), T0+4h (welcome and analysis of the referral)
    assert element_load("accueil", since=T0 + timedelta(hours=4), until=T0 + timedelta(days=1))[
        "accueillir"].completed == 1
    assert element_load("accueil", since=T0, until=T0 + timedelta(hours=3))["accueillir"].completed == 0
    assert element_load("accueil", since=T0, until=T0 + timedelta(hours=4))["analyser_demande"].completed == 0
    later = element_load("accueil", since=T0 + timedelta(days=1), until=T0 + timedelta(days=2))
    assert later["accueillir"].waiting == 4 and later["accueillir"].completed == 0


def test_version_filter(app, now, restore_versions):  # noqa: F811
    with app.app_context():
        arrive(now, 0)
        arrive(now, 1)
        first = current_version("accueil").id
        studio_ops.save_draft(get_user(PILOTE), "accueil", "bpmn", "accueil.bpmn", edited_accueil())
        studio_ops.publish_draft(get_user(PILOTE), "accueil", "bpmn", "Vérifier le dossier avant l'analyse.")
        db.session.commit()
        second = current_version("accueil").id
        assert second != first
        arrive(now, 2)
        now.current = T0 + timedelta(hours=10)
        on_first, statements = statements_of(app, lambda: element_load("accueil", version_id=first, since=T0))
        assert on_first["accueillir"].waiting == 2 and on_first["accueillir"].entered == 2
        # the version is read from the task rows themselves: no journey joined, whatever their number
        assert statements and not any("journey " in " ".join(s.split()) + " " for s in statements)
        on_second = element_load("accueil", version_id=second)["accueillir"]
        assert (on_second.waiting, on_second.longest_wait) == (1, timedelta(hours=8))
        assert element_load("accueil")["accueillir"].waiting == 3


def test_statement_count_does_not_grow_with_journeys(app, now):
    with app.app_context():
        arrive(now, 0)
        _, few = statements_of(app, lambda: element_load("accueil", since=T0))
        for hours in range(1, 8):
            arrive(now, hours)
        do(ADVISER, the_task(arrive(now, 9), "accueillir"), welcome())
        loads, many = statements_of(app, lambda: element_load("accueil", since=T0))
    assert loads["accueillir"].waiting == 8
    assert len(many) == len(few) <= 3


def test_french_durations():
    assert french_duration(timedelta(days=3, hours=4, minutes=12)) == "3 j 4 h"
    assert french_duration(timedelta(minutes=25, seconds=40)) == "25 min"
    assert french_duration(timedelta(hours=2, minutes=5)) == "2 h 5 min"
    assert french_duration(timedelta(days=2)) == "2 j"
    assert french_duration(timedelta(seconds=20)) == "moins d'une minute"
    assert french_duration(None) == "—"


def _section(page: str) -> str:
    return html.unescape(page.split('id="titre-attente"', 1)[1])


def test_page_shows_steps_by_name_with_waits(app, client, now):
    with app.app_context():
        build(now)
    login(client, PILOTE)
    page = client.get(PAGE)
    assert page.status_code == 200
    section = _section(page.get_data(as_text=True))
    assert "Où attendent les personnes ?" in html.unescape(page.get_data(as_text=True))
    rows = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    first = rows.split("</tr>")[0]
    assert "Accueillir la personne" in first and "accueillir<" not in first
    assert ">4<" in first and "1 j 21 h" in first and "2 j" in first
    assert "Choisir le partenaire (dans « Orientation" in rows
    assert 'value="30" selected' in section  # the last 30 days by default


@pytest.mark.parametrize("query", ["?version=abc&jours=-3", "?version=999&jours=31", "?version=%C2%B2&jours=%C2%B2",
                                   "?version=1&jours=7", "?version=toutes&jours=99999999999999999999"])
def test_bad_parameters_fall_back_to_defaults(app, client, now, query):
    with app.app_context():
        build(now)
    login(client, PILOTE)
    page = client.get(PAGE + query)
    assert page.status_code == 200
    section = _section(page.get_data(as_text=True))
    assert "Accueillir la personne" in section
    if query == "?version=1&jours=7":
        assert 'value="1" selected' in section and 'value="7" selected' in section
    else:
        assert 'value="toutes" selected' in section and 'value="30" selected' in section


def test_period_chosen_on_the_page(app, client, now):
    with app.app_context():
        build(now)
        now.current = T0 + timedelta(days=20)
    login(client, PILOTE)
    recent = _section(client.get(PAGE + "?jours=7").get_data(as_text=True))
    month = _section(client.get(PAGE + "?jours=30").get_data(as_text=True))
    welcome_recent = recent.split("Accueillir la personne", 1)[1].split("</tr>", 1)[0]
    welcome_month = month.split("Accueillir la personne", 1)[1].split("</tr>", 1)[0]
    assert welcome_recent.rstrip().endswith(">0</td>") and welcome_month.rstrip().endswith(">2</td>")


def test_only_pilotes_see_it(client):
    login(client, ADVISER)
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE + "?version=1&jours=7").status_code == 403
