"""Property-based fuzz of the whole API from the OpenAPI document it publishes: whatever a client
sends, valid or not, no operation answers a server error (on the test database, SQLite or PostgreSQL)."""
import pytest
import schemathesis
from conftest import api_token, get_user
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from webapp import create_app
from webapp.api.openapi import build_spec
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.operations.journeys import start_journey

EXAMPLES_PER_OPERATION = 25


def published_document() -> dict:
    """The document the API serves on /api/v1/openapi.json (built from the routes, no database read)."""
    return build_spec(create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://"))


schema = schemathesis.openapi.from_dict(published_document())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=EXAMPLES_PER_OPERATION)


@pytest.fixture
def auth(app, client):
    """A bearer token of an adviser whose structure holds two open receptions, so that some generated
    ids reach real tasks and people."""
    with app.app_context():
        for _ in range(2):
            start_journey(get_user("claire.martin"), "accueil")
        db.session.commit()
    return api_token(client, "claire.martin")


def test_the_fuzzed_document_is_the_published_one(client):
    """Is the fuzz run over the very document the API publishes?"""
    assert client.get("/api/v1/openapi.json").get_json() == published_document()


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case, app, auth):
    """Does every operation answer anything a client may send without a 5xx?"""
    case.call_and_validate(app=app, headers=auth, checks=[not_a_server_error])
