"""SPRO case management: BPMN journeys worked by the professionals of the network."""
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import PROJECT_ROOT, Config
from .extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: type | None = None, **overrides) -> Flask:
    """Application factory: settings from `config` (default Config), then `overrides`."""
    app = Flask(__name__)
    app.config.from_object(config or Config)
    app.config.update(overrides)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), command="migrations")
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from . import api, clock, converters, models, request_log, views  # noqa: F401  (models register their tables)
    request_log.init_app(app)  # JSON log lines on stderr, a request id per request
    converters.init_app(app)  # bounded ids in every route, before any is registered
    from .operations import person_index  # noqa: F401  (keeps the people index in step with every flush)
    from .workflow import set_clock
    set_clock(lambda: clock.now())  # BPMN timers follow the application's (replaceable) clock
    views.init_app(app)
    api.init_app(app)
    if app.config.get("PROXY_COUNT"):  # behind N reverse proxies: the client's address and scheme
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL, foreign keys and a busy timeout for the embedded SQLite database."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
