"""A worker killed (SIGKILL) in the middle of its timers: after a restart each timer fires exactly
once. Many referrals are sent « now »; workers run as if the reminder delay had passed
(SPRO_CLOCK_OFFSET_DAYS) and are killed several times while they fire the reminders."""
from datetime import datetime, timedelta, timezone

import psycopg

from processes_support import (check_database, clock_offset, needs_postgres, process_env, scratch_database,
                               start_worker, upgrade_database, wait_until)
from webapp.config import Config
from webapp.workdays import add_working_days

REFERRALS = 80
KILLS = 3
STEP = 6  # reminders a worker fires before it is killed
FIRST_PASS = 50  # the worker fires up to 50 timers, then beats: the first one is killed after its beat


def rows(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url.replace("+psycopg", "", 1)) as conn:
        return conn.execute(sql, params).fetchall()


def reminder_offset() -> float:
    """Days after which a referral sent now is due for its reminder but not for its escalation."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    reminder = (add_working_days(now, Config.REFERRAL_REMINDER_DAYS) - now) / timedelta(days=1)
    escalation = (add_working_days(now, Config.REFERRAL_ESCALATION_DAYS) - now) / timedelta(days=1)
    assert reminder + 2 < escalation
    return reminder + 1


def send_referrals(url: str, count: int) -> list[int]:
    """The demo directory (no demo people: no other timer) and `count` receptions of claire.martin
    sent to the CIO d'Orléans, through the operations on the database `url` (committed as requests
    would); their journey ids."""
    from test_orientation import send, start_referral
    from webapp import create_app
    from webapp.config import TestConfig
    from webapp.demo import seed_demo
    from webapp.extensions import db
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        seed_demo()
        db.session.commit()
        ids = []
        for _ in range(count):
            journey = start_referral()
            send(journey, "cio-orleans")
            ids.append(journey.id)
        db.session.remove()
        db.engine.dispose()
    return ids


def test_a_killed_worker_leaves_each_timer_fired_exactly_once(tmp_path):
    suite_url = needs_postgres()
    assert REFERRALS > FIRST_PASS + KILLS * STEP  # reminders are left to fire when the last kill falls
    with scratch_database(suite_url) as url:
        upgrade_database(url)
        ids = send_referrals(url, REFERRALS)
        env = clock_offset(process_env(url), reminder_offset())

        def reminded() -> int:
            return rows(url, "SELECT count(*) FROM referral WHERE journey_id = ANY(%s) AND reminded_at IS NOT NULL",
                        ids)[0][0]

        def heartbeat(worker):
            found = rows(url, "SELECT beat_at, passes FROM worker_heartbeat WHERE name = %s",
                         worker.heartbeat_name)
            return found[0] if found else None

        killed, workers = [], []
        try:
            for round_ in range(KILLS):
                worker = start_worker(env, tmp_path / f"worker_{round_}.log")
                workers.append(worker)
                before = reminded()
                wait_until(lambda: reminded() >= before + STEP and (round_ > 0 or heartbeat(worker)), 60,
                           f"worker {round_} firing reminders", every=0.03)
                worker.kill()
                killed.append(worker)
            done_when_killed = reminded()
            assert 0 < done_when_killed < REFERRALS, "the kills must fall while reminders remain to fire"
            stale = heartbeat(killed[0])
            assert stale is not None
            survivor = start_worker(env, tmp_path / "worker_last.log")
            workers.append(survivor)
            wait_until(lambda: reminded() == REFERRALS and _nothing_to_send(url, ids), 90,
                       "every reminder fired and its message handled after the restart")
            passes = wait_until(lambda: heartbeat(survivor), 30, "the new worker's heartbeat")[1]
            beat = wait_until(lambda: (h := heartbeat(survivor)) and h[1] > passes and h, 30,
                              "the new worker beating again")
            assert survivor.alive(), survivor.log_tail()
            checked = check_database(url)
            assert checked.returncode == 0, checked.stdout + checked.stderr
        finally:
            for worker in workers:
                worker.stop()
        assert heartbeat(killed[0]) == stale and beat[0] > stale[0]  # the killed one is stale
        assert_each_reminder_once(url, ids, len(killed))


def _nothing_to_send(url: str, ids: list[int]) -> bool:
    [(waiting,)] = rows(url, "SELECT count(*) FROM outbox_message m JOIN referral r ON r.id = m.referral_id "
                             "WHERE r.journey_id = ANY(%s) AND m.status = 'a_envoyer'", ids)
    return waiting == 0


def assert_each_reminder_once(url: str, ids: list[int], kills: int):
    """One reminder per referral (date, audit entry, message), nothing escalated or expired, no
    journey in incident; a message claimed by a killed worker stays « envoi en cours » (at most
    once: never re-sent), at most one per kill."""
    assert rows(url, "SELECT count(*) FROM journey WHERE status = 'incident'") == [(0,)]
    states = rows(url, "SELECT j.status, r.status, r.escalated_at, count(*) FROM referral r JOIN journey j "
                       "ON j.id = r.journey_id WHERE j.id = ANY(%s) GROUP BY 1, 2, 3", ids)
    assert states == [("en_cours", "ouverte", None, REFERRALS)]
    audit = rows(url, "SELECT detail->>'referral_id', count(*) FROM audit_event WHERE action = 'referral.reminded' "
                      "AND journey_id = ANY(%s) GROUP BY 1", ids)
    assert len(audit) == REFERRALS and {n for _r, n in audit} == {1}
    messages = rows(url, "SELECT m.referral_id, m.kind, m.status FROM outbox_message m JOIN referral r "
                         "ON r.id = m.referral_id WHERE r.journey_id = ANY(%s)", ids)
    per_kind = {}
    for referral_id, kind, _status in messages:
        per_kind[(referral_id, kind)] = per_kind.get((referral_id, kind), 0) + 1
    assert set(per_kind.values()) == {1} and len(per_kind) == 2 * REFERRALS  # arrivee and relance each
    statuses = [status for _r, _k, status in messages]
    assert set(statuses) <= {"envoye", "envoi_en_cours"} and statuses.count("envoi_en_cours") <= kills
    open_tasks = rows(url, "SELECT count(*) FROM human_task WHERE journey_id = ANY(%s) AND status = 'ouverte' "
                           "AND bpmn_id = 'traiter_orientation'", ids)
    assert open_tasks == [(REFERRALS,)]
