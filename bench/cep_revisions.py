#!/usr/bin/env python
"""Benchmark: a CEP journey whose funding plan is revised 50 times — does the last revision cost
about what the first did?

    .venv/bin/python bench/cep_revisions.py [--revisions 50] [--journeys 3]
    bash scripts/with_postgres.sh .venv/bin/python bench/cep_revisions.py

Each revision is three completions through the operations (`complete_task`, each committed as
a request would): the plan (CPF 3 200 € + Transitions Pro 5 200 €), the deposit of the
Transitions Pro request (the CPF, granted once, is carried over), and Transitions Pro's partial
decision, which sends the journey to the next revision. After the last one Transitions Pro grants
the whole amount and the training start is confirmed.

Several journeys are driven side by side, revision by revision, so that machine noise hits early
and late revisions alike. Printed: per revision, the median time of the three completions over
the journeys and the stored state size; then the ratio of the last five revisions' median to the
first five's. Database: $SPRO_DATABASE_URL when set, else a temporary SQLite file (seeded with
the reference data, structures, users and definitions).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ADVISER = "sophie.marchand"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--revisions", type=int, default=50)
    parser.add_argument("--journeys", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("SPRO_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/cep_bench.sqlite"

    from sqlalchemy import select
    from webapp import create_app
    from webapp.config import Config
    from webapp.demo import seed_demo
    from webapp.extensions import db
    from webapp.models import HumanTask, Journey, User
    from webapp.operations.journeys import complete_task, start_journey

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        if db.session.scalar(select(Journey.id).limit(1)) is not None:
            sys.exit("This database already holds journeys: give an empty one.")
        seed_demo()
        db.session.commit()
        adviser = db.session.scalar(select(User).where(User.username == ADVISER))
        today = date.today()

        def open_task(journey_id, bpmn_id):
            return db.session.scalars(select(HumanTask).where(
                HumanTask.journey_id == journey_id, HumanTask.status == "ouverte",
                HumanTask.bpmn_id == bpmn_id).order_by(HumanTask.id)).all()

        def complete(journey_id, bpmn_id, data, pick=None):
            tasks = open_task(journey_id, bpmn_id)
            task = next(t for t in tasks if pick is None or pick in t.title)
            start = time.perf_counter()
            complete_task(adviser, task.id, data)
            db.session.commit()
            return time.perf_counter() - start

        journeys = []
        for _ in range(args.journeys):
            journey = start_journey(adviser, "cep")
            db.session.commit()
            journeys.append(journey.id)
            complete(journey.id, "accueil_individualise", {
                "date_entretien": today.isoformat(), "situation_professionnelle": "salarie_prive",
                "situation": "Assistante commerciale.", "demande": "Reconversion.", "demission_reconversion": False,
                "suite": "validation"})
            complete(journey.id, "valider_projet", {
                "date_validation": today.isoformat(), "criteres": ["coherence_profil", "debouches", "formation_adaptee"],
                "decision_projet": "valide", "motifs": "Projet cohérent."})
        plan = {"formation_visee": "Diplôme d'État d'aide-soignant", "organisme_formation": "IFAS de Tours",
                "date_debut": (today + timedelta(days=60)).isoformat(),
                "date_fin": (today + timedelta(days=400)).isoformat(), "duree_heures": 1540,
                "cout_pedagogique": "8000", "frais_annexes": "400", "solde_cpf": "3200",
                "financements": {"cpf": "3200", "transitions_pro": "5200"}, "decision_plan": "soumettre"}
        deposit = {"date_depot": today.isoformat(), "reference_dossier": "D-1"}
        rows = []
        for revision in range(1, args.revisions + 1):
            times = []
            last = revision == args.revisions
            for journey_id in journeys:
                spent = complete(journey_id, "plan_financement", plan)
                for _task in open_task(journey_id, "preparer_demande"):
                    spent += complete(journey_id, "preparer_demande", deposit)
                granted = {"decision_financeur": "accorde", "date_decision": today.isoformat()}
                partial = {"decision_financeur": "partiel", "montant_accorde": "5000", "date_decision": today.isoformat()}
                for task in open_task(journey_id, "decision_financeur"):  # the CPF (first plan only) grants all
                    funder = task.title.split(" — ")[-1]
                    spent += complete(journey_id, "decision_financeur",
                                      granted if last or funder.startswith("CPF") else partial, pick=funder)
                times.append(spent / 3 if revision > 1 else spent / 5)
            size = len(db.session.get(Journey, journeys[0]).state)
            rows.append((revision, statistics.median(times) * 1000, size))
            if revision in (1, 2, 5, 10, 20, 30, 40, 50) or last:
                print(f"revision {revision:3d}: {rows[-1][1]:7.1f} ms per completion (median of {len(journeys)}), "
                      f"state {size / 1024:7.1f} KiB", flush=True)
        for journey_id in journeys:
            complete(journey_id, "confirmer_entree", {"entree": "confirmee", "date_entree": today.isoformat()})
        ends = [db.session.get(Journey, j) for j in journeys]
        print("ends:", sorted({(j.status, j.end_event) for j in ends}))
        first = statistics.median(r[1] for r in rows[:5])
        late = statistics.median(r[1] for r in rows[-5:])
        print(f"first five revisions: {first:.1f} ms; last five: {late:.1f} ms; ratio {late / first:.2f}")
        print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
