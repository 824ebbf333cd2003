"""Structured logs: each line on stderr is one JSON object; every request has an id (the caller's
when sane, else a new one) that the answer returns and every line written during the request
carries; the request's own line names method, path (never the query string), status, duration and
the signed-in user's id only. The same format under gunicorn (`spro serve`) and in the worker."""
import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import get_user, login
from processes_support import free_port
from flask import current_app

from webapp import create_app
from webapp.config import TestConfig

SPRO = str(Path(sys.executable).parent / "spro")
GENERATED = re.compile(r"[0-9a-f]{32}")


def _lines(err: str) -> list[dict]:
    """The JSON lines written on stderr (every line must be one)."""
    return [json.loads(line) for line in err.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def probe_app(tmp_path_factory):
    """An app of its own with two routes that log, one that fails (added before any request)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('log') / 'log.sqlite'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, PROPAGATE_EXCEPTIONS=False)

    @app.get("/essai-journal")
    def _logs():
        current_app.logger.warning("Étape lente de la requête")
        logging.getLogger("webapp.operations.essai").info("Ligne d'une opération")
        return "ok"

    @app.get("/essai-panne")
    def _fails():
        raise RuntimeError("panne simulée")
    return app


def test_an_id_is_generated_and_returned_when_none_is_sent(client):
    first, second = client.get("/login"), client.get("/login")
    assert GENERATED.fullmatch(first.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


@pytest.mark.parametrize("sent", ["a1b2c3d4-e5f6-7890", "lb.42:req_7", "x" * 100])
def test_a_sane_incoming_id_is_kept(client, sent):
    assert client.get("/login", headers={"X-Request-Id": sent}).headers["X-Request-Id"] == sent


@pytest.mark.parametrize("sent", ["x" * 101, "id avec espaces", "abc\"}{", "é-accentué", "-leading-dash",
                                  "a/b", "<script>"])
def test_an_insane_incoming_id_is_replaced(client, sent):
    returned = client.get("/login", headers={"X-Request-Id": sent}).headers["X-Request-Id"]
    assert GENERATED.fullmatch(returned)


def test_every_line_of_a_request_carries_its_id(probe_app, capsys):
    capsys.readouterr()
    response = probe_app.test_client().get("/essai-journal", headers={"X-Request-Id": "trace-1234"})
    assert response.headers["X-Request-Id"] == "trace-1234"
    lines = _lines(capsys.readouterr().err)
    mine = {line["message"]: line for line in lines if line["request_id"] == "trace-1234"}
    assert set(mine) == {"Étape lente de la requête", "Ligne d'une opération", "GET /essai-journal 200"}
    assert mine["Étape lente de la requête"]["level"] == "WARNING" and mine["Étape lente de la requête"]["logger"] == "webapp"
    request_line = mine["GET /essai-journal 200"]
    assert request_line["logger"] == "webapp.request" and request_line["method"] == "GET"
    assert request_line["path"] == "/essai-journal" and request_line["status"] == 200
    assert isinstance(request_line["duration_ms"], (int, float)) and "user_id" not in request_line
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", request_line["time"])


def test_a_failing_request_logs_its_error_with_the_same_id(probe_app, capsys):
    capsys.readouterr()
    response = probe_app.test_client().get("/essai-panne")
    assert response.status_code == 500
    rid = response.headers["X-Request-Id"]
    lines = [line for line in _lines(capsys.readouterr().err) if line["request_id"] == rid]
    assert any(line["level"] == "ERROR" and "panne simulée" in line.get("exception", "") for line in lines)
    assert any(line.get("status") == 500 and line["level"] == "ERROR" for line in lines)


def test_the_request_line_names_the_user_by_id_and_never_the_query_string(app, client, capsys):
    login(client, "claire.martin")
    capsys.readouterr()
    response = client.get("/personnes?q=Durand+L%C3%A9a")
    err = capsys.readouterr().err
    line = next(line for line in _lines(err) if line["request_id"] == response.headers["X-Request-Id"])
    with app.app_context():
        claire = get_user("claire.martin")
        assert line["user_id"] == claire.id
        assert claire.username not in err and claire.full_name not in err
    assert line["path"] == "/personnes" and "Durand" not in err and "q=" not in err


def test_an_api_request_names_the_token_holder_by_id(app, client, capsys):
    from conftest import api_token
    headers = api_token(client, "isabelle.roux")
    capsys.readouterr()
    response = client.get("/api/v1/tasks", headers=headers)
    line = next(line for line in _lines(capsys.readouterr().err) if line["request_id"] == response.headers["X-Request-Id"])
    with app.app_context():
        assert line["user_id"] == get_user("isabelle.roux").id


def test_lines_outside_a_request_have_no_id(probe_app, capsys):
    capsys.readouterr()
    with probe_app.app_context():  # as the worker logs (`spro worker` runs in an app context)
        current_app.logger.info("Worker : %s, %d élément(s).", "purge du journal d'audit", 3)
    [line] = _lines(capsys.readouterr().err)
    assert line["request_id"] is None and line["level"] == "INFO"
    assert line["message"] == "Worker : purge du journal d'audit, 3 élément(s)."


def test_spro_serve_writes_json_lines_with_the_request_id(tmp_path):
    env = {**os.environ, "SPRO_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}", "SPRO_WEB_WORKERS": "1",
           "SPRO_SECURE_COOKIES": "false"}
    env.pop("SPRO_TEST_DATABASE_URL", None)
    subprocess.run([SPRO, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([SPRO, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        answer, deadline = None, time.monotonic() + 60
        while answer is None and time.monotonic() < deadline:  # waiting for the port, not timing anything
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5)
                answer = urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{port}/login?q=Durand", headers={"X-Request-Id": "nginx-5f3a"}), timeout=5)
            except OSError:
                time.sleep(0.2)
        assert answer is not None, "spro serve did not answer"
        assert answer.headers["X-Request-Id"] == "nginx-5f3a"
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    lines = _lines(err)  # fails if any line is not JSON
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    mine = [line for line in lines if line["request_id"] == "nginx-5f3a"]
    assert len(mine) == 1 and mine[0]["path"] == "/login" and mine[0]["status"] == 200
    assert "Durand" not in err and "Durand" not in out  # nor a plain access line on stdout


def test_the_development_server_writes_no_line_with_the_query_string(server, capsys):
    """`spro run` (werkzeug's server, as the `server` fixture) logs each request with its query
    string: that line is dropped, the app's own line stands for it."""
    capsys.readouterr()
    answer = urllib.request.urlopen(urllib.request.Request(f"{server}/login?q=Durand",
                                                           headers={"X-Request-Id": "dev-77"}), timeout=10)
    assert answer.status == 200
    err = capsys.readouterr().err
    assert [line["path"] for line in _lines(err) if line["request_id"] == "dev-77"] == ["/login"]
    assert "Durand" not in err
