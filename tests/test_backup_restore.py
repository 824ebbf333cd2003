"""A backup made as docs/deployment.md says (`pg_dump --format=custom`) and restored with `pg_restore` into
a new database holds the same journeys, tasks, referrals and audit trail, and passes `spro check` with no
difference. PostgreSQL only: it dumps the suite's server (scripts/with_postgres.sh)."""
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from cep_steps import decide, level1, level2, open_cep, plan, submit_all, validate_project
from conftest import get_user
from processes_support import libpq, scratch_database
from test_orientation import accept, answer, confirm, do, send, start_referral, structure, the_task
from test_orientation_timers import fire_at, now  # noqa: F401  (the movable clock fixture)

from webapp.extensions import db
from webapp.operations.referrals import reassign_referral

SPRO = str(Path(sys.executable).parent / "spro")
COUNTED = ("journey", "human_task", "referral", "audit_event", "person", "outbox_message", "funding_request")


def _suite_url() -> str:
    url = os.environ.get("SPRO_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("pg_dump and pg_restore need PostgreSQL: run with scripts/with_postgres.sh "
                    "(SPRO_TEST_DATABASE_URL unset, the suite is on SQLite)")
    return url


def _client_tool(name: str) -> str:
    """pg_dump / pg_restore: PG_BINDIR's, else the newest Debian server folder's, else the PATH's."""
    folders = [Path(os.environ["PG_BINDIR"])] if os.environ.get("PG_BINDIR") else sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True)
    for folder in folders:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not found (PostgreSQL client tools); set PG_BINDIR")
    return found


def _counts(url: str) -> dict[str, int]:
    import psycopg
    with psycopg.connect(libpq(url)) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED}


def _journeys_in_every_state(now) -> None:
    """Waiting at the choice, at the partner's answer (timers pending, one reminded), at the first
    contact; refused then expired; reassigned by the coordinator; ended; a CEP with funding requests."""
    start_referral()
    reminded = start_referral()
    send(reminded)
    accepted = start_referral()
    send(accepted)
    accept(accepted)
    ended = start_referral()
    send(ended)
    accept(ended)
    confirm(ended)
    refused = start_referral()
    send(refused)
    answer(refused, {"reponse": "refuser", "motif_refus": "capacite"})
    send(refused, "ft-orleans")
    stuck = start_referral()
    stuck_referral = send(stuck)
    reassign_referral(get_user("olivier.lambert"), stuck_referral.id, structure("apec-orleans").id, "CIO fermé.", True)
    db.session.commit()
    abandoned = start_referral()
    do("claire.martin", the_task(abandoned, "choisir_partenaire"),
       {"decision": "abandonner", "motif_abandon": "Plus de besoin."})
    fire_at(now, datetime(2026, 5, 5, 9, 1))  # reminders
    fire_at(now, datetime(2026, 6, 12, 9, 1))  # the first referrals expire
    cep = open_cep()
    level1(cep)
    level2(cep)
    validate_project(cep)
    plan(cep, {"cpf": "3200", "transitions_pro": "5200"})
    submit_all(cep)
    decide(cep, "CPF", "accorde")
    db.session.commit()


def test_a_pg_dump_restored_into_a_new_database_passes_spro_check(now, tmp_path):
    suite_url = _suite_url()
    pg_dump, pg_restore = _client_tool("pg_dump"), _client_tool("pg_restore")
    _journeys_in_every_state(now)
    source = _counts(suite_url)
    assert source["journey"] >= 9 and source["referral"] >= 7 and source["funding_request"] == 2

    dump = tmp_path / "spro.dump"
    subprocess.run([pg_dump, "--format=custom", f"--file={dump}", f"--dbname={libpq(suite_url)}"],
                   check=True, capture_output=True, timeout=300)
    with scratch_database(suite_url, prefix="spro_restore") as restored_url:
        restore = subprocess.run([pg_restore, "--no-owner", f"--dbname={libpq(restored_url)}", str(dump)],
                                 capture_output=True, text=True, timeout=300)
        assert restore.returncode == 0, restore.stderr
        assert _counts(restored_url) == source

        env = {k: v for k, v in os.environ.items()
               if k not in ("SPRO_TEST_DATABASE_URL", "SPRO_CLOCK_OFFSET_DAYS") and not k.startswith("PG")}
        env.update({"SPRO_DATABASE_URL": restored_url, "SPRO_SECRET_KEY": "backup-restore-test"})
        check = subprocess.run([SPRO, "check"], env=env, capture_output=True, text=True, timeout=300)
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.splitlines() == [f"{source['journey']} parcours vérifié(s), 0 incohérent(s)."]
