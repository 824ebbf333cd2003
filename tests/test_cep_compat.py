"""Journeys already waiting at « Conseil en évolution professionnelle à organiser » (the accueil
version before the CEP journey existed) keep working once the CEP journey is published."""
import shutil
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import delete, select

from conftest import TRANSACTIONAL, get_user
from test_orientation import analysis, do, open_tasks, the_task, welcome
from webapp.extensions import db
from webapp.models import DefinitionVersion, Journey
from webapp.operations.definitions import publish, read_folder
from webapp.operations.journeys import start_journey
from webapp.queries.definitions import current_version

OLD = Path(__file__).parent / "fixtures" / "accueil_before_cep"
ADVISER = "claire.martin"  # Mission Locale de l'Orléanais, a CEP operator


@pytest.fixture
def shipped_then_old(ctx, tmp_path):
    """The shipped files and a forms folder that also holds the old CEP wait's form; on the way
    out, the journeys and the versions published here go, and the shipped versions are current again."""
    forms = tmp_path / "forms"
    processes = Path(current_app.root_path).parent / "processes"
    shutil.copytree(processes.parent / "forms", forms)
    for old_form in OLD.glob("*.json"):
        shutil.copy(old_form, forms)
    before = {v.id: v.is_current for v in db.session.scalars(select(DefinitionVersion))}
    yield read_folder(str(processes)), str(forms)
    db.session.rollback()
    for model in TRANSACTIONAL:  # the journeys hold the versions added here
        db.session.execute(delete(model))
    db.session.execute(delete(DefinitionVersion).where(DefinitionVersion.id.not_in(list(before))))
    for version in db.session.scalars(select(DefinitionVersion)):
        version.is_current = before[version.id]
    db.session.commit()


def reception_answering_cep() -> Journey:
    journey = start_journey(get_user(ADVISER), "accueil")
    db.session.commit()
    do(ADVISER, the_task(journey, "accueillir"), welcome(public="salarie"))
    do(ADVISER, the_task(journey, "analyser_demande"), analysis("cep"))
    return journey


def cep_journeys_of(journey) -> list[Journey]:
    return db.session.scalars(select(Journey).where(Journey.person_id == journey.person_id,
                                                    Journey.process_key == "cep")).all()


def test_a_reception_waiting_at_the_old_cep_step_ends_on_its_own_version(shipped_then_old):
    """Started on the accueil version without the CEP journey and waiting at « CEP à organiser »
    when the CEP journey is published: the waiting step can still be done, and ends the journey
    on its own version's end event; a new reception answering « CEP » opens a CEP journey."""
    files, forms = shipped_then_old
    shipped_accueil = current_version("accueil")
    publish({**files, "accueil.bpmn": (OLD / "accueil.bpmn").read_bytes()}, forms)
    db.session.commit()
    old_version = current_version("accueil")
    assert old_version.id != shipped_accueil.id and "cep_a_organiser.schema.json" in old_version.forms

    waiting = reception_answering_cep()
    task = the_task(waiting, "cep_a_organiser")
    assert task.title == "Conseil en évolution professionnelle à organiser"
    assert cep_journeys_of(waiting) == []

    publish(files, forms)
    db.session.commit()
    new_version = current_version("accueil")
    assert new_version.id not in (old_version.id, shipped_accueil.id)
    assert new_version.checksum == shipped_accueil.checksum

    do(ADVISER, task, {"operateur_cep_envisage": "Mission Locale de l'Orléanais",
                       "projet": "Se reconvertir dans le soin."})
    db.session.refresh(waiting)
    assert (waiting.status, waiting.end_event, waiting.incident) == ("terminee", "fin_cep_a_organiser", None)
    assert waiting.definition_version_id == old_version.id
    assert open_tasks(waiting) == [] and cep_journeys_of(waiting) == []

    fresh = reception_answering_cep()
    assert fresh.definition_version_id == new_version.id
    db.session.refresh(fresh)
    assert (fresh.status, fresh.end_event) == ("terminee", "fin_cep_ouvert")
    [cep] = cep_journeys_of(fresh)
    assert cep.status == "en_cours" and cep.structure_id == get_user(ADVISER).structure_id
    assert [t.bpmn_id for t in open_tasks(cep)] == ["accueil_individualise"]


def test_the_shipped_accueil_is_current_again(ctx):
    """After the test above, other tests see the shipped accueil (with its CEP branch) as current."""
    current = db.session.scalars(select(DefinitionVersion).where(DefinitionVersion.process_key == "accueil",
                                                                 DefinitionVersion.is_current.is_(True))).all()
    assert len(current) == 1
    assert "cep_a_organiser" not in current[0].bpmn_xml and "cep.demarrer" in current[0].bpmn_xml
