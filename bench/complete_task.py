#!/usr/bin/env python
"""Benchmark: completing ONE user task, bare SpiffWorkflow vs. the whole app over HTTP.

    .venv/bin/python bench/complete_task.py [--iterations 200] [--warmup 20]
    bash scripts/with_postgres.sh .venv/bin/python bench/complete_task.py

Two measurements, interleaved round by round (the order rotates every round) so that
machine noise hits both alike:

(a) library — SpiffWorkflow 3.2 alone, in memory: a default `BpmnWorkflow` built from
    processes/accueil.bpmn (+ the processes it calls) parsed once
    with `SpiffBpmnParser`. Untimed: create the workflow and run it to the first user
    task `accueillir`. Timed: `task.data.update(...)`, `task.run()`,
    `wf.do_engine_steps()`.

(b) app — the same completion through HTTP with Flask's test client, logged in as
    claire.martin: the real form POST to /taches/<id> with its CSRF token (restore of
    the workflow from the database, validation, engine, dump, human-task index sync,
    audit, commit, redirect). Untimed: POST /parcours to create the journey before each
    timed call, and GET of the page the completion redirects to (as a browser does; it
    also consumes the flash message so the session cookie does not grow).

(c) reference only (--no-floor to skip): the cheapest authenticated request, GET /login
    when logged in (Flask, session cookie, user load, redirect) — what any HTTP call
    costs before the app does any work. It is not part of the ratio.

Database: $SPRO_DATABASE_URL when set (scripts/with_postgres.sh sets it), else a
temporary SQLite file. The tables are created and the demo data seeded; the script
refuses a database that already holds journeys unless --allow-existing-data is given,
because it adds ~2 journeys per iteration and does not clean them up.

Then (unless --profile-iterations 0), on separate untimed batches:
  * the share of the app's time in restore / engine / dump / DB flush+commit, from
    perf_counter wrappers put around those methods at runtime (no app file changes);
  * a cProfile cost tree and SQL statement count; the top cumulative and own-time
    entries go to a file (--profile-out, default in the temp dir).

Nothing here is tuned to meet the target (app median <= 5x library median): the ratio
is reported as measured.
"""
import argparse
import cProfile
import os
import platform
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_RATIO = 5.0
USERNAME = "claire.martin"
LIB_DATA = {"canal": "sur_place", "anonyme": False, "nom": "Durand", "public": "scolaire"}
FORM_DATA = {"canal": "sur_place", "anonyme": "false", "nom": "Durand", "public": "scolaire"}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_TASK_URL = re.compile(r"/taches/(\d+)$")


# -- helpers -------------------------------------------------------------------------------
def percentile(values, pct):
    """Linear-interpolated percentile (same as numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values_s):
    ms = [v * 1000 for v in values_s]
    return {"median": statistics.median(ms), "p95": percentile(ms, 95), "mean": statistics.fmean(ms),
            "min": min(ms), "max": max(ms)}


# -- (a) the bare library ----------------------------------------------------------------
class Library:
    def __init__(self):
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
        from SpiffWorkflow.util.task import TaskState

        parser = SpiffBpmnParser()
        processes = ROOT / "processes"
        parser.add_bpmn_files(sorted(str(p) for p in processes.glob("*.bpmn")))
        self.spec = parser.get_spec("accueil")
        self.subs = parser.get_subprocess_specs("accueil")
        self._workflow_cls = BpmnWorkflow
        self._ready = TaskState.READY

    def prepare(self):
        """Untimed: a fresh workflow run up to its first user task."""
        wf = self._workflow_cls(self.spec, self.subs)
        wf.do_engine_steps()
        task = wf.get_next_task(state=self._ready, manual=True)
        assert task is not None and task.task_spec.bpmn_id == "accueillir", task
        return wf, task

    def run_once(self):
        wf, task = self.prepare()
        t0 = time.perf_counter()
        task.data.update(LIB_DATA)
        task.run()
        wf.do_engine_steps()
        elapsed = time.perf_counter() - t0
        following = wf.get_next_task(state=self._ready, manual=True)
        assert following is not None and following.task_spec.bpmn_id == "analyser_demande", following
        return elapsed


# -- (b) the app over HTTP -----------------------------------------------------------------
class App:
    def __init__(self, url: str, allow_existing_data: bool):
        from sqlalchemy import func, select

        from webapp import create_app
        from webapp.config import TestConfig
        from webapp.demo import seed_demo
        from webapp.extensions import db
        from webapp.models import Journey

        self.db = db
        self.app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url,
                              LOGIN_RATE_LIMIT="100000 per minute")
        assert self.app.config["WTF_CSRF_ENABLED"], "CSRF must be on, as in production"
        with self.app.app_context():
            db.create_all()
            existing = db.session.scalar(select(func.count()).select_from(Journey))
            if existing and not allow_existing_data:
                sys.exit(f"complete_task.py: the database already holds {existing} journeys; "
                         "use a throwaway database or pass --allow-existing-data.")
            seed_demo()
            self.db_label = self._describe_db()
            self.dialect = db.engine.dialect.name
        self.client = self.app.test_client()
        self._login()

    def _describe_db(self) -> str:
        engine = self.db.engine
        url = engine.url.render_as_string(hide_password=True)
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                version = conn.exec_driver_sql("SHOW server_version").scalar()
            elif engine.dialect.name == "sqlite":
                version = conn.exec_driver_sql("select sqlite_version()").scalar()
            else:
                version = "?"
        return f"{engine.dialect.name} {version} ({engine.dialect.driver}) — {url}"

    def _csrf(self, html: str) -> str:
        match = _CSRF.search(html)
        assert match, "no CSRF token in the page"
        return match.group(1)

    def _login(self):
        from webapp.demo_data import DEMO_PASSWORD

        page = self.client.get("/login")
        response = self.client.post("/login", data={
            "username": USERNAME, "password": DEMO_PASSWORD,
            "csrf_token": self._csrf(page.get_data(as_text=True))})
        assert response.status_code in (302, 303), f"login failed: {response.status_code}"
        home = self.client.get("/")
        assert home.status_code == 200, home.status_code
        self.token = self._csrf(home.get_data(as_text=True))

    def prepare(self) -> int:
        """Untimed: start a journey (POST /parcours, as the 'Nouvel accueil' button does)."""
        response = self.client.post("/parcours", data={"process_key": "accueil", "csrf_token": self.token})
        assert response.status_code == 303, response.status_code
        match = _TASK_URL.search(response.headers["Location"])
        assert match, response.headers["Location"]
        return int(match.group(1))

    def post(self, task_id: int):
        """The timed call: the task form's POST."""
        return self.client.post(f"/taches/{task_id}", data={**FORM_DATA, "csrf_token": self.token})

    def finish(self, task_id: int, response):
        """Untimed: check the completion worked, then follow the redirect like a browser."""
        location = response.headers.get("Location", "")
        if response.status_code != 303 or location.endswith(f"/taches/{task_id}"):
            sys.exit(f"complete_task.py: completion of task {task_id} failed: "
                     f"HTTP {response.status_code} -> {location!r}\n{response.get_data(as_text=True)[:2000]}")
        page = self.client.get(location)
        assert page.status_code == 200, (location, page.status_code)
        assert "Analyser la demande" in page.get_data(as_text=True), "next task not shown"

    def run_once(self):
        task_id = self.prepare()
        t0 = time.perf_counter()
        response = self.post(task_id)
        elapsed = time.perf_counter() - t0
        self.finish(task_id, response)
        return elapsed

    def floor_once(self):
        """Reference only: the cheapest authenticated request (GET /login when logged in: Flask,
        session cookie, Flask-Login user load = 1 SELECT, a redirect; no view work, no write)."""
        t0 = time.perf_counter()
        response = self.client.get("/login")
        elapsed = time.perf_counter() - t0
        assert response.status_code in (302, 303), f"floor request: HTTP {response.status_code}"
        return elapsed

    def close(self):
        with self.app.app_context():
            self.db.session.remove()
            self.db.engine.dispose()


# -- profile of the app's completion -------------------------------------------------------
def _resolve(dotted: str):
    """'package.module:Qual.name' -> the function's pstats key, or None when the app has changed."""
    import importlib
    module_name, _, qualname = dotted.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return _code_key(obj)


def _code_key(func):
    import inspect
    func = inspect.unwrap(getattr(func, "__func__", func))  # past @login_required & co.
    code = getattr(func, "__code__", None)
    return (code.co_filename, code.co_firstlineno, code.co_name) if code else None


def timed_shares(app: App, iterations: int) -> dict:
    """Real (unprofiled) time in restore / engine / dump / DB flush+commit, measured on a separate
    untimed batch by wrapping those methods with perf_counter at runtime (no app file is changed)."""
    import functools

    from sqlalchemy.orm.session import Session

    from webapp.workflow.engine import Instance

    spent = {"restore": 0.0, "engine": 0.0, "dump": 0.0, "db": 0.0}
    depth = dict.fromkeys(spent, 0)  # commit calls flush: count only the outermost call

    def wrapped(func, bucket):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            depth[bucket] += 1
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                depth[bucket] -= 1
                if depth[bucket] == 0:
                    spent[bucket] += time.perf_counter() - t0
        return wrapper

    targets = [(Instance, "restore", "restore"), (Instance, "complete", "engine"), (Instance, "dump", "dump"),
               (Session, "flush", "db"), (Session, "commit", "db")]
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in targets]
    for owner, name, bucket in targets:
        attr = owner.__dict__[name]
        if isinstance(attr, classmethod):
            setattr(owner, name, classmethod(wrapped(attr.__func__, bucket)))
        else:
            setattr(owner, name, wrapped(attr, bucket))
    per_call = {bucket: [] for bucket in spent}
    totals = []
    try:
        for _ in range(iterations):
            task_id = app.prepare()
            before = dict(spent)
            t0 = time.perf_counter()
            response = app.post(task_id)
            totals.append(time.perf_counter() - t0)
            for bucket in spent:
                per_call[bucket].append(spent[bucket] - before[bucket])
            app.finish(task_id, response)
    finally:
        for owner, name, attr in saved:
            setattr(owner, name, attr)
    # medians, robust to the odd slow fsync or descheduling; they need not add up exactly
    medians = {bucket: statistics.median(values) for bucket, values in per_call.items()}
    rest = statistics.median(t - sum(per_call[b][i] for b in spent) for i, t in enumerate(totals))
    return {"total": statistics.median(totals), "medians": medians, "rest": rest}


# (depth, label, what): what is "module:Qualified.name" (that function's cumulative time,
# wherever it is called) or the name of a value computed in profile_app from caller edges.
_SA = "sqlalchemy.orm.session:"
COST_TREE = [
    (0, "request handling outside the view (ctx, session cookie, limiter, CSRF, user load)", "outside"),
    (1, "CSRF check", "flask_wtf.csrf:CSRFProtect.protect"),
    (1, "Flask-Login user load (SELECT app_user)", "webapp.views.security:_load_user"),
    (0, "view tasks.complete", "webapp.views.tasks:complete"),
    (1, "task_for + _form_of (SELECT task, lazy journey + definition, expand)", "view_prologue"),
    (1, "operations.complete_task", "webapp.operations.journeys:complete_task"),
    (2, "SELECT task, journey FOR UPDATE, refresh task", "op_reads"),
    (2, "form expand + jsonschema validate", "op_validate"),
    (2, "workflow restore (Instance.restore)", "webapp.workflow.engine:Instance.restore"),
    (2, "engine step (Instance.complete)", "webapp.workflow.engine:Instance.complete"),
    (2, "save_state (dump + human-task index + flush)", "webapp.operations.task_index:save_state"),
    (3, "dump (Instance.dump)", "webapp.workflow.engine:Instance.dump"),
    (2, "audit.record", "webapp.operations.audit:record"),
    (1, "db.session.commit (flush audit + COMMIT)", _SA + "Session.commit"),
    (1, "_next_open_task (new transaction, reloads expired rows)", "webapp.views.tasks:_next_open_task"),
]


def profile_app(app: App, iterations: int, out_path: Path):
    from sqlalchemy import event

    profiler = cProfile.Profile()
    statements = {}
    counting = [False]

    def count(_conn, _cursor, statement, *_args):
        if counting[0]:
            verb = statement.lstrip().split(None, 1)[0].upper()
            statements[verb] = statements.get(verb, 0) + 1

    def count_commit(_conn):
        if counting[0]:
            statements["COMMIT"] = statements.get("COMMIT", 0) + 1

    with app.app.app_context():
        engine = app.db.engine
    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "commit", count_commit)
    wall = 0.0
    try:
        for _ in range(iterations):
            task_id = app.prepare()
            counting[0] = True
            t0 = time.perf_counter()
            profiler.enable()
            response = app.post(task_id)
            profiler.disable()
            wall += time.perf_counter() - t0
            counting[0] = False
            app.finish(task_id, response)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "commit", count_commit)

    raw = pstats.Stats(profiler).stats  # {key: (cc, nc, tt, ct, callers)}

    def cum(dotted):
        key = _resolve(dotted)
        return None if key is None else raw.get(key, (0, 0, 0, 0.0, {}))[3]

    def edge(callee, caller):
        k_callee, k_caller = _resolve(callee), _resolve(caller)
        if k_callee is None or k_caller is None:
            return None
        return raw.get(k_callee, (0, 0, 0, 0.0, {}))[4].get(k_caller, (0, 0, 0, 0.0))[3]

    def add(*values):
        return None if any(v is None for v in values) else sum(values)

    total = raw[_code_key(App.post)][3]
    view = "webapp.views.tasks:complete"
    op = "webapp.operations.journeys:complete_task"
    flush, commit = cum(_SA + "Session.flush"), cum(_SA + "Session.commit")
    flush_in_commit = edge(_SA + "Session.flush", _SA + "SessionTransaction._prepare_impl")
    shares = {
        "workflow restore": cum("webapp.workflow.engine:Instance.restore"),
        "engine step (task.run + engine steps)": cum("webapp.workflow.engine:Instance.complete"),
        "dump": cum("webapp.workflow.engine:Instance.dump"),
        "DB flush/commit (Session.flush + Session.commit)": add(flush, commit,
                                                                 None if flush_in_commit is None else -flush_in_commit),
    }
    shares["everything else (HTTP, login, CSRF, SELECTs, validation, index, audit...)"] = \
        total - sum(v or 0 for v in shares.values())
    computed = {
        "outside": None if cum(view) is None else total - cum(view),
        "view_prologue": add(edge("webapp.queries.tasks:task_for", view), edge("webapp.views.tasks:_form_of", view)),
        "op_reads": add(edge("webapp.queries.tasks:task_for", op), cum("webapp.operations.journeys:_lock_journey"),
                        edge("sqlalchemy.orm.scoping:scoped_session.refresh", op)),
        "op_validate": add(edge("webapp.task_forms:expand", op), edge("webapp.task_forms:validate", op)),
    }
    tree = [(depth, label, computed[what] if what in computed else cum(what)) for depth, label, what in COST_TREE]
    tree.append((0, "[overlaps the above] ORM reads: SELECTs, lazy loads, refresh (excl. autoflush)",
                 add(cum(_SA + "Session._execute_internal"),
                     None if edge(_SA + "Session.flush", _SA + "Session._autoflush") is None
                     else -edge(_SA + "Session.flush", _SA + "Session._autoflush"))))
    tree.append((0, "[overlaps the above] ORM writes: flush + commit", shares["DB flush/commit (Session.flush + Session.commit)"]))
    tree.append((0, "[overlaps the above] SQL execution incl. compile (Connection._execute_context)",
                 cum("sqlalchemy.engine.base:Connection._execute_context")))

    with open(out_path, "w", encoding="utf-8") as fh:
        fh.write(f"cProfile of {iterations} app completions (POST /taches/<id>), database: {app.db_label}\n")
        fh.write(f"profiled wall time {wall * 1000:.1f} ms, profiler total in App.post {total * 1000:.1f} ms\n")
        fh.write(f"SQL per completion: {_statements_line(statements, iterations)}\n\n")
        fh.write("shares under the profiler (% of App.post, ms per completion):\n")
        for label, seconds in shares.items():
            fh.write(_tree_line(0, label, seconds, total, iterations) + "\n")
        fh.write("\ncost tree (% of App.post, ms per completion under the profiler):\n")
        for depth, label, seconds in tree:
            fh.write(_tree_line(depth, label, seconds, total, iterations) + "\n")
        sections = (("top 15 by cumulative time", "cumulative", (15,)),
                    ("top 40 by cumulative time, app/engine/ORM session only", "cumulative",
                     (r"webapp|SpiffWorkflow|orm/session\.py|flask_wtf|flask_login|jsonschema", 40)),
                    ("top 15 by own time", "tottime", (15,)))
        for title, sort, restrictions in sections:
            fh.write(f"\n===== {title} =====\n")
            fh.flush()
            pstats.Stats(profiler, stream=fh).sort_stats(sort).print_stats(*restrictions)
    return {"total": total, "n": iterations, "shares": shares, "tree": tree, "statements": statements}


def _statements_line(statements: dict, n: int) -> str:
    per = {verb: count / n for verb, count in sorted(statements.items())}
    executed = sum(v for k, v in per.items() if k != "COMMIT")
    return f"{executed:g} statements (" + ", ".join(f"{k} {v:g}" for k, v in per.items()) + ")"


def _tree_line(depth, label, seconds, total, n) -> str:
    if seconds is None:
        return f"  {'n/a':>6}  {'':>8}  {'  ' * depth}{label} (not found: the app changed?)"
    return f"  {seconds / total * 100:5.1f}%  {seconds / n * 1000:6.2f} ms  {'  ' * depth}{label}"


def _code_version() -> str:
    """The checkout's commit, and whether the app's files differ from it (read-only git calls)."""
    import subprocess
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "webapp", "processes", "forms"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    changed = [line[3:] for line in dirty.splitlines()]
    return f"{head}" + (f" + uncommitted changes in {', '.join(changed)}" if changed else " (clean)")


def _loadavg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


# -- main --------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200, help="timed iterations of each (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed warm-up rounds (default 20)")
    parser.add_argument("--profile-iterations", type=int, default=50,
                        help="app completions in the separate cProfile batch; 0 disables it (default 50)")
    parser.add_argument("--profile-out", type=Path, default=None,
                        help="where to write the cProfile top entries (default: a file in the temp dir)")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the reference measurement (c) of the cheapest authenticated request")
    parser.add_argument("--allow-existing-data", action="store_true",
                        help="run even if the database already holds journeys")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.warmup < 0 or args.profile_iterations < 0:
        parser.error("iterations must be >= 1, warmup and profile-iterations >= 0")

    tmpdir = None
    url = os.environ.get("SPRO_DATABASE_URL")
    if not url:
        tmpdir = tempfile.TemporaryDirectory(prefix="spro-bench-")
        url = f"sqlite:///{Path(tmpdir.name) / 'bench.sqlite'}"

    library = Library()
    app = App(url, args.allow_existing_data)
    try:
        print(f"database : {app.db_label}")
        print(f"python   : {platform.python_version()} on {platform.platform()}")
        print(f"code     : {_code_version()}")
        print(f"load avg : {_loadavg()} at start ({os.cpu_count()} CPUs)")
        print(f"rounds   : {args.warmup} warm-up + {args.iterations} timed, library / app"
              f"{'' if args.no_floor else ' / floor'} interleaved (order rotates each round)")

        runners = {"library": library.run_once, "app": app.run_once}
        if not args.no_floor:
            runners["floor"] = app.floor_once
        times = {name: [] for name in runners}
        names = list(runners)
        for i in range(args.warmup + args.iterations):
            shift = i % len(names)  # rotate the order every round
            for name in names[shift:] + names[:shift]:
                elapsed = runners[name]()
                if i >= args.warmup:
                    times[name].append(elapsed)

        lib, web = summary(times["library"]), summary(times["app"])
        print(f"load avg : {_loadavg()} after the timed rounds")
        print()
        print(f"{'':34}{'median':>9}{'p95':>9}{'mean':>9}{'min':>9}{'max':>9}   (ms, n={args.iterations})")
        rows = [("(a) library, in memory", lib), ("(b) app, HTTP POST + DB", web)]
        if "floor" in times:
            rows.append(("(c) floor, GET /login logged in", summary(times["floor"])))
        for label, s in rows:
            print(f"{label:34}" + "".join(f"{s[k]:>9.3f}" for k in ("median", "p95", "mean", "min", "max")))
        ratio_median = web["median"] / lib["median"]
        ratio_p95 = web["p95"] / lib["p95"]
        print()
        print(f"ratio app/library: median {ratio_median:.1f}x, p95 {ratio_p95:.1f}x")
        verdict = "MET" if ratio_median <= TARGET_RATIO else "NOT MET"
        print(f"target app <= {TARGET_RATIO:g}x library (medians): {verdict} "
              f"({ratio_median:.1f}x; p95 {ratio_p95:.1f}x)")
        if "floor" in times:
            floor = summary(times["floor"])
            print(f"reference: the cheapest authenticated request (c) alone is {floor['median'] / lib['median']:.1f}x "
                  f"the library's median; the completion costs {web['median'] - floor['median']:.3f} ms above it")

        if args.profile_iterations:
            n = args.profile_iterations
            shares = timed_shares(app, n)
            total, medians = shares["total"], shares["medians"]
            print()
            print(f"share of the app's time (separate untimed batch of {n}, perf_counter wrappers around "
                  f"the methods; medians per completion, total {total * 1000:.2f} ms):")
            labels = {"restore": "workflow restore (Instance.restore)",
                      "engine": "engine step (Instance.complete: task.run + engine steps)",
                      "dump": "dump (Instance.dump)", "db": "DB flush/commit (Session.flush + Session.commit)"}
            for bucket, label in labels.items():
                print(_tree_line(0, label, medians[bucket], total, 1))
            print(_tree_line(0, "everything else (HTTP, session, login, CSRF, SELECTs, validation, index, audit)",
                             shares["rest"], total, 1))

            out = args.profile_out or \
                Path(tempfile.gettempdir()) / f"spro-bench-complete_task-{app.dialect}.prof.txt"
            prof = profile_app(app, n, out)
            total, n = prof["total"], prof["n"]
            print()
            print(f"cProfile of another batch of {n} ({total / n * 1000:.2f} ms per completion under the "
                  f"profiler, which inflates Python-heavy parts more than SQL/IO):")
            print(f"SQL per completion: {_statements_line(prof['statements'], n)}")
            print("cost tree (% of the profiled POST, ms per completion under the profiler):")
            for depth, label, seconds in prof["tree"]:
                print(_tree_line(depth, label, seconds, total, n))
            print(f"profile (cost tree, top cumulative and own-time entries) written to {out}")
    finally:
        app.close()
        if tmpdir is not None:
            tmpdir.cleanup()


if __name__ == "__main__":
    main()
