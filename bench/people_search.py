#!/usr/bin/env python
"""Benchmark: the people search (« Rechercher une personne ») at 10k and 1M people.

    bash scripts/with_postgres.sh .venv/bin/python bench/people_search.py [--sizes 10000 1000000]

For each size, in one run: the people, their access rows and search words are bulk-seeded with
SQL (generate_series; one structure in charge of each person, spread over the demo's
structures; names from lists of common French first names and surnames, so that a surname is
shared by about 1 person in 200), the tables are VACUUM ANALYZEd (as autovacuum would), then each query below runs through
the app's own function `queries.people_search.search_people` as a counsellor of the busiest
structure, repeatedly. Printed per size and query: median and p95 in ms, number of results;
then the ratio of the 1M medians to the 10k medians, and the PostgreSQL plan (EXPLAIN ANALYZE)
of the search statement at the largest size, to show which index it uses.

The database must be empty of people (a throwaway cluster): the script refuses otherwise.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIRST = ["ines", "lea", "lucas", "emma", "hugo", "chloe", "louis", "jade", "gabriel", "manon", "arthur",
         "camille", "jules", "sarah", "adam", "louise", "nathan", "alice", "tom", "lina"]
LAST = ["martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand", "leroy", "moreau",
        "simon", "laurent", "lefebvre", "michel", "garcia", "david", "bertrand", "roux", "vincent", "fournier",
        "morel", "girard", "andre", "mercier", "dupont", "lambert", "bonnet", "francois", "martinez", "legrand",
        "garnier", "faure", "rousseau", "blanc", "guerin", "muller", "henry", "roussel", "nicolas", "perrin",
        "morin", "mathieu", "clement", "gauthier", "dumont", "lopez", "fontaine", "chevalier", "robin", "masson"]
COMMUNES = ["orleans", "tours", "bourges", "chartres", "blois", "chateauroux", "vierzon", "dreux", "montargis"]
QUERIES = {
    "surname prefix (« dupon »)": "dupon",
    "first name + surname (« ines dupont »)": "ines dupont",
    "surname + birth year (« martin 2008 »)": "martin 2008",
    "phone in groups (« 06 00 00 19 »)": "06 00 00 19",
    "e-mail (« ines.dupont48 »)": "ines.dupont48",
    "common first name alone (« lea »)": "lea",
}


def seed(conn, size: int, structures: list[int]) -> None:
    """Insert `size` people with their access rows and search words, in three statements."""
    from sqlalchemy import text
    params = {"n": size, "first": FIRST, "last": LAST, "communes": COMMUNES, "structures": structures}
    conn.execute(text("""
        INSERT INTO person (id, prenom, nom, annee_naissance, telephone, email, public, commune,
                            created_at, last_contact_at, created_by_structure_id)
        SELECT i, initcap((CAST(:first AS text[]))[1 + i % 20]), upper((CAST(:last AS text[]))[1 + (i / 20) % 50]) || CASE WHEN i % 7 = 0
                   THEN '-' || upper((CAST(:last AS text[]))[1 + (i / 1000) % 50]) ELSE '' END,
               1950 + i % 60, '06 ' || lpad((i % 100000000)::text, 8, '0'),
               (CAST(:first AS text[]))[1 + i % 20] || '.' || (CAST(:last AS text[]))[1 + (i / 20) % 50] || (i % 1000) || '@example.org',
               'demandeur_emploi', initcap((CAST(:communes AS text[]))[1 + i % 9]),
               now() - (i % 365) * interval '1 day', now() - (i % 365) * interval '1 day',
               (CAST(:structures AS int[]))[1 + (i / 3) % cardinality(CAST(:structures AS int[]))]
        FROM generate_series(1, :n) AS i"""), params)
    conn.execute(text("""
        INSERT INTO person_access (person_id, structure_id, "full", last_contact_at)
        SELECT id, created_by_structure_id, true, last_contact_at FROM person"""))
    conn.execute(text("""
        INSERT INTO person_search_term (structure_id, term, person_id)
        SELECT DISTINCT p.created_by_structure_id, w.term, p.id
        FROM person p CROSS JOIN LATERAL unnest(ARRAY[
            lower(p.prenom), lower(split_part(p.nom, '-', 1)), nullif(lower(split_part(p.nom, '-', 2)), ''),
            p.annee_naissance::text, '06' || lpad((p.id % 100000000)::text, 8, '0'),
            split_part(split_part(p.email, '@', 1), '.', 1), split_part(split_part(p.email, '@', 1), '.', 2),
            'example', 'org', lower(p.commune)]) AS w(term)
        WHERE w.term IS NOT NULL"""))


def vacuum(engine) -> None:
    """VACUUM ANALYZE the seeded tables, as autovacuum would after a bulk load (statistics and the
    visibility map that lets index-only scans skip the table)."""
    from sqlalchemy import text
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE person, person_access, person_search_term"))


def wipe(conn) -> None:
    from sqlalchemy import text
    conn.execute(text("TRUNCATE person_search_term, person_access, person CASCADE"))


def measure(actor, repeat: int) -> dict:
    from webapp.extensions import db
    from webapp.queries.people_search import search_people
    found = {}
    for label, query in QUERIES.items():
        search_people(actor, query)  # warm the cache
        times, count = [], 0
        for _ in range(repeat):
            start = time.perf_counter()
            rows, more = search_people(actor, query)
            times.append((time.perf_counter() - start) * 1000)
            count = f"{len(rows)}{'+' if more else ''}"
            db.session.rollback()
        times.sort()
        found[label] = (statistics.median(times), times[int(0.95 * (len(times) - 1))], count)
    return found


def explain(conn, actor, query: str) -> str:
    from sqlalchemy import select, text
    from webapp.models import Person, PersonAccess
    from webapp.queries.people_search import _matching
    from webapp.search_terms import query_terms
    ids = _matching(actor.structure_id, query_terms(query)).subquery()
    stmt = (select(PersonAccess.person_id).join(Person, Person.id == PersonAccess.person_id)
            .where(PersonAccess.structure_id == actor.structure_id, PersonAccess.person_id.in_(select(ids)))
            .order_by(PersonAccess.last_contact_at.desc()).limit(51))
    compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
    return "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    url = os.environ.get("SPRO_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print("Run on PostgreSQL: bash scripts/with_postgres.sh .venv/bin/python bench/people_search.py")
        return 2
    from sqlalchemy import func, select
    from webapp import create_app
    from webapp.config import TestConfig
    from webapp.extensions import db
    from webapp.models import Person, Structure, User
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        from webapp.demo import seed_demo
        seed_demo()
        if db.session.scalar(select(func.count()).select_from(Person)):
            print("The database already holds people: use a throwaway database.")
            return 2
        structures = list(db.session.scalars(select(Structure.id).order_by(Structure.id)))
        actor = db.session.scalar(select(User).where(User.username == "claire.martin"))
        # the counsellor's structure gets the share of every other structure, and more
        structures = structures + [actor.structure_id] * 4
        print(f"load average at start: {os.getloadavg()}")
        results = {}
        for size in args.sizes:
            conn = db.session.connection()
            started = time.perf_counter()
            seed(conn, size, structures)
            db.session.commit()
            vacuum(db.engine)
            mine = db.session.scalar(select(func.count()).select_from(Person).where(
                Person.created_by_structure_id == actor.structure_id))
            print(f"\n{size:,} people seeded in {time.perf_counter() - started:.0f} s "
                  f"({mine:,} followed by {actor.structure.name})")
            results[size] = measure(actor, args.repeat)
            for label, (median, p95, count) in results[size].items():
                print(f"  {label:<42} median {median:6.2f} ms   p95 {p95:6.2f} ms   results {count}")
            if size == args.sizes[-1]:
                print("\nPlan at this size for « ines dupont »:")
                print(explain(db.session.connection(), actor, "ines dupont"))
            wipe(db.session.connection())
            db.session.commit()
        if len(args.sizes) > 1:
            small, large = args.sizes[0], args.sizes[-1]
            print(f"\nRatio of medians, {large:,} / {small:,} people:")
            for label in QUERIES:
                print(f"  {label:<42} {results[large][label][0] / results[small][label][0]:5.2f}x")
        print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
