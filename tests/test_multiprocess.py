"""Two app processes (`spro serve`) and two workers (`spro worker`) on one PostgreSQL database.

Referrals are driven through the API of both apps alternately, from a thread pool, while both
workers fire timers and mail messages to an SMTP sink. The workers run as if days had passed
(SPRO_CLOCK_OFFSET_DAYS): first far enough for the reminder and the escalation of a referral sent
now, then, restarted, far enough for its expiry. Then the database must say: every journey ended
where it should, each timer fired once, each message exists once and reached the sink once, and
every completion answered 200 is in the task rows."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import psycopg

from processes_support import (Api, SmtpSink, check_database, clock_offset, needs_postgres, prepare_database, process_env,
                               scratch_database, start_server, start_worker, wait_until)
from webapp.config import Config
from webapp.workdays import add_working_days

JOURNEYS = 16  # even: answered by the CIO (accept, then first contact); odd: left unanswered
DRIVERS = 8
FIRST_NAMES = ["Léa", "Hugo", "Inès", "Jules", "Chloé", "Nathan", "Emma", "Louis"]
DAY = timedelta(days=1)
IDENTITY = ("prenom", "nom", "annee_naissance")


def offsets() -> tuple[float, float, date]:
    """Worker clock offsets (days): past a referral's escalation but before its expiry, then past
    its expiry; and a first-appointment date whose reminder neither offset reaches."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    escalation = (add_working_days(now, Config.REFERRAL_ESCALATION_DAYS) - now) / DAY
    expiry = (add_working_days(now, Config.REFERRAL_EXPIRY_DAYS) - now) / DAY
    assert escalation + 3 < expiry
    appointment = (now + timedelta(days=expiry + 5)).date()
    return escalation + 1, expiry + 2, appointment


def rows(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url.replace("+psycopg", "", 1)) as conn:
        return conn.execute(sql, params).fetchall()


class Journeys:
    """Drives referrals through two apps; keeps every completion answered 200."""

    def __init__(self, apps: list[Api], tokens: dict, cio_id: int, appointment: date):
        self.apps, self.tokens, self.cio_id, self.appointment = apps, tokens, cio_id, appointment
        self.completed: list[tuple[int, str, dict]] = []  # (task id, username, data)
        self.lock = threading.Lock()

    def complete(self, app: Api, username: str, task: dict, data: dict) -> list[dict]:
        token = self.tokens[username]
        if task["assignee"] is None:
            status, body = app.call("POST", f"/tasks/{task['id']}/claim", token=token)
            assert status == 200, (task, status, body)
        status, body = app.call("POST", f"/tasks/{task['id']}/complete", {"data": data}, token)
        assert status == 200, (task["bpmn_id"], status, body)
        with self.lock:
            self.completed.append((task["id"], username, data))
        return body["next_tasks"]

    @staticmethod
    def only(tasks: list[dict], bpmn_id: str) -> dict:
        assert [t["bpmn_id"] for t in tasks] == [bpmn_id], tasks
        return tasks[0]

    def receiver_task(self, app: Api, person_id: int, bpmn_id: str) -> dict:
        status, body = app.call("GET", f"/tasks?scope=queue&task={bpmn_id}&person={person_id}",
                                token=self.tokens["isabelle.roux"])
        assert status == 200, body
        return self.only(body["items"], bpmn_id)

    def drive(self, number: int) -> dict:
        """One reception answered « orientation » and sent to the CIO d'Orléans, each step on the
        other app than the previous one; even numbers are then answered by the CIO."""
        first, second = self.apps[number % 2], self.apps[(number + 1) % 2]
        status, body = first.call("POST", "/journeys", {"process_key": "accueil"}, self.tokens["claire.martin"])
        assert status == 201, body
        journey_id, person_id = body["journey"]["id"], body["journey"]["person_id"]
        sender = "claire.martin"
        tasks = self.complete(second, sender, self.only(body["tasks"], "accueillir"), {
            "canal": "sur_place", "anonyme": False, "prenom": FIRST_NAMES[number % len(FIRST_NAMES)],
            "nom": "Durand", "annee_naissance": date.today().year - 17, "public": "scolaire",
            "commune": "Orléans"})
        tasks = self.complete(first, sender, self.only(tasks, "analyser_demande"), {
            "thematiques": ["choisir-un-metier--confirmer-son-choix-de-metier"], "besoins": "Hésite.",
            "urgence": "normale", "reponse": "orientation"})
        tasks = self.complete(second, sender, self.only(tasks, "choisir_partenaire"), {
            "decision": "orienter", "partenaire_id": self.cio_id, "motif": "Projet d'orientation scolaire."})
        tasks = self.complete(first, sender, self.only(tasks, "informer_personne"), {
            "donnees_partagees": ["situation", "demande"], "personne_informee": True,
            "mode_information": "entretien"})
        assert tasks == []  # the next step waits in the CIO's queue
        outcome = {"journey_id": journey_id, "person_id": person_id, "answered": number % 2 == 0}
        if outcome["answered"]:
            outcome["accepted_with"] = self.accept_from_both_apps(person_id)
            task = self.receiver_task(second, person_id, "confirmer_premier_contact")
            self.complete(second, "isabelle.roux", task, {
                "premier_contact": "confirme", "date_premier_contact": date.today().isoformat(),
                "contact_anticipe": "La personne est venue avant le rendez-vous."})
        return outcome

    def accept_from_both_apps(self, person_id: int) -> dict:
        """The CIO's acceptance sent at once to both apps with two appointment dates: one wins
        (200), the other is told the step is done (409); the task row keeps the winner's data."""
        task = self.receiver_task(self.apps[0], person_id, "traiter_orientation")
        token = self.tokens["isabelle.roux"]
        status, body = self.apps[0].call("POST", f"/tasks/{task['id']}/claim", token=token)
        assert status == 200, body
        together, answers = threading.Barrier(2), {}

        def accept(index: int):
            data = {"reponse": "accepter", "date_premier_rdv": (self.appointment + timedelta(days=index)).isoformat()}
            together.wait(timeout=30)
            answers[index] = (self.apps[index].call("POST", f"/tasks/{task['id']}/complete", {"data": data}, token),
                              data)
        racers = [threading.Thread(target=accept, args=(i,)) for i in (0, 1)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=90)
        statuses = sorted(answers[i][0][0] for i in (0, 1))
        assert statuses == [200, 409], answers
        [winner] = [data for (status, _body), data in answers.values() if status == 200]
        with self.lock:
            self.completed.append((task["id"], "isabelle.roux", winner))
        return winner


def test_two_apps_and_two_workers_on_one_database(tmp_path):
    suite_url = needs_postgres()
    before_expiry, after_expiry, appointment = offsets()
    with scratch_database(suite_url) as url, SmtpSink() as sink:
        prepare_database(url)
        env = process_env(url, SPRO_WEB_WORKERS=1, SPRO_WEB_THREADS=4, **sink.env())  # two apps: one process each
        processes = []
        try:
            apps = []
            for name in ("a", "b"):
                server, base = start_server(env, tmp_path / f"app_{name}.log")
                processes.append(server)
                apps.append(Api(base))
            early = clock_offset(env, before_expiry)
            workers = [start_worker(early, tmp_path / f"worker_{n}.log") for n in (1, 2)]
            processes.extend(workers)
            tokens = {user: apps[i % 2].token(user) for i, user in enumerate(("claire.martin", "isabelle.roux"))}
            [(cio_id,)] = rows(url, "SELECT id FROM structure WHERE slug = 'cio-orleans'")
            journeys = Journeys(apps, tokens, cio_id, appointment)
            with ThreadPoolExecutor(DRIVERS) as pool:
                outcomes = list(pool.map(journeys.drive, range(JOURNEYS)))
            ignored = [o for o in outcomes if not o["answered"]]
            ids = [o["journey_id"] for o in outcomes]

            def reminded_and_escalated():
                done = rows(url, "SELECT count(*) FROM referral WHERE journey_id = ANY(%s) AND reminded_at IS NOT NULL "
                                 "AND escalated_at IS NOT NULL", [o["journey_id"] for o in ignored])[0][0]
                return done == len(ignored) and _all_sent(url, ids)
            wait_until(reminded_and_escalated, 60, "reminders and escalations of the ignored referrals, all sent")
            assert all(w.alive() for w in workers), [w.log_tail() for w in workers]
            wait_until(lambda: rows(url, "SELECT count(*) FROM worker_heartbeat WHERE name = ANY(%s) AND passes > 0",
                                    [w.heartbeat_name for w in workers]) == [(2,)], 60,
                       "both workers through a whole pass of their loop (heartbeat)")
            for worker in workers:  # nothing of ours is in flight: every message is sent
                worker.stop()
            late = clock_offset(env, after_expiry)
            workers = [start_worker(late, tmp_path / f"worker_{n}.log") for n in (3, 4)]
            processes.extend(workers)

            def expired():
                done = rows(url, "SELECT count(*) FROM referral WHERE journey_id = ANY(%s) AND status = 'expiree'",
                            [o["journey_id"] for o in ignored])[0][0]
                return done == len(ignored) and _all_sent(url, ids)
            wait_until(expired, 60, "expiry of the ignored referrals, messages sent")
            assert all(w.alive() for w in workers), [w.log_tail() for w in workers]
            assert_journeys_ended(url, outcomes)
            assert_timers_fired_once(url, outcomes)
            assert_messages_sent_once(url, ids, sink)
            assert_no_lost_update(url, journeys.completed)
            # every journey's engine state agrees with its rows, seen on the last workers' date: their
            # retention pass dropped the audit entries of the demo's oldest steps (a year before that date)
            checked = check_database(url, after_expiry)
            assert checked.returncode == 0, checked.stdout + checked.stderr
        finally:
            for process in processes:
                process.stop()


def _all_sent(url: str, journey_ids: list[int]) -> bool:
    [(waiting,)] = rows(url, "SELECT count(*) FROM outbox_message m JOIN referral r ON r.id = m.referral_id "
                             "WHERE r.journey_id = ANY(%s) AND m.status <> 'envoye'", journey_ids)
    return waiting == 0


def assert_journeys_ended(url: str, outcomes: list[dict]):
    """Answered: referral aboutie, journey terminee on « Orientation aboutie ». Ignored: referral
    expiree, the journey waiting for the Mission Locale to choose again, no timer left."""
    for outcome in outcomes:
        journey = rows(url, "SELECT status, end_event, next_timer_at FROM journey WHERE id = %s",
                       outcome["journey_id"])[0]
        referrals = rows(url, "SELECT status FROM referral WHERE journey_id = %s", outcome["journey_id"])
        waiting = rows(url, "SELECT t.bpmn_id, s.slug FROM human_task t JOIN structure s ON s.id = t.structure_id "
                            "WHERE t.journey_id = %s AND t.status = 'ouverte'", outcome["journey_id"])
        if outcome["answered"]:
            assert (journey, referrals, waiting) == (("terminee", "fin_orientation", None), [("aboutie",)], []), outcome
        else:
            assert (journey, referrals) == (("en_cours", None, None), [("expiree",)]), outcome
            assert waiting == [("choisir_partenaire", "ml-orleans")], outcome


def assert_timers_fired_once(url: str, outcomes: list[dict]):
    """Each firing writes the referral's date and one audit entry: once each for an ignored
    referral; for an answered one, at most once, and only what its dates say."""
    for outcome in outcomes:
        [(referral_id, reminded, escalated)] = rows(
            url, "SELECT id, reminded_at IS NOT NULL, escalated_at IS NOT NULL FROM referral WHERE journey_id = %s",
            outcome["journey_id"])
        audit = dict(rows(url, "SELECT action, count(*) FROM audit_event WHERE detail->>'referral_id' = %s "
                               "AND action IN ('referral.reminded', 'referral.escalated', 'referral.expired') "
                               "GROUP BY action", str(referral_id)))
        if outcome["answered"]:
            expected = {"referral.reminded": 1} if reminded else {}
            expected |= {"referral.escalated": 1} if escalated else {}
        else:
            expected = {"referral.reminded": 1, "referral.escalated": 1, "referral.expired": 1}
        assert audit == expected, (outcome, reminded, escalated)


def assert_messages_sent_once(url: str, journey_ids: list[int], sink: SmtpSink):
    """One message per kind and referral (the escalation to the Loiret's coordinator only), each
    sent and delivered exactly once to the sink."""
    sink_counts = sink.deliveries()
    [(coordinator,)] = rows(url, "SELECT email FROM app_user WHERE username = 'olivier.lambert'")
    messages = rows(url, "SELECT m.id, m.kind, m.referral_id, m.to_address, m.status, r.status FROM outbox_message m "
                         "JOIN referral r ON r.id = m.referral_id WHERE r.journey_id = ANY(%s)", journey_ids)
    by_referral: dict[int, list[str]] = {}
    for message_id, kind, referral_id, address, status, referral_status in messages:
        by_referral.setdefault(referral_id, []).append(kind)
        assert status == "envoye", (message_id, kind, status)
        assert sink_counts.get(message_id) == 1, (message_id, kind, sink_counts.get(message_id))
        if kind == "escalade":
            assert address == coordinator
    assert sink.unknown == 0 and set(sink_counts.values()) == {1}  # the demo's messages too: none twice
    states = dict(rows(url, "SELECT id, status FROM referral WHERE journey_id = ANY(%s)", journey_ids))
    assert len(by_referral) == len(journey_ids)
    for referral_id, kinds in by_referral.items():
        assert len(kinds) == len(set(kinds)), (referral_id, kinds)
        if states[referral_id] == "expiree":
            assert sorted(kinds) == ["arrivee", "escalade", "expiration", "relance"], kinds
        else:
            assert {"arrivee", "acceptation", "aboutie"} <= set(kinds) <= {
                "arrivee", "acceptation", "aboutie", "relance", "escalade"}, kinds


def assert_no_lost_update(url: str, completed: list[tuple[int, str, dict]]):
    """Every completion answered 200 is a done task row, by that user, with what was sent."""
    assert len({task_id for task_id, _user, _data in completed}) == len(completed)
    for task_id, username, data in completed:
        [(status, by, stored)] = rows(url, "SELECT t.status, u.username, t.data FROM human_task t "
                                           "JOIN app_user u ON u.id = t.completed_by_id WHERE t.id = %s", task_id)
        assert (status, by) == ("terminee", username), task_id
        identity = {k: data[k] for k in IDENTITY if k in data}  # kept on the person row, never in the task
        assert {k: stored.get(k) for k in data if k not in identity} == \
            {k: v for k, v in data.items() if k not in identity}, (task_id, stored, data)
        if identity:
            [person] = rows(url, f"SELECT {', '.join(identity)} FROM person p JOIN human_task t "
                                 "ON t.person_id = p.id WHERE t.id = %s", task_id)
            assert person == tuple(identity.values()), (task_id, person, identity)
