"""The referral's delays are set in the diagram, on the service task that sends it: a process owner
changes them in the studio, and the referral and its timers follow."""
from pathlib import Path

import pytest
from test_orientation import send, start_referral

from conftest import get_user
from webapp.extensions import db
from webapp.operations import studio as studio_ops
from webapp.operations.service_params import delay_days, delay_defaults
from webapp.workdays import add_working_days
from webapp.errors import Conflict
from webapp.workflow import EngineError

ORIENTATION = (Path(__file__).resolve().parent.parent / "processes" / "orientation.bpmn").read_text()
SEND_PARAMETER = ('<spiffworkflow:parameter id="destinataire" type="any" value="partenaire_redirection_id if '
                  'issue_tentative == &quot;redirigee&quot; else partenaire_id" />')


def publish_orientation(app, escalation: str):
    """Publish orientation with « jours_escalade » set on « Envoyer l'orientation »."""
    assert SEND_PARAMETER in ORIENTATION
    xml = ORIENTATION.replace(SEND_PARAMETER, SEND_PARAMETER +
                              f'<spiffworkflow:parameter id="jours_escalade" type="any" value="{escalation}" />')
    with app.app_context():
        pilote = get_user("julien.mercier")
        studio_ops.save_draft(pilote, "orientation", "bpmn", "orientation.bpmn", xml)
        studio_ops.publish_draft(pilote, "orientation", "bpmn", f"Escalade à {escalation} jours ouvrés")
        db.session.commit()


def test_a_delay_set_in_the_diagram_dates_the_referral_and_its_escalation(app, restore_versions):
    publish_orientation(app, "8")
    with app.app_context():
        referral = send(start_referral())
        cfg = app.config
        assert referral.escalate_at == add_working_days(referral.sent_at, 8)
        # the delays the diagram does not set keep their settings
        assert referral.remind_at == add_working_days(referral.sent_at, cfg["REFERRAL_REMINDER_DAYS"])
        assert referral.expire_at == add_working_days(referral.sent_at, cfg["REFERRAL_EXPIRY_DAYS"])


@pytest.mark.parametrize("value", ["0", "251", "2.5", "&quot;huit&quot;", "dix"])
def test_a_delay_out_of_bounds_stays_in_the_draft_with_a_clear_message(app, restore_versions, value):
    """Checked when the diagram is saved, not when a person's step runs: the draft keeps it as work to
    finish, named on its service task, and cannot be published."""
    xml = ORIENTATION.replace(SEND_PARAMETER, SEND_PARAMETER +
                              f'<spiffworkflow:parameter id="jours_escalade" type="any" value="{value}" />')
    with app.app_context():
        pilote = get_user("julien.mercier")
        draft = studio_ops.save_draft(pilote, "orientation", "bpmn", "orientation.bpmn", xml)
        [problem] = draft.problems
        assert problem["element"] == "envoyer"
        assert "« jours_escalade »" in problem["message"] and "entre 1 et 250" in problem["message"]
        with pytest.raises(Conflict, match="problème"):
            studio_ops.publish_draft(pilote, "orientation", "bpmn", "Escalade")
        db.session.rollback()


@pytest.mark.parametrize("value", [0, 251, "2.5", "huit", True, [8]])
def test_a_delay_that_reached_a_running_step_anyway_stops_it_with_a_clear_message(app, value):
    with app.test_request_context():
        with pytest.raises(EngineError, match="jours_escalade.*nombre entier de jours ouvrés entre 1 et 250"):
            delay_days({"jours_escalade": value}, "jours_escalade", "REFERRAL_ESCALATION_DAYS")
        assert delay_days({"jours_escalade": "8"}, "jours_escalade", "REFERRAL_ESCALATION_DAYS") == 8
        assert delay_days({}, "jours_escalade", "REFERRAL_ESCALATION_DAYS") == app.config["REFERRAL_ESCALATION_DAYS"]


def test_the_editor_knows_each_delay_and_its_setting(app):
    with app.app_context():
        defaults = delay_defaults()
    assert defaults["orientation.envoyer"] == {"jours_relance": app.config["REFERRAL_REMINDER_DAYS"],
                                               "jours_escalade": app.config["REFERRAL_ESCALATION_DAYS"],
                                               "jours_expiration": app.config["REFERRAL_EXPIRY_DAYS"]}
    assert defaults["cep.deposer"] == {"jours_relance": app.config["FUNDING_REMINDER_DAYS"]}
