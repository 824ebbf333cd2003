"""Settings, read from the environment with safe defaults for the embedded set-up."""
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_sqlite_url():
    instance = PROJECT_ROOT / "instance"
    instance.mkdir(exist_ok=True)
    return f"sqlite:///{instance / 'spro.sqlite'}"


def _with_connect_timeout(url: str) -> str:
    """A PostgreSQL URL with `connect_timeout` (SPRO_DATABASE_CONNECT_TIMEOUT_SECONDS) unless it sets one."""
    if not url.startswith("postgresql") or "connect_timeout=" in url:
        return url
    seconds = int(os.environ.get("SPRO_DATABASE_CONNECT_TIMEOUT_SECONDS", "5"))
    return f"{url}{'&' if '?' in url else '?'}connect_timeout={seconds}"


def _secret_key():
    """SPRO_SECRET_KEY, else a random key kept in instance/ (never a known default)."""
    if os.environ.get("SPRO_SECRET_KEY"):
        return os.environ["SPRO_SECRET_KEY"]
    path = PROJECT_ROOT / "instance" / "secret_key"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    SECRET_KEY = _secret_key()
    MAX_CONTENT_LENGTH = 3 * 1024 * 1024  # no request body above 3 MB is read
    # Secure cookies and HSTS unless SPRO_SECURE_COOKIES=false (the local demo on http://127.0.0.1).
    SESSION_COOKIE_SECURE = os.environ.get("SPRO_SECURE_COOKIES", "true").lower() not in ("0", "false", "non", "no")
    # The database going away (restart, failover) must not need an app restart: each pooled connection
    # is tested before use (one round trip) and a dead one replaced, and opening a connection gives up
    # after SPRO_DATABASE_CONNECT_TIMEOUT_SECONDS (default 5, libpq's minimum is 2) so that a request
    # answers « service momentanément indisponible » (503) instead of hanging while the server is away.
    SQLALCHEMY_DATABASE_URI = _with_connect_timeout(os.environ.get("SPRO_DATABASE_URL") or _default_sqlite_url())
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    PROCESSES_DIR = os.environ.get("SPRO_PROCESSES_DIR", str(PROJECT_ROOT / "processes"))
    FORMS_DIR = os.environ.get("SPRO_FORMS_DIR", str(PROJECT_ROOT / "forms"))
    # The web server (`spro serve`, gunicorn): processes, threads per process, seconds before a stuck
    # request's worker is restarted. One thread per process by default (gunicorn's `sync` workers, behind
    # a buffering proxy): the app is CPU-bound, so threads mostly queue behind each other (see
    # docs/deployment.md); one process per CPU, plus one to compute while another waits on a lock or the
    # database (more processes than that made the CPUs switch between them more than they computed).
    WEB_WORKERS = int(os.environ.get("SPRO_WEB_WORKERS") or (os.cpu_count() or 1) + 1)
    WEB_THREADS = int(os.environ.get("SPRO_WEB_THREADS", "1"))
    WEB_TIMEOUT_SECONDS = int(os.environ.get("SPRO_WEB_TIMEOUT_SECONDS", "60"))
    # The npm packages (package.json) whose built files the studio's editors load: bpmn-js, dmn-js.
    VENDOR_DIR = os.environ.get("SPRO_VENDOR_DIR", str(PROJECT_ROOT / "node_modules"))
    MAX_BPMN_BYTES = 1_000_000
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    LOGIN_RATE_LIMIT = os.environ.get("SPRO_LOGIN_RATE_LIMIT", "120 per minute")
    # Sessions and sign-in throttling: a session ends after this many minutes without a request (and
    # PERMANENT_SESSION_LIFETIME after sign-in); failed sign-ins lock a username with growing delays
    # (operations/sign_in.py) and an address after this many failures within the window.
    IDLE_TIMEOUT_MINUTES = int(os.environ.get("SPRO_IDLE_TIMEOUT_MINUTES", "30"))
    # Number of reverse proxies in front of the app (their X-Forwarded-For/-Proto are trusted), so that
    # sign-in throttling and session checks see each client's own address. 0 when served directly.
    PROXY_COUNT = int(os.environ.get("SPRO_PROXY_COUNT", "0"))
    SIGN_IN_ADDRESS_MAX_FAILURES = int(os.environ.get("SPRO_SIGN_IN_ADDRESS_MAX_FAILURES", "300"))
    SIGN_IN_ADDRESS_WINDOW_MINUTES = 15
    # Several app processes need a shared store (e.g. redis://…) for the login limit to hold.
    RATELIMIT_STORAGE_URI = os.environ.get("SPRO_RATELIMIT_STORAGE_URI", "memory://")
    API_TOKEN_HOURS = 12
    TASKS_PER_PAGE = 25
    WORKER_INTERVAL_SECONDS = int(os.environ.get("SPRO_WORKER_INTERVAL_SECONDS", "30"))
    # Referral deadlines, in working days (French public holidays excluded) after sending.
    REFERRAL_REMINDER_DAYS = int(os.environ.get("SPRO_REFERRAL_REMINDER_DAYS", "5"))
    REFERRAL_ESCALATION_DAYS = int(os.environ.get("SPRO_REFERRAL_ESCALATION_DAYS", "10"))
    REFERRAL_EXPIRY_DAYS = int(os.environ.get("SPRO_REFERRAL_EXPIRY_DAYS", "30"))
    # « Indicateurs »: counts below this are hidden (with enough others that none can be recomputed).
    INDICATORS_MIN_COUNT = int(os.environ.get("SPRO_INDICATORS_MIN_COUNT", "5"))
    # A funding request still not deposited this many working days after its plan was sent, or still
    # without a decision this many working days after it was deposited, is signalled to the CEP adviser.
    FUNDING_DEPOSIT_DAYS = int(os.environ.get("SPRO_FUNDING_DEPOSIT_DAYS", "5"))
    FUNDING_REMINDER_DAYS = int(os.environ.get("SPRO_FUNDING_REMINDER_DAYS", "15"))
    # The support programme: registered professionals are reminded this many days before an event.
    SUPPORT_REMINDER_DAYS = int(os.environ.get("SPRO_SUPPORT_REMINDER_DAYS", "2"))
    # Journeys bounded (workflow/bounds.py): passes of a loop task (loopMaximum), instances of a
    # multi-instance, repetitions and shortest period of a timer cycle, engine steps of one advance.
    LOOP_CEILING = int(os.environ.get("SPRO_LOOP_CEILING", "500"))
    MULTI_INSTANCE_CEILING = int(os.environ.get("SPRO_MULTI_INSTANCE_CEILING", "100"))
    TIMER_CYCLE_CEILING = int(os.environ.get("SPRO_TIMER_CYCLE_CEILING", "100"))
    TIMER_MIN_PERIOD_SECONDS = int(os.environ.get("SPRO_TIMER_MIN_PERIOD_SECONDS", "3600"))
    ENGINE_STEP_BUDGET = int(os.environ.get("SPRO_ENGINE_STEP_BUDGET", "2000"))
    # Links in messages; when unset, the address each request came to (see notifications.public_link).
    PUBLIC_URL = os.environ.get("SPRO_PUBLIC_URL") or None
    # Outgoing mail: "page" (demo: marked sent, read on the messages page) or "smtp".
    MAIL_BACKEND = os.environ.get("SPRO_MAIL_BACKEND", "page")
    SMTP_HOST = os.environ.get("SPRO_SMTP_HOST", "localhost")
    SMTP_PORT = int(os.environ.get("SPRO_SMTP_PORT", "25"))
    SMTP_USE_TLS = os.environ.get("SPRO_SMTP_USE_TLS", "").lower() in ("1", "true", "yes", "oui")
    SMTP_USERNAME = os.environ.get("SPRO_SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SPRO_SMTP_PASSWORD") or None
    MAIL_SENDER = os.environ.get("SPRO_MAIL_SENDER", "SPRO Centre-Val de Loire <ne-pas-repondre@spro.example.org>")
    # Audit entries older than this are purged by the worker (12 months, as the CNIL recommends for access logs).
    AUDIT_RETENTION_DAYS = int(os.environ.get("SPRO_AUDIT_RETENTION_DAYS", "365"))
    # The regional identity (name, logo, colours) is cached per process and read again at most this often.
    IDENTITY_RECHECK_SECONDS = int(os.environ.get("SPRO_IDENTITY_RECHECK_SECONDS", "30"))
    # The person's rights: a person with no contact for this many days (and no journey in progress) is
    # anonymised by the worker; a receiver's access to the snapshot of a referral reassigned away from
    # it or expired ends this many days after the referral closed.
    ANONYMISE_AFTER_DAYS = int(os.environ.get("SPRO_ANONYMISE_AFTER_DAYS", "730"))
    SNAPSHOT_ACCESS_DAYS_AFTER_CLOSE = int(os.environ.get("SPRO_SNAPSHOT_ACCESS_DAYS_AFTER_CLOSE", "30"))
    # The public page's « Être recontacté·e » (views/public.py): requests per client address, and the
    # least and most seconds between showing the form and sending it for a request to count.
    PUBLIC_CONTACT_RATE_LIMIT = os.environ.get("SPRO_PUBLIC_CONTACT_RATE_LIMIT", "10 per hour")
    PUBLIC_CONTACT_MIN_SECONDS = int(os.environ.get("SPRO_PUBLIC_CONTACT_MIN_SECONDS", "4"))
    PUBLIC_CONTACT_MAX_AGE_SECONDS = 4 * 3600
    # Follow-up: this many months after a service ends, a person who agreed is asked by e-mail whether they
    # found what they needed; the link works once, for this many days; the public pages' flood guard.
    FOLLOWUP_AFTER_MONTHS = int(os.environ.get("SPRO_FOLLOWUP_AFTER_MONTHS", "6"))
    FOLLOWUP_LINK_DAYS = int(os.environ.get("SPRO_FOLLOWUP_LINK_DAYS", "30"))
    FOLLOWUP_RATE_LIMIT = os.environ.get("SPRO_FOLLOWUP_RATE_LIMIT", "30 per minute")
    # The documentation library's uploaded files: largest size, and the folder (outside static/).
    DOCUMENTATION_MAX_BYTES = int(os.environ.get("SPRO_DOCUMENTATION_MAX_BYTES", str(10 * 1024 * 1024)))
    DOCUMENTATION_FOLDER = os.environ.get("SPRO_DOCUMENTATION_FOLDER", str(PROJECT_ROOT / "instance" / "documentation"))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = os.environ.get("SPRO_TEST_DATABASE_URL")  # else a temporary SQLite file
    WTF_CSRF_ENABLED = True
    LOGIN_RATE_LIMIT = "1000 per minute"
    SESSION_COOKIE_SECURE = False  # the test client and the browser tests speak plain http
    # One process, where a save refreshes the identity at once: no timed re-read (statement counts stay exact).
    IDENTITY_RECHECK_SECONDS = None
