"""The complete audit: each read of personal data, each denied access, token issuance, publications
and directory edits leave their entry; « Qui a consulté ce dossier ? » shows a structure's
administrator their structure's entries only (the regional administrator all of them), with
filters and a CSV export; entries past the retention period are purged."""
import html
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import api_token, csrf_from, get_user, login
from sqlalchemy import func, select
from test_orientation import SENDER, RECEIVER, start_referral
from test_people_search import received

from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEvent, DefinitionVersion, HumanTask, Journey, Structure
from webapp.operations import audit
from webapp.operations.definitions import publish_decision

STRUCTURE_ADMIN = "karim.benali"  # made administrator of the Mission Locale d'Orléans (Claire's) below
OTHER_ADMIN = "pierre.faure"  # administrator of the CRIJ
REGIONAL_ADMIN = "nathalie.bernard"
DMN = (Path(__file__).resolve().parent.parent / "processes" / "orientation_partenaire.dmn").read_text()


@pytest.fixture
def ml_admin(app):
    """Karim Benali, counsellor at the Mission Locale d'Orléans, is also its administrator."""
    with app.app_context():
        user = get_user(STRUCTURE_ADMIN)
        before = list(user.roles)
        user.roles = before + ["admin"]
        db.session.commit()
    yield STRUCTURE_ADMIN
    with app.app_context():
        get_user(STRUCTURE_ADMIN).roles = before
        db.session.commit()


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def entries(app, action=None, **where) -> list[AuditEvent]:
    with app.app_context():
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, name) == value)
        found = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return found


def user_id(app, username) -> int:
    with app.app_context():
        return get_user(username).id


def people(app, *names) -> list[int]:
    """People welcomed by Claire (Mission Locale d'Orléans), their ids."""
    with app.app_context():
        return [received(prenom=first, nom="Dupuis").id for first in names]


def waiting_task(app) -> tuple[int, int]:
    """A referral started by Claire: the open task « Choisir le partenaire » and its person."""
    with app.app_context():
        journey = start_referral()
        task = db.session.scalar(select(HumanTask).where(HumanTask.journey_id == journey.id,
                                                         HumanTask.status == "ouverte"))
        return task.id, task.person_id


def test_dossier_and_task_pages_leave_a_read_entry(app):
    [anne] = people(app, "Anne")
    task_id, person_id = waiting_task(app)
    client = signed_in(app, SENDER)
    assert client.get(f"/personnes/{anne}").status_code == 200
    assert client.get(f"/taches/{task_id}").status_code == 200
    [dossier] = entries(app, "person.read")
    [task] = entries(app, "task.read")
    claire = user_id(app, SENDER)
    assert (dossier.user_id, dossier.kind, dossier.person_id) == (claire, "read", anne)
    assert (task.user_id, task.kind, task.person_id) == (claire, "read", person_id)


def test_lists_and_searches_leave_one_entry_listing_the_people_shown(app):
    anne, bruno = people(app, "Anne", "Bruno")
    task_id, waiting = waiting_task(app)
    client = signed_in(app, SENDER)
    assert client.get("/personnes").status_code == 200
    assert client.get("/personnes?q=dupuis").status_code == 200
    assert client.get("/personnes?q=zzzz").status_code == 200  # nobody shown: nothing to record
    assert client.get("/taches?scope=queue").status_code == 200
    [followed] = entries(app, "person.list_read")
    [search] = entries(app, "person.search")
    [tasks] = entries(app, "task.list_read")
    assert set(followed.detail["person_ids"]) >= {anne, bruno, waiting}
    assert search.detail == {"person_ids": sorted([anne, bruno])} and search.person_id is None
    assert waiting in tasks.detail["person_ids"]
    assert "2 personnes" in search.summary


def test_the_api_leaves_entries_for_tokens_task_detail_lists_and_search(app):
    anne, = people(app, "Anne")
    task_id, waiting = waiting_task(app)
    client = app.test_client()
    headers = api_token(client, SENDER)
    [token] = entries(app, "token.issued")
    assert (token.user_id, token.kind) == (user_id(app, SENDER), "auth")
    assert client.get(f"/api/v1/tasks/{task_id}", headers=headers).status_code == 200
    assert client.get("/api/v1/tasks?scope=queue", headers=headers).status_code == 200
    assert client.get("/api/v1/people?q=dupuis", headers=headers).status_code == 200
    assert client.get("/api/v1/referrals?direction=sent", headers=headers).status_code == 200
    [detail] = entries(app, "task.read")
    assert (detail.person_id, detail.kind) == (waiting, "read")
    assert waiting in entries(app, "task.list_read")[0].detail["person_ids"]
    assert entries(app, "person.search")[0].detail["person_ids"] == [anne]


def test_a_denied_access_is_recorded_and_still_answers_404(app):
    """Isabelle (CIO) asks for Claire's dossier and task, by page and by API: 404 each time, an
    entry « denied » each time; an id that does not exist leaves nothing."""
    task_id, person_id = waiting_task(app)
    client = signed_in(app, RECEIVER)
    assert client.get(f"/personnes/{person_id}").status_code == 404
    assert client.get(f"/taches/{task_id}").status_code == 404
    assert client.get("/personnes/999999").status_code == 404
    api = app.test_client()
    headers = api_token(api, RECEIVER)
    assert api.get(f"/api/v1/tasks/{task_id}", headers=headers).status_code == 404
    assert api.post(f"/api/v1/tasks/{task_id}/claim", headers=headers).status_code == 404
    assert api.get(f"/api/v1/people/{person_id}", headers=headers).status_code == 404
    denied = entries(app, kind="denied")
    isabelle = user_id(app, RECEIVER)
    assert [(e.action, e.user_id, e.person_id) for e in denied] == [
        ("person.denied", isabelle, person_id), ("task.denied", isabelle, person_id),
        ("task.denied", isabelle, person_id), ("task.denied", isabelle, person_id),
        ("person.denied", isabelle, person_id)]
    assert denied[1].detail == {"object": "task", "id": task_id}
    with app.app_context():  # the claim was refused: the task stays Claire's
        assert db.session.get(HumanTask, task_id).assignee_id == get_user(SENDER).id


def test_exports_and_pdfs_are_recorded(app):
    from cep_steps import ADVISER, open_cep
    client = signed_in(app, REGIONAL_ADMIN)
    assert client.get("/annuaire/export.csv").status_code == 200
    assert client.get("/annuaire/export.json").status_code == 200
    assert [e.summary for e in entries(app, "directory.exported")] == [
        "Annuaire exporté (CSV)", "Annuaire exporté (JSON)"]
    with app.app_context():
        journey_id = open_cep().id
    assert signed_in(app, ADVISER).get(f"/cep/parcours/{journey_id}/synthese.pdf").status_code == 200
    [pdf] = entries(app, "cep.document_downloaded")
    assert (pdf.kind, pdf.journey_id) == ("read", journey_id)


def test_publications_and_directory_edits_are_recorded(app):
    with app.app_context():
        before = db.session.scalar(select(func.max(DefinitionVersion.version)).where(
            DefinitionVersion.process_key == "orientation_partenaire"))
        try:
            version = publish_decision("table.dmn", DMN.replace("<text>60</text>", "<text>70</text>", 1),
                                       get_user("julien.mercier"), expected_key="orientation_partenaire")
            db.session.flush()
            [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.published")).all()
            assert (event.user_id, event.detail) == (
                get_user("julien.mercier").id, {"process_key": "orientation_partenaire", "version": version.version})
        finally:
            db.session.rollback()
        assert db.session.scalar(select(func.max(DefinitionVersion.version)).where(
            DefinitionVersion.process_key == "orientation_partenaire")) == before
    client = signed_in(app, REGIONAL_ADMIN)
    page = client.get("/territoires/bassins/2421").get_data(as_text=True)
    text = html.unescape(page).split('name="communes"')[1].split(">", 1)[1].split("</textarea>")[0]
    response = client.post("/territoires/bassins/2421", data={"communes": text, "csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert entries(app, "bassin.updated", user_id=user_id(app, REGIONAL_ADMIN))


def _trail(client, **args) -> str:
    response = client.get("/administration/journal", query_string=args)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _rows(page: str) -> list[str]:
    return page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]


def test_a_structure_admin_sees_who_read_a_dossier_and_no_other_structure_does(app, ml_admin):
    [anne] = people(app, "Anne")
    signed_in(app, SENDER).get(f"/personnes/{anne}")
    signed_in(app, RECEIVER).get(f"/personnes/{anne}")  # denied: the CIO's entry, not the Mission Locale's
    admin = signed_in(app, ml_admin)
    dossier = html.unescape(admin.get(f"/personnes/{anne}").get_data(as_text=True))
    assert f'href="/administration/journal?personne={anne}"' in dossier and "Qui a consulté ce dossier ?" in dossier
    page = _trail(admin, personne=str(anne))
    reads = [row for row in _rows(page) if "Dossier consulté" in row]
    assert len(reads) == 2 and "Claire Martin" in reads[1] and "Anne Dupuis" in reads[1]
    assert "Isabelle Roux" not in page
    other = _trail(signed_in(app, OTHER_ADMIN), personne=str(anne))
    assert "Claire Martin" not in other and "Aucune entrée ne correspond" in other
    regional = _trail(signed_in(app, REGIONAL_ADMIN), personne=str(anne))
    assert "Claire Martin" in regional and "Isabelle Roux" in regional and "Accès refusé" in regional
    assert "Anne Dupuis" not in regional  # the Region holds no dossier of hers: a number only
    counsellor = signed_in(app, SENDER)
    assert counsellor.get("/administration/journal").status_code == 403


def test_the_trail_filters_by_name_user_kind_action_and_dates(app, ml_admin, monkeypatch):
    anne, bruno = people(app, "Anne", "Bruno")
    moment = {"now": datetime(2026, 3, 2, 9, 0)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    signed_in(app, SENDER).get(f"/personnes/{anne}")
    moment["now"] = datetime(2026, 3, 10, 9, 0)
    signed_in(app, "sophie.lefebvre").get(f"/personnes/{bruno}")
    signed_in(app, SENDER).get("/personnes?q=anne")
    admin = signed_in(app, ml_admin)
    by_name = _rows(_trail(admin, personne="bruno", type="read"))
    assert len(by_name) == 1 and "Sophie Lefebvre" in by_name[0]
    listed = _rows(_trail(admin, personne="anne", action="person.search"))
    assert len(listed) == 1 and "Recherche de personnes" in listed[0]  # a search that showed her
    by_user = _rows(_trail(admin, utilisateur=str(user_id(app, SENDER)), action="person.read"))
    assert len(by_user) == 1 and "Anne Dupuis" in by_user[0]
    early = _rows(_trail(admin, action="person.read", du="01/03/2026", au="05/03/2026"))
    assert len(early) == 1 and "Claire Martin" in early[0]
    assert "Aucune entrée" in _trail(admin, type="denied")


def test_the_trail_is_paginated_newest_first(app, ml_admin):
    with app.app_context():
        claire = get_user(SENDER)
        start = datetime(2026, 1, 5, 8, 0)
        for number in range(55):
            db.session.add(AuditEvent(at=start + timedelta(minutes=number), user_id=claire.id,
                                      structure_id=claire.structure_id, action="person.read", kind="read",
                                      summary=f"Consultation {number:02d}"))
        db.session.commit()
    admin = signed_in(app, ml_admin)
    first = _rows(_trail(admin, action="person.read"))
    assert len(first) == 50 and "Consultation 54" in first[0] and "Consultation 05" in first[-1]
    second = _trail(admin, action="person.read", page="2")
    assert "Page 2 sur 2" in second and len(_rows(second)) == 5 and "Consultation 00" in _rows(second)[-1]


def test_the_csv_export_follows_the_filters_and_is_itself_recorded(app, ml_admin):
    anne, bruno = people(app, "Anne", "Bruno")
    signed_in(app, SENDER).get(f"/personnes/{anne}")
    signed_in(app, SENDER).get(f"/personnes/{bruno}")
    admin = signed_in(app, ml_admin)
    response = admin.get("/administration/journal/export.csv", query_string={"personne": str(anne), "action": "person.read"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Date;Utilisateur;Structure;Type;Action;Dossier(s);Résumé"
    assert len(lines) == 2 and f"Claire Martin;Mission Locale" in lines[1] and f";n°{anne};" in lines[1]
    [export] = entries(app, "audit.exported")
    assert export.user_id == user_id(app, ml_admin) and export.detail["person_ids"] == [anne]
    assert export.detail["filters"] == {"personne": str(anne), "action": "person.read"}


def test_purge_deletes_entries_past_the_retention_only(app, monkeypatch):
    now = datetime(2026, 6, 1, 12, 0)
    monkeypatch.setattr(clock, "now", lambda: now)
    monkeypatch.setattr(audit, "PURGE_BATCH", 2)  # several batches
    with app.app_context():
        claire = get_user(SENDER)
        for days in (400, 366, 365.5, 364, 10):
            db.session.add(AuditEvent(at=now - timedelta(days=days), user_id=claire.id, action="person.read",
                                      kind="read", summary=f"il y a {days} jours"))
        db.session.commit()
        assert audit.purge_expired(clock.now()) == 3
        kept = db.session.scalars(select(AuditEvent.summary).order_by(AuditEvent.at)).all()
        assert kept == ["il y a 364 jours", "il y a 10 jours"]
        monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 30)
        assert audit.purge_expired(now) == 1
        assert audit.purge_expired(now) == 0


def test_a_read_leaves_its_entry_without_committing_what_a_request_wrote_and_did_not_commit(app, client):
    """The end of a request stores its read entries; what the request wrote and left uncommitted
    (an ORM change or a statement) is dropped first, never committed with them."""
    from flask import g
    from sqlalchemy import update
    from webapp.models import AuditEvent
    from webapp.operations import audit

    with app.test_request_context("/"):
        claire = get_user("claire.martin")
        name = db.session.get(Structure, claire.structure_id).name
        db.session.execute(update(Structure).where(Structure.id == claire.structure_id).values(name="Écrit puis oublié"))
        audit.defer(claire, "task.read", "Lecture", person_id=None)
        audit.write_deferred(200)
        g.pop("deferred_audit", None)
        db.session.expire_all()
        assert db.session.get(Structure, claire.structure_id).name == name
        assert db.session.scalar(select(AuditEvent.summary).where(AuditEvent.action == "task.read")) == "Lecture"
        audit.defer(claire, "task.read", "Lecture sans écriture", person_id=None)
        db.session.scalar(select(Structure.name).limit(1))  # a read transaction is open: the entry joins it
        audit.write_deferred(200)
        assert db.session.scalar(select(AuditEvent.summary).where(AuditEvent.summary == "Lecture sans écriture"))
