"""« Indicateurs » in a real browser: no axe-core violation and no sideways scrolling at desktop and phone
widths, the charts drawn, and the filters change the figures."""
import json

import pytest
from test_browser import _OVERFLOW, _RUN_AXE, SHOTS, WIDTHS, _axe_source, _login, browser  # noqa: F401
from test_indicators import dataset  # noqa: F401


@pytest.mark.parametrize("device", list(WIDTHS))
def test_indicators_page_is_accessible_and_fits(server, browser, dataset, device):  # noqa: F811
    context = browser.new_context(locale="fr-FR", viewport=WIDTHS[device])
    page = _login(context, server, "julien.mercier")
    page.goto(f"{server}/indicateurs")
    page.select_option("#f-periode", "personnalisee")
    page.fill("#f-du", "2026-01-01")
    page.fill("#f-au", "2026-03-31")
    page.click("form.filters button[type=submit]")
    assert page.locator("svg.chart").count() == 3
    assert page.locator("caption", has_text="Personnes reçues (accueils)").count() == 1
    assert "Mission Locale de Touraine" in page.inner_text("main")
    page.select_option("#f-departement", "45")
    page.click("form.filters button[type=submit]")
    assert "Mission Locale de Touraine" not in page.inner_text("main")
    page.evaluate(_axe_source())
    problems = [f"[{v['impact']}] {v['id']} — {v['help']} : {json.dumps(v['nodes'], ensure_ascii=False)}"
                for v in page.evaluate(_RUN_AXE)]
    overflow = page.evaluate(_OVERFLOW)
    if overflow:
        problems.append(f"défile de côté : {overflow}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"indicateurs-{device}.png"), full_page=True)
    context.close()
    assert not problems, "\n".join(problems)
