"""Fuzzing every API operation with schemathesis, against the description the app serves.

Every operation of both roots gets a bounded run of schemathesis' phases (the
description's examples, boundary and negative cases, undeclared methods, then random
data), sent in-process through the WSGI app to the real Datastore emulator as an admin
with a bearer token. Every answer must be no server error and must match the
description: status code, content type, headers and body. Then a few stateful runs
follow the description's links (create a service, post to it, delete it, …).
`make fuzz` runs the same with FUZZ_EXAMPLES raised.

The schema is loaded when the module is, from the same builder that serves
/api/v1/openapi.json, because collection needs the operations before any app exists
(schemathesis' lazy `from_fixture` loader fails on pytest 9.2); each test then checks
that its live app serves exactly that document.
"""

import datetime
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from handlers import api
from tests.fixtures.datastore import ADMIN_EMAIL, make_app

# make test-slow (the module stays on one worker) and make fuzz.
pytestmark = pytest.mark.slow
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# The host schemathesis' WSGI transport sends, so the served document's server is this one.
BASE_URL = "http://localhost"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,  # a method the description does not list is a 405 with Allow
]
# After a link is followed: a resource just made can be read, one just deleted cannot.
STATEFUL_CHECKS = [*CHECKS, use_after_free, ensure_resource_availability]
FUZZ_SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                         database=None)

schema = schemathesis.openapi.from_dict(api.description(BASE_URL))


def seed():
    """Lists, services (one with no events), events of every kind and a custom status; an admin token."""
    from models import ApiToken, Event, Incident, Maintenance, Service, ServiceList, Status, install, utcnow

    install()
    ServiceList.create("Core", "The API and the site.")
    ServiceList.create("Messaging", "Email and SMS.")
    web = Service.create("Web API", "The REST API.", "core")
    email = Service.create("Email", "Outbound email.", "messaging")
    Service.create("Quiet", "No events yet.", None)
    Status.create("Planned", "Planned work.", "wrench", level="WARNING")
    Event.post(web, "All good.", "up")
    Event.post(web, "Errors on checkout.", "down")
    Event.post(web, "Looking into it.", informational="true")
    Event.post(email, "Slow delivery.", "warning")
    Incident.open("Checkout errors", "web-api", "Looking into it.", statuses="web-api=down")
    now = utcnow()
    Maintenance.schedule("Upgrade", "Writes pause.", "email", now + datetime.timedelta(hours=1),
                         now + datetime.timedelta(hours=2))
    return ApiToken.issue(ADMIN_EMAIL, "fuzz")[1]


def seeded_board():
    """(app, admin bearer headers) on a fresh namespace with a seeded board, serving `schema`."""
    from handlers.context import ndb_context

    app = make_app()
    with ndb_context(app):
        token = seed()
    served = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    assert served.raw_schema == api.description(BASE_URL), "the app serves another description than the one fuzzed"
    return app, {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def shared_board(emulator):
    """One board for the reads, which change nothing."""
    return seeded_board()


@pytest.fixture
def fresh_board(emulator):
    """A board of its own for each write operation, whose cases create and delete."""
    return seeded_board()


@schema.include(method="GET").parametrize()
@FUZZ_SETTINGS
def test_every_read_answers_as_described_under_fuzzing(case, shared_board):
    app, headers = shared_board
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)


@schema.exclude(method="GET").parametrize()
@FUZZ_SETTINGS
def test_every_write_answers_as_described_under_fuzzing(case, fresh_board):
    app, headers = fresh_board
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)


def test_chains_of_calls_along_the_links_answer_as_described(emulator):
    class Chains(schema.as_state_machine()):
        def setup(self):
            # Every scenario starts from the same board, so Hypothesis can replay and shrink it.
            self.app, self.headers = seeded_board()

        def get_call_kwargs(self, case):
            return {"app": self.app, "headers": self.headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs)

    Chains.run(settings=settings(FUZZ_SETTINGS, max_examples=max(3, MAX_EXAMPLES // 4), stateful_step_count=6))
