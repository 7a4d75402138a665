"""The notices: open and recent incidents and the maintenance windows not long over, in one document.

The front page, the feeds and the Statuspage-compatible API show these beside the
board; keeping them in one document whose key is known lets the board's one lookup
(models/board.py) fetch them with the services' rows, so they cost no extra read.
Each incident or maintenance write updates its entry here in the same transaction;
the Incident and Maintenance entities stay the truth (`rebuild` remakes the document).
"""

from google.cloud import ndb

# Resolved incidents and finished windows kept for the feeds and the API (Statuspage's
# incidents.json lists the newest 50).
RECENT_INCIDENTS = 50
RECENT_MAINTENANCES = 20
OPEN_MAINTENANCE = ("scheduled", "in_progress")


class Notices(ndb.Model):
    """{"incidents": [incident JSON, newest first], "maintenances": [window JSON, soonest first]}."""

    incidents = ndb.JsonProperty(compressed=True)
    maintenances = ndb.JsonProperty(compressed=True)

    @classmethod
    def key_for(cls):
        """The one document's key."""
        return ndb.Key(cls, "notices")

    @classmethod
    def _load(cls):
        return cls.key_for().get(retries=0) or cls(key=cls.key_for(), incidents=[], maintenances=[])

    @classmethod
    def keep_incident(cls, incident, removed=False):
        """Put (or drop) `incident`'s entry, in the caller's transaction."""
        notices = cls._load()
        entries = [entry for entry in notices.incidents or [] if entry["id"] != incident.incident_id]
        if not removed:
            entries.append(incident.to_json())
        entries.sort(key=lambda entry: entry["started"], reverse=True)
        resolved = [entry for entry in entries if entry["state"] == "resolved"][RECENT_INCIDENTS:]
        notices.incidents = [entry for entry in entries if entry not in resolved]
        notices.put()

    @classmethod
    def keep_maintenance(cls, window):
        """Put `window`'s entry, in the caller's transaction."""
        notices = cls._load()
        entries = [entry for entry in notices.maintenances or [] if entry["id"] != window.maintenance_id]
        entries.append(window.to_json())
        entries.sort(key=lambda entry: entry["starts"])
        over = [entry for entry in entries if entry["state"] not in OPEN_MAINTENANCE]
        dropped = over[:-RECENT_MAINTENANCES] if len(over) > RECENT_MAINTENANCES else []
        notices.maintenances = [entry for entry in entries if entry not in dropped]
        notices.put()

    @classmethod
    def rebuild(cls, incidents, windows):
        """Remake the document from the stored entities (the safety net, like rebuild-history)."""

        @ndb.transactional()
        def txn():
            notices = cls._load()
            notices.incidents, notices.maintenances = [], []
            notices.put()
            for incident in incidents:
                cls.keep_incident(incident)
            for window in windows:
                cls.keep_maintenance(window)

        txn()
