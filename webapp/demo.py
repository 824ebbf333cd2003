"""Loading the demo directory, users and journeys definitions (idempotent)."""
from flask import current_app
from sqlalchemy import insert, select

from . import demo_data
from .extensions import db
from .models import BassinCommune, Structure, Territory, User
from .operations.definitions import sync_from_folder
from .operations.users import hash_password


def seed_demo() -> list[dict]:
    """Create what is missing of the demo data; return the demo logins."""
    for dep in demo_data.DEPARTEMENTS:
        if db.session.get(Territory, dep["code"]) is None:
            db.session.add(Territory(code=dep["code"], name=dep["name"], kind="departement",
                                     departement=dep["code"]))
    for bassin in demo_data.BASSINS:
        if db.session.get(Territory, bassin["code"]) is None:
            db.session.add(Territory(code=bassin["code"], name=bassin["name"], kind="bassin",
                                     departement=bassin["departement"]))
    db.session.flush()
    # Every commune of the region in one bassin of its département (a demo approximation by
    # postal code, see demo_data.bassin_communes; bassins are configurable). Communes already
    # in a bassin keep it; the ~1,750 rows go in one bulk insert the first time.
    assigned = set(db.session.scalars(select(BassinCommune.commune_code)))
    missing = [{"bassin_code": bassin_code, "commune_code": commune_code}
               for commune_code, bassin_code in demo_data.bassin_communes().items()
               if commune_code not in assigned]
    if missing:
        db.session.execute(insert(BassinCommune), missing)
    by_slug = {s.slug: s for s in db.session.scalars(select(Structure))}
    for row in demo_data.STRUCTURES:
        if row["slug"] in by_slug:
            if by_slug[row["slug"]].commune_code is None:  # databases seeded before the field
                by_slug[row["slug"]].commune_code = row["commune_code"]
            continue
        fields = {k: v for k, v in row.items() if k != "parent"}
        structure = Structure(**fields)
        db.session.add(structure)
        by_slug[row["slug"]] = structure
    db.session.flush()
    for row in demo_data.STRUCTURES:
        if row.get("parent"):
            by_slug[row["slug"]].parent_id = by_slug[row["parent"]].id
    logins = []
    for row in demo_data.USERS:
        user = db.session.scalar(select(User).where(User.username == row["username"]))
        if user is None:
            user = User(username=row["username"], full_name=row["full_name"],
                        email=row["email"], password_hash=hash_password(row["password"]),
                        structure_id=by_slug[row["structure"]].id, roles=list(row["roles"]))
            db.session.add(user)
        elif user.email is None:  # databases seeded before the field
            user.email = row["email"]
        logins.append({"username": row["username"], "password": row["password"],
                       "roles": list(row["roles"]), "structure": by_slug[row["structure"]].name})
    sync_from_folder(current_app.config["PROCESSES_DIR"], current_app.config["FORMS_DIR"])
    db.session.commit()
    return logins
