"""Work App Engine's cron (cron.yaml) and Cloud Tasks start: requests only App Engine itself can make.

App Engine strips `X-Appengine-Cron`, `X-AppEngine-QueueName` and `X-AppEngine-TaskName`
from requests coming from outside, so those headers prove the caller. Nothing else opens
these endpoints but the local development server's own setting (`make run`, `make
devserver`: config.LOCAL_DEVELOPMENT), so a deployment that is not App Engine standard (a
container, a VM) or that lost GAE_ENV keeps them closed.
"""

from flask import Blueprint, abort, current_app, jsonify, request

import config
from handlers.legacy import migrate
from handlers.routes import TASKS, declare
from models import SYSTEM_ACTOR, Maintenance, acting_as
from models.rebuild import rebuild_board
from workers import alerts, channels, mail, notify, probes

bp = Blueprint("tasks", __name__, url_prefix="/_tasks")


@bp.before_request
def only_app_engine_cron():
    """Refuse anyone but App Engine's cron or, for a task, Cloud Tasks (or the local development server's user)."""
    if config.local_development(current_app.config) or request.headers.get("X-Appengine-Cron") == "true":
        return
    if request.method == "POST" and (request.headers.get("X-AppEngine-QueueName")
                                     or request.headers.get("X-AppEngine-TaskName")):
        return
    abort(403, "Only App Engine's cron or its task queues may start this.")


@bp.get("/outbox/sweep")
def sweep_outbox():
    """Send every due delivery (new ones, and retries after their backoff): the outbox's safety net."""
    return jsonify(notify.sweep(current_app))


@bp.post("/outbox/<notification_id>")
def deliver_notification(notification_id):
    """Send one notification's deliveries now (pushed by Cloud Tasks right after its write commits)."""
    return jsonify(notify.deliver(current_app, notification_id))


@bp.route("/mail", methods=["GET", "POST"], endpoint="mail")
@bp.get("/mail/sweep")
def sweep_mail():
    """Send readers' due confirmations and the next batch of each incident's mail; drop expired sign-ups."""
    return jsonify(mail.sweep(current_app))


@bp.route("/channels", methods=["GET", "POST"], endpoint="channels")
@bp.get("/channels/sweep")
def sweep_channels():
    """Send readers' channels their due verifications (nothing else goes to them before); drop expired ones."""
    return jsonify(channels.sweep(current_app))


@bp.get("/alerts/sweep")
def sweep_alerts():
    """Apply the alert deliveries recorded before their answer that no instance applied in time."""
    return jsonify(alerts.sweep())


@bp.get("/probes")
def run_probes():
    """Run every probe that is due and post Down or Up where a probe crossed its threshold."""
    with acting_as(SYSTEM_ACTOR):
        return jsonify(probes.run_due(current_app))


@bp.get("/rebuild-history")
def rebuild_history():
    """Rebuild services' newest events, statuses and day rollups from their events, and the
    notices from the incidents and maintenance windows (the safety net, as `flask rebuild-history`).

    Idempotent: a service already right is only read, so a run cut short by the request
    deadline is finished by the next one; `?start_after=ID` resumes after a service by hand.
    """
    run = rebuild_board(request.args.get("start_after", ""))
    changed = 0
    with acting_as(SYSTEM_ACTOR):
        for service_id, service_changed in run:
            changed += service_changed
            current_app.logger.info("Rebuilt history up to service %s", service_id)
    return jsonify({"services": len(run), "changed": changed})


@bp.get("/maintenance")
def maintenance():
    """Start the maintenance windows whose time has come and end those whose time is up.

    Idempotent: each window moves once, in a transaction that re-reads it, so a second
    run (or two instances running it at once) changes nothing more.
    """
    with acting_as(SYSTEM_ACTOR):
        moved = Maintenance.run_due()
    for window_id, how in moved:
        current_app.logger.info("Maintenance %s %s", window_id, how)
    return jsonify({"moved": [{"id": window_id, "now": how} for window_id, how in moved]})
@bp.post("/migrate-1x")
def migrate_1x():
    """Run the Stashboard 1.x migration as a task (`?dry_run=1` only counts), within a task's deadline.

    Started by an admin from /admin/upgrade or by App Engine (a Cloud Tasks or cron
    request); resumable, so a run that stops at its deadline is finished by the next.
    """
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    with acting_as(SYSTEM_ACTOR):
        report = migrate(dry_run=dry_run, deadline=9 * 60)
    return jsonify(report.to_json())


def register(app):
    """Mount the cron endpoints."""
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(declare(bp, TASKS))
