#!/usr/bin/env python
"""Benchmark: throughput of the real server under N counsellors working without pause (PostgreSQL).

    bash scripts/with_postgres.sh .venv/bin/python bench/load.py                       # 50 then 200 users, 30 s each
    bash scripts/with_postgres.sh .venv/bin/python bench/load.py --users 20 --seconds 10   # a quick run

Preparation, as an operator would do it: `spro db upgrade`, `spro seed-demo`, then (in this process)
N counsellor accounts (role conseiller, spread over five demo structures), one API token each and
two receptions waiting in each one's « Mes tâches ». Then the server users get: `spro serve`
(gunicorn, SPRO_WEB_WORKERS × SPRO_WEB_THREADS, default one per CPU plus one × 1) and one `spro worker`, both as
subprocesses; their log goes to a file in the temp dir.

The driver is a closed loop: each simulated counsellor opens a new HTTP/1.1 connection per request,
as nginx does towards the app by default (`--connections keep-alive`: one persistent connection per
counsellor, as clients talking to gunicorn directly; gunicorn's default `sync` workers close each
connection after its answer, and with SPRO_WEB_THREADS > 1 a `gthread` process keeps each connection
it accepted, which can leave one process idle at 50 users) (asyncio streams,
bench/_http.py, one process, one thread) and sends its next request as soon as it
has the answer to the previous one (no think time). Each counsellor repeats, through the public API
(/api/v1, bearer token):

  1. its list: `GET /tasks?scope=mine` (« Mes tâches ») one time, `GET /tasks?scope=queue` (the
     structure's queue) the next;
  2. a dossier: `GET /people/<id>` of a person of that list (else of its last reception);
  3. a reception: `POST /journeys {"process_key": "accueil"}`;
  4. its tasks: `POST /tasks/<id>/complete` for « Accueillir la personne » (named, Orléans), then
     « Analyser la demande »: one loop in two the answer is documentation (the journey ends), the
     other an orientation: `GET /tasks/<id>` of « Choisir le partenaire » (its form lists the
     partners, suggestions first), complete it with the first one, then « Informer la personne »:
     the referral is sent and waits in the partner's queue.

Two loops are thus 13 requests, 6 of them completions (46 %). A request that fails ends the loop
(the counsellor starts the next one). After a warm-up (--warmup seconds, not counted), requests that
end within the next --seconds are counted. Per level: requests/s, completions/s, p50/p95/p99 of all
requests and of completions alone, per kind, errors (count and the first distinct ones), the load
average before and after, and the CPU seconds of the server (gunicorn's tree), the worker,
PostgreSQL (its server's process tree) and this driver over the counted window. The review's
figures from before this work are printed beside them.
"""
import argparse
import asyncio
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _http import Connection, HttpError  # noqa: E402
from _load_setup import Servers, prepare, run_cli, server_env  # noqa: E402
from _proc import machine_cpu_seconds, postmaster_pid, self_cpu_seconds, tree_cpu_seconds  # noqa: E402

from webapp.config import Config  # noqa: E402  (the server's processes and threads, as spro serve reads them)

STRUCTURES = ["ml-orleans", "cio-orleans", "ft-orleans", "ml-touraine", "ml-chartres"]
REVIEW = {"completions/s": 14.0, "p95 ms": 1800.0}  # the review's measurement, 50 users, before this work
TARGET_COMPLETIONS = 5 * REVIEW["completions/s"]
TARGET_P95_MS = 300.0
ACCUEIL = {"canal": "sur_place", "anonyme": False, "prenom": "Léa", "public": "scolaire", "commune": "Orléans"}
INFORMATION = {"personne_informee": True, "mode_information": "entretien",
               "donnees_partagees": ["identite", "situation", "demande"]}


class Failed(Exception):
    """A request of the loop did not get the expected answer; `counted` when Stats already has it."""

    def __init__(self, message: str, counted: bool = True):
        super().__init__(message)
        self.counted = counted


class Stats:
    """What the counted window saw: latencies per kind, completions, errors."""

    def __init__(self):
        self.counting = False
        self.start = self.end = 0.0
        self.latencies: dict[str, list[float]] = {}
        self.errors = 0
        self.samples: Counter = Counter()
        self.reconnects = 0

    def add(self, kind: str, seconds: float, finished: float, error: str | None) -> None:
        if not self.counting or not (self.start <= finished <= self.end):
            return
        if error is None:
            self.latencies.setdefault(kind, []).append(seconds)
        else:
            self.errors += 1
            self.samples[f"{kind}: {error}"] += 1


class Counsellor:
    def __init__(self, number: int, token: str, port: int, stats: Stats, theme: str, per_request: bool):
        self.number, self.stats, self.theme = number, stats, theme
        self.conn = Connection("127.0.0.1", port, per_request=per_request)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.loop = number  # so that half the counsellors start with an orientation
        self.last_person = None

    async def call(self, kind: str, method: str, path: str, body=None, expect: int = 200):
        import json
        started = time.perf_counter()
        if started >= self.stats.end:  # the counted window is over: no new request
            raise Failed("stopped")
        error = None
        try:
            status, data = await self.conn.request(method, path, self.headers, body)
            if status != expect:
                error = f"HTTP {status} {data[:160].decode('utf-8', 'replace')}"
        except HttpError as exc:
            error = str(exc)
        finished = time.perf_counter()
        self.stats.add(kind, finished - started, finished, error)
        if error:
            raise Failed(error)
        return json.loads(data)

    async def complete(self, task: dict, data: dict) -> dict:
        return await self.call("complete", "POST", f"/api/v1/tasks/{task['id']}/complete", {"data": data})

    async def one_loop(self) -> None:
        self.loop += 1
        scope = "mine" if self.loop % 2 else "queue"
        page = await self.call(f"list {scope}", "GET", f"/api/v1/tasks?scope={scope}")
        people = [item["person_id"] for item in page["items"]]
        person = random.choice(people) if people else self.last_person
        if person:
            await self.call("dossier", "GET", f"/api/v1/people/{person}")
        started = await self.call("start", "POST", "/api/v1/journeys", {"process_key": "accueil"}, expect=201)
        self.last_person = started["journey"]["person_id"]
        done = await self.complete(_step(started["tasks"], "accueillir"),
                                   {**ACCUEIL, "nom": f"Banc{self.number}x{self.loop}"})
        analyse = {"thematiques": [self.theme], "besoins": "Choisir un métier", "urgence": "normale"}
        step = _step(done["next_tasks"], "analyser_demande")
        if self.loop % 2:
            await self.complete(step, {**analyse, "reponse": "documentation",
                                       "documentation_remise": "Fiches métiers"})
            return
        done = await self.complete(step, {**analyse, "reponse": "orientation"})
        choice = await self.call("task form", "GET", f"/api/v1/tasks/{_step(done['next_tasks'], 'choisir_partenaire')['id']}")
        partners = choice["form"]["schema"]["properties"]["partenaire_id"].get("oneOf") or []
        if not partners:
            raise Failed("no partner offered", counted=False)
        done = await self.complete(choice, {"decision": "orienter", "partenaire_id": partners[0]["const"],
                                            "motif": "Projet d'orientation scolaire"})
        await self.complete(_step(done["next_tasks"], "informer_personne"), INFORMATION)

    async def run(self, stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            try:
                await self.one_loop()
            except Failed as exc:
                if not exc.counted:
                    self.stats.add("mix", 0.0, time.perf_counter(), str(exc))
            except (KeyError, TypeError, ValueError) as exc:  # an answer without what the mix reads
                self.stats.add("mix", 0.0, time.perf_counter(), f"{type(exc).__name__}: {exc}")
        self.stats.reconnects += self.conn.reconnects
        self.conn.reconnects = 0


def _step(tasks: list, bpmn_id: str) -> dict:
    found = [t for t in tasks if t["bpmn_id"] == bpmn_id]
    if not found:
        raise Failed(f"« {bpmn_id} » missing from the answer's open tasks", counted=False)
    return found[0]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile, in ms."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


async def drive(counsellors: list[Counsellor], stats: Stats, warmup: float, seconds: float, cpu_probe) -> dict:
    now = time.perf_counter()
    stats.start, stats.end = now + warmup, now + warmup + seconds
    tasks = [asyncio.create_task(c.run(stats.end)) for c in counsellors]
    await asyncio.sleep(warmup)
    stats.counting = True
    before = cpu_probe()
    await asyncio.sleep(max(0.0, stats.end - time.perf_counter()))
    after = cpu_probe()
    await asyncio.gather(*tasks)
    for c in counsellors:
        await c.conn.close()
    return {name: after[name] - before[name] for name in before}


def report(users: int, seconds: float, stats: Stats, cpu: dict, loads: tuple) -> dict:
    every = [v for values in stats.latencies.values() for v in values]
    completions = stats.latencies.get("complete", [])
    figures = {"users": users, "requests/s": len(every) / seconds, "completions/s": len(completions) / seconds,
               "p95 all": percentile(every, 95) if every else float("nan"),
               "p95 completions": percentile(completions, 95) if completions else float("nan"),
               "errors": stats.errors}
    print(f"\n== {users} counsellors, {seconds:.0f} s counted ==")
    print(f"  requests/s {figures['requests/s']:7.1f}   completions/s {figures['completions/s']:6.1f}   "
          f"(review, before this work, 50 users: {REVIEW['completions/s']:.0f} completions/s; target "
          f"≥ {TARGET_COMPLETIONS:.0f})")
    for label, values in (("all requests", every), ("completions", completions)):
        if values:
            print(f"  {label:<14} p50 {percentile(values, 50):7.0f} ms  p95 {percentile(values, 95):7.0f} ms  "
                  f"p99 {percentile(values, 99):7.0f} ms  ({len(values)})")
    print(f"  review's p95 before this work, 50 users: {REVIEW['p95 ms']:.0f} ms; target at 50 users: "
          f"≤ {TARGET_P95_MS:.0f} ms")
    for kind in sorted(stats.latencies):
        values = stats.latencies[kind]
        print(f"    {kind:<12} {len(values) / seconds:6.1f}/s  p50 {percentile(values, 50):6.0f} ms  "
              f"p95 {percentile(values, 95):6.0f} ms  p99 {percentile(values, 99):6.0f} ms")
    print(f"  errors: {stats.errors}" + (f"; reconnections after the server closed an idle connection: "
                                        f"{stats.reconnects}" if stats.reconnects else ""))
    for sample, count in stats.samples.most_common(5):
        print(f"    {count} × {sample}")
    machine = {name: cpu.pop(name) for name in ("machine busy", "machine idle")}
    cores = " ".join(f"{name} {value:.1f} s ({value / seconds:.2f} cores)" for name, value in cpu.items())
    print(f"  CPU over the counted window: {cores}")
    others = machine["machine busy"] - sum(cpu.values())
    print(f"  the whole machine: {machine['machine busy'] / seconds:.2f} cores busy, "
          f"{machine['machine idle'] / seconds:.2f} idle; other processes than these ≈ {others / seconds:.2f} cores")
    serving = sum(value for name, value in cpu.items() if name != "driver")
    if every and completions and serving:
        # What the figures would be with every CPU given to the server, worker and PostgreSQL: a
        # ceiling that does not depend on what else the machine runs (queueing and locks aside).
        per_request = serving / len(every)
        figures["ceiling"] = (os.cpu_count() / per_request) * len(completions) / len(every)
        print(f"  server + worker + PostgreSQL CPU per request {1000 * per_request:.1f} ms, per completion "
              f"(the mix's share) {1000 * serving / len(completions):.1f} ms: with all {os.cpu_count()} CPUs, at "
              f"most ≈ {figures['ceiling']:.0f} completions/s")
    print(f"  load average before {loads[0]} after {loads[1]} ({os.cpu_count()} CPUs)")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--users", type=int, nargs="+", default=[50, 200], help="levels, run one after the other")
    parser.add_argument("--seconds", type=float, default=30.0, help="counted duration per level")
    parser.add_argument("--warmup", type=float, default=5.0, help="uncounted seconds before each level")
    parser.add_argument("--journeys-each", type=int, default=2, help="receptions waiting per counsellor at start")
    parser.add_argument("--connections", choices=("per-request", "keep-alive"), default="per-request",
                        help="a new connection per request, as nginx talks to the app by default (default), or one "
                             "keep-alive connection per counsellor, as clients talking to gunicorn directly")
    args = parser.parse_args()
    url = os.environ.get("SPRO_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print("This bench runs on PostgreSQL only (SQLite serialises writers): "
              "bash scripts/with_postgres.sh .venv/bin/python bench/load.py")
        return 2
    env = server_env()
    os.environ["SPRO_SECRET_KEY"] = env["SPRO_SECRET_KEY"]
    print(f"load average at start: {os.getloadavg()} ({os.cpu_count()} CPUs)")
    run_cli("db", "upgrade", env=env)
    run_cli("seed-demo", env=env)
    ready = prepare(max(args.users), STRUCTURES, args.journeys_each)
    print(f"PostgreSQL {ready['postgres']}; {max(args.users)} counsellors in {', '.join(STRUCTURES)}, "
          f"{args.journeys_each} receptions each seeded in {ready['seed_seconds']:.0f} s")
    log = Path(tempfile.gettempdir()) / f"spro-load-{os.getpid()}.log"
    servers = Servers(env, log)
    postmaster = postmaster_pid(ready["data_directory"]) if ready["data_directory"] else None

    def cpu_probe() -> dict:
        found = {"server": tree_cpu_seconds(servers.web.pid), "worker": tree_cpu_seconds(servers.worker.pid)}
        if postmaster:
            found["PostgreSQL"] = tree_cpu_seconds(postmaster)
        found["driver"] = self_cpu_seconds()
        found["machine busy"], found["machine idle"] = machine_cpu_seconds()
        return found
    rows = []
    try:
        servers.wait_ready()
        print(f"spro serve on 127.0.0.1:{servers.port} (workers × threads: {Config.WEB_WORKERS} × "
              f"{Config.WEB_THREADS}) and one spro worker; their log: {log}; connections: "
              f"{args.connections}")
        for users in args.users:
            stats = Stats()
            counsellors = [Counsellor(i, ready["tokens"][i], servers.port, stats, ready["theme"],
                                      args.connections == "per-request") for i in range(users)]
            load_before = os.getloadavg()
            cpu = asyncio.run(drive(counsellors, stats, args.warmup, args.seconds, cpu_probe))
            rows.append(report(users, args.seconds, stats, cpu, (load_before, os.getloadavg())))
    finally:
        servers.stop()
    print("\n| users | requests/s | completions/s | p95 all | p95 completions | errors | CPU ceiling |\n"
          "|---|---|---|---|---|---|---|")
    print(f"| 50 (review, before) | — | {REVIEW['completions/s']:.0f} | {REVIEW['p95 ms']:.0f} ms | — | — | — |")
    for row in rows:
        print(f"| {row['users']} | {row['requests/s']:.1f} | {row['completions/s']:.1f} | {row['p95 all']:.0f} ms | "
              f"{row['p95 completions']:.0f} ms | {row['errors']} | {row.get('ceiling', float('nan')):.0f}/s |")
    print(f"targets: ≥ {TARGET_COMPLETIONS:.0f} completions/s, p95 ≤ {TARGET_P95_MS:.0f} ms at 50 users, "
          f"0 errors at 200 users; load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
