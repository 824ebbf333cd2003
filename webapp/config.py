"""Settings, read from the environment with safe defaults for the embedded set-up."""
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_sqlite_url():
    instance = PROJECT_ROOT / "instance"
    instance.mkdir(exist_ok=True)
    return f"sqlite:///{instance / 'spro.sqlite'}"


class Config:
    SECRET_KEY = os.environ.get("SPRO_SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get("SPRO_DATABASE_URL") or _default_sqlite_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    PROCESSES_DIR = os.environ.get("SPRO_PROCESSES_DIR", str(PROJECT_ROOT / "processes"))
    FORMS_DIR = os.environ.get("SPRO_FORMS_DIR", str(PROJECT_ROOT / "forms"))
    MAX_BPMN_BYTES = 1_000_000
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    LOGIN_RATE_LIMIT = os.environ.get("SPRO_LOGIN_RATE_LIMIT", "10 per minute")
    RATELIMIT_STORAGE_URI = "memory://"
    API_TOKEN_HOURS = 12
    TASKS_PER_PAGE = 25
    WORKER_INTERVAL_SECONDS = 30


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = os.environ.get("SPRO_TEST_DATABASE_URL")  # else a temporary SQLite file
    WTF_CSRF_ENABLED = True
    LOGIN_RATE_LIMIT = "1000 per minute"
