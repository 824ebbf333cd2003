#!/usr/bin/env python
"""Benchmark: previewing and running the migration of N waiting journeys to a newer version.

    .venv/bin/python bench/migration.py [--journeys 1000]
    bash scripts/with_postgres.sh .venv/bin/python bench/migration.py

Setup (untimed): the demo data, then two real referrals driven through the operations, one
waiting at « Répondre à l'orientation reçue » and one at « Confirmer le premier contact »; each is
copied into N journeys (80 % / 20 %) with fresh task ids (the state's UUIDs replaced) and its open
task rows; then `orientation` is published again with « Confirmer le premier contact » due in 8
working days instead of 10, which gives `accueil` version 2.

Timed:
  (a) the preview as the screen computes it (queries/journey_migrations.preview: the stored
      states read as JSON, never restored);
  (b) for comparison, the same check made by restoring every journey (Instance.restore then
      VersionDiff.obstacle_in), which is what the run does under each journey's lock;
  (c) the run: start_migration then run_batch(200) until done, each journey in its own
      transaction (lock, restore, check, move, task index, counts, commit).

Database: $SPRO_DATABASE_URL when set, else a temporary SQLite file; it must hold no journeys.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _copies(journey, count: int):
    """`count` copies of a journey row and its open task rows, each with its own task ids."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import HumanTask, Journey
    rows = db.session.scalars(select(HumanTask).where(HumanTask.journey_id == journey.id,
                                                      HumanTask.status == "ouverte")).all()
    ids = sorted(set(UUID.findall(journey.state)))
    for _ in range(count):
        fresh = {old: str(uuid.uuid4()) for old in ids}
        state = UUID.sub(lambda m: fresh.get(m.group(0), m.group(0)), journey.state)
        copy = Journey(definition_version_id=journey.definition_version_id, process_key=journey.process_key,
                       person_id=journey.person_id, structure_id=journey.structure_id, status="en_cours",
                       state=state, next_timer_at=journey.next_timer_at, started_at=journey.started_at)
        db.session.add(copy)
        db.session.flush()
        for row in rows:
            db.session.add(HumanTask(
                journey_id=copy.id, definition_version_id=copy.definition_version_id, person_id=row.person_id,
                task_uuid=fresh[row.task_uuid], bpmn_id=row.bpmn_id, title=row.title, process_key=row.process_key,
                form_key=row.form_key, role=row.role, structure_id=row.structure_id, status="ouverte",
                due_at=row.due_at, created_at=row.created_at))
    db.session.commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--journeys", type=int, default=1000)
    args = parser.parse_args()
    url = os.environ.get("SPRO_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"

    from sqlalchemy import func, select

    from webapp import create_app
    from webapp.config import TestConfig
    from webapp.extensions import db
    from webapp.models import DefinitionVersion, Journey, JourneyMigration
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        if db.session.scalar(select(func.count(Journey.id))):
            sys.exit("La base contient déjà des parcours : donnez une base vide.")
        from webapp.demo import seed_demo
        seed_demo()
        from test_journey_migration import confirmation_due_in, publish_orientation
        from test_orientation import accept, send, start_referral
        answer = start_referral()
        send(answer)
        contact = start_referral()
        send(contact)
        accept(contact)
        movable = args.journeys * 4 // 5
        _copies(answer, movable - 1)
        _copies(contact, args.journeys - movable - 1)
        publish_orientation(confirmation_due_in(8))
        old, new = (db.session.scalar(select(DefinitionVersion).where(
            DefinitionVersion.process_key == "accueil", DefinitionVersion.version == n)) for n in (1, 2))
        print(f"{args.journeys} parcours en attente sur la version 1, base {db.engine.dialect.name}")

        from webapp.queries.journey_migrations import preview
        from webapp.workflow import Instance, version_diff
        version_diff(old.spec_json, new.spec_json)  # the comparison of the specs, once per pair
        db.session.commit()
        started = time.perf_counter()
        found = preview("accueil", 1, 2)
        preview_s = time.perf_counter() - started
        print(f"(a) prévisualisation (états lus en JSON) : {preview_s:.2f} s — "
              f"{found['movable']} peuvent passer, {found['kept']} restent")

        db.session.commit()
        started = time.perf_counter()
        diff, blocked = version_diff(old.spec_json, new.spec_json), 0
        for state, in db.session.execute(select(Journey.state).where(Journey.definition_version_id == old.id)
                                         .execution_options(yield_per=200)):
            blocked += diff.obstacle_in(Instance.restore(old.spec_json, state)) is not None
        restore_s = time.perf_counter() - started
        print(f"(b) même vérification en restaurant chaque parcours : {restore_s:.2f} s — {blocked} restent "
              f"({restore_s / preview_s:.1f}× la prévisualisation)")

        from conftest import get_user
        from webapp.operations.journey_migrations import run_batch, start_migration
        db.session.commit()
        started = time.perf_counter()
        migration = start_migration(get_user("julien.mercier"), "accueil", 1, 2)
        db.session.commit()
        batches = 0
        while db.session.get(JourneyMigration, migration.id, populate_existing=True).status == "en_cours":
            run_batch(migration.id, 200)
            batches += 1
        run_s = time.perf_counter() - started
        migration = db.session.get(JourneyMigration, migration.id, populate_existing=True)
        print(f"(c) migration : {run_s:.2f} s en {batches} lots ({run_s / args.journeys * 1000:.1f} ms par parcours) — "
              f"{migration.moved} passés, {migration.kept} restés : {json.dumps(migration.kept_reasons, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
