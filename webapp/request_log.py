"""Structured logs: one JSON object per line on stderr, and a request id per request.

Every log line carries `time` (UTC, ISO 8601), `level`, `logger`, `message` and `request_id` (null
outside a request: the worker, the command line). Each request also writes one line of its own
(logger `webapp.request`) with `method`, `path` (never the query string, where searches put names),
`status`, `duration_ms` and `user_id` when someone is signed in (level INFO, ERROR from 500 on;
the health probe's lines only at DEBUG, or WARNING when it answers 503). The request id comes from the
incoming `X-Request-Id` header when it is a sane token (REQUEST_ID_PATTERN), else it is generated;
the answer carries it back in `X-Request-Id`. Under gunicorn (`webapp/serving.py`) the server's own
lines use the same format, and the app's request line is the access log."""
import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request
from sqlalchemy import inspect

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")  # 1 to 100 safe characters
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "user_id")
PATH_MAX = 200  # a longer path is cut: a log line stays readable whatever a client sends
request_logger = logging.getLogger("webapp.request")
# Paths whose segment is a secret (a link sent to a person): logged with the segment masked.
SECRET_PATHS = [(re.compile(r"^/suivi/(?!merci/?$)[^/]+"), "/suivi/<jeton>")]  # operations/followups


def request_id() -> str | None:
    """The current request's id, None outside a request."""
    return g.get("request_id") if has_request_context() else None


def accepted_request_id(value: str | None) -> str | None:
    """`value` when it may serve as a request id (bounded length, safe characters), else None."""
    return value if value and REQUEST_ID_PATTERN.fullmatch(value) else None


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record (None outside a request)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key in REQUEST_FIELDS:
            if getattr(record, key, None) is not None:
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (a test's capture, a service's journal)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def json_handler() -> logging.Handler:
    """A stderr handler writing JSON lines with the request id."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler._spro = True  # recognised on a second set-up, so that handlers do not pile up
    return handler


class _NoDevServerAccessLines(logging.Filter):
    """Drops the development server's own request lines: they carry the query string (names typed
    in a search), and the app's request line says the same without it."""

    def filter(self, record):
        return not (record.name == "werkzeug" and record.levelno == logging.INFO
                    and isinstance(record.msg, str) and record.msg.endswith('"%s" %s %s'))


def configure_logging() -> None:
    """JSON lines on stderr for every logger (root handler); the app's loggers at INFO."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_spro", False)]:
        root.removeHandler(handler)
    handler = json_handler()
    handler.addFilter(_NoDevServerAccessLines())
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.getLogger("webapp").setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Logging set-up, then the request id and the request line around every request."""
    from flask.logging import default_handler
    configure_logging()
    app.logger.removeHandler(default_handler)  # the root handler writes the app's lines

    def _start():
        g.request_started = time.perf_counter()
        g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex

    app.before_request_funcs.setdefault(None, []).insert(0, _start)  # before any other hook

    @app.after_request
    def _finish(response):
        rid = g.get("request_id")
        if rid is None:  # a hook before ours refused the request
            _start()
            rid = g.request_id
        response.headers[REQUEST_ID_HEADER] = rid
        started = g.get("request_started", time.perf_counter())
        status = response.status_code
        level = _level(request.path, status)
        path = logged_path(request.path)
        request_logger.log(level, "%s %s %s", request.method, path, status, extra={
            "method": request.method, "path": path, "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1), "user_id": _user_id()})
        return response


def logged_path(path: str) -> str:
    """The path as logged: cut at PATH_MAX, a personal link's token masked (SECRET_PATHS)."""
    for pattern, mask in SECRET_PATHS:
        path = pattern.sub(mask, path)
    return path[:PATH_MAX]


def _level(path: str, status: int) -> int:
    """ERROR for a failed answer; a load balancer's probes (`/health`, every few seconds) only at
    DEBUG while all is well and WARNING when they answer 503."""
    if path == "/health":
        return logging.DEBUG if status < 400 else logging.WARNING
    return logging.ERROR if status >= 500 else logging.INFO


def _user_id() -> int | None:
    """The signed-in user's id when the request already loaded one (never loads it)."""
    from flask_login import AnonymousUserMixin
    user = g.get("api_user") or g.get("_login_user")
    if user is None or isinstance(user, AnonymousUserMixin):
        return None
    identity = inspect(user).identity  # the key the session holds: no SELECT, even after a commit
    return identity[0] if identity else None
