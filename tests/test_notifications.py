"""The outbox: messages queued with what they announce, sent at most once by the workers.

Two-worker tests run each worker in its own thread, app context, session and connection; a
threading.Barrier holds both at the contested point so that their transactions really overlap."""
import base64
import socketserver
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from conftest import login
from sqlalchemy import select

from webapp import clock
from webapp.cli import main
from webapp.extensions import db
from webapp.models import OutboxMessage, Structure
from webapp.operations import notifications
from webapp.operations.notifications import MAX_ATTEMPTS, STALE_CLAIM_ERROR, queue_message, send_pending

WAIT = 30  # seconds: only a safety net so a broken test fails instead of hanging
SENDER = "SPRO Centre-Val de Loire <ne-pas-repondre@spro.example.org>"


def structure_id(slug: str) -> int:
    return db.session.scalar(select(Structure.id).where(Structure.slug == slug))


def queue(count: int = 1, slug: str = "ml-orleans", subject: str = "Nouvelle orientation") -> list[int]:
    """`count` committed messages for the structure `slug`; their ids."""
    ids = [queue_message("arrivee", f"{slug}@example.org", f"{subject} {n}", f"Bonjour,\nmessage {n}.",
                         to_structure_id=structure_id(slug)).id for n in range(count)]
    db.session.commit()
    return ids


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


class Recorder(list):
    """A sender that records the ids of the messages it was given (append is thread-safe)."""

    def __call__(self, message):
        self.append(message.id)


def test_queued_messages_are_sent_once_and_marked_sent(ctx):
    """Does a pass send every committed message (not a rolled-back one), oldest first, mark it
    sent, and a second pass nothing? Does `limit` cap a pass?"""
    queue_message("arrivee", "x@example.org", "Annulé", "…", to_structure_id=structure_id("ml-orleans"))
    db.session.rollback()  # the outbox pattern: no commit, no message
    ids, recorder = queue(3), Recorder()
    assert send_pending(sender=recorder) == 3 and recorder == ids
    rows = messages()
    assert [(m.status, m.attempts, m.last_error) for m in rows] == [("envoye", 0, None)] * 3
    assert all(m.sent_at is not None and m.sent_at >= m.created_at for m in rows)
    assert send_pending(sender=recorder) == 0 and recorder == ids
    queue(3)
    assert send_pending(limit=2, sender=recorder) == 2  # `limit` caps one pass
    assert [m.status for m in messages()] == ["envoye"] * 5 + ["a_envoyer"]


def test_a_failing_message_is_retried_once_per_pass_then_left_failed(ctx):
    """When the sender keeps raising, is the message tried once per pass, put back to send with the
    error until the fifth failure, then left `echec` for good? Is a message that failed once
    sent on the next pass, its error cleared?"""
    [doomed, flaky], calls = queue(2), []

    def broken(message):
        calls.append(message.id)
        if message.id == doomed or calls.count(flaky) == 1:
            raise ConnectionRefusedError("serveur SMTP injoignable")

    for attempt in range(1, MAX_ATTEMPTS):
        assert send_pending(sender=broken) == (1 if attempt == 2 else 0)
        row, other = messages()
        assert (row.status, row.attempts, row.sent_at) == ("a_envoyer", attempt, None)
        assert "ConnectionRefusedError: serveur SMTP injoignable" in row.last_error
        assert (other.status, other.attempts) == (("a_envoyer", 1) if attempt == 1 else ("envoye", 1))
    assert send_pending(sender=broken) == 0
    row, other = messages()
    assert (row.status, row.attempts, other.last_error) == ("echec", MAX_ATTEMPTS, None)
    assert calls.count(doomed) == MAX_ATTEMPTS and calls.count(flaky) == 2
    assert send_pending(sender=broken) == 0 and calls.count(doomed) == MAX_ATTEMPTS


def test_a_stale_claim_is_marked_failed_not_sent_again(ctx):
    """At most once: is a message left `envoi_en_cours` by a dead worker for over 15 minutes marked
    `echec` with an explanation instead of being sent again, while a recent claim is left alone?"""
    stale, recent = queue(2)
    for message_id, minutes in ((stale, 16), (recent, 5)):
        row = db.session.get(OutboxMessage, message_id)
        row.status, row.claimed_at = "envoi_en_cours", clock.now() - timedelta(minutes=minutes)
    db.session.commit()
    assert send_pending(sender=(recorder := Recorder())) == 0 and recorder == []
    old, new = messages()
    assert (old.status, old.attempts, old.sent_at, old.last_error) == ("echec", 1, None, STALE_CLAIM_ERROR)
    assert (new.status, new.last_error) == ("envoi_en_cours", None)


def test_the_worker_command_sends_with_the_page_backend(app, ctx, monkeypatch):
    """With MAIL_BACKEND "page" (the demo default), does one pass of `spro worker` mark the queued
    messages sent, with no network, and say how many?"""
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "page")
    monkeypatch.setattr(notifications.smtplib, "SMTP", None)  # any network attempt would fail
    queue(2)
    result = app.test_cli_runner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "0 parcours avancé(s), 2 message(s) envoyé(s)." in result.output
    assert [m.status for m in messages()] == ["envoye"] * 2


# --- two workers ---------------------------------------------------------------------------

def run_workers(app, **kwargs) -> list[int]:
    """send_pending(**kwargs) run by two threads, each in its own app context (errors re-raised)."""
    def work():
        with app.app_context():
            return send_pending(**kwargs)

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(work) for _ in range(2)]
        return [future.result(timeout=WAIT * 2) for future in futures]


@pytest.fixture
def wait_once():
    """wait_once(): the first call in each thread waits until the other worker calls it too."""
    barrier, local = threading.Barrier(2, timeout=WAIT), threading.local()

    def wait():
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
    yield wait
    barrier.abort()


def test_two_workers_sending_at_the_same_time_never_send_a_message_twice(app, ctx, wait_once):
    """With two workers both inside a send at the same moment, is each of 20 messages sent exactly
    once in total, and do all end `envoye`?"""
    ids, recorder = queue(20), Recorder()
    results = run_workers(app, sender=lambda message: (recorder(message), wait_once()))
    assert sorted(recorder) == ids  # each message exactly once
    assert sum(results) == 20 and all(results), results  # both worked
    assert [m.status for m in messages()] == ["envoye"] * 20


def test_two_workers_picking_the_same_candidate_claim_it_once(app, ctx, wait_once, monkeypatch):
    """When both workers have picked a candidate before either claims it, is each message still sent
    once? (PostgreSQL: the first pick holds a row lock and SKIP LOCKED hands the other worker the
    next row; SQLite: both pick the same row and the conditional UPDATE lets only one claim it.)"""
    ids, recorder, first_picks = queue(20), Recorder(), {}
    original = notifications._next_candidate

    def pick_then_wait(excluded):
        candidate = original(excluded)
        first_picks.setdefault(threading.current_thread().name, candidate)
        wait_once()  # holding the pick (and, on PostgreSQL, its row lock)
        return candidate

    monkeypatch.setattr(notifications, "_next_candidate", pick_then_wait)
    run_workers(app, sender=recorder)
    assert sorted(recorder) == ids
    assert [m.status for m in messages()] == ["envoye"] * 20
    if db.engine.dialect.name == "postgresql":
        assert sorted(first_picks.values()) == ids[:2], first_picks  # the locked row was skipped
    else:
        assert list(first_picks.values()) == [ids[0]] * 2, first_picks  # the claim decided


# --- the SMTP backend, against a tiny local SMTP server ------------------------------------

class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO (offering AUTH PLAIN), AUTH, MAIL, RCPT, DATA, QUIT."""
    REPLIES = {"EHLO": "250-127.0.0.1\r\n250 AUTH PLAIN", "AUTH": "235 2.7.0 Authenticated",
               "MAIL": "250 OK", "RCPT": "250 OK", "RSET": "250 OK", "NOOP": "250 OK",
               "DATA": "354 End data with <CR><LF>.<CR><LF>", "QUIT": "221 Bye"}

    def handle(self):
        server, envelope = self.server, {"from": "", "to": []}
        self.wfile.write(b"220 127.0.0.1 SMTP de test\r\n")
        for raw in self.rfile:
            command = raw.decode().rstrip("\r\n")
            verb, argument = command.split(" ", 1)[0].upper(), command.partition(":")[2].strip("<> ")
            self.wfile.write(self.REPLIES.get(verb, "502 Command not implemented").encode() + b"\r\n")
            if verb == "AUTH":  # AUTH PLAIN base64("\0user\0password")
                server.logins.append(tuple(base64.b64decode(command.split()[2]).decode().split("\0")[1:]))
            elif verb == "MAIL":
                envelope["from"] = argument
            elif verb == "RCPT":
                envelope["to"].append(argument)
            elif verb == "DATA":
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)  # undo dot-stuffing
                server.received.append({**envelope, "data": b"".join(lines)})
                self.wfile.write(b"250 OK: queued\r\n")
            elif verb == "QUIT":
                return


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A local SMTP server on a free port, and settings pointing the smtp backend at it."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpHandler)
    server.daemon_threads, server.received, server.logins = True, [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for key, value in {"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.server_address[1],
                       "SMTP_USE_TLS": False, "SMTP_USERNAME": "spro-relay", "SMTP_PASSWORD": "s3cret",
                       "MAIL_SENDER": SENDER}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.shutdown()
    server.server_close()


def test_the_smtp_backend_sends_a_real_message(ctx, smtp_server):
    """With MAIL_BACKEND "smtp", does a real SMTP conversation deliver the message with its sender,
    recipient, subject and body, after logging in with the configured account?"""
    queue_message("arrivee", "accueil@cio-orleans.example.org", "Nouvelle orientation : Léa à accueillir",
                  "Bonjour,\nUne personne vous est orientée par la Mission Locale.\n.\nÀ bientôt.",
                  to_structure_id=structure_id("cio-orleans"))
    db.session.commit()
    assert send_pending() == 1
    assert smtp_server.logins == [("spro-relay", "s3cret")]
    [mail] = smtp_server.received
    assert (mail["from"], mail["to"]) == ("ne-pas-repondre@spro.example.org", ["accueil@cio-orleans.example.org"])
    parsed = message_from_bytes(mail["data"], policy=policy.default)
    assert parsed["Subject"] == "Nouvelle orientation : Léa à accueillir"
    assert (parsed["From"], parsed["To"]) == (SENDER, "accueil@cio-orleans.example.org")
    assert parsed["Message-ID"] and parsed["Date"]
    assert parsed.get_content().splitlines() == [
        "Bonjour,", "Une personne vous est orientée par la Mission Locale.", ".", "À bientôt."]
    assert [m.status for m in messages()] == ["envoye"]


def test_an_unreachable_smtp_server_leaves_the_message_to_retry(ctx, smtp_server):
    """When the SMTP server refuses connections, is the message kept to send, with the error?"""
    smtp_server.shutdown()
    smtp_server.server_close()  # nothing listens on the configured port any more
    queue(1)
    assert send_pending() == 0
    [row] = messages()
    assert (row.status, row.attempts) == ("a_envoyer", 1) and "ConnectionRefusedError" in row.last_error


# --- the messages page (no `ctx`: requests would share its app context, so Flask-Login's `g`) ---

def queue_outside(app, count: int, slug: str, subject: str, send: bool = False) -> int:
    """Queue (and send) messages for `slug` in a short app context; the structure's id."""
    with app.app_context():
        queue(count, slug, subject=subject)
        if send:
            send_pending(sender=Recorder())
        return structure_id(slug)


def page_of(client, username: str, url: str = "/messages") -> str:
    login(client, username)
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_messages_page_lists_only_my_structures_messages(app, client, monkeypatch):
    """Does Claire (Mission Locale) see her structure's messages, newest first, two per page here,
    and never the CIO's; Isabelle (CIO) the reverse; an anonymous visitor the login page?"""
    response = client.get("/messages")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    monkeypatch.setattr("webapp.views.messages.PER_PAGE", 2)
    queue_outside(app, 3, "ml-orleans", "Pour la Mission Locale", send=True)
    queue_outside(app, 1, "cio-orleans", "Pour le CIO", send=True)
    page = page_of(client, "claire.martin")
    assert page.index("Pour la Mission Locale 2") < page.index("Pour la Mission Locale 1")
    assert "message 2." in page and "Envoyé" in page and "Page 1 sur 2" in page
    second = client.get("/messages?page=2").get_data(as_text=True)
    assert "Pour la Mission Locale 0" in second and "Pour la Mission Locale 1" not in second
    assert "Pour le CIO" not in page + second
    page = page_of(app.test_client(), "isabelle.roux")
    assert "Pour le CIO 0" in page and "Pour la Mission Locale" not in page


def test_only_an_admin_sees_every_structure_and_filters(app, client):
    """Does a regional admin see all messages, newest first, and one structure's when filtering,
    while the same filter shows a counsellor nothing of another structure?"""
    queue_outside(app, 1, "ml-orleans", "Pour la Mission Locale")
    cio = queue_outside(app, 1, "cio-orleans", "Pour le CIO")
    page = page_of(client, "nathalie.bernard")
    assert page.index("Pour le CIO 0") < page.index("Pour la Mission Locale 0") and "À envoyer" in page
    page = client.get(f"/messages?structure={cio}").get_data(as_text=True)
    assert "Pour le CIO 0" in page and "Pour la Mission Locale" not in page
    page = page_of(app.test_client(), "claire.martin", f"/messages?structure={cio}")
    assert "Pour le CIO" not in page and "Pour la Mission Locale 0" in page



# --- links in messages ---------------------------------------------------------------------

def _send_through_screens(app, base_url: str):
    """Claire's journey up to the partner choice (operations), then the « Informer la personne »
    step posted to `base_url`, which sends the referral; (person id, arrival message body)."""
    from conftest import csrf_from

    from test_orientation import choose, open_tasks, start_referral
    with app.app_context():
        journey = start_referral()
        choose(journey, "cio-orleans")
        [inform] = open_tasks(journey)
        path, person_id, journey_id = f"/taches/{inform.id}", journey.person_id, journey.id
    client = app.test_client()
    page = client.get("/login", base_url=base_url).get_data(as_text=True)
    client.post("/login", base_url=base_url, data={"username": "claire.martin", "password": "demo-spro-2026",
                                                   "csrf_token": csrf_from(page)})
    token = csrf_from(client.get(path, base_url=base_url).get_data(as_text=True))
    response = client.post(path, base_url=base_url, data={
        "donnees_partagees": ["situation", "demande"], "personne_informee": "true",
        "mode_information": "entretien", "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    with app.app_context():
        [arrival] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "arrivee")).all()
        assert arrival.person_id == person_id
        return person_id, journey_id, arrival.body


def test_links_use_the_address_the_request_came_to_when_no_public_address_is_set(app, monkeypatch):
    """With SPRO_PUBLIC_URL unset, does a referral sent from http://localhost:5123/ link its
    arrival message to http://localhost:5123/personnes/<id>, and never to a hard-coded port?"""
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    person_id, _journey, body = _send_through_screens(app, "http://localhost:5123/")
    assert f"Dossier : http://localhost:5123/personnes/{person_id}" in body
    assert "5000" not in body and "127.0.0.1" not in body


def test_links_use_the_public_address_when_set(app, monkeypatch):
    """With SPRO_PUBLIC_URL set, is that address in the link, whatever the request's?"""
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://spro.example.org/")
    person_id, _journey, body = _send_through_screens(app, "http://localhost:5123/")
    assert f"Dossier : https://spro.example.org/personnes/{person_id}" in body
    assert "localhost" not in body


def test_the_worker_without_a_public_address_writes_the_bare_path(app, monkeypatch):
    """A reminder written by the timer worker (no request, no setting): is its link the path?"""
    from webapp.operations.timers import fire_due_timers
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    person_id, journey_id, _body = _send_through_screens(app, "http://localhost:5123/")
    with app.app_context():
        from webapp.models import Referral
        remind_at = db.session.scalar(select(Referral.remind_at).where(Referral.journey_id == journey_id))
        monkeypatch.setattr(clock, "now", lambda: remind_at + timedelta(minutes=1))
        fire_due_timers()
        db.session.commit()
        [reminder] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "relance")).all()
        assert reminder.body.endswith(f"Dossier : /personnes/{person_id}")
