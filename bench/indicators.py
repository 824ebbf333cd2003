#!/usr/bin/env python
"""Benchmark: the « Indicateurs » page and its CSV at 10k, 100k and 1M journeys (PostgreSQL).

    bash scripts/with_postgres.sh .venv/bin/python bench/indicators.py                      # 10k, 100k, 1M
    bash scripts/with_postgres.sh .venv/bin/python bench/indicators.py --sizes 10000,100000 --runs 30

The database is migrated (`spro db upgrade`), the tables and indexes the migrations do not have yet are
created from the models, and the demo structures and users added. Then, size by size (growing), one
person per journey (public among the eight), « accueil » journeys over every demo structure and over
400 days, and for two journeys in five a referral to another structure (accepted then confirmed,
refused with a coded reason, redirected, expired or still open; answered 0 to 9 days after sending),
are bulk-seeded with SQL (generate_series), then VACUUM ANALYZEd.

Timed, with Flask's test client (the whole request, no HTTP server), as julien.mercier (pilote, whole
region): the page for this quarter, for the last 12 months, for the last 12 months in one département,
and the CSV of the last 12 months. Printed per size and page: p50 and p95 in ms and the SQL statements.
The database must hold no journey (a throwaway cluster): the script refuses otherwise.
"""
import contextlib
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _scale import scale_arguments, upgraded_postgres  # noqa: E402

USERNAME, PASSWORD = "julien.mercier", "demo-spro-2026"
PAGES = {"trimestre": "/indicateurs", "12 mois": "/indicateurs?periode=douze_mois",
         "12 mois, Loiret": "/indicateurs?periode=douze_mois&departement=45",
         "CSV 12 mois": "/indicateurs/export.csv?periode=douze_mois"}
PERSON_BASE = 100_000_000
PUBLICS = "ARRAY['scolaire','etudiant','apprenti','salarie','actif_non_salarie','demandeur_emploi','benevole','autre']"
REASONS = "ARRAY['hors_champ','public_non_couvert','capacite','deja_accompagne','injoignable','autre']"


def seed(conn, first: int, last: int, version: int, structures: list[int]) -> None:
    """Journeys first..last with their person and referrals, in three statements."""
    from sqlalchemy import text
    params = {"first": first, "last": last, "version": version, "structures": structures, "base": PERSON_BASE}
    pick = "(CAST(:structures AS int[]))[1 + (i * 7) % cardinality(CAST(:structures AS int[]))]"
    started = ("(now() AT TIME ZONE 'UTC') - interval '1 day' "
               "- ((i::bigint * 7919) % (400 * 24 * 60)) * interval '1 minute'")
    conn.execute(text(f"""
        INSERT INTO person (id, prenom, nom, public, created_at, last_contact_at, created_by_structure_id)
        SELECT :base + i, 'Prénom', 'Nom', ({PUBLICS})[1 + (i * 3) % 8], {started}, {started}, {pick}
        FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i"""), params)
    conn.execute(text(f"""
        INSERT INTO journey (id, definition_version_id, process_key, person_id, structure_id, status, end_event,
                             end_label, state, started_at, ended_at, row_version)
        SELECT i, :version, 'accueil', :base + i, {pick}, 'terminee', 'fin_documentation', 'fin_documentation',
               '{{}}', {started}, {started} + interval '1 day', 1
        FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i"""), params)
    other = "(CAST(:structures AS int[]))[1 + (j.id * 11 + 3) % cardinality(CAST(:structures AS int[]))]"
    conn.execute(text(f"""
        INSERT INTO referral (journey_id, person_id, from_structure_id, to_structure_id, status, shared_fields,
                              shared_data, person_informed, urgent, decline_reason, sent_at, answered_at,
                              first_contact_at, closed_at)
        SELECT j.id, j.person_id, j.structure_id, {other}, s.status, '[]', '{{}}', true, false,
               CASE WHEN s.status = 'refusee' THEN ({REASONS})[1 + j.id % 6] END,
               j.started_at + interval '1 hour',
               CASE WHEN s.status IN ('aboutie', 'refusee', 'redirigee', 'acceptee')
                    THEN j.started_at + interval '1 hour' + (j.id % 10) * interval '1 day' END,
               CASE WHEN s.status = 'aboutie' THEN j.started_at + (3 + j.id % 12) * interval '1 day' END,
               CASE WHEN s.status IN ('aboutie', 'refusee', 'expiree') THEN j.started_at + interval '20 days' END
        FROM journey j
        CROSS JOIN LATERAL (SELECT (ARRAY['aboutie','aboutie','aboutie','refusee','redirigee','expiree',
                                          'ouverte','acceptee'])[1 + (j.id / 5) % 8] AS status) AS s
        WHERE j.id BETWEEN :first AND :last AND j.id % 5 IN (1, 3)"""), params)


def vacuum(engine) -> None:
    from sqlalchemy import text
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE person, journey, referral"))


def nearest_rank(values: list[float], pct: float) -> float:
    import math
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


def signed_in(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.status_code
    return client


def time_pages(app, client, warmup: int, runs: int) -> dict:
    """{page: (p50 ms, p95 ms, statements)}: pages alternate, so noise hits each alike."""
    from sqlalchemy import event
    from webapp.extensions import db

    def get(url):
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        return answer
    for _ in range(warmup):
        for url in PAGES.values():
            get(url)
    times = {label: [] for label in PAGES}
    for _ in range(runs):
        for label, url in PAGES.items():
            started = time.perf_counter()
            get(url)
            times[label].append((time.perf_counter() - started) * 1000)
    with app.app_context():
        engine = db.engine
    out = {}
    for label, url in PAGES.items():
        seen = []

        def count(*_args):
            seen.append(1)
        event.listen(engine, "before_cursor_execute", count)
        try:
            get(url)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        out[label] = (nearest_rank(times[label], 50), nearest_rank(times[label], 95), len(seen))
    return out


def statement_times(app, client, url: str, runs: int = 5) -> None:
    """The median time of each SQL statement of one page (where its time goes)."""
    from sqlalchemy import event
    from webapp.extensions import db
    with app.app_context():
        engine = db.engine
    spent: dict[int, list[float]] = {}
    heads: dict[int, str] = {}
    current: list = []

    def before(_conn, _cursor, statement, *_rest):
        current.append(time.perf_counter())

    def after(_conn, _cursor, statement, *_rest):
        index = len(current) - 1
        spent.setdefault(index, []).append((time.perf_counter() - current[-1]) * 1000)
        heads[index] = " ".join(statement.split())[:100]
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for _ in range(runs):
            current.clear()
            client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    for index in sorted(spent):
        print(f"    statement {index + 1}: median {nearest_rank(spent[index], 50):7.1f} ms  {heads[index]}", flush=True)


def prepare(app) -> None:
    """Tables and indexes of the models that the migrations do not have yet."""
    from webapp.extensions import db
    from webapp.models import Journey, Person, Referral
    with app.app_context():
        db.create_all()
        for table in (Journey.__table__, Referral.__table__, Person.__table__):
            for index in table.indexes:
                index.create(db.engine, checkfirst=True)


def main() -> int:
    args, sizes = scale_arguments(__doc__.splitlines()[1], runs=30, warmup=3)
    url = upgraded_postgres("indicators.py")
    if url is None:
        return 2
    from sqlalchemy import func, select, text
    from webapp import create_app
    from webapp.config import TestConfig
    from webapp.demo import seed_demo
    from webapp.extensions import db
    from webapp.models import DefinitionVersion, Journey, Referral, Structure
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    prepare(app)
    with app.app_context():
        seed_demo()
        db.session.commit()
        if db.session.scalar(select(func.count()).select_from(Journey)):
            print("The database already holds journeys: use a throwaway database.")
            return 2
        structures = list(db.session.scalars(select(Structure.id).order_by(Structure.id)))
        version = db.session.scalar(select(DefinitionVersion.id).where(
            DefinitionVersion.process_key == "accueil", DefinitionVersion.kind == "bpmn",
            DefinitionVersion.is_current.is_(True)))
        print(f"PostgreSQL {db.session.scalar(text('SHOW server_version'))}; {len(structures)} structures; "
              f"load average at start: {os.getloadavg()}")
    log = Path(tempfile.gettempdir()) / f"spro-indicators-{os.getpid()}.log"
    results, seeded = [], 0
    with open(log, "w") as stream, contextlib.redirect_stderr(stream):
        client = signed_in(app)
        for size in sizes:
            with app.app_context():
                started = time.perf_counter()
                seed(db.session.connection(), seeded + 1, size, version, structures)
                db.session.commit()
                vacuum(db.engine)
                seeded = size
                referrals = db.session.scalar(select(func.count()).select_from(Referral))
            print(f"\n{size:,} journeys and {referrals:,} referrals seeded in {time.perf_counter() - started:.0f} s; "
                  f"load average {os.getloadavg()}", file=sys.stdout, flush=True)
            for label, (p50, p95, statements) in time_pages(app, client, args.warmup, args.runs).items():
                print(f"  {label:<16} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {statements} SQL statements", flush=True)
                results.append((size, label, p50, p95, statements))
            print(f"  statements of « 12 mois » at {size:,}:", flush=True)
            statement_times(app, client, PAGES["12 mois"])
    print("\n| journeys | page | p50 | p95 | SQL statements |\n|---|---|---|---|---|")
    for size, label, p50, p95, statements in results:
        print(f"| {size:,} | {label} | {p50:.1f} ms | {p95:.1f} ms | {statements} |")
    print(f"load average at end: {os.getloadavg()}\n(the app's request log: {log})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
