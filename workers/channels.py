"""Readers' channels (models/channels.py): their verifications, sent before anything else.

A channel's verification is the one post a pending channel ever gets: for Slack, Teams and
Discord a first "you subscribed this channel to <board>" message, whose 2xx answer makes the
channel active; for a reader's own webhook a signed JSON body with the confirm link and the
signing secret (`"type": "verification"`), which its owner must follow. What comes after
(incidents, status changes) goes through the outbox's deliveries like any subscriber's
(workers/notify.py), with the same SSRF guard and total deadline as here.

Runs start the way mail runs do (workers/mail.py): a Cloud Tasks task on App Engine, a
background thread locally, the cron sweep (/_tasks/channels/sweep) as the safety net and in
tests. Each run also deletes channels not verified in time.
"""

import json
import logging

from flask import url_for

from models.channels import KINDS, Channel
from models.readers import CONFIRM_MAX_AGE
from models.service import Service
from models.signals import channel_due
from workers import formats, notify, outbound
from workers.background import failed

log = logging.getLogger(__name__)
VERIFICATIONS_PER_RUN = 20


def scope(channel):
    """What the channel hears of, in words."""
    if channel.everything:
        return "every service"
    names = {service.slug: service.name for service in Service.ordered()}
    return ", ".join(names.get(slug, slug) for slug in channel.services)


def verification(config, channel):
    """The body of a channel's verification (bytes). Needs a request context, for its links."""
    site, secret = config["SITE_NAME"], config["SECRET_KEY"]
    manage = url_for("subscribe.manage_channel", token=channel.token(secret, "manage"), _external=True)
    if channel.kind == "webhook":
        body = {"type": "verification", "site": site, "services": None if channel.everything else list(channel.services),
                "confirm_url": url_for("subscribe.confirm_channel", token=channel.token(secret, "confirm"),
                                       _external=True),
                "expires_in_hours": int(CONFIRM_MAX_AGE.total_seconds() // 3600),
                "signing_secret": channel.secret, "manage_url": manage,
                "text": f"Someone subscribed this URL to {site} status. Open confirm_url and press Confirm to "
                        "receive signed notifications (X-Stashboard-Signature, keyed with signing_secret); "
                        "until then nothing else is sent."}
    else:
        title = f"You subscribed this channel to {site} status"
        if channel.state == "active":
            title = f"This channel is subscribed to {site} status"
        text = (f"It will get a message when an incident on {scope(channel)} is opened, updated or resolved, "
                "and when their status changes.")
        body = formats.chat(channel.kind, site, title, text, links=[("Change services or unsubscribe", manage)])
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def send_verification(app, channel):
    """Post one claimed channel's verification within OUTBOX_TIMEOUT_SECONDS and note the outcome;
    answers whether it was answered 2xx."""
    with app.test_request_context("/", base_url=notify.base_url(app)):
        body = verification(app.config, channel)
    headers = {"Content-Type": "application/json", "X-Stashboard-Signature": notify.sign(channel.secret, body),
               "X-Stashboard-Notification": "verification"}
    result = outbound.request("POST", channel.url, body, headers, app.config["OUTBOX_TIMEOUT_SECONDS"],
                              app.config["ALLOW_PRIVATE_TARGETS"])
    if not result.ok:
        log.info("A %s channel's verification failed: %s", KINDS[channel.kind], result.error)
    Channel.verification_sent(channel.key, channel.nonce, result.ok, result.error)
    return result.ok


def sweep(app):
    """Send due verifications (several at once, each within its deadline) and delete channels not
    verified in time. Answers counts."""
    expired = Channel.expire_pending()
    due = [found.key for found in Channel.verifications_due(VERIFICATIONS_PER_RUN)]

    def one(key):
        channel = Channel.take_verification(key)
        return None if channel is None else send_verification(app, channel)

    outcomes = notify.at_once(app)(one, due)
    return {"expired": expired, "verifications": sum(o is not None for o in outcomes),
            "verified": sum(bool(o) for o in outcomes)}


class Dispatcher(notify.Dispatcher):
    """Starts a run once a channel's sign-up commits, as the webhooks' dispatcher does for changes; a run
    asked for while another waits to start is that one."""

    THREADS = 1
    COALESCE = True

    def start(self):
        """Listen to every namespace; a run is started only for this app's (tests move the app)."""
        channel_due.disconnect(self.enqueued)
        channel_due.connect(self.enqueued)

    def enqueued(self, namespace, key=None, **_):
        """Start a run for this app's namespace only (never raises)."""
        if namespace == (self.app.config["NDB_NAMESPACE"] or ""):
            super().enqueued(namespace, key)

    def _push_task(self, channel_id):
        from google.cloud import tasks_v2

        if self.tasks_client is None:
            self.tasks_client = tasks_v2.CloudTasksClient()
        task = {"app_engine_http_request": {"http_method": tasks_v2.HttpMethod.POST,
                                            "relative_uri": "/_tasks/channels"}}
        self.tasks_client.create_task(parent=self.app.config["OUTBOX_QUEUE"], task=task)

    def _deliver_in_background(self, channel_id):
        try:
            with self.app.app_context(), notify.ndb_context(self.app):
                sweep(self.app)
        except Exception:
            failed(log, "A channels run failed; the sweep will go on")
