"""An app process killed with SIGKILL in the middle of completions, 100 times: afterwards `spro check`
finds no inconsistent journey, and every completion the app confirmed (2xx) is really there.

The process killed is gunicorn's worker (`spro serve` with one worker of four threads), as a crash or
the OOM killer would: in the middle of whatever requests it is serving. gunicorn's master keeps the
listening socket and starts a new worker; the clients' requests that were in the killed worker break,
the others wait in the socket's queue. Four client threads drive reception journeys through the API
(start, « Accueillir », « Analyser la demande »); each kill comes after a random number of requests
sent since the previous one, then a short random delay (fixed seed). A client whose request broke
leaves that journey where it is (it cannot know whether its step was recorded) and starts another.
"""
import http.client
import os
import random
import signal
import threading
import time
from collections import Counter
from contextlib import nullcontext

from sqlalchemy import create_engine, text

from processes_support import (Api, check_database, children, prepare_database, process_env, scratch_database,
                               start_server, wait_until)

KILLS = int(os.environ.get("SPRO_FAULT_KILLS", "100"))
CLIENTS = 4
SEED = 20261201
USERS = ("claire.martin", "karim.benali")  # counsellors of the Mission Locale de l'Orléanais
FIRST_STEP = {"canal": "telephone", "anonyme": True, "public": "salarie"}
BROKEN = "connexion coupée"


def own_database(tmp_path):
    """A database for this test alone: a new one on the suite's PostgreSQL, else a SQLite file."""
    suite = os.environ.get("SPRO_TEST_DATABASE_URL", "")
    if suite.startswith("postgresql"):
        return scratch_database(suite)
    return nullcontext(f"sqlite:///{tmp_path / 'kill.sqlite'}")


def call(api: Api, method: str, path: str, body, token) -> tuple:
    """(status, body), or (BROKEN, None) when the connection broke: the worker died mid-request."""
    try:
        return api.call(method, path, body, token)
    except (OSError, http.client.HTTPException):
        return BROKEN, None


def answers(api: Api) -> bool:
    try:
        return api.call("GET", "/openapi.json")[0] == 200
    except (OSError, http.client.HTTPException):
        return False


class Traffic:
    """What the clients sent and got: counts shared with the thread that kills."""

    def __init__(self):
        self.changed = threading.Condition()
        self.sent = 0
        self.completing = 0  # completion requests sent and not answered yet
        self.statuses = Counter()
        self.completed: set[int] = set()  # tasks whose completion got a 2xx
        self.started: set[int] = set()  # journeys whose start got a 201

    def call(self, api, method, path, body, token, completion=False):
        with self.changed:
            self.sent += 1
            self.completing += completion
            self.changed.notify_all()
        try:
            status, answer = call(api, method, path, body, token)
        finally:
            with self.changed:
                self.completing -= completion
        with self.changed:
            self.statuses[(path.rsplit("/", 1)[-1], status)] += 1
        return status, answer


def analysis(thematique: str, rng: random.Random) -> dict:
    """« Analyser la demande »: documentation (the journey ends) or, one time in three, a referral."""
    answer = {"thematiques": [thematique], "besoins": "Se reconvertir", "urgence": "normale"}
    return answer | ({"reponse": "orientation"} if rng.random() < 1 / 3 else
                     {"reponse": "documentation", "documentation_remise": "Fiches métiers"})


def drive(api, token, thematique, traffic, stop, rng):
    """Reception journeys, one after the other, until `stop`; a third go on to a referral."""
    while not stop.is_set():
        status, started = traffic.call(api, "POST", "/journeys", {"process_key": "accueil"}, token)
        if status != 201:
            continue
        traffic.started.add(started["journey"]["id"])
        task_id = started["tasks"][0]["id"]
        status, done = traffic.call(api, "POST", f"/tasks/{task_id}/complete", {"data": FIRST_STEP}, token, True)
        if status != 200:
            continue
        traffic.completed.add(task_id)
        task_id = done["next_tasks"][0]["id"]
        status, _ = traffic.call(api, "POST", f"/tasks/{task_id}/complete",
                                 {"data": analysis(thematique, rng)}, token, True)
        if status == 200:
            traffic.completed.add(task_id)


def thematique_of(api: Api, token: str) -> str:
    """A thématique « Analyser la demande » accepts, read from the form the task publishes."""
    _, started = api.call("POST", "/journeys", {"process_key": "accueil"}, token)
    _, done = api.call("POST", f"/tasks/{started['tasks'][0]['id']}/complete", {"data": FIRST_STEP}, token)
    _, task = api.call("GET", f"/tasks/{done['next_tasks'][0]['id']}", None, token)
    return task["form"]["schema"]["properties"]["thematiques"]["items"]["oneOf"][0]["const"]


def kill_in_the_middle(server, api: Api, traffic: Traffic, rng: random.Random) -> tuple[bool, float]:
    """SIGKILL gunicorn's worker after a random number of requests sent, then a short random delay;
    wait for its successor to answer. (Whether a completion was in flight, seconds until it answered.)"""
    with traffic.changed:
        target = traffic.sent + rng.randint(1, 8)
        assert traffic.changed.wait_for(lambda: traffic.sent >= target, timeout=60), \
            f"the clients stopped sending:\n{server.log_tail()}"
    time.sleep(rng.uniform(0, 0.03))  # a random moment within the requests' work; orders nothing
    [worker] = children(server.pid)
    hit = traffic.completing > 0
    os.kill(worker, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: worker not in children(server.pid) and len(children(server.pid)) == 1 and answers(api),
               30, "gunicorn's new worker answering", every=0.02)
    return hit, time.monotonic() - killed_at


def test_killing_the_app_in_the_middle_of_completions_leaves_no_inconsistent_journey(tmp_path):
    """After 100 SIGKILLs of the app's worker while completions are in flight, does `spro check` find no
    inconsistent journey, and is every completion that was answered 2xx recorded?"""
    rng = random.Random(SEED)
    with own_database(tmp_path) as url:
        prepare_database(url)
        server, base = start_server(process_env(url, SPRO_WEB_WORKERS=1, SPRO_WEB_THREADS=CLIENTS),
                                    tmp_path / "serve.log")
        api, traffic, stop = Api(base), Traffic(), threading.Event()
        try:
            tokens = [api.token(USERS[n % len(USERS)]) for n in range(CLIENTS)]
            thematique = thematique_of(api, tokens[0])
            clients = [threading.Thread(target=drive, args=(api, token, thematique, traffic, stop,
                                                            random.Random(SEED + n)))
                       for n, token in enumerate(tokens)]
            for client in clients:
                client.start()
            began = time.monotonic()
            kills = [kill_in_the_middle(server, api, traffic, rng) for _ in range(KILLS)]
            elapsed = time.monotonic() - began
            stop.set()
            for client in clients:
                client.join(timeout=90)
            assert server.alive(), "gunicorn's master must survive its workers"
        finally:
            stop.set()
            server.stop()
        hits, respawns = sum(hit for hit, _ in kills), [seconds for _, seconds in kills]
        print(f"\n{KILLS} kills in {elapsed:.1f} s ({hits} with a completion in flight), new worker answering after "
              f"{sum(respawns) / KILLS:.2f} s on average, {max(respawns):.2f} s at most; {dict(traffic.statuses)}")
        assert hits >= KILLS // 2, "most kills must land while a completion is in flight"
        broken = sum(n for (_, status), n in traffic.statuses.items() if status == BROKEN)
        assert broken > 0 and traffic.completed, dict(traffic.statuses)
        unexpected = {key: n for key, n in traffic.statuses.items() if key[1] not in (200, 201, BROKEN)}
        assert not unexpected, f"answers other than 2xx or a broken connection: {unexpected}"

        engine = create_engine(url)
        with engine.connect() as db:
            done = dict(db.execute(text("SELECT id, status FROM human_task")).all())
            journeys = set(db.scalars(text("SELECT id FROM journey")))
        engine.dispose()
        assert {t: done.get(t) for t in traffic.completed if done.get(t) != "terminee"} == {}, \
            "a completion answered 2xx is not recorded"
        assert traffic.started <= journeys, "a journey whose start was answered 201 is missing"
        checked = check_database(url)
        assert checked.returncode == 0 and " 0 incohérent" in checked.stdout, checked.stdout + checked.stderr
