#!/usr/bin/env python
"""Benchmark: the studio's map of waits (carte.json) at 10k, 100k and 1M journeys (PostgreSQL).

    bash scripts/with_postgres.sh .venv/bin/python bench/heatmap.py [--sizes 10000 100000 1000000] [--runs 20]

For each size, in one run: `accueil` journeys and their task index rows are bulk-seeded with SQL
(generate_series), spread over the last 400 days, half on a second published version of the journey:
per 12 journeys, 2 wait at « Accueillir la personne », 1 at « Analyser la demande », 1 at « Choisir le
partenaire » (a third waiting), and 8 ended (documentation, personalised handling, referral done or
abandoned) with their steps completed; each journey has 1 to 3 task rows. The tables are VACUUM
ANALYZEd (as autovacuum would), then what `GET /pilotage/parcours/accueil/carte.json` computes
(queries.heatmap.map_request + diagram_figures) runs `--runs` times per case, and the whole HTTP request
as the pilote too. Printed: p50 and p95 in ms per size and case, then EXPLAIN (ANALYZE, BUFFERS) of each
statement at the largest size. `--proposed-indexes` first adds the indexes of PROPOSED_INDEXES, to
compare.

The database must hold no journey (a throwaway cluster): the script refuses otherwise.
"""
import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "demo-spro-2026"
CASES = {  # label: the GET parameters of carte.json
    "current version, 30 days": {},
    "all versions, 30 days": {"version": "tous"},
    "all versions, 365 days": {"version": "tous", "depuis": "__365__"},
}
# Per stage (journey id % 12): the steps it went through, the one it waits at (None: ended), its end event.
STAGES_SQL = """
    (VALUES (0, 1, 'accueillir', NULL), (1, 1, 'accueillir', NULL), (2, 2, 'analyser_demande', NULL),
            (3, 3, 'choisir_partenaire', NULL),
            (4, 2, NULL, 'fin_documentation'), (5, 2, NULL, 'fin_documentation'), (6, 2, NULL, 'fin_documentation'),
            (7, 2, NULL, 'fin_documentation'), (8, 2, NULL, 'fin_prise_en_charge'), (9, 2, NULL, 'fin_prise_en_charge'),
            (10, 3, NULL, 'fin_orientation'), (11, 3, NULL, 'fin_orientation_abandonnee'))
    AS stage(n, steps, waiting_at, end_event)"""
# Indexes this benchmark can add (--proposed-indexes) to show what they change; not in the app's migrations
# (ix_human_task_entered and ix_journey_ended are, since c3d9a1e7b5f2; ix_human_task_heatmap including the
# task row's version since 5e1b7c4a9d20). The one below serves a version's waiting tasks from its first column;
# measured at 1M journeys, PostgreSQL 15 preferred ix_human_task_heatmap (index only, the version filtered in it).
PROPOSED_INDEXES = (
    "CREATE INDEX ix_human_task_version_waiting ON human_task (definition_version_id, status, bpmn_id, created_at)",
)
STEPS_SQL = """
    (VALUES (1, 'accueillir', 'Accueillir la personne', 'conseiller'),
            (2, 'analyser_demande', 'Analyser la demande', 'conseiller'),
            (3, 'choisir_partenaire', 'Choisir le partenaire', 'conseiller')) AS step(n, bpmn_id, title, role)"""


def seed(conn, size: int, versions: tuple[int, int], person_id: int, structures: list[int]) -> None:
    """`size` journeys and their task rows, in two statements. Step k of a journey starts k - 1 days
    after the journey (+ a few hours) and, unless the journey waits there, ends a day later."""
    from sqlalchemy import text
    params = {"n": size, "old": versions[0], "new": versions[1], "person": person_id, "structures": structures}
    conn.execute(text(f"""
        INSERT INTO journey (id, definition_version_id, process_key, person_id, structure_id, status, end_event,
                             end_label, state, started_at, ended_at, row_version)
        SELECT i, CASE WHEN i % 2 = 0 THEN :new ELSE :old END, 'accueil', :person,
               (CAST(:structures AS int[]))[1 + i % cardinality(CAST(:structures AS int[]))],
               CASE WHEN stage.end_event IS NULL THEN 'en_cours' ELSE 'terminee' END, stage.end_event,
               stage.end_event, '{{}}', t.started,
               CASE WHEN stage.end_event IS NULL THEN NULL ELSE t.started + stage.steps * interval '1 day' END, 1
        FROM generate_series(1, :n) AS i
        JOIN {STAGES_SQL} ON stage.n = i % 12
        CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE 'UTC') - interval '4 days'
                                   - ((i::bigint * 7919) % (400 * 24 * 60)) * interval '1 minute' AS started) AS t"""), params)
    conn.execute(text(f"""
        INSERT INTO human_task (journey_id, definition_version_id, person_id, task_uuid, bpmn_id, title, process_key,
                                role, structure_id, status, priority, created_at, completed_at)
        SELECT j.id, j.definition_version_id, j.person_id, md5(j.id || '-' || step.n)::uuid::text, step.bpmn_id,
               step.title, 'accueil',
               step.role, j.structure_id,
               CASE WHEN stage.waiting_at = step.bpmn_id THEN 'ouverte' ELSE 'terminee' END, 0,
               j.started_at + (step.n - 1) * interval '1 day' + (j.id % 5) * interval '1 hour',
               CASE WHEN stage.waiting_at = step.bpmn_id THEN NULL
                    ELSE j.started_at + step.n * interval '1 day' END
        FROM journey j
        JOIN {STAGES_SQL} ON stage.n = j.id % 12
        JOIN {STEPS_SQL} ON step.n <= stage.steps
        WHERE j.process_key = 'accueil'"""))


def vacuum(engine) -> None:
    from sqlalchemy import text
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE journey, human_task"))


def wipe(conn) -> None:
    from sqlalchemy import text
    conn.execute(text("TRUNCATE human_task, journey CASCADE"))


def second_version(conn) -> tuple[int, int]:
    """(first, second) ids of accueil versions: the shipped one, and a copy published as the next number."""
    from sqlalchemy import text
    first = conn.execute(text("SELECT id FROM definition_version WHERE process_key = 'accueil' AND kind = 'bpmn' "
                              "AND is_current")).scalar_one()
    conn.execute(text("UPDATE definition_version SET is_current = false WHERE id = :id"), {"id": first})
    second = conn.execute(text("""
        INSERT INTO definition_version (process_key, version, name, kind, bpmn_xml, spec_json, forms, checksum,
                                        is_current, published_at, change_note)
        SELECT process_key, version + 1, name, kind, bpmn_xml, spec_json, forms, checksum, true, published_at,
               'Copie pour le banc d''essai'
        FROM definition_version WHERE id = :id RETURNING id"""), {"id": first}).scalar_one()
    return first, second


def args_of(case: dict) -> dict:
    from datetime import timedelta, timezone
    from webapp import clock
    from webapp.queries.heatmap import PARIS
    if case.get("depuis") == "__365__":
        today = clock.now().replace(tzinfo=timezone.utc).astimezone(PARIS).date()
        return {**case, "depuis": (today - timedelta(days=364)).isoformat()}
    return case


def time_figures(args: dict, runs: int) -> tuple[float, float, dict]:
    from webapp.extensions import db
    from webapp.queries.heatmap import diagram_figures, map_request, map_versions

    def once():
        asked = map_request(map_versions("accueil"), args)
        return diagram_figures("accueil", asked["shown"], asked["version_id"], asked["since"], asked["until"])
    once()  # warm the caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = once()
        times.append((time.perf_counter() - start) * 1000)
        db.session.rollback()
    return percentiles(times) + (result,)


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[round(0.95 * (len(times) - 1))]


def signed_in_client(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "julien.mercier", "password": PASSWORD, "csrf_token": token})
    return client


def time_request(client, args: dict, runs: int) -> tuple[float, float]:
    url = "/pilotage/parcours/accueil/carte.json"
    assert client.get(url, query_string=args).status_code == 200
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, query_string=args)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return percentiles(times)


def explain_all(app, args: dict) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement carte.json runs for `args`."""
    from sqlalchemy import event
    from webapp.extensions import db
    from webapp.queries.heatmap import diagram_figures, map_request, map_versions
    seen = []

    def listener(_conn, _cursor, statement, parameters, *_rest):
        seen.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        asked = map_request(map_versions("accueil"), args)
        diagram_figures("accueil", asked["shown"], asked["version_id"], asked["since"], asked["until"])
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    out = []
    conn = db.session.connection()
    for statement, parameters in seen:
        if "human_task" not in statement and "journey" not in statement:
            continue
        plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", parameters).all()
        out.append(" ".join(statement.split())[:160] + " …\n" + "\n".join(row[0] for row in plan))
    db.session.rollback()
    return "\n\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--proposed-indexes", action="store_true", help="add PROPOSED_INDEXES before seeding")
    args = parser.parse_args()
    url = os.environ.get("SPRO_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print("Run on PostgreSQL: bash scripts/with_postgres.sh .venv/bin/python bench/heatmap.py")
        return 2
    from sqlalchemy import func, select, text
    from webapp import create_app
    from webapp.config import TestConfig
    from webapp.extensions import db
    from webapp.models import HumanTask, Journey, Structure
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        from webapp.demo import seed_demo
        seed_demo()
        if db.session.scalar(select(func.count()).select_from(Journey)):
            print("The database already holds journeys: use a throwaway database.")
            return 2
        structures = list(db.session.scalars(select(Structure.id).order_by(Structure.id)))
        person_id = db.session.execute(text(
            "INSERT INTO person (nom, created_at, last_contact_at, created_by_structure_id) "
            "VALUES ('Banc', now(), now(), :s) RETURNING id"), {"s": structures[0]}).scalar_one()
        versions = second_version(db.session.connection())
        if args.proposed_indexes:
            for statement in PROPOSED_INDEXES:
                db.session.execute(text(statement))
        db.session.commit()
        client = signed_in_client(app)
        print(f"PostgreSQL {db.session.scalar(text('SHOW server_version'))}; "
              f"{'with' if args.proposed_indexes else 'without'} the proposed indexes; load average at start: "
              f"{os.getloadavg()}")
        rows = []
        for size in args.sizes:
            started = time.perf_counter()
            seed(db.session.connection(), size, versions, person_id, structures)
            db.session.commit()
            vacuum(db.engine)
            tasks = db.session.scalar(select(func.count()).select_from(HumanTask))
            waiting = db.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "ouverte"))
            visible = db.session.scalar(text("SELECT round(100.0 * relallvisible / greatest(relpages, 1)) "
                                             "FROM pg_class WHERE relname = 'human_task'"))
            print(f"\n{size:,} journeys, {tasks:,} task rows ({waiting:,} waiting) seeded in "
                  f"{time.perf_counter() - started:.0f} s; {visible}% of the task pages all-visible "
                  "(index-only scans need them)")
            for label, case in CASES.items():
                p50, p95, result = time_figures(args_of(case), args.runs)
                http50, http95 = time_request(client, args_of(case), args.runs)
                top = result["steps"][0]
                rows.append((size, label, p50, p95, http50, http95))
                print(f"  {label:<26} query p50 {p50:8.1f} ms  p95 {p95:8.1f} ms   HTTP p50 {http50:8.1f} ms  "
                      f"p95 {http95:8.1f} ms   (top: {top['id']} {top['waiting']:,} waiting)")
            if size == args.sizes[-1]:
                print(f"\nPlans at {size:,} journeys, all versions, 365 days:\n")
                print(explain_all(app, args_of(CASES["all versions, 365 days"])))
                print("\nPlans at the same size, current version, 30 days:\n")
                print(explain_all(app, args_of(CASES["current version, 30 days"])))
            wipe(db.session.connection())
            db.session.commit()
        print("\n| journeys | case | query p50 | query p95 | HTTP p50 | HTTP p95 |\n|---|---|---|---|---|---|")
        for size, label, p50, p95, http50, http95 in rows:
            print(f"| {size:,} | {label} | {p50:.0f} ms | {p95:.0f} ms | {http50:.0f} ms | {http95:.0f} ms |")
        print(f"load average at end: {os.getloadavg()}")
        db.session.execute(text("DELETE FROM person WHERE id = :id"), {"id": person_id})
        db.session.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
