"""Upgrading in place from Stashboard 1.x: the old board is ignored until migrated, then served as before."""

import json

import pytest

from tests.fixtures.legacy import legacy_sid
from tests.helpers import assert_json_error, board_state


def run_migration(app, *args):
    """`flask migrate-1x --json [args]` on the test app: its report."""
    result = app.test_cli_runner().invoke(args=["migrate-1x", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def counts(report):
    return {kind: tuple(c[k] for k in ("found", "created", "existing", "skipped")) for kind, c in report["counts"].items()}


def test_an_unmigrated_1x_board_is_ignored_not_fatal(client, legacy_board):
    assert "Web API" not in client.get("/").text
    statuses = client.get("/api/v1/statuses").json["statuses"]
    assert {s["id"] for s in statuses} == {"up", "down", "warning"}
    assert client.get("/api/v1/services").json["services"] == []
    assert client.get("/api/v1/service-lists").json["lists"] == []
    assert client.get("/rss").status_int == 200
    assert_json_error(client.get("/api/v1/services/web-api", status="*"), 404)


def test_dry_run_counts_and_reports_problems_and_writes_nothing(app, client, legacy_board):
    before = board_state(client)
    report = run_migration(app, "--dry-run")
    assert report["dry_run"] is True
    assert counts(report) == {
        "lists": (1, 1, 0, 0),
        "images": (5, 2, 3, 0),
        "statuses": (5, 5, 0, 0),
        "services": (3, 3, 0, 0),
        "events": (6, 5, 0, 1),
        "tokens": (1, 1, 0, 0),
    }
    problems = "\n".join(report["problems"])
    assert "'data_store' is now 'data-store'" in problems
    assert "icons/iconic/cog.png is not shipped" in problems
    assert "1 events belong to services that no longer exist" in problems
    assert board_state(client) == before


def test_migration_then_the_v1_api_answers_the_old_board(app, client, legacy_board):
    report = run_migration(app)
    assert counts(report)["events"] == (6, 5, 0, 1)
    assert counts(report)["services"] == (3, 3, 0, 0)

    services = {s["id"]: s for s in client.get("/api/v1/services").json["services"]}
    assert list(services) == ["data-store", "web-api", "website"]  # by name
    assert services["web-api"]["list"]["id"] == "core"
    assert services["web-api"]["current-event"]["message"] == "A post-mortem follows"
    assert services["web-api"]["current-event"]["timestamp"] == "Mon, 02 May 2011 09:45:00 GMT"
    assert services["website"]["current-event"]["status"]["id"] == "maintenance"
    assert services["data-store"]["current-event"]["status"]["level"] == "CRITICAL"

    statuses = {s["id"]: s for s in client.get("/api/v1/statuses").json["statuses"]}
    assert set(statuses) == {"up", "down", "warning", "maintenance", "meltdown"}
    assert statuses["up"]["default"] is True and statuses["up"]["description"] == "The service is up"
    assert statuses["down"]["level"] == "ERROR" and statuses["warning"]["level"] == "WARNING"
    assert statuses["maintenance"]["image"] == "http://status.example.com/images/icons/fugue/hard-hat.png"
    assert client.get("/images/icons/fugue/hard-hat.png").status_int == 200
    assert statuses["meltdown"]["image"] == "http://status.example.com/images/icons/iconic/cog.png"
    images = {i["name"]: i for i in client.get("/api/v1/status-images").json["images"]}
    assert images["iconic-cog"]["icon_set"] == "iconic" and "hard-hat" in images

    assert client.get("/api/v1/service-lists").json["lists"][0]["id"] == "core"
    events = client.get("/api/v1/services/web-api/events").json["events"]
    assert [e["message"] for e in events] == ["A post-mortem follows", "The API is back", "The API answers 500s"]
    assert [e["informational"] for e in events] == [True, False, False]

    # Old sids, as the 1.x app published them, find the same events.
    service, key = legacy_board.events["web-down"]
    old = client.get(f"/api/v1/services/web-api/events/{legacy_sid(key)}").json
    assert old["message"] == "The API answers 500s" and old["status"]["id"] == "down"
    assert old["sid"] == str(key.id)
    assert client.get(f"/api/v1/services/web-api/events/{legacy_sid(key, app='e~other')}").status_int == 200
    assert_json_error(client.get(f"/api/v1/services/website/events/{legacy_sid(key)}", status="*"), 404)
    assert_json_error(client.get("/api/v1/services/web-api/events/agxzfnN0YXNoYm9hcmRyCwsSBUV2ZW50GAEM", status="*"), 404)
    assert_json_error(client.get("/api/v1/services/web-api/events/not_a_key_at_all!", status="*"), 404)

    page = client.get("/")
    assert "Web API" in page.text and "Data Store" in page.text
    assert "Major outage" in page.text
    assert_rollups_and_index_are_right(app)


def assert_rollups_and_index_are_right(app):
    """What `rebuild-history` would make of the migrated events is what the migration left."""
    import datetime

    from handlers.context import ndb_context
    from models import Event, Service
    from models.board_index import BoardRow, row_of

    with ndb_context(app):
        services = Service.ordered_by_id()
        assert [s.slug for s in services] == ["data-store", "web-api", "website"]
        for service in services:
            assert BoardRow.stored(service.slug) == row_of(service)
            assert Event.rebuild(service.key) is False  # already right
        store = Service.get_by_id("data-store")
    yesterday = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)).date().isoformat()
    assert store.days[yesterday]["statuses"] == ["meltdown"]


def test_migrating_again_changes_nothing(app, client, legacy_board):
    run_migration(app)
    before = board_state(client)
    audit_before = _audit_kinds(app)
    report = run_migration(app)
    assert counts(report) == {
        "lists": (1, 0, 1, 0),
        "images": (5, 0, 5, 0),
        "statuses": (5, 0, 5, 0),
        "services": (3, 0, 3, 0),
        "events": (6, 0, 5, 1),
        "tokens": (1, 0, 1, 0),
    }
    assert board_state(client) == before
    # Only the run's own record is written: its start and its end.
    new_entries = _audit_kinds(app)[len(audit_before):]
    assert new_entries == ["LegacyMigration", "LegacyMigration"]


def test_the_audit_log_records_the_migration(app, legacy_board):
    run_migration(app)
    kinds = _audit_kinds(app)
    assert kinds.count("Service") >= 3 and "ServiceList" in kinds and "ApiToken" in kinds
    assert kinds[0] == "LegacyMigration" and kinds[-1] == "LegacyMigration"
    from handlers.context import ndb_context
    from models import AuditEntry

    with ndb_context(app):
        entries = [e for e in AuditEntry.query().fetch() if e.kind == "LegacyMigration"]
    assert any(e.after and e.after.get("report", {}) and e.after["report"]["finished"] for e in entries)
    assert all(e.actor_via == "cli" for e in entries)


def _audit_kinds(app):
    """The audit log's kinds, oldest first, after the board's installation (the test app's own)."""
    from handlers.context import ndb_context
    from models import AuditEntry

    with ndb_context(app):
        kinds = [e.kind for e in sorted(AuditEntry.query().fetch(), key=lambda e: e.timestamp)]
    return kinds[kinds.index("Board") + 1:] if "Board" in kinds else kinds


@pytest.mark.parametrize("deadline_hit", [True])
def test_a_run_cut_short_is_finished_by_the_next(app, client, legacy_board, deadline_hit):
    from handlers.context import ndb_context
    from models.legacy import Migration

    with ndb_context(app):
        partial = Migration(deadline=-1).run()
    assert partial.finished is False
    report = run_migration(app)
    assert report["finished"] is True
    assert counts(report)["events"] == (6, 5, 0, 1)
    assert len(client.get("/api/v1/services").json["services"]) == 3


def test_the_task_endpoint_runs_it_for_app_engine_only(emulator, legacy_board, app, client):
    dry = client.post("/_tasks/migrate-1x?dry_run=1").json
    assert dry["dry_run"] is True and dry["counts"]["services"]["found"] == 3
    from tests.fixtures.datastore import make_app
    import webtest

    on_app_engine = webtest.TestApp(make_app(GAE_ENV="standard", NDB_NAMESPACE=app.config["NDB_NAMESPACE"]))
    assert on_app_engine.post("/_tasks/migrate-1x", status="*").status_int == 403
    ran = on_app_engine.post("/_tasks/migrate-1x", headers={"X-AppEngine-QueueName": "default"}).json
    assert ran["finished"] is True and ran["counts"]["services"]["created"] == 3
    assert len(client.get("/api/v1/services").json["services"]) == 3
