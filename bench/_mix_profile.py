#!/usr/bin/env python
"""The load bench's mix, one request at a time in one process (Flask's test client), to find hot spots.

    bash scripts/with_postgres.sh .venv/bin/python bench/_mix_profile.py [--counsellors 10] [--loops 6]

Same preparation and same loop as bench/load.py, without server or concurrency: prints per kind of
request the median time and the SQL statements per request, then the app's functions by cumulative
time under cProfile (the whole profile goes to a file in the temp dir).
"""
import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counsellors", type=int, default=10)
    parser.add_argument("--loops", type=int, default=6, help="profiled loops per counsellor (after 3 untimed)")
    parser.add_argument("--no-profile", action="store_true",
                        help="no cProfile: the app's own CPU time per kind of request, undistorted")
    args = parser.parse_args()
    if not os.environ.get("SPRO_DATABASE_URL", "").startswith("postgresql"):
        print("Run on PostgreSQL: bash scripts/with_postgres.sh .venv/bin/python bench/_mix_profile.py")
        return 2
    os.environ.setdefault("SPRO_SECRET_KEY", os.urandom(24).hex())
    import load
    from _load_setup import prepare, run_cli
    from sqlalchemy import event
    from webapp import create_app
    from webapp.extensions import db
    run_cli("db", "upgrade", env=dict(os.environ))
    run_cli("seed-demo", env=dict(os.environ))
    ready = prepare(args.counsellors, load.STRUCTURES, 2)
    app = create_app()
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    statements, times, cpu, current = {}, {}, {}, {"kind": None}
    event.listen(engine, "before_cursor_execute",
                 lambda *_a: statements.__setitem__(current["kind"], statements.get(current["kind"], 0) + 1))

    class InProcess(load.Counsellor):
        """The bench's counsellor, its requests sent through the test client."""

        def __init__(self, number: int):
            self.number, self.theme, self.loop, self.last_person = number, ready["theme"], number, None
            self.headers = {"Authorization": f"Bearer {ready['tokens'][number]}"}

        async def call(self, kind, method, path, body=None, expect=200):
            current["kind"] = kind
            started, started_cpu = time.perf_counter(), time.process_time()
            answer = client.open(path, method=method, json=body, headers=self.headers)
            times.setdefault(kind, []).append(time.perf_counter() - started)
            cpu.setdefault(kind, []).append(time.process_time() - started_cpu)
            assert answer.status_code == expect, (path, answer.status_code, answer.get_data(as_text=True)[:300])
            return answer.get_json()

    counsellors = [InProcess(i) for i in range(args.counsellors)]
    log = Path(tempfile.gettempdir()) / f"spro-mix-profile-{os.getpid()}"
    profile = cProfile.Profile()
    with open(f"{log}.log", "w") as stream, contextlib.redirect_stderr(stream):
        for _ in range(3):
            for counsellor in counsellors:
                asyncio.run(counsellor.one_loop())
        statements.clear()
        times.clear()
        cpu.clear()
        if not args.no_profile:
            profile.enable()
        for _ in range(args.loops):
            for counsellor in counsellors:
                asyncio.run(counsellor.one_loop())
        profile.disable()
    print(f"load average {os.getloadavg()}")
    for kind in sorted(times):
        count = len(times[kind])
        print(f"  {kind:<12} {count:4d} requests  median {1000 * statistics.median(times[kind]):6.1f} ms  "
              f"(the app's CPU {1000 * statistics.mean(cpu[kind]):5.1f} ms)  "
              f"{statements.get(kind, 0) / count:5.1f} SQL statements per request")
    every = [c for values in cpu.values() for c in values]
    print(f"  the app's CPU per request over the mix: {1000 * statistics.mean(every):.1f} ms")
    if args.no_profile:
        return 0
    profile.dump_stats(f"{log}.prof")
    out = io.StringIO()
    pstats.Stats(f"{log}.prof", stream=out).sort_stats("cumulative").print_stats(r"webapp/", 40)
    print(out.getvalue())
    print(f"(profile: {log}.prof, the app's log: {log}.log)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
