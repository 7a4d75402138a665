"""Signing secrets the app reads back are stored sealed; values stored in clear before still work."""

import hashlib
import hmac
import json

from google.cloud import datastore

from models.integrations import Integration
from models.sealed import PREFIX
from models.subscribers import Subscriber
from tests.test_hooks import PD_SECRET, hook, issue


def stored(app, kind, key_id):
    """The entity as the Datastore holds it (what an export or a backup would show)."""
    client = datastore.Client(project="stashboard-test", namespace=app.config["NDB_NAMESPACE"])
    return client.get(client.key(kind, key_id)), client


def test_a_pagerduty_signing_secret_is_stored_sealed_and_still_checks_signatures(app, client, ndb_context, service):
    secret = issue(app, "pagerduty", signing_secret=PD_SECRET)
    integration = Integration.query().get()
    raw, _ = stored(app, "Integration", integration.key.id())
    assert PD_SECRET not in json.dumps(dict(raw), default=str)
    assert raw["signing_secret"].startswith(PREFIX)
    assert Integration.query().get().signing_secret == PD_SECRET
    body = json.dumps({"event": {"event_type": "pagey.ping"}}).encode()
    signature = "v1=" + hmac.new(PD_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hook(client, "pagerduty", secret, body, headers={"X-PagerDuty-Signature": signature}).status_int != 401


def test_a_signing_secret_stored_in_clear_before_is_still_read(app, ndb_context):
    issue(app, "pagerduty", signing_secret=PD_SECRET)
    key_id = Integration.query().get().key.id()
    raw, client = stored(app, "Integration", key_id)
    raw["signing_secret"] = "an-old-clear-secret"
    client.put(raw)
    assert Integration.get_by_id(key_id, use_cache=False).signing_secret == "an-old-clear-secret"


def test_a_subscriber_secret_is_stored_sealed(app, ndb_context):
    subscriber = Subscriber.create("Ops hook", "https://hooks.example.com/status")
    raw, client = stored(app, "Subscriber", subscriber.key.id())
    assert raw["secret"].startswith(PREFIX)
    assert subscriber.secret not in raw["secret"]
    assert Subscriber.get_by_id(subscriber.key.id(), use_cache=False).secret == subscriber.secret
    raw["secret"] = "old-clear-subscriber-secret"
    client.put(raw)
    assert Subscriber.get_by_id(subscriber.key.id(), use_cache=False).secret == "old-clear-subscriber-secret"
