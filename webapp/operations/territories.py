"""Bassins: configurable groups of communes of one département."""
import re

from sqlalchemy import delete, select

from .. import communes
from ..errors import InvalidData, NotFound
from ..extensions import db
from ..models import BassinCommune, Territory
from . import audit
from .structures import require_admin


def set_bassin_communes(actor, bassin_code: str, text: str) -> list[str]:
    """Replace a bassin's communes by those listed (INSEE codes or names, one per line or comma).

    A commune moved here leaves the bassin it was in; all or nothing on error."""
    require_admin(actor)
    bassin = db.session.get(Territory, bassin_code)
    if bassin is None or bassin.kind != "bassin":
        raise NotFound("Bassin introuvable.")
    codes, problems = [], []
    for item in (part.strip() for part in re.split(r"[\n,;]+", text or "")):
        if not item:
            continue
        leading = re.match(r"^(\d[\dAB]\d{3})\b", item)  # "45234 Orléans": the code decides
        commune = communes.by_code(leading.group(1)) if leading else None
        commune = commune or communes.resolve(item)
        if commune is None:
            problems.append(f"« {item} » : commune introuvable (précisez le code officiel).")
        elif commune.departement != bassin.departement:
            problems.append(f"« {item} » : {commune.nom} n'est pas dans le département {bassin.departement}.")
        elif commune.code not in codes:
            codes.append(commune.code)
    if problems:
        raise InvalidData("Rien n'a été enregistré : corrigez les lignes signalées.", {"communes": " ".join(problems)})
    if not codes:
        raise InvalidData("Un bassin contient au moins une commune.", {"communes": "Ce champ est obligatoire."})
    db.session.execute(delete(BassinCommune).where(
        (BassinCommune.bassin_code == bassin.code) | BassinCommune.commune_code.in_(codes)))
    db.session.add_all(BassinCommune(bassin_code=bassin.code, commune_code=c) for c in codes)
    audit.record(actor, "bassin.updated", f"Bassin « {bassin.name} » : {len(codes)} communes",
                 detail={"bassin": bassin.code, "communes": codes})
    db.session.flush()
    return codes


def bassin_communes(bassin_code: str) -> list:
    codes = db.session.scalars(select(BassinCommune.commune_code).where(
        BassinCommune.bassin_code == bassin_code).order_by(BassinCommune.commune_code)).all()
    return [c for c in (communes.by_code(code) for code in codes) if c is not None]


def unassigned_communes(departement: str) -> list:
    taken = set(db.session.scalars(select(BassinCommune.commune_code)))
    return [c for c in communes.all_communes() if c.departement == departement and c.code not in taken]
