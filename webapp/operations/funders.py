"""The funders a CEP funding plan may name: the regional administration adds, edits,
deactivates and reactivates them. A deactivated funder leaves the forms of new plans; plans
already made keep their lines (rows point at the funder, which is never deleted)."""
import re
import unicodedata

from sqlalchemy import select

from ..errors import Forbidden, InvalidData, NotFound
from ..extensions import db
from ..models import Funder
from ..models.funding import FUNDER_KINDS
from ..queries.audit import is_regional_admin
from ..task_forms import validate
from . import audit

EDITABLE = ("label", "kind", "needs_request", "position")


def funder_schema() -> dict:
    """The form's JSON Schema (the same for a new funder and an edited one)."""
    properties = {
        "label": {"type": "string", "title": "Libellé", "maxLength": 160, "minLength": 1},
        "kind": {"type": "string", "title": "Type de financeur", "enum": list(FUNDER_KINDS),
                 "x-enumNames": list(FUNDER_KINDS.values())},
        "needs_request": {"type": "boolean", "title": "Une demande est à déposer auprès de ce financeur",
                          "description": "Décochez pour la participation de la personne : aucune demande à suivre."},
        "position": {"type": "integer", "title": "Ordre d'affichage", "minimum": 0, "maximum": 10000},
    }
    required = ["label", "kind", "position"]
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


def require_admin(actor):
    if not is_regional_admin(actor):
        raise Forbidden("La liste des financeurs est gérée par l'administration régionale.")


def _checked(data: dict, own_id: int | None = None) -> dict:
    data = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    errors = validate(funder_schema(), data)
    if "label" not in errors and not data.get("label"):
        errors["label"] = "Indiquez le libellé du financeur."
    if "label" not in errors and db.session.scalar(select(Funder.id).where(
            Funder.label == data["label"], Funder.id != (own_id or 0))):
        errors["label"] = "Un autre financeur porte déjà ce libellé : précisez-le (territoire, dispositif)."
    if errors:
        raise InvalidData("Le formulaire contient des erreurs : corrigez les champs signalés.", errors)
    return data


def funder_by_id(funder_id: int) -> Funder:
    funder = db.session.get(Funder, funder_id)
    if funder is None:
        raise NotFound("Financeur introuvable.")
    return funder


def _new_code(label: str) -> str:
    """A stable identifier made from the label (plans and task data refer to it; never shown)."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:32] or "financeur"
    code, number = base, 1
    while db.session.scalar(select(Funder.id).where(Funder.code == code)) is not None:
        number += 1
        code = f"{base}_{number}"
    return code


def create_funder(actor, data: dict) -> Funder:
    require_admin(actor)
    data = _checked(data)
    funder = Funder(code=_new_code(data["label"]), label=data["label"], kind=data["kind"],
                    needs_request=bool(data.get("needs_request")), position=data["position"], active=True)
    db.session.add(funder)
    db.session.flush()
    audit.record(actor, "funder.created", f"Financeur ajouté : {funder.label}",
                 detail={"funder_id": funder.id})
    return funder


def update_funder(actor, funder_id: int, data: dict) -> Funder:
    require_admin(actor)
    funder = funder_by_id(funder_id)
    data = _checked(data, own_id=funder.id)
    data["needs_request"] = bool(data.get("needs_request"))
    changed = {k: [getattr(funder, k), data[k]] for k in EDITABLE if getattr(funder, k) != data[k]}
    for name, (_old, new) in changed.items():
        setattr(funder, name, new)
    db.session.flush()
    if changed:
        audit.record(actor, "funder.updated", f"Financeur modifié : {funder.label}",
                     detail={"funder_id": funder.id, "changes": changed})
    return funder


def set_funder_active(actor, funder_id: int, active: bool) -> Funder:
    require_admin(actor)
    funder = funder_by_id(funder_id)
    if funder.active != active:
        funder.active = active
        db.session.flush()
        audit.record(actor, "funder.reactivated" if active else "funder.deactivated",
                     f"Financeur {'réactivé' if active else 'désactivé'} : {funder.label}",
                     detail={"funder_id": funder.id})
    return funder
