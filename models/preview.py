"""What the board shows of alert deliveries recorded but not applied yet (models/alert_inbox.py).

A delivery over many services is answered once its record is stored, and applied after: two
seconds or more of writes for 200 services on a busy machine. Meanwhile the board shows what it
will be: each service it changes has its row's change (status, newest event, today's rollup)
kept here, in one document that the board's read takes in the lookup it makes anyway
(models/snapshot.py: no RPC more), and put over the stored row while that row is still the one
the change was worked out from. Once a service's own transaction writes its row, or any write
of the service does, its stored row is newer and shows instead; once the delivery is applied,
its changes go from here. The services, their events and rows stay the truth: nothing here is
written in a service's transaction, nor read by anything but the board's rows.
"""

from google.cloud import ndb

from models.board_index import ROW_RECENT, Row


class AlertPreview(ndb.Model):
    """The board's one document of changes waiting: {delivery id: {service id: change}}, oldest first."""

    deliveries = ndb.JsonProperty(compressed=True)

    @classmethod
    def key_for(cls):
        """The one document's key."""
        return ndb.Key(cls, "board")


def change_of(service, newest):
    """A service's change as the board shows it: its row's fields after an event (`service`, advanced
    in memory), over a stored row whose newest event is one of `newest` (ids; None: none)."""
    day = service.latest["timestamp"][:10]  # the event's ISO date: its rollup's key
    return {"over": newest, "status": service.current_status.id() if service.current_status else None,
            "latest": service.latest, "recent": service.recent[0], "day": [day, service.days[day]]}


def shown(rows, preview):
    """The board's rows ({id: Row or None}) with the waiting changes put over the rows they were worked
    out from; a row written since (or a service gone) shows as stored. A later delivery's change of
    the same service shows over an earlier one's (both were worked out from the stored row)."""
    stored = dict(rows)
    for changes in (preview.deliveries or {}).values() if preview else ():
        for service_id, change in changes.items():
            row = stored.get(service_id)
            if row is None or (row.get("latest") or {}).get("sid") not in change["over"]:
                continue
            day, rollup = change["day"]
            rows[service_id] = Row({**row, "status": change["status"], "latest": change["latest"],
                                    "recent": [change["recent"], *row.get("recent", [])][:ROW_RECENT],
                                    "days": {**(row.get("days") or {}), day: rollup}})
    return rows
