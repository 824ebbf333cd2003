#!/usr/bin/env python
"""Benchmark: the task queue page at 10k, 100k and 1M journeys (PostgreSQL).

    bash scripts/with_postgres.sh .venv/bin/python bench/queue_page.py                         # 10k, 100k, 1M
    bash scripts/with_postgres.sh .venv/bin/python bench/queue_page.py --sizes 10000 100000 --runs 50

The database is migrated (`spro db upgrade`) and the demo structures and users added. Then, size by
size (growing: the next size adds its difference), one person per journey and the journeys' task rows
are bulk-seeded with SQL (generate_series), spread over every demo structure and over 400 days: per
12 journeys, 1 waits at « Accueillir la personne » and 1 at « Analyser la demande » (a sixth waiting),
the 10 others ended after 2 or 3 steps, their task rows completed. Half the waiting tasks are taken
by a counsellor of their structure; one in three has a due date, one in 97 is urgent. Tables are
VACUUM ANALYZEd (as autovacuum would).

Timed, in this process with Flask's test client (the whole request: session or bearer token, the
list, the audit entry, the template or JSON; no HTTP server, no network), as claire.martin of the
Mission Locale de l'Orléanais: the HTML page « File de ma structure » (`/taches?scope=queue`),
« Mes tâches » (`/taches?scope=mine`) and the API's `GET /api/v1/tasks?scope=queue`. After --warmup
untimed requests, --runs timed ones per page (alternating pages, so machine noise hits each alike).
Printed per size and page: p50 and p95 in ms and the SQL statements of one request; then the ratio
of the largest size to the smallest and the review's figures from before this work beside them,
the median time of each SQL statement of the HTML queue page at each size, and the PostgreSQL plan of
the list's statement at the largest size.

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

USERNAME, PASSWORD = "claire.martin", "demo-spro-2026"
PAGES = {"HTML file": "/taches?scope=queue", "HTML mes tâches": "/taches?scope=mine",
         "API queue": "/api/v1/tasks?scope=queue"}
REVIEW = {"p50": 61.0, "p95": 87.0, "statements": 80}  # the review's measurement of the queue page, before this work
TARGET_P95_MS, TARGET_RATIO = 20.0, 1.5
PERSON_BASE = 100_000_000  # seeded people's ids: PERSON_BASE + journey id
STAGES_SQL = """
    (VALUES (0, 1, 'accueillir', NULL), (1, 2, 'analyser_demande', NULL),
            (2, 2, NULL, 'fin_documentation'), (3, 2, NULL, 'fin_documentation'), (4, 2, NULL, 'fin_documentation'),
            (5, 2, NULL, 'fin_documentation'), (6, 2, NULL, 'fin_prise_en_charge'), (7, 2, NULL, 'fin_prise_en_charge'),
            (8, 3, NULL, 'fin_orientation'), (9, 3, NULL, 'fin_orientation'), (10, 3, NULL, 'fin_orientation'),
            (11, 3, NULL, 'fin_orientation_abandonnee'))
    AS stage(n, steps, waiting_at, end_event)"""
STEPS_SQL = """
    (VALUES (1, 'accueillir', 'Accueillir la personne', 'accueil_personne'),
            (2, 'analyser_demande', 'Analyser la demande', 'accueil_analyse'),
            (3, 'choisir_partenaire', 'Choisir le partenaire', 'orientation_choix')) AS step(n, bpmn_id, title, form)"""
NAMES = "ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand','Leroy','Moreau']"
FIRST = "ARRAY['Léa','Lucas','Emma','Hugo','Chloé','Louis','Inès','Jules','Manon','Nathan']"


def seed(conn, first: int, last: int, version: int, structures: list[int], owners: list[int | None]) -> None:
    """Journeys first..last with their person and task rows, in three statements."""
    from sqlalchemy import text
    params = {"first": first, "last": last, "version": version, "structures": structures, "owners": owners,
              "base": PERSON_BASE}
    pick = "(CAST(:structures AS int[]))[1 + (i * 7) % cardinality(CAST(:structures AS int[]))]"
    started = ("(now() AT TIME ZONE 'UTC') - interval '4 days' "
               "- ((i::bigint * 7919) % (400 * 24 * 60)) * interval '1 minute'")
    conn.execute(text(f"""
        INSERT INTO person (id, prenom, nom, annee_naissance, created_at, last_contact_at, created_by_structure_id)
        SELECT :base + i, ({FIRST})[1 + i % 10], ({NAMES})[1 + (i / 10) % 10], 1960 + i % 45, {started},
               {started}, {pick}
        FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i"""), params)
    conn.execute(text(f"""
        INSERT INTO journey (id, definition_version_id, process_key, person_id, structure_id, status, end_event,
                             end_label, state, started_at, ended_at, row_version)
        SELECT i, :version, 'accueil', :base + i, {pick},
               CASE WHEN stage.end_event IS NULL THEN 'en_cours' ELSE 'terminee' END, stage.end_event,
               stage.end_event, '{{}}', {started},
               CASE WHEN stage.end_event IS NULL THEN NULL ELSE {started} + stage.steps * interval '1 day' END, 1
        FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i
        JOIN {STAGES_SQL} ON stage.n = i % 12"""), params)
    conn.execute(text(f"""
        INSERT INTO human_task (journey_id, definition_version_id, person_id, task_uuid, bpmn_id, title, process_key,
                                form_key, role, structure_id, assignee_id, status, priority, due_at, created_at,
                                completed_at, completed_by_id)
        SELECT j.id, j.definition_version_id, j.person_id, md5(j.id || '-' || step.n)::uuid::text, step.bpmn_id,
               step.title, 'accueil', step.form, 'conseiller', j.structure_id,
               CASE WHEN waiting AND j.id % 24 >= 12 THEN NULL ELSE owner.id END,
               CASE WHEN waiting THEN 'ouverte' ELSE 'terminee' END,
               CASE WHEN j.id % 97 = 0 THEN 1 ELSE 0 END,
               CASE WHEN j.id % 3 = 0 THEN j.started_at + (step.n + 9) * interval '1 day' END,
               j.started_at + (step.n - 1) * interval '1 day' + (j.id % 5) * interval '1 hour',
               CASE WHEN waiting THEN NULL ELSE j.started_at + step.n * interval '1 day' END,
               CASE WHEN waiting THEN NULL ELSE owner.id END
        FROM journey j
        JOIN {STAGES_SQL} ON stage.n = j.id % 12
        JOIN {STEPS_SQL} ON step.n <= stage.steps
        CROSS JOIN LATERAL (SELECT stage.waiting_at IS NOT DISTINCT FROM step.bpmn_id AS waiting) AS w
        CROSS JOIN LATERAL (SELECT (CAST(:owners AS int[]))[array_position(CAST(:structures AS int[]),
                                                                            j.structure_id)] AS id) AS owner
        WHERE j.id BETWEEN :first AND :last"""), params)


def vacuum(engine) -> None:
    from sqlalchemy import text
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE person, journey, human_task"))


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
    bearer = app.test_client().post("/api/v1/auth/token", json={"username": USERNAME, "password": PASSWORD})
    assert bearer.status_code == 200, bearer.get_data(as_text=True)
    return client, {"Authorization": f"Bearer {bearer.get_json()['token']}"}


def time_pages(app, client, headers, warmup: int, runs: int) -> dict:
    """{page: (p50 ms, p95 ms, statements, rows shown)}: pages alternate, so noise hits each alike."""
    from sqlalchemy import event
    from webapp.extensions import db

    def get(url):
        answer = client.get(url, headers=headers if url.startswith("/api/") else None)
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
    out = {}
    with app.app_context():
        engine = db.engine
    for label, url in PAGES.items():
        seen = []

        def count(*_args):
            seen.append(1)
        event.listen(engine, "before_cursor_execute", count)
        try:
            answer = get(url)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        rows = len(answer.get_json()["items"]) if url.startswith("/api/") else \
            answer.get_data(as_text=True).count('href="/taches/')
        out[label] = (nearest_rank(times[label], 50), nearest_rank(times[label], 95), len(seen), rows)
    print_statement_times(engine, get)
    return out


def print_statement_times(engine, get, runs: int = 30) -> None:
    """The median time of each SQL statement of the HTML queue page (where the page's time goes)."""
    from sqlalchemy import event
    spent: dict[int, list[float]] = {}
    heads: dict[int, str] = {}
    current: list = []

    def before(_conn, _cursor, statement, *_rest):
        current.append((statement, time.perf_counter()))

    def after(_conn, _cursor, statement, *_rest):
        index = len(current) - 1
        spent.setdefault(index, []).append((time.perf_counter() - current[-1][1]) * 1000)
        heads[index] = " ".join(statement.split())[:90]
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for _ in range(runs):
            current.clear()
            get(PAGES["HTML file"])
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    for index in sorted(spent):
        print(f"    statement {index + 1}: median {nearest_rank(spent[index], 50):5.2f} ms  {heads[index]}")


def explain_list(app) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the queue list's statement, as claire.martin."""
    from sqlalchemy import event, select
    from webapp.extensions import db
    from webapp.models import User
    from webapp.queries.tasks import task_list
    seen = []
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == USERNAME))

        def listener(_conn, _cursor, statement, parameters, *_rest):
            seen.append((statement, parameters))
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            task_list(actor, "queue", per_page=app.config["TASKS_PER_PAGE"])
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        statement, parameters = next((s, p) for s, p in seen if "join (select human_task.id" in " ".join(s.lower().split()))
        plan = db.session.connection().exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", parameters).all()
        db.session.rollback()
    return "\n".join(row[0] for row in plan)


def main() -> int:
    args, sizes = scale_arguments(__doc__.splitlines()[1], runs=200, warmup=20)
    url = upgraded_postgres("queue_page.py")
    if url is None:
        return 2
    from sqlalchemy import func, select, text
    from webapp import create_app
    from webapp.config import TestConfig
    from webapp.demo import seed_demo
    from webapp.extensions import db
    from webapp.models import DefinitionVersion, Journey, Structure, User
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        seed_demo()
        db.session.commit()
        if db.session.scalar(select(func.count()).select_from(Journey)):
            print("The database already holds journeys: use a throwaway database.")
            return 2
        structures = list(db.session.scalars(select(Structure.id).order_by(Structure.id)))
        owners = []
        for structure_id in structures:  # a counsellor of each structure (claire.martin for hers)
            users = db.session.scalars(select(User).where(User.structure_id == structure_id).order_by(User.id)).all()
            counsellors = [u for u in users if "conseiller" in (u.roles or [])]
            mine = [u for u in counsellors if u.username == USERNAME]
            chosen = mine or counsellors
            owners.append(chosen[0].id if chosen else None)
        version = db.session.scalar(select(DefinitionVersion.id).where(
            DefinitionVersion.process_key == "accueil", DefinitionVersion.kind == "bpmn",
            DefinitionVersion.is_current.is_(True)))
        claire = db.session.scalar(select(User).where(User.username == USERNAME))
        home = claire.structure_id
        print(f"PostgreSQL {db.session.scalar(text('SHOW server_version'))}; {len(structures)} structures; "
              f"load average at start: {os.getloadavg()}")
    # The app writes one JSON line per request on stderr (its access log): kept, but in a file.
    log = Path(tempfile.gettempdir()) / f"spro-queue-page-{os.getpid()}.log"
    with open(log, "w") as stream, contextlib.redirect_stderr(stream):
        client, headers = signed_in(app)
        results = measure(app, client, headers, sizes, args, (version, structures, owners, home, claire.id))
    summarise(app, results, sizes)
    print(f"(the app's request log: {log})")
    return 0


def measure(app, client, headers, sizes: list[int], args, seeding: tuple) -> list[tuple]:
    """Seed each size and time the pages there; the rows of the summary table."""
    from sqlalchemy import func, select
    from webapp.extensions import db
    from webapp.models import HumanTask
    version, structures, owners, home, claire_id = seeding
    results, seeded = [], 0
    for size in sizes:
        with app.app_context():
            started = time.perf_counter()
            seed(db.session.connection(), seeded + 1, size, version, structures, owners)
            db.session.commit()
            vacuum(db.engine)
            seeded = size
            tasks = db.session.scalar(select(func.count()).select_from(HumanTask))
            queue = db.session.scalar(select(func.count()).select_from(HumanTask).where(
                HumanTask.status == "ouverte", HumanTask.structure_id == home))
            mine = db.session.scalar(select(func.count()).select_from(HumanTask).where(
                HumanTask.status == "ouverte", HumanTask.assignee_id == claire_id))
        print(f"\n{size:,} journeys, {tasks:,} task rows seeded in {time.perf_counter() - started:.0f} s; "
              f"claire.martin's structure has {queue:,} open tasks, {mine:,} of them hers; "
              f"load average {os.getloadavg()}")
        figures = time_pages(app, client, headers, args.warmup, args.runs)
        for label, (p50, p95, statements, rows) in figures.items():
            print(f"  {label:<16} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {statements} SQL statements, {rows} rows shown")
            results.append((size, label, p50, p95, statements))
    return results


def summarise(app, results: list[tuple], sizes: list[int]) -> None:
    print(f"\nThe review's measurement of the queue page before this work: p50 {REVIEW['p50']:.0f} ms, "
          f"p95 {REVIEW['p95']:.0f} ms, {REVIEW['statements']} SQL statements for 25 rows.")
    print("| journeys | page | p50 | p95 | SQL statements |\n|---|---|---|---|---|")
    print(f"| (review, before) | queue page | {REVIEW['p50']:.0f} ms | {REVIEW['p95']:.0f} ms | {REVIEW['statements']} |")
    for size, label, p50, p95, statements in results:
        print(f"| {size:,} | {label} | {p50:.1f} ms | {p95:.1f} ms | {statements} |")
    if len(sizes) > 1:
        for label in PAGES:
            small = next(r for r in results if r[0] == sizes[0] and r[1] == label)
            large = next(r for r in results if r[0] == sizes[-1] and r[1] == label)
            print(f"{label}: p95 at {sizes[-1]:,} / p95 at {sizes[0]:,} = {large[3] / small[3]:.2f} "
                  f"(target ≤ {TARGET_RATIO}; p95 target at 1M: ≤ {TARGET_P95_MS:.0f} ms)")
    print(f"\nPlan of the queue list at {sizes[-1]:,} journeys:\n{explain_list(app)}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
