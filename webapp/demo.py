"""Loading the demo: reference data, directory, users and journey definitions (idempotent).

The demo people and their journeys are in `demo_people.seed_demo_people`; `seed_everything` runs
it after `seed_demo`, then the demo of each network duty (`spro seed-demo`). The tests seed the
directory only, and start with no journey.
"""
import re

from flask import current_app
from sqlalchemy import delete, select

from . import demo_data
from .extensions import db
from .models import BassinCommune, Structure, Territory, User
from .operations.definitions import sync_from_folder
from .operations.users import hash_password
from .reference import load_reference

# Bassin codes of the earlier demo approximation ("45-orleans"), replaced by the real bassins.
_OLD_DEMO_BASSIN = re.compile(r"^(18|28|36|37|41|45)-[a-z-]+$")


def _drop_old_demo_bassins() -> None:
    """Databases seeded before the real bassins d'emploi: drop the approximated ones."""
    old = [code for code in db.session.scalars(select(Territory.code).where(Territory.kind == "bassin"))
           if _OLD_DEMO_BASSIN.match(code)]
    if old:
        db.session.execute(delete(BassinCommune).where(BassinCommune.bassin_code.in_(old)))
        db.session.execute(delete(Territory).where(Territory.code.in_(old)))
        db.session.flush()


def seed_demo() -> list[dict]:
    """Reference data, then the demo structures, users and definitions; return the demo logins."""
    _drop_old_demo_bassins()
    load_reference()
    by_slug = {s.slug: s for s in db.session.scalars(select(Structure))}
    for row in demo_data.STRUCTURES:
        if row["slug"] in by_slug:
            existing = by_slug[row["slug"]]
            if existing.commune_code is None:  # databases seeded before the field
                existing.commune_code = row["commune_code"]
            if existing.bassin and _OLD_DEMO_BASSIN.match(existing.bassin):
                existing.bassin = row["bassin"]
            continue
        fields = {k: v for k, v in row.items() if k != "parent"}
        structure = Structure(**fields)
        db.session.add(structure)
        by_slug[row["slug"]] = structure
    db.session.flush()
    for row in demo_data.STRUCTURES:
        if row.get("parent"):
            by_slug[row["slug"]].parent_id = by_slug[row["parent"]].id
    logins, hashes = [], {}  # one argon2 hash per demo password (~0.7 s each), not one per user
    for row in demo_data.USERS:
        user = db.session.scalar(select(User).where(User.username == row["username"]))
        if user is None:
            if row["password"] not in hashes:
                hashes[row["password"]] = hash_password(row["password"])
            user = User(username=row["username"], full_name=row["full_name"],
                        email=row["email"],
                        password_hash=hashes[row["password"]],
                        structure_id=by_slug[row["structure"]].id, roles=list(row["roles"]))
            db.session.add(user)
        elif user.email is None:  # databases seeded before the field
            user.email = row["email"]
        logins.append({"username": row["username"], "password": row["password"],
                       "roles": list(row["roles"]), "structure": by_slug[row["structure"]].name})
    sync_from_folder(current_app.config["PROCESSES_DIR"], current_app.config["FORMS_DIR"])
    db.session.commit()
    return logins


def seed_everything() -> tuple[list[dict], int]:
    """What `spro seed-demo` loads, in order: (the demo logins, how many demo people were added)."""
    from .demo_documentation import seed_demo_documentation
    from .demo_followups import seed_demo_followups
    from .demo_people import seed_demo_people
    from .demo_public import seed_demo_public
    from .demo_support_programme import seed_demo_support_programme
    logins = seed_demo()
    people = seed_demo_people()  # with a year of past journeys for the « Indicateurs »
    seed_demo_documentation()  # a few resources of the documentation library, one to review
    seed_demo_support_programme()  # events of the support programme, past (with attendance) and to come
    seed_demo_followups()  # consent of the demo people with an e-mail, anonymous satisfaction answers
    seed_demo_public()  # two visitors of the public page waiting to be contacted (CIO, Mission Locale d'Orléans)
    return logins, people
