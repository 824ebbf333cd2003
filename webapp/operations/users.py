"""Users: password hashing (argon2id), authentication and API tokens."""
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import ApiToken, User

_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY_HASH = _HASHER.hash("not-a-password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost whether or not the user exists)."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, hours: int) -> tuple[str, ApiToken]:
    """Create a bearer token; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken(token_hash=_digest(token), user_id=user.id, created_at=now,
                   expires_at=now + timedelta(hours=hours))
    db.session.add(row)
    db.session.flush()
    return token, row


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.expires_at < clock.now() or not row.user.active:
        return None
    return row.user
