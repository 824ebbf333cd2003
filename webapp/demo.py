"""Loading the demo directory, users and journeys definitions (idempotent)."""
from flask import current_app
from sqlalchemy import select

from . import demo_data
from .extensions import db
from .models import Structure, Territory, User
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
    by_slug = {s.slug: s for s in db.session.scalars(select(Structure))}
    for row in demo_data.STRUCTURES:
        if row["slug"] in by_slug:
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
                        password_hash=hash_password(row["password"]),
                        structure_id=by_slug[row["structure"]].id, roles=list(row["roles"]))
            db.session.add(user)
        logins.append({"username": row["username"], "password": row["password"],
                       "roles": list(row["roles"]), "structure": by_slug[row["structure"]].name})
    sync_from_folder(current_app.config["PROCESSES_DIR"], current_app.config["FORMS_DIR"])
    db.session.commit()
    return logins
