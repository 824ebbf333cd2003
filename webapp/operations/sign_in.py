"""Sign-in throttling: failed attempts counted per username (growing delays) and per address (generous).

The counters are `SignInThrottle` rows in the application's database, so every app process (and
every server behind a load balancer) sees the same counts without another store. A failure is an
atomic upsert (`INSERT … ON CONFLICT DO UPDATE failures = failures + 1`) on SQLite and PostgreSQL.
"""
import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, select

from .. import clock
from ..extensions import db, upsert
from ..models import SignInThrottle

FREE_FAILURES = 5  # failures per username before the first lock
FIRST_LOCK_SECONDS = 15  # then locked 15 s, 30 s, 1 min, 2 min, … (doubling)
MAX_LOCK_SECONDS = 15 * 60
FORGET_USER_AFTER = timedelta(hours=24)  # a username's count starts afresh after a day without failure


def _user_key(username: str) -> str:
    return "user:" + (username or "").strip().lower()[:150]


def _address_key(address: str | None) -> str:
    return "ip:" + (address or "inconnue")[:100]


def _address_limits() -> tuple[int, timedelta]:
    config = current_app.config
    return (config.get("SIGN_IN_ADDRESS_MAX_FAILURES", 300),
            timedelta(minutes=config.get("SIGN_IN_ADDRESS_WINDOW_MINUTES", 15)))


def wait_seconds(username: str, address: str | None) -> int:
    """Seconds before this username may try again from this address (0: it may try now)."""
    now = clock.now()
    rows = db.session.scalars(select(SignInThrottle).where(
        SignInThrottle.key.in_((_user_key(username), _address_key(address))))).all()
    ends = [row.locked_until for row in rows if row.locked_until is not None and row.locked_until > now]
    return math.ceil((max(ends) - now).total_seconds()) if ends else 0


def user_lock_seconds(failures: int) -> int:
    """How long a username is locked after its `failures`-th consecutive failure (0: not locked)."""
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_LOCK_SECONDS * 2 ** min(failures - FREE_FAILURES, 16), MAX_LOCK_SECONDS)


def _count_failure(key: str, now: datetime, restart_before: datetime) -> SignInThrottle:
    """Add one failure to `key` atomically; a count whose window began before `restart_before` restarts at 1."""
    table = SignInThrottle.__table__
    statement = upsert(table).values(key=key, failures=1, first_failure_at=now, last_failure_at=now)
    stale = table.c.last_failure_at < restart_before if key.startswith("user:") \
        else table.c.first_failure_at < restart_before
    statement = statement.on_conflict_do_update(index_elements=[table.c.key], set_={
        "failures": case((stale, 1), else_=table.c.failures + 1),
        "first_failure_at": case((stale, now), else_=table.c.first_failure_at),
        "last_failure_at": now,
    })
    db.session.execute(statement)
    return db.session.get(SignInThrottle, key, populate_existing=True)


def record_failure(username: str, address: str | None) -> int:
    """Count a failed sign-in for the username and the address: the seconds to wait now (0 if none)."""
    now = clock.now()
    user_row = _count_failure(_user_key(username), now, now - FORGET_USER_AFTER)
    lock = user_lock_seconds(user_row.failures)
    if lock:
        user_row.locked_until = now + timedelta(seconds=lock)
    limit, window = _address_limits()
    address_row = _count_failure(_address_key(address), now, now - window)
    if address_row.failures >= limit:
        address_row.locked_until = address_row.first_failure_at + window
    db.session.flush()
    return wait_seconds(username, address)


def record_success(username: str) -> None:
    """A successful sign-in forgets the username's failures (the address's count is left as it is)."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.key == _user_key(username)))


def purge_stale() -> int:
    """Delete the counters that no longer lock nor count (for the worker): how many were deleted."""
    now = clock.now()
    _limit, window = _address_limits()
    table = SignInThrottle.__table__
    unlocked = (table.c.locked_until.is_(None)) | (table.c.locked_until <= now)
    stale = ((table.c.key.startswith("user:") & (table.c.last_failure_at < now - FORGET_USER_AFTER))
             | (table.c.key.startswith("ip:") & (table.c.first_failure_at < now - window)))
    return db.session.execute(delete(SignInThrottle).where(unlocked & stale)).rowcount


def wait_message(seconds: int) -> str:
    """« Trop de tentatives : réessayez dans 2 minutes. » (rounded up to the minute past 60 s)."""
    if seconds < 60:
        amount = f"{max(seconds, 1)} seconde{'s' if seconds > 1 else ''}"
    else:
        minutes = math.ceil(seconds / 60)
        amount = f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"Trop de tentatives : réessayez dans {amount}."
