"""The `spro` console command, built on Flask's CLI."""
import json
import sys
import time
from pathlib import Path

import click
import flask_migrate
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app
from .extensions import db


@click.group(cls=FlaskGroup, create_app=create_app, load_dotenv=False)
def main():
    """SPRO: journeys of the Service Public Régional de l'Orientation."""


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_command(host, port):
    """Serve the app with gunicorn (SPRO_WEB_WORKERS processes of SPRO_WEB_THREADS threads)."""
    from .config import Config
    from .serving import serve
    serve(host, port, Config)


@main.group("db")
def db_group():
    """Database schema and shipped definitions."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Apply migrations, publish changed definitions from processes/, load missing reference data."""
    from .operations.definitions import sync_from_folder
    from .operations.person_index import ensure_built
    from .reference import load_reference
    flask_migrate.upgrade()
    created = sync_from_folder(current_app.config["PROCESSES_DIR"], current_app.config["FORMS_DIR"])
    indexed = ensure_built(db.session)
    reference = load_reference()
    db.session.commit()
    if any(reference.values()):
        click.echo(f"Référentiel chargé : {reference['departements']} département(s), "
                   f"{reference['bassins']} bassin(s) d'emploi, {reference['communes']} commune(s) rattachée(s).")
    if indexed:
        click.echo(f"Index des personnes construit : {indexed} dossier(s).")
    for version in created:
        click.echo(f"Publié : {version.process_key} version {version.version}")
    click.echo("Base de données à jour.")


@db_group.command("migrate")
@click.option("-m", "--message", default=None)
@with_appcontext
def db_migrate(message):
    """Generate a migration from the models (developers)."""
    flask_migrate.migrate(message=message)


@main.command("load-reference")
@with_appcontext
def load_reference_command():
    """Load départements, bassins d'emploi and their communes (idempotent; no demo data)."""
    from .reference import bassins_file, load_reference
    created = load_reference()
    db.session.commit()
    reference = bassins_file()
    click.echo(f"Source des bassins : {reference.source}")
    click.echo(f"Ajoutés : {created['departements']} département(s), {created['bassins']} bassin(s), "
               f"{created['communes']} commune(s) rattachée(s).")
    click.echo(f"{len(reference.obsolete_codes)} code(s) commune de 2019 sans commune actuelle "
               f"(fusionnées depuis) ; {len(reference.unmapped)} commune(s) actuelle(s) sans bassin"
               + (f" : {', '.join(reference.unmapped)}." if reference.unmapped else "."))


@main.command("seed-demo")
@click.option("--json", "as_json", is_flag=True, help="Print the demo users as JSON.")
@with_appcontext
def seed_demo_command(as_json):
    """Load reference data, then demo structures, users, journeys and people (idempotent)."""
    from .demo import seed_everything
    logins, people = seed_everything()
    if as_json:
        click.echo(json.dumps(logins, ensure_ascii=False, indent=2))
        return
    click.echo("Comptes de démonstration (mot de passe commun : %s)" % logins[0]["password"])
    for row in logins:
        click.echo(f"  {row['username']:<22} {', '.join(row['roles']):<36} {row['structure']}")
    click.echo(f"Personnes de démonstration : {people} ajoutée(s)." if people
               else "Personnes de démonstration : déjà présentes.")


@main.command("worker")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@with_appcontext
def worker(once):
    """Fire due timers, send queued messages, then apply retention, in a loop until stopped."""
    from .operations.journey_migrations import run_pending_migrations
    from .operations.notifications import send_pending
    from .operations.timers import fire_due_timers
    from .operations.workers import beat, worker_name
    from . import clock
    interval = current_app.config["WORKER_INTERVAL_SECONDS"]
    name, started_at = worker_name(), clock.now()
    beat(name, started_at, passed=False)  # seen alive at once, before a first pass that may be long
    while True:
        count = fire_due_timers()
        migrated = run_pending_migrations(batch=200)
        sent = send_pending()
        anonymised, purged = _retention_pass()
        beat(name, started_at)
        if once:
            click.echo(f"{count} parcours avancé(s), {sent} message(s) envoyé(s). {anonymised} dossier(s) "
                       f"anonymisé(s), {purged} entrée(s) du journal d'audit supprimée(s).")
            return
        if count == 0 and sent == 0 and anonymised == 0 and not migrated:
            time.sleep(interval)


def _retention_pass() -> tuple[int, int]:
    """Anonymise inactive people, close ended snapshot accesses, purge old audit entries: each in
    its own transaction, logged in French; a failure is rolled back and logged, never fatal."""
    from . import clock
    from .operations import audit, person_index, retention, sign_in
    from .operations import documentation  # tells owners of resources past their review date, once
    from .operations import support_programme  # reminds those registered to an event, once
    now = clock.now()
    results = []
    steps = [("anonymisation des dossiers inactifs", lambda: retention.anonymise_inactive(now)),
             ("fin d'accès aux données partagées", lambda: person_index.prune_ended_snapshots(db.session)),
             ("purge du journal d'audit", lambda: audit.purge_expired(now)),
             ("oubli des échecs de connexion anciens", sign_in.purge_stale),
             ("ressources de documentation à réviser", documentation.notify_overdue),
             ("rappels du programme de professionnalisation", support_programme.queue_reminders)]
    from .operations import followups  # the follow-up months after a service: questionnaires due
    steps.append(("questionnaires de suivi après un service", followups.worker_pass))
    for label, step in steps:
        try:
            count = step()
            db.session.commit()
        except Exception:  # one failing step must not stop timers and messages
            db.session.rollback()
            current_app.logger.exception("Échec de l'étape « %s » du worker.", label)
            count = 0
        if count:
            current_app.logger.info("Worker : %s, %d élément(s).", label, count)
        results.append(count)
    return results[0], results[2]


@main.command("check")
@click.option("--parcours", "journey_ids", multiple=True, type=int, metavar="ID",
              help="Check only this journey (repeatable).")
@with_appcontext
def check_command(journey_ids):
    """Compare each journey's engine state with its tasks, referrals, timers and audit: exit 1 on any
    difference, one French line each, then a summary. Reads only."""
    from .queries.integrity import journey_differences
    checked, journeys = [0], set()

    def count(n):
        checked[0] += n
    for difference in journey_differences(list(journey_ids) or None, progress=count):
        journeys.add(difference.journey_id)
        click.echo(f"Parcours {difference.journey_id} : {difference.what}")
    missing = sorted(set(journey_ids) - _existing_journeys(journey_ids)) if journey_ids else []
    for journey_id in missing:
        click.echo(f"Parcours {journey_id} : introuvable dans la base (vérifiez le numéro).", err=True)
    click.echo(f"{checked[0]} parcours vérifié(s), {len(journeys)} incohérent(s)"
               + (f", {len(missing)} introuvable(s)." if missing else "."))
    if journeys or missing:
        sys.exit(1)


def _existing_journeys(journey_ids) -> set[int]:
    from sqlalchemy import select
    from .models import Journey
    try:
        return set(db.session.scalars(select(Journey.id).where(Journey.id.in_(list(journey_ids)))))
    finally:
        db.session.rollback()


@main.group("process")
def process_group():
    """BPMN definitions."""


@process_group.command("validate", with_appcontext=False)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def validate(paths):
    """Check BPMN and DMN files without storing anything: exit 1 with one line per problem.

    The shipped processes are read alongside, so that a call activity to one of them resolves;
    a .dmn file gets the same checks as its upload.
    """
    from .workflow import DefinitionError
    try:
        valid, problems = _validate_files(paths)
    except DefinitionError as exc:
        valid, problems = [], exc.problems
    except Exception as exc:  # noqa: BLE001  (a validator answers in French, never with a traceback)
        valid, problems = [], [f"Validation interrompue : erreur inattendue ({type(exc).__name__}) ; "
                               "signalez-la avec le fichier en cause."]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        sys.exit(1)
    for key in valid:
        click.echo(f"Valide : {key}")


def _validate_files(paths) -> tuple[list[str], list]:
    """(valid process and decision keys, problems) of the given files."""
    from dataclasses import replace

    from .config import Config
    from .operations.definitions import available_forms, check_decision, read_folder
    from .operations.services import known_services
    from .workflow import DefinitionError, compile_files
    from .workflow.xml import MAX_XML_BYTES

    def read(path):  # never more than the size limit plus one byte: parsing reports the excess
        with open(path, "rb") as handle:
            return handle.read(MAX_XML_BYTES + 1)

    bpmn = {Path(p).name: read(p) for p in paths if not p.lower().endswith(".dmn")}
    dmn = {Path(p).name: read(p) for p in paths if p.lower().endswith(".dmn")}
    valid, problems = [], []
    if bpmn:
        try:
            compiled = compile_files(bpmn, known_forms=available_forms(Config.FORMS_DIR),
                                     context=read_folder(Config.PROCESSES_DIR), known_services=known_services())
            valid.extend(sorted(compiled))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    for name, content in dmn.items():
        try:
            valid.append(check_decision(content)[0])
        except DefinitionError as exc:
            problems.extend(replace(p, file_name=name) for p in exc.problems)
    return valid, problems


@main.group("reference")
def reference_group():
    """Reference lists offered to CEP advisers (ROME jobs, certifications)."""


def _reload(name, paths, what):
    """Run a reference list's reload; French errors exit 1 and leave the list as it was."""
    from . import reference_lists
    loader = {"rome": reference_lists.reload_rome,
              "certifications": reference_lists.reload_certifications}[name]
    try:
        count = loader(*paths)
    except (ValueError, OSError) as exc:
        message = str(exc) if isinstance(exc, ValueError) else f"fichier illisible ({exc.strerror})."
        click.echo(f"Erreur : {message}", err=True)
        sys.exit(1)
    click.echo(f"{count} {what} chargée(s).")
    click.echo(f"Source : {reference_lists.data_version(name)}")


@reference_group.command("rome", with_appcontext=False)
@click.argument("path", type=click.Path(dir_okay=False))
def reference_rome(path):
    """Replace the ROME jobs list with an official CSV (columns code_rome and libelle)."""
    _reload("rome", [path], "fiche(s) ROME")


@reference_group.command("certifications", with_appcontext=False)
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def reference_certifications(paths):
    """Replace the certifications with France Compétences' RNCP and/or RS CSV exports."""
    _reload("certifications", paths, "certification(s)")
