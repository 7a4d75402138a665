"""The board's named signals (blinker, as Flask's own): models send them, observers connect.

A model that sends a signal imports no observer, so the dependency points one way: the
page cache (handlers/cache.py), the notification dispatcher (workers/notify.py) and the
installation of a new board (models/install.py) connect to what they need.

The sender of each signal is the Datastore namespace of the write ("" for the default
one). Tests build many apps side by side, one namespace each, so an observer that
belongs to one app connects with `sender=<its namespace>` and hears only its own writes.
Receivers are held weakly unless connected with `weak=False`: a bound method of an
app's observer goes away with its app.
"""

import blinker

_signals = blinker.Namespace()

writing = _signals.signal("writing", doc="""Sent before each audited write's transaction begins.

Receivers run outside the transaction (models/install.py installs a new board before
its first write).""")

change_committed = _signals.signal("change-committed", doc="""Sent with `entry=` (an AuditEntry)
once the transaction that wrote it has committed, in the process that wrote it.""")

notification_committed = _signals.signal("notification-committed", doc="""Sent with `key=`
(a Notification's key), `kind=` (its kind) and `notification=` (the entity as committed) once the
transaction that enqueued it has committed.""")


alerts_received = _signals.signal("alerts-received", doc="""Sent with `key=` (an AlertDelivery's key)
once a delivery of alerts over many services is recorded, to be applied (workers/alerts.py).""")


def namespace_of(key):
    """The sender of a signal about `key`: the Datastore namespace it lives in."""
    return key.namespace() or ""

mail_due = _signals.signal("mail-due", doc="""Sent with `key=` (a Reader's key) once a sign-up that
asks for a confirmation message has committed (workers/mail.py sends it).""")

channel_due = _signals.signal("channel-due", doc="""Sent with `key=` (a Channel's key) once a sign-up
that asks for a channel's verification has committed (workers/channels.py sends it).""")
