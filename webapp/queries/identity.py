"""Reading the regional identity through a per-process cache.

Every screen shows the identity, so it must cost nothing on most requests: each process keeps the
last row it read and reads it again (one statement) at most every IDENTITY_RECHECK_SECONDS (None:
never, the tests' single process), or at once after this process saved it (`forget`). Other
processes see a change within that delay. The row is read on a connection of its own, so that a
missing table or a broken row never spoils the request's transaction: the defaults show instead.
"""
import logging
import time

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..identity_rules import DEFAULTS, Identity, safe
from ..models.identity import RegionalIdentity

log = logging.getLogger(__name__)
ROW_ID = 1
_COLUMNS = (RegionalIdentity.name, RegionalIdentity.short_name, RegionalIdentity.primary_color,
            RegionalIdentity.accent_color, RegionalIdentity.header_text_color, RegionalIdentity.logo_type,
            RegionalIdentity.logo_sha256, RegionalIdentity.logo_width, RegionalIdentity.logo_height,
            RegionalIdentity.version)
_monotonic = time.monotonic  # replaced by tests that move time


def _cache() -> dict:
    return current_app.extensions.setdefault("spro_identity", {})


def _read() -> Identity | None:
    """The stored identity, checked; DEFAULTS when no row; None when the database cannot say."""
    try:
        with db.engine.connect() as connection:
            row = connection.execute(select(*_COLUMNS).where(RegionalIdentity.id == ROW_ID)).first()
    except SQLAlchemyError as exc:
        if not _cache().get("warned"):  # once per process: a missing table would say it on every page
            log.warning("regional identity unreadable, defaults shown: %s", type(exc).__name__)
            _cache()["warned"] = True
        return None
    if row is None:
        return DEFAULTS
    try:
        return safe(Identity(*row))
    except Exception:  # a hand-edited row of the wrong types: the defaults, never a broken page
        log.warning("regional identity row unusable, defaults shown")
        return DEFAULTS


def current_identity() -> Identity:
    """The identity to show now (the defaults outside an application)."""
    if not has_app_context():
        return DEFAULTS
    cache = _cache()
    recheck = current_app.config.get("IDENTITY_RECHECK_SECONDS", 30)
    now = _monotonic()
    held = cache.get("identity")
    if held is not None and (recheck is None or now - cache["read_at"] < recheck):
        return held
    identity = _read()
    if identity is None:  # the database cannot say: what this process held, tried again after the delay
        if held is not None:
            cache["read_at"] = now
        return held or DEFAULTS
    cache.update(identity=identity, read_at=now)
    return identity


def forget() -> None:
    """This process saved the identity: the next read takes it from the database."""
    if has_app_context():
        _cache().pop("identity", None)
        _cache().pop("logo", None)


def logo_file(identity: Identity) -> tuple[bytes, str] | None:
    """(bytes, content type) of the identity's logo, kept per process while its checksum holds."""
    if not identity.has_logo:
        return None
    cache = _cache()
    held = cache.get("logo")
    if held is not None and held[0] == identity.logo_sha256:
        return held[1], held[2]
    try:
        with db.engine.connect() as connection:
            row = connection.execute(select(RegionalIdentity.logo, RegionalIdentity.logo_type, RegionalIdentity.logo_sha256)
                                     .where(RegionalIdentity.id == ROW_ID)).first()
    except SQLAlchemyError:
        return None
    if row is None or not row[0] or row[2] != identity.logo_sha256 or row[1] != identity.logo_type:
        return None  # changed since the identity was read: the next request has both anew
    cache["logo"] = (row[2], bytes(row[0]), row[1])
    return bytes(row[0]), row[1]


def stored_row() -> RegionalIdentity | None:
    """The row itself, for the settings screen and the save (in the request's session)."""
    return db.session.get(RegionalIdentity, ROW_ID)
