"""The demo board `make run` starts with: 90 days of history whose uptime is what its events make,
a resolved incident with a postmortem, an open one, a maintenance window to come, a probe's chart."""

import time

import pytest

from models import demo
from tests.fixtures.datastore import make_client
from tests.test_glance import bars
from tests.test_uptime import assert_page_matches_events

pytestmark = pytest.mark.one_board


@pytest.fixture(scope="module")
def shown(module_app):
    """The demo seeded once on the module's board (two days of the probe's results: fewer to store)."""
    from handlers.context import ndb_context

    with ndb_context(module_app):
        started = time.monotonic()
        assert demo.seed(probe_days=2) is True
        print(f"seeded in {time.monotonic() - started:.1f} s")
        assert demo.seed() is False  # a board with services is left as it is
    return make_client(module_app)


def test_the_demo_has_a_resolved_incident_with_its_postmortem_an_open_one_and_maintenance_to_come(shown):
    incidents = {i["title"]: i for i in shown.get("/api/v1/incidents").json["incidents"]}
    resolved, open_one = incidents["Card payments failing"], incidents["Delayed email"]
    assert resolved["state"] == "resolved" and "certificate" in resolved["postmortem"]
    assert open_one["state"] != "resolved"
    windows = shown.get("/api/v1/maintenances").json["maintenances"]
    assert [(w["title"], w["state"]) for w in windows] == [("SMS gateway upgrade", "scheduled")]
    front = shown.get("/")
    assert "Delayed email" in front.text and "SMS gateway upgrade" in front.text


def test_ninety_days_of_history_with_the_uptime_its_events_make(shown):
    days = bars(shown.get("/"), "web-api")
    assert len(days) == 90
    assert days[-45][0] == "b-error"  # down 44 days ago
    for service_id in ("web-api", "website", "payments", "email", "sms", "webhooks"):
        assert_page_matches_events(shown, service_id)


def test_the_probe_has_response_times_in_every_bucket_of_its_chart(shown):
    figure = shown.get("/services/web-api?period=24h").html.select_one("figure.chart")
    assert len(figure.select("details tbody tr")) >= 95
    assert figure.select_one("path.chart-line")["d"].count("M") == 1  # no gap
    month = shown.get("/services/web-api?period=30d").html.select_one("figure.chart")
    assert len(month.select("details tbody tr")) >= 12  # the two days seeded here
