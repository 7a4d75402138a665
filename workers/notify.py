"""Notifications out: how the outbox's deliveries are sent, signed, and set going after a commit.

A delivery is a POST of JSON to the subscriber's URL, signed with the subscriber's
secret: `X-Stashboard-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
A Slack subscriber gets an incoming-webhook body (`text` and `blocks`) instead; Teams
and Discord ones, and readers' own channels (models/channels.py), get their chat's body
(workers/formats.py), with links to the incident and, for a reader, to its manage page.

Once a change that enqueued a notification commits, the app's Dispatcher sets its
sending going, without the write waiting for it:
* on App Engine with OUTBOX_QUEUE set, a Cloud Tasks task pushed to /_tasks/outbox/<id>;
* in a local run, a background thread;
* in tests (and as the safety net everywhere), the cron sweep /_tasks/outbox/sweep,
  which also retries failed deliveries with exponential backoff.

A notification's deliveries are sent at once (up to PARALLEL), each within its own
total deadline (OUTBOX_TIMEOUT_SECONDS, and never past its lease): a subscriber that
answers slowly, even a byte at a time, holds up no other beyond that.
"""

import hashlib
import hmac
import json
import logging
import concurrent.futures
import time

from flask import current_app

from handlers.context import ndb_context
from models import outbox
from models.channels import Channel
from models.signals import notification_committed
from workers import formats, outbound
from workers.background import Background, failed

log = logging.getLogger(__name__)
PARALLEL = 8


def sign(secret, body, timestamp=None):
    """The X-Stashboard-Signature value of `body` (bytes)."""
    timestamp = int(timestamp if timestamp is not None else time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def summary(payload):
    """One line saying what happened, for people (Slack) rather than programs."""
    if payload.get("type") == "status":
        line = f"{payload['service']['name']} is {payload['status']['name']}"
        if payload.get("informational"):
            line = f"Note on {payload['service']['name']}"
        return f"{line}: {payload.get('message', '')}"
    return str(payload.get("summary") or payload.get("title") or f"{payload.get('type', 'update')} update")


def body_for(notification, subscriber):
    """The bytes sent to a subscriber: the notification's JSON, or its chat's body. Builds
    absolute links with the app's settings, so it needs a request context (`sender` opens one)."""
    payload = notification.complete_payload()
    site = current_app.config["SITE_NAME"]
    manage = subscriber.token(current_app.config["SECRET_KEY"], "manage") if isinstance(subscriber, Channel) else None
    if subscriber.format == "slack" and manage is None:  # admins' Slack subscribers: one line, as ever
        body = formats.slack(summary(payload))
    elif subscriber.format in ("slack", "teams", "discord"):
        title, text, level = formats.parts(payload, summary(payload))
        body = formats.chat(subscriber.format, site, title, text, level, formats.links_for(payload, manage))
    else:
        body = {"kind": notification.kind, **payload}
        if manage:
            body["manage_url"] = formats.links_for({}, manage)[0][1]
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def base_url(app):
    """The app's public URL, which links in bodies start with (APP_URL, else the local server's)."""
    return app.config["APP_URL"] or "http://127.0.0.1:8080"


def sender(app):
    """The `send` the outbox calls for one delivery, with this app's settings."""
    timeout = app.config["OUTBOX_TIMEOUT_SECONDS"]
    allow_private = app.config["ALLOW_PRIVATE_TARGETS"]

    def send(notification, subscriber, delivery, deadline):
        with app.test_request_context("/", base_url=base_url(app)):
            body = body_for(notification, subscriber)
        left = min(timeout, deadline - time.monotonic())
        if left <= 0:  # held up past the lease: another worker may be sending it already
            return None
        headers = {
            "Content-Type": "application/json",
            "X-Stashboard-Signature": sign(subscriber.secret, body),
            "X-Stashboard-Notification": notification.notification_id,
            "X-Stashboard-Delivery": delivery.key.id(),
            "X-Stashboard-Attempt": str(delivery.attempts),
        }
        result = outbound.request("POST", subscriber.url, body, headers, left, allow_private)
        return result.ok, result.status, result.error, result.milliseconds

    return send


def at_once(app):
    """A `run(function, items)` for the outbox: each item in a thread of its own (at most
    PARALLEL), each with its own NDB context, so one slow subscriber delays no other."""
    # The app itself, not Flask's `current_app` proxy, which other threads cannot see through.
    app = getattr(app, "_get_current_object", lambda: app)()

    def one(function, item):
        with app.app_context(), ndb_context(app):
            return function(item)

    def run(function, items):
        if len(items) < 2:
            return [function(item) for item in items]
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(PARALLEL, len(items))) as pool:
            return list(pool.map(lambda item: one(function, item), items))

    return run


def sweep(app):
    """Fan out and attempt whatever is due (the cron job), several deliveries at once; answers counts."""
    return outbox.sweep(sender(app), app.config["OUTBOX_BACKOFF_SECONDS"], app.config["OUTBOX_MAX_ATTEMPTS"],
                        run=at_once(app))


def deliver(app, notification_id, notification=None):
    """Send one notification now (a pushed task, or `notification` as its write committed it);
    what is not delivered waits for the sweep."""
    notification = notification or outbox.Notification.get_or_404(notification_id)
    states = outbox.deliver(notification.key, sender(app), app.config["OUTBOX_BACKOFF_SECONDS"],
                            app.config["OUTBOX_MAX_ATTEMPTS"], run=at_once(app), notification=notification)
    return {"deliveries": len(states), "delivered": states.count("delivered")}


class Dispatcher:
    """Sets a committed notification's sending going, the way this app is configured to."""

    # Notifications sent at once by a local run's background threads (workers/background.py).
    THREADS = 4
    # Whether a run started meanwhile does what another would (it sweeps everything due): then it is queued once.
    COALESCE = False

    def __init__(self, app):
        self.app = app
        self.tasks_client = None
        self.background = Background(type(self).__module__, self.THREADS)
        self.start()

    def start(self):
        """Listen on the app's namespace as it is now (a test moves one app to a fresh namespace)."""
        notification_committed.disconnect(self.enqueued)
        self.namespace = self.app.config["NDB_NAMESPACE"] or ""
        # This app's notifications only; held weakly, so the dispatcher goes away with its app.
        notification_committed.connect(self.enqueued, sender=self.namespace)

    def mode(self):
        """"cloud-tasks", "thread" or "sweep" (OUTBOX_DISPATCH, else chosen from where the app runs)."""
        config = self.app.config
        if config["OUTBOX_DISPATCH"]:
            return config["OUTBOX_DISPATCH"]
        if config["OUTBOX_QUEUE"]:
            return "cloud-tasks"
        return "sweep" if config["GAE_ENV"] == "standard" or config.get("TESTING") else "thread"

    def enqueued(self, namespace, key, notification=None, **_):
        """Receive models.signals.notification_committed: set `key`'s sending going (never raises)."""
        try:
            mode = self.mode()
            if mode == "cloud-tasks":
                self._push_task(key.id())
            elif mode == "thread":
                # The notification as committed, when the signal brings it, saves reading it again.
                args = (key.id(),) if notification is None else (key.id(), notification)
                self.background.submit(self._deliver_in_background, *args, coalesce=self.COALESCE)
        except Exception:  # the sweep will send it; the write must not fail for this
            failed(log, "Could not set notification %s going; the sweep will send it", key.id())

    def _push_task(self, notification_id):
        from google.cloud import tasks_v2

        if self.tasks_client is None:
            self.tasks_client = tasks_v2.CloudTasksClient()
        task = {"app_engine_http_request": {"http_method": tasks_v2.HttpMethod.POST,
                                            "relative_uri": f"/_tasks/outbox/{notification_id}"}}
        self.tasks_client.create_task(parent=self.app.config["OUTBOX_QUEUE"], task=task)

    def _deliver_in_background(self, notification_id, notification=None):
        try:
            with self.app.app_context(), ndb_context(self.app):
                deliver(self.app, notification_id, notification)
        except Exception:
            failed(log, "Delivering notification %s failed; the sweep will try again", notification_id)
