"""Saving the regional identity (regional administration only); the caller commits, then calls
queries.identity.forget() so that this process shows it at once."""
from .. import clock
from ..errors import Forbidden, InvalidData
from ..extensions import db
from ..identity_rules import (DEFAULT_ACCENT, DEFAULT_HEADER_TEXT, DEFAULT_NAME, DEFAULT_PRIMARY, DEFAULT_SHORT_NAME,
                              LogoRefused, check_logo, colour_errors, parse_colour)
from ..models.identity import RegionalIdentity
from ..queries.audit import is_regional_admin
from ..queries.identity import ROW_ID, stored_row
from . import audit

FIELDS = ("name", "short_name", "primary", "accent", "header_text")
COLUMNS = {"name": "name", "short_name": "short_name", "primary": "primary_color", "accent": "accent_color",
           "header_text": "header_text_color"}
LIMITS = {"name": 120, "short_name": 40}


def require_identity_admin(actor) -> None:
    if not is_regional_admin(actor):
        raise Forbidden("L'identité régionale est réglée par l'administration régionale.")


def checked(values: dict) -> dict:
    """The submitted values cleaned (colours as « #rrggbb »); InvalidData with a French message per field."""
    data, errors = {}, {}
    for field in ("name", "short_name"):
        text = " ".join(str(values.get(field) or "").split())
        if not text:
            errors[field] = "Ce champ est obligatoire."
        elif len(text) > LIMITS[field]:
            errors[field] = f"{LIMITS[field]} caractères au plus ({len(text)} saisis)."
        data[field] = text
    for field in ("primary", "accent", "header_text"):
        colour = parse_colour(values.get(field))
        if colour is None:
            errors[field] = "Indiquez une couleur en hexadécimal, par exemple #1d4f91."
        data[field] = colour or str(values.get(field) or "")[:20]
    if not any(f in errors for f in ("primary", "accent", "header_text")):
        errors.update(colour_errors(data["primary"], data["accent"], data["header_text"]))
    if errors:
        raise InvalidData("Le formulaire contient des erreurs : corrigez les champs signalés.", errors)
    return data


def save_identity(actor, values: dict, logo: bytes | None = None, logo_name: str = "",
                  remove_logo: bool = False) -> RegionalIdentity:
    """Check everything first, then write the one row: on any error nothing is written."""
    require_identity_admin(actor)
    errors = {}
    try:
        data = checked(values)
    except InvalidData as exc:
        errors, data = dict(exc.fields), None
    new_logo = None
    if logo and not remove_logo:
        try:
            new_logo = check_logo(logo, logo_name)
        except LogoRefused as exc:
            errors["logo"] = str(exc)
    if errors:
        raise InvalidData("Le formulaire contient des erreurs : corrigez les champs signalés.", errors)
    row = stored_row()
    if row is None:
        row = RegionalIdentity(id=ROW_ID, version=0)
        db.session.add(row)
    changes = {f: [getattr(row, COLUMNS[f]), data[f]] for f in FIELDS if getattr(row, COLUMNS[f]) != data[f]}
    for field in FIELDS:
        setattr(row, COLUMNS[field], data[field])
    if remove_logo and row.logo_sha256:
        row.logo = row.logo_type = row.logo_sha256 = row.logo_width = row.logo_height = None
        changes["logo"] = "retiré"
    elif new_logo is not None:
        row.logo, row.logo_type, row.logo_sha256 = new_logo.data, new_logo.content_type, new_logo.sha256
        row.logo_width, row.logo_height = new_logo.width, new_logo.height
        changes["logo"] = f"{new_logo.content_type}, {new_logo.width} × {new_logo.height}"
    row.version = (row.version or 0) + 1
    row.updated_at, row.updated_by_id = clock.now(), actor.id
    db.session.flush()
    audit.record(actor, "identity.updated", "Identité régionale modifiée", detail={"changes": changes})
    return row


def reset_identity(actor) -> RegionalIdentity:
    """Back to the default name and colours, without a logo."""
    defaults = {"name": DEFAULT_NAME, "short_name": DEFAULT_SHORT_NAME, "primary": DEFAULT_PRIMARY,
                "accent": DEFAULT_ACCENT, "header_text": DEFAULT_HEADER_TEXT}
    return save_identity(actor, defaults, remove_logo=True)
