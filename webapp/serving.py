"""The production web server: gunicorn running the app, with workers and threads from the settings.

`spro serve` uses it, and so does `make run`, so that what people try is what runs in production."""
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from .request_log import JsonFormatter, RequestIdFilter


class JsonLogger(Logger):
    """gunicorn's own lines (start, workers booted or timed out, errors) as the app's JSON lines.

    Its access log stays off: the app writes one line per request itself (`webapp/request_log.py`),
    with the request id and the signed-in user, which gunicorn does not know."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
                handler.addFilter(RequestIdFilter())


class SproServer(BaseApplication):
    """gunicorn with our settings; each worker process builds its own app (and database pool)."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app
        return create_app()


def server_options(host: str, port: int, config) -> dict:
    """gunicorn's options from the app's settings (SPRO_WEB_WORKERS, SPRO_WEB_THREADS, SPRO_WEB_TIMEOUT):
    one request at a time per process (`sync`) unless several threads are asked for (`gthread`)."""
    return {
        "bind": f"{host}:{port}",
        "workers": config.WEB_WORKERS,
        "threads": config.WEB_THREADS,
        "worker_class": "gthread" if config.WEB_THREADS > 1 else "sync",
        "timeout": config.WEB_TIMEOUT_SECONDS,
        "graceful_timeout": config.WEB_TIMEOUT_SECONDS,
        "accesslog": None,  # the app's request line is the access log (JsonLogger)
        "errorlog": "-",
        "logger_class": JsonLogger,
        "proc_name": "spro",
    }


def serve(host: str, port: int, config) -> None:
    SproServer(server_options(host, port, config)).run()
