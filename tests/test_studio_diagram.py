"""The studio's map of waits drawn on the diagram (« carte ») and the differences between two versions
drawn on both diagrams: figures against journeys built step by step with the clock moved, the flows
the task index can count (and those it cannot), a constant number of statements, the pages, and a
headless Chromium check that the badges and markers are drawn."""
import html
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import get_user, login, statements_of
from test_heatmap import ADVISER, PILOTE, T0, arrive, first_morning, now  # noqa: F401 (fixture)
from test_orientation import analysis, do, the_task, welcome
from test_studio_versions import edited_accueil

from webapp.extensions import db
from webapp.operations import studio as studio_ops
from webapp.queries.definitions import current_version
from webapp.queries.heatmap import diagram_figures, map_request, map_versions
from webapp.queries.studio import definition_versions

MAP = "/pilotage/parcours/accueil/carte"
DAY0, DAY1 = "2026-04-27", "2026-04-28"  # T0's day and the next, in Paris
SHOTS = Path("/tmp/shots")


def build_map(now):
    """On T0's day: four people waiting at « accueillir » (arrived +0, +1, +5, +6 h), one welcomed at +3 h
    (waits at « analyser_demande »), one referred at +4 h (waits at « choisir_partenaire » of the called
    orientation), one given documentation at +7 h (ended on « fin_documentation »). The next day one more
    is welcomed on arrival (waits at « analyser_demande »). The clock then stands at T0 + 2 days."""
    first_morning(now)
    documented = arrive(now, 7)
    do(ADVISER, the_task(documented, "accueillir"), welcome())
    do(ADVISER, the_task(documented, "analyser_demande"), analysis("documentation", documentation_remise="Fiches métiers"))
    next_day = arrive(now, 24)
    do(ADVISER, the_task(next_day, "accueillir"), welcome())
    now.current = T0 + timedelta(days=2)


def figures(args: dict) -> dict:
    asked = map_request(map_versions("accueil"), args)
    assert asked["errors"] == []
    return diagram_figures("accueil", asked["shown"], asked["version_id"], asked["since"], asked["until"])


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {row["id"]: row for row in rows}


def test_steps_and_flows_of_one_day(ctx, now):
    build_map(now)
    result = figures({"depuis": DAY0, "jusqu": DAY0})
    steps, flows = by_id(result["steps"]), by_id(result["flows"])
    assert (steps["accueillir"]["waiting"], steps["accueillir"]["median_seconds"],
            steps["accueillir"]["longest_seconds"]) == (4, 45 * 3600, 48 * 3600)
    assert steps["accueillir"]["median"] == "1 j 21 h" and steps["accueillir"]["longest"] == "2 j"
    # waits of 45 h and 24 h: the median lies halfway
    assert (steps["analyser_demande"]["waiting"], steps["analyser_demande"]["median_seconds"],
            steps["analyser_demande"]["longest_seconds"]) == (2, int(34.5 * 3600), 45 * 3600)
    assert steps["choisir_partenaire"]["waiting"] == 1 and not steps["choisir_partenaire"]["on_diagram"]
    assert steps["accueillir"]["on_diagram"] and steps["accueillir"]["completed"] == 3
    # the most waiting step first, coloured at the top of the scale
    assert result["steps"][0]["id"] == "accueillir" and steps["accueillir"]["level"] == 3
    assert result["step_scale"] == [(1, 2), (3, 3), (4, 4)]
    # into « accueillir »: 7 journeys entered on T0's day; out of it: 3 welcomed; out of the analysis: 2
    assert (flows["flux_debut_accueillir"]["passed"], flows["flux_debut_accueillir"]["measure"]) == (7, "entered")
    assert (flows["flux_accueillir_analyser"]["passed"], flows["flux_accueillir_analyser"]["measure"]) == (3, "left")
    assert flows["flux_analyser_passerelle"]["passed"] == 2
    assert (flows["flux_reponse_documentation"]["passed"], flows["flux_reponse_documentation"]["measure"]) == \
        (1, "ended")
    assert flows["flux_orientation_fin"]["passed"] == 0 and flows["flux_orientation_fin"]["level"] == 0
    # between automatic elements the index cannot tell: not measured, and said why
    unmeasured = flows["flux_reponse_orientation"]
    assert unmeasured["passed"] is None and unmeasured["measure"] is None and unmeasured["level"] == 0
    assert unmeasured["how"].startswith("non mesuré : ce flux relie des éléments automatiques")
    assert flows["flux_debut_accueillir"]["how"] == "entrées dans « Accueillir la personne »"
    assert flows["flux_orientation_fin"]["title"] == "Oui (de « Orientation aboutie ? » vers « Orientation aboutie »)"


def test_the_period_chooses_the_flows_counted(ctx, now):
    build_map(now)
    two_days = by_id(figures({"depuis": DAY0, "jusqu": DAY1})["flows"])
    assert (two_days["flux_debut_accueillir"]["passed"], two_days["flux_accueillir_analyser"]["passed"]) == (8, 4)
    next_day = by_id(figures({"depuis": DAY1, "jusqu": DAY1})["flows"])
    assert (next_day["flux_debut_accueillir"]["passed"], next_day["flux_accueillir_analyser"]["passed"],
            next_day["flux_reponse_documentation"]["passed"]) == (1, 1, 0)
    # the waits are today's whatever the period
    assert by_id(figures({"depuis": DAY1, "jusqu": DAY1})["steps"])["accueillir"]["waiting"] == 4
    # by default the last 30 days up to today (T0 + 2 days) include everything
    assert by_id(figures({})["flows"])["flux_debut_accueillir"]["passed"] == 8


def test_loop_steps_are_not_measured(ctx):
    shown = current_version("prise_en_charge")
    result = diagram_figures("prise_en_charge", shown, None, T0, T0 + timedelta(days=1))
    loop_flows = [f for f in result["flows"] if f["measure"] is None and "étape répétée" in f["how"]]
    assert loop_flows, "the counselling sessions are a loop task: the flows touching it are not counted"
    assert all(f["passed"] is None for f in loop_flows)


def test_version_filter_and_all_versions(app, now, restore_versions):  # noqa: F811
    with app.app_context():
        arrive(now, 0)
        documented = arrive(now, 1)
        do(ADVISER, the_task(documented, "accueillir"), welcome())
        do(ADVISER, the_task(documented, "analyser_demande"), analysis("documentation", documentation_remise="Fiches métiers"))
        first = current_version("accueil").version
        studio_ops.save_draft(get_user(PILOTE), "accueil", "bpmn", "accueil.bpmn", edited_accueil())
        studio_ops.publish_draft(get_user(PILOTE), "accueil", "bpmn", "Vérifier le dossier avant l'analyse.")
        db.session.commit()
        second = current_version("accueil").version
        arrive(now, 2)
        arrive(now, 3)
        now.current = T0 + timedelta(hours=10)
        period = {"depuis": DAY0, "jusqu": DAY0}
        on_first = figures({"version": str(first), **period})
        on_second = figures({"version": str(second), **period})
        everything = figures({"version": "tous", **period})
        assert by_id(on_first["steps"])["accueillir"]["waiting"] == 1
        assert by_id(on_second["steps"])["accueillir"]["waiting"] == 2
        assert by_id(everything["steps"])["accueillir"]["waiting"] == 3
        assert by_id(on_first["flows"])["flux_reponse_documentation"]["passed"] == 1
        assert by_id(on_second["flows"])["flux_reponse_documentation"]["passed"] == 0
        assert by_id(everything["flows"])["flux_debut_accueillir"]["passed"] == 4
        # the second version's diagram: its new step and its flows are on the map
        assert "flux_verifier_analyser" in by_id(on_second["flows"]) and by_id(on_second["steps"])["verifier"]
        assert "flux_verifier_analyser" not in by_id(on_first["flows"])


def test_statement_count_does_not_grow_with_journeys(app, now):
    with app.app_context():
        arrive(now, 0)
        _, few = statements_of(app, lambda: figures({}))
        build_map(now)
        result, many = statements_of(app, lambda: figures({}))
    assert by_id(result["steps"])["accueillir"]["waiting"] == 5
    assert len(many) == len(few) <= 7


def test_bad_parameters_are_said_and_replaced_by_defaults(ctx, now):
    versions = definition_versions("accueil", "bpmn")
    asked = map_request(versions, {"version": "99", "depuis": "27/04/2026", "jusqu": "2026-04-28"})
    assert len(asked["errors"]) == 2
    assert "La version « 99 » n'existe pas" in asked["errors"][0]
    assert "La date de début « 27/04/2026 » n'est pas une date" in asked["errors"][1]
    assert asked["version"] == current_version("accueil").version and asked["depuis"] == date(2026, 3, 30)
    reversed_ = map_request(versions, {"depuis": DAY1, "jusqu": DAY0})
    assert reversed_["errors"] == ["La date de début est après la date de fin : inversez-les."]
    far = map_request(versions, {"depuis": "0001-01-01", "jusqu": "9999-12-31"})
    assert far["errors"] == ["La date de fin doit être entre le 01/01/2000 et le 31/12/2099.",
                             "La date de début doit être entre le 01/01/2000 et le 31/12/2099."]
    whole_day = map_request(versions, {"depuis": DAY0, "jusqu": DAY0})
    assert (whole_day["since"], whole_day["until"]) == (datetime(2026, 4, 26, 22), datetime(2026, 4, 27, 22))


def test_page_json_and_refusals(app, client, now):
    with app.app_context():
        build_map(now)
    login(client, PILOTE)
    page = client.get(f"{MAP}?depuis={DAY0}&jusqu={DAY0}")
    assert page.status_code == 200
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]  # the viewer needs no inline style
    text = html.unescape(page.get_data(as_text=True))
    assert 'id="carte"' in text and "bpmn-navigated-viewer.production.min.js" in text
    assert "carte.json?version=" in text and "depuis=2026-04-27" in text
    welcome_row = text.split('data-element="accueillir"', 1)[1].split("</tr>", 1)[0]
    assert "Accueillir la personne" in welcome_row and ">4<" in welcome_row and "1 j 21 h" in welcome_row
    assert "non mesuré" in text.split('data-flow="flux_reponse_orientation"', 1)[1].split("</tr>", 1)[0]
    # the figures carried by the page for the diagram are those carte.json gives for the same parameters
    embedded = json.loads(text.split('<script type="application/json" id="carte-chiffres">', 1)[1]
                          .split("</script>", 1)[0])
    same = client.get(text.split('data-figures-url="', 1)[1].split('"', 1)[0]).get_json()
    assert embedded == {"steps": same["steps"], "flows": same["flows"]} and same["depuis"] == DAY0
    from test_accessibility import TECHNICAL, _visible_text
    assert not TECHNICAL.findall(_visible_text(page.get_data(as_text=True)))
    data = client.get(f"{MAP}.json?version=tous&depuis={DAY0}&jusqu={DAY0}")
    assert data.status_code == 200 and data.get_json()["version"] is None
    assert by_id(data.get_json()["steps"])["accueillir"]["waiting"] == 4
    assert "'unsafe-inline'" not in data.headers["Content-Security-Policy"]
    wrong = client.get(f"{MAP}?version=abc&jusqu=demain")
    assert wrong.status_code == 200
    shown = html.unescape(wrong.get_data(as_text=True))
    assert "La version « abc » n'existe pas pour ce parcours" in shown and "La date de fin « demain »" in shown
    assert client.get(f"{MAP}?depuis=0001-01-01&jusqu=9999-12-31").status_code == 200
    refused = client.get(f"{MAP}.json?version=abc")
    assert refused.status_code == 422 and "La version « abc »" in refused.get_json()["errors"][0]
    assert client.get("/pilotage/parcours/inconnu/carte").status_code == 404


def test_only_pilotes_see_the_map(client):
    login(client, ADVISER)
    assert client.get(MAP).status_code == 403
    assert client.get(f"{MAP}.json").status_code == 403


def test_compare_page_carries_the_markers(app, client, restore_versions):  # noqa: F811
    with app.app_context():
        studio_ops.save_draft(get_user(PILOTE), "accueil", "bpmn", "accueil.bpmn", edited_accueil())
        studio_ops.publish_draft(get_user(PILOTE), "accueil", "bpmn", "Vérifier le dossier avant l'analyse.")
        db.session.commit()
        old, new = sorted(v.version for v in definition_versions("accueil", "bpmn"))[-2:]
    login(client, PILOTE)
    page = html.unescape(client.get(f"/pilotage/parcours/accueil/comparer?de={old}&a={new}").get_data(as_text=True))
    assert 'data-element="verifier" data-change="added"' in page
    assert 'data-element="flux_verifier_analyser" data-change="added"' in page
    assert 'data-element="analyser_demande" data-change="changed"' in page
    assert 'data-diff-side="before"' in page and f"/version/{old}.bpmn" in page and f"/version/{new}.bpmn" in page
    back = html.unescape(client.get(f"/pilotage/parcours/accueil/comparer?de={new}&a={old}").get_data(as_text=True))
    assert 'data-element="verifier" data-change="removed"' in back


# --- In headless Chromium ---------------------------------------------------------------------------------


@pytest.fixture
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield browser
        browser.close()


def _checked(page):
    """No axe-core violation and no sideways scrolling (as tests/test_browser.py checks the catalogue)."""
    from test_browser import _OVERFLOW, _RUN_AXE, _axe_source
    page.evaluate(_axe_source())
    assert page.evaluate(_RUN_AXE) == []
    assert page.evaluate(_OVERFLOW) is None


def _signed_in(browser, server, width):
    page = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900}).new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    page.goto(f"{server}/login")
    page.fill("#username", PILOTE)
    page.fill("#password", "demo-spro-2026")
    page.click("button[type=submit]")
    return page, problems


def test_the_map_and_the_differences_are_drawn(app, server, chromium, now, restore_versions):  # noqa: F811
    with app.app_context():
        build_map(now)
    SHOTS.mkdir(exist_ok=True)
    for width in (1366, 390):
        page, problems = _signed_in(chromium, server, width)
        page.goto(f"{server}{MAP}?depuis={DAY0}&jusqu={DAY0}")
        badge = page.locator('.djs-overlays[data-container-id="accueillir"] .map-badge')
        badge.wait_for()
        assert badge.inner_text() == "4"
        assert "heat-3" in page.locator('g.djs-element[data-element-id="accueillir"]').get_attribute("class")
        flow = page.locator('.djs-overlays[data-container-id="flux_debut_accueillir"] .map-flow')
        assert flow.inner_text() == "7"
        assert page.locator('.djs-overlays[data-container-id="flux_reponse_orientation"] .map-flow').inner_text() == "?"
        assert not [p for p in problems if "Content Security Policy" in p], problems
        _checked(page)
        page.screenshot(path=str(SHOTS / f"carte-{width}.png"), full_page=True)
        page.locator("#carte").screenshot(path=str(SHOTS / f"carte-diagramme-{width}.png"))
        page.locator(".map-steps").screenshot(path=str(SHOTS / f"carte-etapes-{width}.png"))
        page.context.close()
    with app.app_context():
        studio_ops.save_draft(get_user(PILOTE), "accueil", "bpmn", "accueil.bpmn", edited_accueil())
        studio_ops.publish_draft(get_user(PILOTE), "accueil", "bpmn", "Vérifier le dossier avant l'analyse.")
        db.session.commit()
        old, new = sorted(v.version for v in definition_versions("accueil", "bpmn"))[-2:]
    for width in (1366, 390):
        page, problems = _signed_in(chromium, server, width)
        page.goto(f"{server}/pilotage/parcours/accueil/comparer?de={old}&a={new}")
        for side in ("before", "after"):
            changed = page.locator(f'[data-diff-side="{side}"] g.djs-element[data-element-id="analyser_demande"]')
            changed.wait_for()
            page.wait_for_function(
                "side => document.querySelector(`[data-diff-side=\"${side}\"] "
                "g[data-element-id=\"analyser_demande\"]`).classList.contains('diff-changed')", arg=side)
        # the added step has no shape in the edited file: said under the newer diagram, not silently dropped
        assert "« Vérifier le dossier »" in page.locator('[data-undrawn-for="after"]').inner_text()
        assert page.locator('[data-undrawn-for="before"]').is_hidden()
        assert not [p for p in problems if "Content Security Policy" in p], problems
        _checked(page)
        page.screenshot(path=str(SHOTS / f"comparer-{width}.png"), full_page=True)
        page.context.close()


@pytest.mark.parametrize("key", ["cep", "orientation"])
def test_every_step_of_a_larger_journey_gets_its_badge(app, server, chromium, key):
    """Loops, sub-processes and boundary events: each user task drawn gets a badge, no script error."""
    with app.app_context():
        drawn = [s["id"] for s in figures_of(key)["steps"] if s["on_diagram"]]
    page, problems = _signed_in(chromium, server, 1366)
    page.goto(f"{server}/pilotage/parcours/{key}/carte")
    page.locator(".map-badge").first.wait_for()
    shown = page.eval_on_selector_all(".djs-overlays .map-badge", "els => els.map(e => e.parentNode.parentNode"
                                      ".dataset.containerId)")
    assert sorted(set(shown)) == sorted(drawn)
    assert not problems, problems
    fitted = page.evaluate("() => document.querySelector('#carte .viewport').getAttribute('transform')")
    page.get_by_role("button", name="Agrandir").click()
    assert page.evaluate("() => document.querySelector('#carte .viewport').getAttribute('transform')") != fitted
    page.locator("#carte").screenshot(path=str(SHOTS / f"carte-{key}.png"))
    page.context.close()


def figures_of(key: str) -> dict:
    asked = map_request(map_versions(key), {})
    return diagram_figures(key, asked["shown"], asked["version_id"], asked["since"], asked["until"])


def test_an_absurdly_long_version_number_is_a_french_message_not_a_server_error(app, client):
    login(client, "julien.mercier")
    for url in ("/pilotage/parcours/accueil/carte?version=" + "9" * 4400,
                "/pilotage/parcours/accueil?version=" + "9" * 4400 + "&jours=" + "9" * 4400):
        assert client.get(url).status_code == 200, url
    answer = client.get("/pilotage/parcours/accueil/carte.json?version=" + "9" * 4400)
    assert answer.status_code == 422 and "n'existe pas" in " ".join(answer.get_json()["errors"])
