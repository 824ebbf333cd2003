"""The studio's editors load bpmn-js and dmn-js from the app itself: no CDN, works offline."""
import pytest


@pytest.mark.parametrize("url", [
    "/vendor/bpmn-js/dist/bpmn-modeler.production.min.js",
    "/vendor/bpmn-js/dist/assets/bpmn-js.css",
    "/vendor/dmn-js/dist/dmn-modeler.production.min.js",
])
def test_the_editors_files_are_served_by_the_app(client, url):
    response = client.get(url)
    assert response.status_code == 200 and len(response.data) > 1000


@pytest.mark.parametrize("url", [
    "/vendor/bpmn-js/package.json",            # outside dist/
    "/vendor/bpmn-js/dist/../package.json",    # climbing out of dist/
    "/vendor/axe-core/axe.min.js",             # not an editor's package
    "/vendor/bpmn-js/dist/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
])
def test_nothing_else_of_the_install_is_reachable(client, url):
    assert client.get(url).status_code == 404
