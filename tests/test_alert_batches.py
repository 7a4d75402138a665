"""A webhook over many services: several services to a transaction, each change written as a
single alert's would be (event, audit entries, outbox record, board row), none lost or made twice."""

import pytest
from google.api_core import exceptions

from tests.test_hooks import am_alert, am_group, events_of, hook, issue

SERVICES = ["alpha", "bravo", "charlie", "delta", "echo"]


@pytest.fixture
def services(app):
    """Five services, made as the admin API makes them."""
    from handlers.context import ndb_context
    from models.service import Service

    with ndb_context(app):
        for name in SERVICES:
            Service.create(name, f"The {name} service.")
    return SERVICES


@pytest.fixture
def small_chunks(monkeypatch):
    """Two services to a transaction, so that five make three chunks (one of them a single service)."""
    from models import alerts

    monkeypatch.setattr(alerts, "CHUNK", 2)


def storm(state, *names):
    """One Alertmanager group with an alert (`state`) for each of `names`."""
    return am_group(*(am_alert(f"Down-{name}", "critical", state=state, service=name) for name in names))


def written(app):
    """(audit entries as (action, kind, parent or id, actor), status notifications' (service, status), board rows' statuses)."""
    from handlers.context import ndb_context
    from models.audit import AuditEntry
    from models.board_index import BoardRow
    from models.outbox import Notification

    with ndb_context(app):
        entries = sorted((e.action, e.kind, e.parent_id or e.entity_id, e.actor_via)
                         for e in AuditEntry.query().fetch() if e.actor_via == "integration")
        notes = sorted((n.payload["service"]["id"], n.payload["status"]["id"])
                       for n in Notification.query().fetch() if n.kind == "status")
        rows = {name: BoardRow.stored(name)["status"] for name in SERVICES}
    return entries, notes, rows


def test_a_webhook_over_many_services_writes_each_change_as_one_alert_would(client, services, small_chunks):
    secret = issue(client.app, "alertmanager")
    answer = hook(client, "alertmanager", secret, storm("firing", *services, "no-such-service")).json
    assert sorted(answer["changed"]) == services and answer["unmatched"] == ["no-such-service"]
    for name in services:
        assert events_of(client, name) == [("down", f"Down-{name} on {name}")]
    entries, notes, rows = written(client.app)
    assert entries == sorted([("create", "Event", name, "integration") for name in services]
                             + [("update", "Service", name, "integration") for name in services])
    assert notes == [(name, "down") for name in services]
    assert rows == {name: "down" for name in services}
    # Replayed, it changes nothing; resolved, every service goes back.
    assert hook(client, "alertmanager", secret, storm("firing", *services)).json["changed"] == []
    assert sorted(hook(client, "alertmanager", secret, storm("resolved", *services)).json["changed"]) == services
    assert {events_of(client, name)[-1][1] for name in services} == {f"Resolved: Down-{name} on {name}" for name in services}


def test_a_chunk_that_meets_concurrent_writes_is_applied_service_by_service_once(client, services, small_chunks,
                                                                                  monkeypatch):
    from models import alerts

    applied = alerts._apply_to_chunk
    refused = []

    def contended(chunk, *rest):
        if len(chunk) > 1:  # as a chunk whose transaction kept meeting a single post would end
            refused.append([service_id for service_id, *_ in chunk])
            raise exceptions.Aborted("too much contention on these datastore entities")
        return applied(chunk, *rest)

    monkeypatch.setattr(alerts, "_apply_to_chunk", contended)
    secret = issue(client.app, "alertmanager")
    answer = hook(client, "alertmanager", secret, storm("firing", *services)).json
    assert len(refused) == 2 and sorted(answer["changed"]) == services
    for name in services:
        assert events_of(client, name) == [("down", f"Down-{name} on {name}")]
