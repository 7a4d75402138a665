"""Alerts in: each tool's payload moves the mapped service's status, idempotently, attributed to its integration."""

import hashlib
import hmac
import json
import pathlib

import pytest

PAGERDUTY = pathlib.Path(__file__).resolve().parent / "pagerduty"
PD_SECRET = "pd-signing-secret-from-the-subscription"


def issue(app, kind, **rule):
    """An integration of `kind` and its secret, as the admin UI creates them."""
    from handlers.context import ndb_context
    from models.integrations import Integration

    with ndb_context(app):
        return Integration.issue(f"Test {kind}", kind, created_by="admin@example.com", **rule)[1]


def status_of(client, service_id):
    """The service's current status id, through the public API."""
    current = client.get(f"/api/v1/services/{service_id}").json["current-event"]
    return current["status"]["id"] if current else None


def events_of(client, service_id):
    """(status id, message) of the service's events, oldest first."""
    events = client.get(f"/api/v1/services/{service_id}/events").json["events"]
    return [(event["status"]["id"], event["message"]) for event in reversed(events)]


def hook(client, kind, secret, body, status="*", headers=None):
    """POST `body` (JSON) to /hooks/<kind> with the integration's bearer credential."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json", **(headers or {})}
    return client.post(f"/hooks/{kind}", raw, headers=headers, status=status)


def am_alert(name, severity, state="firing", service="web-api", starts="2024-05-01T10:00:00Z"):
    """One alert of an Alertmanager v4 webhook."""
    return {"status": state, "labels": {"alertname": name, "severity": severity, "service": service},
            "annotations": {"summary": f"{name} on {service}"}, "startsAt": starts,
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph", "fingerprint": f"fp-{name}"}


def am_group(*alerts):
    """An Alertmanager v4 webhook body grouping `alerts`."""
    return {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "receiver": "stashboard",
            "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am", "alerts": list(alerts)}


def test_generic_alert_sets_down_then_back_to_the_status_before_and_a_replay_changes_nothing(client, admin, service):
    admin.post("/services/web-api/events", {"status": "warning", "message": "Slow."}, status=201)
    secret = issue(client.app, "generic")
    down = {"service": "web-api", "status": "down", "message": "Checkout <b>502</b>s"}
    assert hook(client, "generic", secret, down).json["changed"] == ["web-api"]
    assert status_of(client, "web-api") == "down"
    assert hook(client, "generic", secret, down).json["unchanged"] == ["web-api"]
    hook(client, "generic", secret, {"service": "web-api", "status": "up", "message": "Recovered"})
    assert status_of(client, "web-api") == "warning"
    assert events_of(client, "web-api") == [("warning", "Slow."), ("down", "Checkout <b>502</b>s"),
                                             ("warning", "Resolved: Recovered")]
    audit = client.app.test_client()  # the audit log names the integration as the actor
    from handlers.context import ndb_context
    from models import AuditEntry

    with ndb_context(client.app):
        entries, _, _ = AuditEntry.newest(kind="Event")
    assert entries[0].actor_via == "integration" and entries[0].token_name == "Test generic"
    assert entries[0].actor_email.startswith("integration:")
    del audit


def test_several_open_alerts_show_the_worst_and_each_resolution_steps_back(client, service):
    secret = issue(client.app, "alertmanager")
    hook(client, "alertmanager", secret, am_group(am_alert("Latency", "warning")))
    assert status_of(client, "web-api") == "warning"
    hook(client, "alertmanager", secret, am_group(am_alert("Latency", "warning"), am_alert("Errors", "critical")))
    assert status_of(client, "web-api") == "down"
    hook(client, "alertmanager", secret, am_group(am_alert("Errors", "critical", "resolved")))
    assert status_of(client, "web-api") == "warning"
    hook(client, "alertmanager", secret, am_group(am_alert("Latency", "warning", "resolved")))
    assert status_of(client, "web-api") == "up"
    before = events_of(client, "web-api")
    # A late replay of an old firing, after its resolution, does not open it again.
    hook(client, "alertmanager", secret, am_group(am_alert("Errors", "critical")))
    assert events_of(client, "web-api") == before


def test_alerts_for_unknown_services_are_reported_not_refused_and_the_rule_maps_names(client, service):
    secret = issue(client.app, "alertmanager", service_label="app", services="checkout = web-api",
                   severities="page = down")
    alert = am_alert("Errors", "page")
    alert["labels"]["app"] = "Checkout"
    other = am_alert("Disk", "page", service="x")
    other["labels"]["app"] = "no-such-thing"
    answer = hook(client, "alertmanager", secret, am_group(alert, other)).json
    assert answer["changed"] == ["web-api"] and answer["unmatched"] == ["no-such-thing"]
    assert status_of(client, "web-api") == "down"


def pd_post(client, secret, name, signing_secret=PD_SECRET, status="*"):
    """POST a kept PagerDuty V3 example payload, signed as PagerDuty signs it."""
    raw = (PAGERDUTY / f"{name}.json").read_bytes()
    signature = "v1=" + hmac.new(signing_secret.encode(), raw, hashlib.sha256).hexdigest()
    return hook(client, "pagerduty", secret, raw, status, {"X-PagerDuty-Signature": f"v1=00ff, {signature}"})


def test_pagerduty_v3_incident_triggered_acknowledged_resolved(client, admin):
    admin.post("/services", {"name": "API Service", "description": "PagerDuty's name for it."}, status=201)
    secret = issue(client.app, "pagerduty", signing_secret=PD_SECRET)
    assert pd_post(client, secret, "incident_triggered").json["changed"] == ["api-service"]
    assert status_of(client, "api-service") == "down"
    assert pd_post(client, secret, "incident_acknowledged").json["changed"] == []
    assert pd_post(client, secret, "incident_triggered").json["changed"] == []  # a redelivery
    assert pd_post(client, secret, "incident_resolved").json["changed"] == ["api-service"]
    assert events_of(client, "api-service") == [("down", "A little bump in the road"),
                                                 ("up", "Resolved: A little bump in the road")]
    refused = pd_post(client, secret, "incident_triggered", signing_secret="wrong", status=401)
    assert refused.json["error"] is True and "X-PagerDuty-Signature" in refused.json["message"]


def test_credentials_are_checked_kind_by_kind(client, service):
    from handlers.context import ndb_context
    from models.integrations import Integration

    secret = issue(client.app, "generic")
    body = {"service": "web-api", "status": "down"}
    assert hook(client, "generic", "sbi_nope_nope", body, status=401).json["code"] == 401
    assert client.post_json("/hooks/generic", body, status=401).json["error"] is True
    assert "generic" in hook(client, "alertmanager", secret, am_group(), status=403).json["message"]
    with ndb_context(client.app):
        Integration.find(secret).revoke()
    hook(client, "generic", secret, body, status=401)
    assert status_of(client, "web-api") is None


@pytest.mark.parametrize("kind, body", [
    ("generic", b"not json"), ("generic", b"\xff\xfe"), ("generic", b"[]"), ("generic", {"service": "web-api"}),
    ("generic", {"service": ["x"], "status": "down"}), ("generic", {"service": "web-api", "status": {"a": 1}}),
    ("alertmanager", {"alerts": "x"}), ("alertmanager", {"version": "3", "alerts": []}),
    ("alertmanager", {"alerts": [1]}), ("alertmanager", {"alerts": [{"status": "maybe"}]}),
    ("alertmanager", {"alerts": [{"status": "firing", "labels": []}]}),
    ("nagios", {"host": "db1"}), ("nagios", {"state": "CRITICAL"}),
])
def test_malformed_payloads_are_clear_json_400s_and_change_nothing(client, service, kind, body):
    secret = issue(client.app, kind)
    answer = hook(client, kind, secret, body, status=400)
    assert answer.json["error"] is True and answer.json["code"] == 400 and answer.json["message"]
    assert status_of(client, "web-api") is None


def test_a_generic_alert_for_an_unknown_service_is_a_404(client, service):
    secret = issue(client.app, "generic")
    answer = hook(client, "generic", secret, {"service": "nope", "status": "down"}, status=404)
    assert "nope" in answer.json["message"]


def test_any_json_to_any_hook_is_answered_without_a_server_error(client, service):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    secrets = {kind: issue(client.app, kind, signing_secret=PD_SECRET) for kind in
               ("alertmanager", "generic", "nagios", "pagerduty")}
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(
        ["firing", "resolved", "web-api", "down", "up", "critical", "incident.triggered", "\x00\ud800"])
    keys = st.sampled_from(["alerts", "status", "labels", "service", "state", "host", "event", "event_type",
                            "data", "id", "severity", "annotations", "fingerprint", "version"]) | st.text(max_size=5)
    documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner,
                                                                                                   max_size=5),
                             max_leaves=12)

    @given(kind=st.sampled_from(sorted(secrets)), body=documents)
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def post(kind, body):
        raw = json.dumps(body).encode()
        headers = {}
        if kind == "pagerduty":
            headers["X-PagerDuty-Signature"] = "v1=" + hmac.new(PD_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        answer = hook(client, kind, secrets[kind], raw, headers=headers)
        assert answer.status_int < 500 and answer.content_type == "application/json", answer.text

    post()


def test_an_alertmanager_resolution_matches_its_firing_by_fingerprint_whatever_its_start(client, service):
    """Two Alertmanagers of an HA pair may report one alert with different startsAt values."""
    secret = issue(client.app, "alertmanager")
    hook(client, "alertmanager", secret, am_group(am_alert("Errors", "critical", starts="2024-05-01T10:00:00Z")))
    assert status_of(client, "web-api") == "down"
    peer = am_alert("Errors", "critical", "resolved", starts="2024-05-01T10:00:30.123456789Z")
    peer["endsAt"] = "2024-05-01T10:05:00Z"
    assert hook(client, "alertmanager", secret, am_group(peer)).json["changed"] == ["web-api"]
    assert status_of(client, "web-api") == "up"
    # The first peer repeating its firing (it started before the resolution) opens nothing ...
    replay = am_alert("Errors", "critical", starts="2024-05-01T10:00:00Z")
    assert hook(client, "alertmanager", secret, am_group(replay)).json["unchanged"] == ["web-api"]
    # ... while the same alert firing again later is a new episode.
    hook(client, "alertmanager", secret, am_group(am_alert("Errors", "critical", starts="2024-05-01T11:00:00Z")))
    assert status_of(client, "web-api") == "down"


def test_an_alertmanager_alert_without_fingerprint_is_matched_by_its_sorted_labels(client, service):
    secret = issue(client.app, "alertmanager")
    firing = am_alert("Errors", "critical")
    del firing["fingerprint"]
    resolved = am_alert("Errors", "critical", "resolved", starts="2024-05-01T10:01:00Z")
    del resolved["fingerprint"]
    resolved["labels"] = dict(reversed(list(resolved["labels"].items())))
    hook(client, "alertmanager", secret, am_group(firing))
    hook(client, "alertmanager", secret, am_group(resolved))
    assert status_of(client, "web-api") == "up"


def test_generic_alerts_are_matched_by_id_and_fire_again_after_they_resolve(client, service):
    secret = issue(client.app, "generic")
    down = {"service": "web-api", "status": "down", "id": "checkout"}
    slow = {"service": "web-api", "status": "warning", "dedup_key": "latency"}
    hook(client, "generic", secret, down)
    hook(client, "generic", secret, slow)
    hook(client, "generic", secret, {"service": "web-api", "status": "up", "id": "checkout"})
    assert status_of(client, "web-api") == "warning"  # the other alert still fires
    hook(client, "generic", secret, {"service": "web-api", "status": "ok", "dedup_key": "latency"})
    assert status_of(client, "web-api") == "up"
    assert hook(client, "generic", secret, down).json["changed"] == ["web-api"]  # the same id, failing anew
    assert status_of(client, "web-api") == "down"
    # A script replaying an old failure with its time does not reopen what resolved after it.
    hook(client, "generic", secret, {"service": "web-api", "status": "up", "id": "checkout"})
    old = {**down, "time": "2020-01-01T00:00:00Z"}
    assert hook(client, "generic", secret, old).json["unchanged"] == ["web-api"]
    assert status_of(client, "web-api") == "up"
    assert "time" in hook(client, "generic", secret, {**down, "time": "yesterday"}, status=400).json["message"]


def pd_event(client, secret, name, status="*", **event):
    """POST a kept PagerDuty V3 example changed by `event` (fields of `event`), signed as PagerDuty signs it."""
    body = json.loads((PAGERDUTY / f"{name}.json").read_bytes())
    body["event"].update(event)
    raw = json.dumps(body).encode()
    signature = "v1=" + hmac.new(PD_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return hook(client, "pagerduty", secret, raw, status, {"X-PagerDuty-Signature": signature})


def test_pagerduty_events_are_matched_by_incident_id_and_a_reopened_incident_fires_again(client, admin):
    admin.post("/services", {"name": "API Service", "description": "PagerDuty's name for it."}, status=201)
    secret = issue(client.app, "pagerduty", signing_secret=PD_SECRET)
    pd_event(client, secret, "incident_triggered")
    assert pd_event(client, secret, "incident_resolved", id="another-event-id").json["changed"] == ["api-service"]
    assert pd_event(client, secret, "incident_triggered").json["unchanged"] == ["api-service"]  # redelivered
    assert status_of(client, "api-service") == "up"
    reopened = pd_event(client, secret, "incident_triggered", event_type="incident.reopened",
                        occurred_at="2020-10-02T19:30:00.000Z")
    assert reopened.json["changed"] == ["api-service"] and status_of(client, "api-service") == "down"


def test_a_nagios_check_that_recovers_and_fails_again_turns_its_service_down_again(client, service):
    secret = issue(client.app, "nagios")
    check = {"host": "web1", "service": "Web API"}
    for state, shown in (("CRITICAL", "down"), ("OK", "up"), ("CRITICAL", "down")):
        hook(client, "nagios", secret, {**check, "state": state}, status=200)
        assert status_of(client, "web-api") == shown


def test_an_alert_opened_under_its_older_key_with_its_start_is_closed_by_its_resolution(client, service):
    """Alerts open when the board moved to matching by fingerprint alone resolve as before."""
    from handlers.context import ndb_context
    from models.alerts import AlertState

    secret = issue(client.app, "alertmanager")
    hook(client, "alertmanager", secret, am_group(am_alert("Errors", "critical")))
    with ndb_context(client.app):
        state = AlertState.of("web-api")
        state.open = {f"{key}:2024-05-01T10:00:00Z": entry for key, entry in state.open.items()}
        state.closed = ["an-older-resolved-key"]
        state.put()
    hook(client, "alertmanager", secret, am_group(am_alert("Errors", "critical", "resolved")))
    assert status_of(client, "web-api") == "up"
