#!/usr/bin/env python
"""Benchmark: does a late pass of a loop cost what the first did?

    .venv/bin/python bench/long_journey.py [--journeys 3] [--sessions 200]
    bash scripts/with_postgres.sh .venv/bin/python bench/long_journey.py

Two measures, side by side in one run:
1. Through the operations, as a request would: a « Prise en charge personnalisée » journey of the
   Mission Locale, its reception and interview done, then its counselling sessions up to the loop's
   documented maximum (200), each `complete_task` committed. Several journeys are driven session
   by session, so that machine noise hits early and late sessions alike. Printed: the median time
   of one session over the journeys at a few points, the stored state size, the SQL statements of
   one completion; then the ratio of the last five sessions' median to the first five's.
2. The engine alone (restore, complete, dump) over a 500-pass loop task (the loop ceiling):
   the first five passes against the last five.
Database: $SPRO_DATABASE_URL when set, else a temporary SQLite file (seeded with the reference data,
structures, users and definitions).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COUNSELLOR = "claire.martin"
POINTS = (1, 2, 10, 50, 100, 150, 199, 200, 300, 400, 499, 500)


def _through_the_operations(journeys: int, sessions: int) -> tuple[float, float]:
    from sqlalchemy import event, select
    from webapp import create_app
    from webapp.config import Config
    from webapp.demo import seed_demo
    from webapp.extensions import db
    from webapp.models import HumanTask, Journey, User
    from webapp.operations.journeys import complete_task, start_journey

    url = os.environ.get("SPRO_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/long_journey.sqlite"
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        if db.session.scalar(select(Journey.id).limit(1)) is not None:
            sys.exit("This database already holds journeys: give an empty one.")
        seed_demo()
        db.session.commit()
        counsellor = db.session.scalar(select(User).where(User.username == COUNSELLOR))
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))

        def complete(journey_id, data):
            task = db.session.scalar(select(HumanTask).where(
                HumanTask.journey_id == journey_id, HumanTask.status == "ouverte").order_by(HumanTask.id))
            task_id = task.id
            db.session.commit()  # a request starts with nothing in hand
            statements.clear()
            start = time.perf_counter()
            complete_task(counsellor, task_id, data)
            db.session.commit()
            return time.perf_counter() - start, len(statements)

        ids = []
        for _ in range(journeys):
            journey = start_journey(counsellor, "accueil")
            db.session.commit()
            ids.append(journey.id)
            complete(journey.id, {"canal": "sur_place", "anonyme": True, "public": "demandeur_emploi"})
            complete(journey.id, {"thematiques": ["choisir-un-metier--confirmer-son-choix-de-metier"],
                                  "besoins": "Construire un projet.", "urgence": "normale",
                                  "reponse": "prise_en_charge"})
            complete(journey.id, {"date_entretien": "2026-03-02", "notes": "Premier entretien.",
                                  "releve_du_champ": True, "conseil_approfondi": True})
        rows = []
        for n in range(1, sessions + 1):
            measures = [complete(j, {"date_seance": "2026-03-09", "notes": f"Séance {n}.", "autre_seance": True})
                        for j in ids]
            size = len(db.session.get(Journey, ids[0]).state)
            rows.append((statistics.median(m[0] for m in measures) * 1000, size, measures[0][1]))
            if n in POINTS or n == sessions:
                print(f"session {n:3d}: {rows[-1][0]:6.1f} ms (median of {journeys}), state {size:6d} characters, "
                      f"{rows[-1][2]} statements", flush=True)
        ends = {db.session.scalar(select(HumanTask.title).where(HumanTask.journey_id == j, HumanTask.status == "ouverte"))
                for j in ids}
        print(f"after {sessions} sessions the journeys wait at: {sorted(t or '(rien)' for t in ends)}")
        first = statistics.median(r[0] for r in rows[:5])
        late = statistics.median(r[0] for r in rows[-5:])
        return first, late


def _engine_alone(passes: int) -> tuple[float, float]:
    from webapp.workflow import Instance, compile_files
    fixture = ROOT / "tests" / "fixtures" / "hostile" / "loop_task_500.bpmn"
    spec = compile_files({fixture.name: fixture.read_bytes()})["loop_task_500"].spec_json
    state = Instance.start(spec).dump()
    times, sizes = [], {}
    for n in range(1, passes + 1):
        start = time.perf_counter()
        instance = Instance.restore(spec, state)
        task = instance.ready_user_tasks()[0]
        instance.complete(task.uuid, {"passage": n})
        state = instance.dump()
        times.append(time.perf_counter() - start)
        if n in (1, passes - 1):
            sizes[n] = len(state)
    print(f"engine alone, loop of {passes}: state {sizes[1]} characters after pass 1, "
          f"{sizes[passes - 1]} after pass {passes - 1}")
    return statistics.median(times[:5]) * 1000, statistics.median(times[-5:]) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--journeys", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--passes", type=int, default=500)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    first, late = _through_the_operations(args.journeys, args.sessions)
    print(f"through the operations: first five sessions {first:.1f} ms, last five {late:.1f} ms, "
          f"ratio {late / first:.2f}")
    first, late = _engine_alone(args.passes)
    print(f"engine alone: first five passes {first:.2f} ms, last five {late:.2f} ms, ratio {late / first:.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
