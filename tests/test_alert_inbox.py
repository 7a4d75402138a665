"""A delivery over many services is recorded, answered, shown on the board at once and applied after:
none of its alerts lost (its instance may stop once it has answered: the sweep applies it), none
applied twice (Alertmanager retries a delivery that timed out, even one already taken)."""

import datetime

import pytest

from tests.fixtures.served import wait_for
from tests.test_alert_batches import storm
from tests.test_hooks import events_of, hook, issue

SERVICES = ["alpha", "bravo", "charlie"]


@pytest.fixture
def recorded(app, monkeypatch):
    """Three services; deliveries over more than two are recorded and answered first, and here
    nothing applies them but the sweep, as when the instance that took them stopped at once."""
    from handlers.context import ndb_context
    from models import alert_inbox
    from models.service import Service

    with ndb_context(app):
        for name in SERVICES:
            Service.create(name, f"The {name} service.")
    monkeypatch.setattr(alert_inbox, "INLINE_SERVICES", 2)
    app.config["ALERTS_DISPATCH"] = "sweep"
    return issue(app, "alertmanager")


def board_statuses(client):
    """{service id: (status id, newest message)} as /api/v1/services shows them."""
    shown = client.get("/api/v1/services").json["services"]
    return {s["id"]: (s["current-event"]["status"]["id"], s["current-event"]["message"]) if s["current-event"] else None
            for s in shown}


def sweep_after_lease(client):
    """The cron sweep once the instance's lease of its deliveries is over; answers how many it applied."""
    from models.alert_inbox import LEASE
    from models.times import shifted

    with shifted(LEASE + datetime.timedelta(seconds=1)):
        return client.get("/_tasks/alerts/sweep").json["applied"]


def waiting(app):
    """(recorded deliveries not applied yet, services the board's preview holds changes of)."""
    from handlers.context import ndb_context
    from models.alert_inbox import AlertDelivery
    from models.preview import AlertPreview

    with ndb_context(app):
        preview = AlertPreview.key_for().get()
        return (AlertDelivery.query().count(),
                sorted({s for changes in ((preview.deliveries if preview else None) or {}).values() for s in changes}))


def test_a_delivery_shows_on_the_board_when_answered_and_is_applied_once_though_its_instance_stopped(client, recorded):
    answer = hook(client, "alertmanager", recorded, storm("firing", *SERVICES, "no-such-service")).json
    assert sorted(answer["changed"]) == SERVICES and answer["unmatched"] == ["no-such-service"]
    # Answered, not applied yet: the board shows the changes already, the services have no event.
    assert board_statuses(client) == {name: ("down", f"Down-{name} on {name}") for name in SERVICES}
    assert events_of(client, "alpha") == [] and waiting(client.app) == (1, SERVICES)
    assert client.get("/_tasks/alerts/sweep").json["applied"] == 0  # its instance's lease still holds it
    assert sweep_after_lease(client) == 1
    for name in SERVICES:
        assert events_of(client, name) == [("down", f"Down-{name} on {name}")]
    assert waiting(client.app) == (0, [])
    assert board_statuses(client) == {name: ("down", f"Down-{name} on {name}") for name in SERVICES}
    # Retried after it was applied: nothing more.
    assert hook(client, "alertmanager", recorded, storm("firing", *SERVICES)).json["changed"] == []
    sweep_after_lease(client)
    assert {len(events_of(client, name)) for name in SERVICES} == {1}


def test_a_retry_and_a_resolution_answered_before_the_first_is_applied_post_each_event_once(client, recorded):
    hook(client, "alertmanager", recorded, storm("firing", *SERVICES))
    # Alertmanager's retry of a delivery that timed out: recorded too, and answered as the first
    # leaves the services once applied (they changed once).
    assert hook(client, "alertmanager", recorded, storm("firing", *SERVICES)).json["changed"] == []
    assert waiting(client.app) == (2, SERVICES)
    resolved = hook(client, "alertmanager", recorded, storm("resolved", *SERVICES)).json
    assert sorted(resolved["changed"]) == SERVICES  # as it will be once the firing before it is applied
    assert board_statuses(client) == {name: ("up", f"Resolved: Down-{name} on {name}") for name in SERVICES}
    assert sweep_after_lease(client) == 3
    for name in SERVICES:
        assert events_of(client, name) == [("down", f"Down-{name} on {name}"), ("up", f"Resolved: Down-{name} on {name}")]
    assert waiting(client.app) == (0, [])


def test_a_write_to_a_service_after_the_answer_shows_over_the_delivery_until_it_is_applied(client, recorded, admin):
    hook(client, "alertmanager", recorded, storm("firing", *SERVICES))
    admin.post("/services/bravo/events", {"status": "warning", "message": "Slow."}, status=201)
    shown = board_statuses(client)
    assert shown["bravo"] == ("warning", "Slow.") and shown["alpha"] == ("down", "Down-alpha on alpha")
    sweep_after_lease(client)
    assert board_statuses(client)["bravo"] == ("down", "Down-bravo on bravo")


def test_the_instance_that_answered_applies_the_delivery_on_a_thread_of_its_own(client, recorded):
    client.app.config["ALERTS_DISPATCH"] = "thread"
    hook(client, "alertmanager", recorded, storm("firing", *SERVICES))
    assert wait_for(lambda: waiting(client.app) == (0, []), 30)
    for name in SERVICES:
        assert events_of(client, name) == [("down", f"Down-{name} on {name}")]


def test_each_delivery_recorded_and_applied_is_in_the_audit_log(client, recorded):
    from handlers.context import ndb_context
    from models.audit import AuditEntry

    hook(client, "alertmanager", recorded, storm("firing", *SERVICES))
    sweep_after_lease(client)
    with ndb_context(client.app):
        entries = [(e.action, e.actor_via, (e.after or e.before)["services"])
                   for e in AuditEntry.query(AuditEntry.kind == "AlertDelivery").fetch()]
    assert sorted(entries) == [("create", "integration", 3), ("delete", "integration", 3)]


def test_the_front_page_reads_what_waits_in_the_lookup_it_makes_anyway(client, recorded):
    from tests.test_cache import cache_state, rpcs

    client.get("/")  # this process now knows the board's members (models/board_index.py)
    hook(client, "alertmanager", recorded, storm("firing", *SERVICES))
    waiting_page = client.get("/")
    sweep_after_lease(client)
    applied_page = client.get("/")
    assert cache_state(waiting_page) == cache_state(applied_page) == "miss"
    assert "Down-alpha on alpha" in waiting_page.text and "Down-alpha on alpha" in applied_page.text
    assert rpcs(waiting_page) == rpcs(applied_page) <= 4


def test_a_delivery_too_large_for_a_record_is_applied_before_its_answer(client, recorded, monkeypatch):
    from models import alert_inbox

    monkeypatch.setattr(alert_inbox, "RECORD_MAX", 10)
    assert sorted(hook(client, "alertmanager", recorded, storm("firing", *SERVICES)).json["changed"]) == SERVICES
    assert waiting(client.app) == (0, []) and events_of(client, "charlie") == [("down", "Down-charlie on charlie")]
