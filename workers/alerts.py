"""Alert deliveries recorded before their answer (models/alert_inbox.py), applied off the request path.

Once a delivery's record is stored, the instance that took it applies it on a thread of its own,
one delivery after another in the order they came (ALERTS_DISPATCH "thread", the default); the
cron sweep (/_tasks/alerts/sweep, every minute) applies any record whose instance did not within
its lease (it stopped, or failed). Tests apply it before the answer ("request") or leave it to
the sweep ("sweep").
"""

from handlers.context import ndb_context
from models import alert_inbox
from models.signals import alerts_received
from workers.background import Background


class Dispatcher:
    """Sets a recorded delivery's application going, the way this app is configured to."""

    def __init__(self, app):
        self.app = app
        # One thread: deliveries are applied in the order they came, each with its chunks side by side.
        self.background = Background("alerts", 1)
        # Every namespace's, filtered when one arrives (tests move the app to a fresh namespace).
        alerts_received.connect(self.received)

    def mode(self):
        """"thread", "request" or "sweep" (ALERTS_DISPATCH, else "request" in tests and "thread" elsewhere)."""
        config = self.app.config
        return config["ALERTS_DISPATCH"] or ("request" if config.get("TESTING") else "thread")

    def received(self, namespace, key):
        """Receive models.signals.alerts_received: apply the delivery now, or on the thread."""
        if namespace != (self.app.config["NDB_NAMESPACE"] or ""):
            return
        mode = self.mode()
        if mode == "request":
            alert_inbox.apply(key)  # in the request's own context, before its answer
        elif mode == "thread":
            self.background.submit(self._apply, key)

    def _apply(self, key):
        with self.app.app_context(), ndb_context(self.app):
            alert_inbox.apply(key)


def sweep():
    """Apply the recorded deliveries no instance applied in time (the cron job); answers counts."""
    return {"applied": alert_inbox.sweep()}
