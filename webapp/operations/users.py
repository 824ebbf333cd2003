"""Users: password hashing (argon2id), authentication, session ending, password change and API tokens."""
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..errors import InvalidData
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


MIN_PASSWORD_LENGTH = 12


def end_sessions(user: User) -> None:
    """End every session of this user: cookies carrying the previous session version are refused."""
    user.session_version = (user.session_version or 0) + 1


def change_password(user: User, current: str, new: str, confirmation: str) -> None:
    """Replace the user's password (argon2id) and end their sessions; French messages per field."""
    errors = {}
    try:
        _HASHER.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        errors["current"] = "Le mot de passe actuel est incorrect."
    if len(new or "") < MIN_PASSWORD_LENGTH:
        errors["new"] = f"Choisissez un mot de passe d'au moins {MIN_PASSWORD_LENGTH} caractères."
    elif new == current:
        errors["new"] = "Choisissez un mot de passe différent de l'actuel."
    if not errors.get("new") and new != confirmation:
        errors["confirmation"] = "Les deux saisies du nouveau mot de passe ne correspondent pas."
    if errors:
        raise InvalidData("Le mot de passe n'a pas été changé.", errors)
    user.password_hash = hash_password(new)
    end_sessions(user)
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))  # API tokens end too
    db.session.flush()


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


def revoke_token(token: str) -> ApiToken | None:
    """Delete the bearer token presented (its owner ends it before it expires); the row deleted."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is not None:
        db.session.delete(row)
        db.session.flush()
    return row


# Built once with parameters: every API request runs it, and building a statement costs about as
# much as running it.
_USER_FOR_TOKEN = (select(User).join(ApiToken, ApiToken.user_id == User.id)
                   .where(ApiToken.token_hash == bindparam("digest"), ApiToken.expires_at >= bindparam("now"),
                          User.active.is_(True))
                   .options(joinedload(User.structure)))


def user_for_token(token: str) -> User | None:
    """The active user a valid, unexpired bearer token belongs to: one statement."""
    return db.session.scalar(_USER_FOR_TOKEN, {"digest": _digest(token), "now": clock.now()})
