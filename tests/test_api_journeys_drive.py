"""Every journey driven to each of its ends through the API alone, with each task's data generated
from the form schema the task publishes (Hypothesis + hypothesis-jsonschema).

Only the branch-choosing field of a step is steered (e.g. `reponse`, `decision`); everything else
is drawn from the published schema, so a schema that does not say what the server accepts fails
here. Each step also sends invalid data (wrong type, value outside the choices, required field
missing) and expects a 422 with a French message on that field and nothing written.
"""
import json
import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select

from conftest import api_token
from webapp import clock
from webapp.models import User

# Rules the server checks that JSON Schema cannot say (a commune that exists, a plausible phone
# number, a date relative to today…): the forms name them with `x-check`, `x-date` and
# `x-not-before`. A 422 on such a field is a correct answer; the step is then sent again with a
# value that meets the rule (SAFE), and that must pass.
SAFE_CHECKS = {"email": "lea.dupont@example.fr", "telephone": "06 12 34 56 78", "commune": "Orléans",
               "annee_naissance": 1990}
SAFE_TEXT = "Texte saisi pour le test"
ENGLISH = re.compile(r"\b(is|not|required|property|valid|must|should|expected|None|of)\b")
# Few examples: each one drives a whole journey (a dozen requests per step). No shrinking: a
# failure is reported with every value drawn, and shrinking would replay whole journeys for minutes.
DRIVE = settings(max_examples=2, deadline=None, database=None, phases=[Phase.generate],
                 # the client fixture is function-scoped, but each example starts its own journey
                 # and reads only its own tasks, so examples do not share any state through it
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def assert_french(message: str):
    assert message and not ENGLISH.search(message), message


_STRATEGIES = {}
# Invalid data is tried on each form in its first REFUSAL_ROUNDS steps of the module's run (the
# reception forms come back in every journey; trying them every time would only cost time).
REFUSAL_ROUNDS = 2
_refusals = {}


def strategy(schema: dict) -> st.SearchStrategy:
    """hypothesis-jsonschema's strategy for `schema`, built once per schema (it checks and
    rewrites the schema first, which costs more than drawing from it)."""
    schema = {k: v for k, v in schema.items() if not k.startswith("x-")}
    key = json.dumps(schema, sort_keys=True)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = from_schema(schema)
    return _STRATEGIES[key]


def _server_rule_fields(schema: dict) -> set[str]:
    props = schema.get("properties", {})
    found = {n for n, p in props.items() if p.get("x-check") or p.get("x-date") or p.get("x-not-before")}
    found |= {p["x-not-before"]["explain"] for p in props.values()
              if isinstance(p.get("x-not-before"), dict) and p["x-not-before"].get("explain")}
    return found


def _unstorable(value) -> bool:
    return "\\u0000" in json.dumps(value)


def _safe(prop: dict):
    if prop.get("x-check") in SAFE_CHECKS:
        return SAFE_CHECKS[prop["x-check"]]
    if prop.get("format") == "date":
        return clock.now().date().isoformat()
    return SAFE_TEXT


def _choices(prop: dict) -> list:
    return [choice["const"] for choice in (prop.get("items") or prop).get("oneOf", [])]


class Driver:
    """Works a journey through the API as several users, drawing each form's data."""

    def __init__(self, client, data, staff: dict, tokens: dict):
        self.client, self.data, self.staff, self.tokens = client, data, staff, tokens

    def headers(self, username: str) -> dict:
        if username not in self.tokens:
            self.tokens[username] = api_token(self.client, username)
        return self.tokens[username]

    def start(self, username: str) -> dict:
        response = self.client.post("/api/v1/journeys", json={"process_key": "accueil"},
                                    headers=self.headers(username))
        assert response.status_code == 201, response.get_json()
        started = response.get_json()
        self.journey_id, self.person_id = started["journey"]["id"], started["journey"]["person_id"]
        return started

    def find(self, username: str, bpmn_id: str) -> dict:
        """The journey's open task `bpmn_id` in the user's queue (it may be in another structure)."""
        queue = self.client.get(f"/api/v1/tasks?scope=queue&task={bpmn_id}",
                                headers=self.headers(username)).get_json()
        found = [t for t in queue["items"] if t["journey_id"] == self.journey_id]
        assert len(found) == 1, (username, bpmn_id, queue)
        return found[0]

    def draw_data(self, schema: dict, steer: dict) -> dict:
        """Schema-valid data, steered fields fixed. hypothesis-jsonschema draws each field (its
        object strategy does not run with the installed Hypothesis); the object is assembled here,
        adding what `required` and the if/then branches ask until the whole schema holds."""
        props, required = schema.get("properties", {}), set(schema.get("required", []))
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        value = {}
        for name, prop in props.items():
            if name in steer:
                wanted = steer[name]
                value[name] = self.data.draw(wanted, label=name) if isinstance(wanted, st.SearchStrategy) \
                    else wanted
            elif name in required or self.data.draw(st.booleans(), label=f"fill {name}"):
                value[name] = self.data.draw(strategy(prop), label=name)
        for _round in range(6):
            errors = list(validator.iter_errors(value))
            if not errors:
                return value
            for error in errors:
                if error.validator == "required":
                    for name in error.validator_value:
                        if name not in value:
                            value[name] = self.data.draw(strategy(props[name]), label=name)
                elif error.path and error.path[0] not in steer:
                    name = error.path[0]
                    rule = error.schema if len(error.path) == 1 and isinstance(error.schema, dict) else {}
                    value[name] = self.data.draw(strategy({"allOf": [props[name], rule]}), label=name)
        raise AssertionError(f"no valid data for {schema.get('title')}: {value}")

    def _completed_count(self, username: str) -> int:
        return [e["action"] for e in self.dossier(username)["timeline"]].count("task.completed")

    def refuse_invalid(self, username: str, task_id: int, schema: dict, valid: dict):
        """Wrong type, a value outside the choices, a required field missing: 422 on that field,
        in French, and the task still open with nothing completed."""
        props, headers = schema["properties"], self.headers(username)
        # text with U+0000 is refused before the form is read: keep it out of these cases
        valid = {n: SAFE_TEXT if _unstorable(v) else v for n, v in valid.items()}
        before = self._completed_count(username)
        name = self.data.draw(st.sampled_from(sorted(valid)), label="mistyped field")
        wrong = {"string": 12345, "integer": "douze", "boolean": "oui", "array": "pas une liste"}
        cases = [(name, {**valid, name: wrong.get(props[name].get("type"), ["?"])})]
        choice_fields = sorted(n for n in valid if _choices(props[n]))
        if choice_fields:
            name = self.data.draw(st.sampled_from(choice_fields), label="field outside its choices")
            prop = props[name]
            allowed = _choices(prop)
            kind = (prop.get("items") or prop).get("type", "string")
            outside = self.data.draw(strategy({"type": kind, "not": {"enum": allowed}}), label="outside")
            cases.append((name, {**valid, name: [outside] if prop.get("type") == "array" else outside}))
        required = sorted(schema.get("required", []))
        if required:
            name = self.data.draw(st.sampled_from(required), label="missing field")
            cases.append((name, {k: v for k, v in valid.items() if k != name}))
        for name, bad in cases:
            response = self.client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": bad},
                                        headers=headers)
            assert response.status_code == 422, (name, bad, response.get_json())
            body = response.get_json()
            assert name in body["errors"], (name, bad, body)
            assert_french(body["errors"][name])
        task = self.client.get(f"/api/v1/tasks/{task_id}", headers=headers).get_json()
        assert task["status"] == "ouverte"
        assert self._completed_count(username) == before

    def step(self, username: str, bpmn_id: str, steer: dict | None = None, task: dict | None = None) -> dict:
        """Complete the journey's open task `bpmn_id` as `username`; return the completion answer."""
        steer, headers = steer or {}, self.headers(username)
        task = task or self.find(username, bpmn_id)
        assert task["bpmn_id"] == bpmn_id
        if task["assignee"] is None:
            claimed = self.client.post(f"/api/v1/tasks/{task['id']}/claim", headers=headers)
            assert claimed.status_code == 200, claimed.get_json()
        detail = self.client.get(f"/api/v1/tasks/{task['id']}", headers=headers).get_json()
        schema = detail["form"]["schema"]
        for prop in schema["properties"].values():  # every choice is spelled out for the client
            assert "enum" not in prop and "enum" not in prop.get("items", {})
        data = self.draw_data(schema, steer)
        if _refusals.get(bpmn_id, 0) < REFUSAL_ROUNDS:
            _refusals[bpmn_id] = _refusals.get(bpmn_id, 0) + 1
            self.refuse_invalid(username, task["id"], schema, data)
        response = self.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data},
                                    headers=headers)
        # Only a rule the schema cannot say may refuse schema-valid data; meeting it must pass
        # (a fixed date may in turn ask for an explanation, hence a second round).
        for _round in range(3):
            if response.status_code != 422:
                break
            errors = response.get_json().get("errors") or {}
            # text holding U+0000, which PostgreSQL cannot store, is refused on its field too
            unstorable = {n for n, v in data.items() if _unstorable(v)}
            assert errors and set(errors) <= _server_rule_fields(schema) | unstorable, \
                (data, response.get_json())
            for name, message in errors.items():
                assert_french(message)
                data[name] = _safe(schema["properties"][name])
            response = self.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data},
                                        headers=headers)
        assert response.status_code == 200, (bpmn_id, data, response.get_json())
        return response.get_json()

    def partner(self, schema_owner: str, bpmn_id: str, field: str) -> st.SearchStrategy:
        """A structure among the field's published choices whose staff the test can sign in as."""
        task = self.find(schema_owner, bpmn_id)
        detail = self.client.get(f"/api/v1/tasks/{task['id']}", headers=self.headers(schema_owner)).get_json()
        staffed = [v for v in _choices(detail["form"]["schema"]["properties"][field])
                   if v in self.staff]
        assert staffed
        return st.sampled_from(staffed)

    def dossier(self, username: str) -> dict:
        return self.client.get(f"/api/v1/people/{self.person_id}", headers=self.headers(username)).get_json()

    def assert_ended(self, end_event: str, referrals: list[str]):
        """The journey is over, on `end_event`, with these referral states and no task left."""
        dossier = self.dossier(SENDER)
        [journey] = [j for j in dossier["journeys"] if j["id"] == self.journey_id]
        assert (journey["status"], journey["end_event"]) == ("terminee", end_event)
        assert [r["status"] for r in dossier["referrals"] if r["journey_id"] == self.journey_id] == referrals
        assert dossier["open_tasks"] == []


SENDER = "claire.martin"
ABANDONED = "fin_orientation_abandonnee"  # the sender gave up: not the end of a referral that succeeded


@pytest.fixture(scope="module")
def staff(app):
    """{structure id: a counsellor of it}: whom to sign in as when a structure receives a task."""
    with app.app_context():
        from webapp.extensions import db
        users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)).all()
        sender_structure = next(u.structure_id for u in users if u.username == SENDER)
        found = {}
        for user in users:
            if "conseiller" in (user.roles or []) and user.structure_id != sender_structure:
                found.setdefault(user.structure_id, user.username)
        return found


@pytest.fixture
def tokens():
    """Bearer tokens by username, shared by a test's examples (signing in hashes a password)."""
    return {}


def welcome_and_analyse(d: Driver, reponse: str) -> dict:
    started = d.start(SENDER)
    done = d.step(SENDER, "accueillir", task=started["tasks"][0])
    [analyse] = done["next_tasks"]
    return d.step(SENDER, "analyser_demande", {"reponse": reponse}, task=analyse)


def send(d: Driver) -> str:
    """Choose a partner (any staffed structure published as a choice) and inform the person;
    return the username of the receiving structure."""
    target = d.data.draw(d.partner(SENDER, "choisir_partenaire", "partenaire_id"), label="partner")
    d.step(SENDER, "choisir_partenaire", {"decision": "orienter", "partenaire_id": target})
    d.step(SENDER, "informer_personne")
    return d.staff[target]


@given(data=st.data())
@DRIVE
def test_documentation_ends_the_reception(client, staff, tokens, data):
    d = Driver(client, data, staff, tokens)
    done = welcome_and_analyse(d, "documentation")
    assert done["next_tasks"] == []
    d.assert_ended("fin_documentation", [])


@given(data=st.data())
@DRIVE
def test_cep_at_a_cep_operator_ends_the_reception_by_opening_the_cep_journey(client, staff, tokens, data):
    d = Driver(client, data, staff, tokens)
    done = welcome_and_analyse(d, "cep")
    assert done["next_tasks"] == []  # the CEP is a journey of its own, in the CEP advisers' queue
    dossier = d.dossier(SENDER)
    journeys = {j["id"]: j for j in dossier["journeys"]}
    assert (journeys[d.journey_id]["status"], journeys[d.journey_id]["end_event"]) == ("terminee", "fin_cep_ouvert")
    [cep] = [j for j in journeys.values() if j["id"] != d.journey_id]
    assert cep["status"] == "en_cours"
    # Claire holds the CEP adviser role: she keeps the first CEP step she opened
    assert [(t["bpmn_id"], t["assignee"]) for t in dossier["open_tasks"]] == [("accueil_individualise", SENDER)]


@pytest.mark.parametrize("issue", ["projet_defini", "formation", "emploi", "arret", "orientation"])
@given(data=st.data())
@DRIVE
def test_personalised_handling_with_sessions_ends_on_each_issue(client, staff, tokens, issue, data):
    d = Driver(client, data, staff, tokens)
    welcome_and_analyse(d, "prise_en_charge")
    d.step(SENDER, "entretien_information", {"releve_du_champ": True, "conseil_approfondi": True})
    d.step(SENDER, "seance_conseil", {"autre_seance": True})
    d.step(SENDER, "seance_conseil", {"autre_seance": False})
    done = d.step(SENDER, "plan_action", {"issue": issue})
    if issue == "orientation":  # the referral the action plan asked for; the person then declines it
        assert [t["bpmn_id"] for t in done["next_tasks"]] == ["choisir_partenaire"]
        d.step(SENDER, "choisir_partenaire", {"decision": "abandonner"})
        d.assert_ended("fin_prise_en_charge", [])
    else:
        assert done["next_tasks"] == []
        d.assert_ended("fin_prise_en_charge", [])


@pytest.mark.parametrize("contact,referrals", [("confirme", ["aboutie"]), ("non_venue", ["refusee"])])
@given(data=st.data())
@DRIVE
def test_accepted_referral_ends_on_first_contact(client, staff, tokens, contact, referrals, data):
    d = Driver(client, data, staff, tokens)
    welcome_and_analyse(d, "orientation")
    receiver = send(d)
    d.step(receiver, "traiter_orientation", {"reponse": "accepter"})
    d.step(receiver, "confirmer_premier_contact", {"premier_contact": contact})
    if contact == "non_venue":  # back to the sender, who gives up
        d.step(SENDER, "choisir_partenaire", {"decision": "abandonner"})
    d.assert_ended("fin_orientation" if contact == "confirme" else ABANDONED, referrals)


@given(data=st.data())
@DRIVE
def test_refused_referral_is_chosen_again_then_abandoned(client, staff, tokens, data):
    d = Driver(client, data, staff, tokens)
    welcome_and_analyse(d, "orientation")
    receiver = send(d)
    d.step(receiver, "traiter_orientation", {"reponse": "refuser"})
    d.step(SENDER, "choisir_partenaire", {"decision": "abandonner"})
    d.assert_ended(ABANDONED, ["refusee"])


@given(data=st.data())
@DRIVE
def test_redirected_referral_is_accepted_by_the_third_structure(client, staff, tokens, data):
    d = Driver(client, data, staff, tokens)
    welcome_and_analyse(d, "orientation")
    receiver = send(d)
    redirection = d.partner(receiver, "traiter_orientation", "partenaire_redirection_id")
    third = d.data.draw(redirection, label="third")
    d.step(receiver, "traiter_orientation", {"reponse": "rediriger", "partenaire_redirection_id": third})
    d.step(staff[third], "traiter_orientation", {"reponse": "accepter"})
    d.step(staff[third], "confirmer_premier_contact", {"premier_contact": "confirme"})
    d.assert_ended("fin_orientation", ["redirigee", "aboutie"])
