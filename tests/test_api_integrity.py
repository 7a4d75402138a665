"""Writes are whole or nothing: transactions, clashes under concurrency, the audit trail."""

import concurrent.futures
import datetime

from google.cloud import ndb

from models import AuditEntry, Event, Service, utcnow
from tests.helpers import board_state


def test_concurrent_creates_of_one_slug_make_exactly_one_service(client, admin):
    def create(i):
        return admin.post("/services", {"name": "Web API", "description": f"attempt {i}"}).status_int

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(create, range(6)))
    assert codes == [201] + [409] * 5
    assert len(client.get("/api/v1/services").json["services"]) == 1


def test_concurrent_events_all_land_and_the_newest_is_current(client, admin, service):
    def post(i):
        return admin.post("/services/web-api/events", {"message": f"update {i}", "status": "up"}).status_int

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(post, range(8))) == {201}
    events = client.get("/api/v1/services/web-api/events").json["events"]
    assert len(events) == 8
    assert client.get("/api/v1/services/web-api").json["current-event"]["sid"] == events[0]["sid"]


def test_deleting_a_service_with_a_long_history_leaves_no_event_behind(client, admin, service, ndb_context):
    web_api = Service.get_by_id("web-api")
    Event.post(web_api, "event 0", "up")
    # The rest of a long history in one batch, as an import would write it.
    start = utcnow() - datetime.timedelta(days=120)
    ndb.put_multi([Event(parent=web_api.key, timestamp=start + datetime.timedelta(days=i), message=f"event {i}",
                         status=ndb.Key("Status", "up")) for i in range(1, 120)])
    assert Event.query(ancestor=web_api.key).count() == 120
    admin.delete("/services/web-api", status=200)
    assert Event.query().count() == 0


def test_an_api_write_is_audited_with_the_token_and_before_and_after(client, admin, service, ndb_context):
    admin.post("/services/web-api", {"description": "Changed"}, status=200)
    entries, _, _ = AuditEntry.newest(kind="Service")
    update = entries[0]
    assert (update.action, update.entity_id) == ("update", "web-api")
    assert (update.actor_email, update.actor_via, update.token_name) == ("admin@example.com", "token", "tests")
    assert update.before["description"] == "The API"
    assert update.after["description"] == "Changed"


def test_a_refused_write_leaves_no_audit_entry(client, admin, service, ndb_context):
    count = len(AuditEntry.newest()[0])
    admin.post("/services", {"name": "Web API", "description": "clash"}, status=409)
    admin.delete("/statuses/up", status=409)
    assert len(AuditEntry.newest()[0]) == count


def test_command_line_changes_are_audited_as_the_command_line(app, client, ndb_context):
    result = app.test_cli_runner().invoke(args=["create-api-token", "ops@example.com"])
    assert result.exit_code == 0
    entries, _, _ = AuditEntry.newest(kind="ApiToken")
    assert entries[0].actor_via == "cli"
    assert "secret_hash" not in entries[0].after


def test_seed_demo_fills_an_empty_board_once(app, client):
    first = app.test_cli_runner().invoke(args=["seed-demo", "--probe-days", "1"]).output
    assert "Seeded" in first
    state = board_state(client)
    assert len(state["services"]) >= 5
    assert all(s["current-event"] for s in state["services"])
    assert "nothing seeded" in app.test_cli_runner().invoke(args=["seed-demo", "--probe-days", "1"]).output
    assert board_state(client) == state


def test_posts_waiting_for_one_service_are_written_together_each_as_its_own(app, admin, service, ndb_context):
    """Posts queued behind a write of their service (models/batching.py) land in order, each audited
    as its own admin's, and one post's refusal is its own."""
    import threading

    from handlers.context import ndb_context as context
    from models import audit, batching
    from models.errors import InvalidInput

    web_api = Service.get_by_id("web-api")
    Event.post(web_api, "first", "up")
    past = utcnow() - datetime.timedelta(days=1)
    outcomes = {}

    def post(n):
        actor = audit.Actor(email=f"admin{n}@example.com", via="token", token_name=f"t{n}")
        with app.app_context(), context(app), audit.acting_as(actor):
            try:
                # The third asks for a time before the service's newest event: refused alone.
                outcomes[n] = Event.post(web_api, f"queued {n}", "warning", at=past if n == 2 else None).event.key
            except InvalidInput as error:
                outcomes[n] = error

    threads = [threading.Thread(target=post, args=(n,)) for n in range(5)]
    with audit.turn(web_api.key):  # a write of the service under way: the five queue behind it
        for n, thread in enumerate(threads):
            thread.start()
            while sum(len(posts) for posts in batching._waiting.values()) < n + 1:
                threading.Event().wait(0.01)
    for thread in threads:
        thread.join(30)
    assert isinstance(outcomes.pop(2), InvalidInput)
    events = Event.query(ancestor=web_api.key).order(-Event.timestamp).fetch()
    assert [event.message for event in events] == ["queued 4", "queued 3", "queued 1", "queued 0", "first"]
    assert [event.key for event in events[:4]] == [outcomes[n] for n in (4, 3, 1, 0)]
    assert Service.get_by_id("web-api", use_cache=False).latest_event.sid == str(events[0].key.id())
    entries = AuditEntry.newest(kind="Service")[0]
    assert [entry.actor_email for entry in entries[:5]] == [f"admin{n}@example.com" for n in (4, 3, 1, 0)] + ["system"]
