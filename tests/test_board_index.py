"""The board index: writes to different services share no entity, so they never wait for or
retry one another, and the board still shows every one of them; boards from before it keep working."""

import concurrent.futures
import json
import threading

import pytest
import webtest
from google.cloud import ndb
from google.cloud.ndb import _datastore_api

from tests.fixtures.admin_api import issue_token

SERVICES = 20


@pytest.fixture
def transactions(monkeypatch):
    """How many transactions were begun (a retried one begins again), in every thread."""
    begun, lock = [0], threading.Lock()
    begin = _datastore_api.begin_transaction

    def counting(*args, **kwargs):
        with lock:
            begun[0] += 1
        return begin(*args, **kwargs)

    monkeypatch.setattr(_datastore_api, "begin_transaction", counting)
    return begun


@pytest.fixture
def board(app):
    """SERVICES services, stored in one batch with their rows and the board's members."""
    from handlers.context import ndb_context
    from models import Service, utcnow
    from models.board_index import BoardMembers, BoardRow, row_of

    with ndb_context(app):
        now = utcnow()
        services = [Service(id=f"service-{n:02d}", name=f"Service {n:02d}", created=now, updated=now)
                    for n in range(SERVICES)]
        rows = [BoardRow(key=BoardRow.key_for(service.slug), row=row_of(service)) for service in services]
        ndb.put_multi([*services, *rows, BoardMembers(key=BoardMembers.key_for(), ids=[s.slug for s in services])])
    return [service.slug for service in services]


def post_all(app, token, board, message):
    """One event per service, all posted at once, each from a client of its own; their statuses."""
    def post(service_id):
        client = webtest.TestApp(app)
        return client.post(f"/admin/api/v1/services/{service_id}/events", {"status": "down", "message": message},
                           headers={"Authorization": f"Bearer {token}"}, status="*").status_int

    with concurrent.futures.ThreadPoolExecutor(len(board)) as pool:
        return list(pool.map(post, board))


def test_concurrent_events_of_different_services_never_retry_and_all_show(app, board, transactions):
    token = issue_token(app)
    transactions[0] = 0
    assert post_all(app, token, board, "All at once.") == [201] * SERVICES
    assert transactions[0] == SERVICES  # one each: none was tried again
    client = webtest.TestApp(app)
    # (Uncached, the front page makes at most 4 RPCs at any size: tests/test_cache.py.)
    rows = client.get("/").html.select("tr[data-service]")
    assert len(rows) == SERVICES and all("All at once." in row.text and "Down" in row.text for row in rows)


def test_one_alertmanager_webhook_over_many_services_changes_them_all_without_a_retry(app, board, transactions):
    from tests.test_hooks import am_alert, am_group, hook, issue

    secret = issue(app, "alertmanager")
    alerts = [am_alert(f"Down{n}", "critical", service=service_id) for n, service_id in enumerate(board)]
    transactions[0] = 0
    client = webtest.TestApp(app)
    answer = hook(client, "alertmanager", secret, am_group(*alerts), status=200).json
    assert sorted(answer["changed"]) == board and not answer["unmatched"]
    from models.alerts import CHUNK

    # One per CHUNK services, and the delivery's record and its end (models/alert_inbox.py): none tried again.
    assert transactions[0] == -(-SERVICES // CHUNK) + 2
    services = client.get("/api/v1/services").json["services"]
    assert {s["current-event"]["status"]["id"] for s in services} == {"down"}


def test_a_board_from_before_the_index_is_read_whole_until_the_warmup_indexes_it(app, board):
    """A board left by the version with 16 shared documents (or a 1.x board not yet rebuilt) has
    no members document: it is read by a query of its services, writes go on, and the warmup
    request gives it its rows and members and deletes the old documents."""
    from handlers.context import ndb_context
    from models.board_index import BoardMembers, BoardRow

    class BoardShard(ndb.Model):  # as the old version stored it
        rows = ndb.BlobProperty(compressed=True)

    with ndb_context(app):
        ndb.delete_multi([BoardMembers.key_for(), *(BoardRow.key_for(slug) for slug in board)])
        BoardShard(id="shard-3", rows=json.dumps({"service-00": {"name": "Stale"}}).encode()).put()
    token = issue_token(app)
    client = webtest.TestApp(app)
    assert len(client.get("/").html.select("tr[data-service]")) == SERVICES
    client.post("/admin/api/v1/services/service-07/events", {"status": "down", "message": "Before the index."},
                headers={"Authorization": f"Bearer {token}"}, status=201)
    assert "Before the index." in client.get("/").html.select_one('tr[data-service="service-07"]').text

    assert client.get("/_ah/warmup").json["indexed"] is True
    assert client.get("/_ah/warmup").json["indexed"] is False  # once
    with ndb_context(app):
        assert BoardMembers.key_for().get().ids == board
        assert all(ndb.get_multi([BoardRow.key_for(slug) for slug in board]))
        assert ndb.Key(BoardShard, "shard-3").get() is None
    front = client.get("/")
    assert "Before the index." in front.html.select_one('tr[data-service="service-07"]').text
    assert len(front.html.select("tr[data-service]")) == SERVICES
