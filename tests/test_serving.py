"""`spro serve` runs the app under gunicorn, as `make run` does: what people try is what runs."""
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from processes_support import children, free_port, wait_until

from webapp.config import Config
from webapp.serving import server_options

SPRO = str(Path(sys.executable).parent / "spro")


def test_workers_and_threads_come_from_the_settings():
    class Settings(Config):
        WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT_SECONDS = 3, 8, 45
    options = server_options("0.0.0.0", 8000, Settings)
    assert options["bind"] == "0.0.0.0:8000" and options["workers"] == 3 and options["threads"] == 8
    assert options["worker_class"] == "gthread" and options["timeout"] == 45


def test_one_thread_per_process_serves_with_sync_workers():
    class Settings(Config):
        WEB_WORKERS, WEB_THREADS = 4, 1
    options = server_options("127.0.0.1", 8000, Settings)
    assert options["workers"] == 4 and options["worker_class"] == "sync"


def test_spro_serve_answers_through_gunicorn_with_its_worker_processes(tmp_path):
    env = {**os.environ, "SPRO_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}", "SPRO_WEB_WORKERS": "2",
           "SPRO_SECURE_COOKIES": "false"}
    env.pop("SPRO_TEST_DATABASE_URL", None)
    subprocess.run([SPRO, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([SPRO, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        answer, deadline = None, time.monotonic() + 60
        while answer is None and time.monotonic() < deadline:  # waiting for the port, not timing anything
            try:
                answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5)
            except OSError:
                time.sleep(0.2)
        assert answer is not None, "spro serve did not answer"
        assert answer.status == 200 and "Connexion" in answer.read().decode("utf-8")
        assert answer.headers["Server"].startswith("gunicorn")
        # gunicorn forks its workers one after the other: the first may answer before the second exists
        wait_until(lambda: len(children(server.pid)) == 2, 30, "gunicorn's two worker processes")
    finally:
        server.terminate()
        server.wait(timeout=30)
