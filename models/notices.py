"""The notices: open and recent incidents and the maintenance windows not long over, in one document.

The front page, the feeds and the Statuspage-compatible API show these beside the
board; keeping them in one document whose key is known lets the board's one lookup
(models/snapshot.py) fetch them with the services' rows, so they cost no extra read.
Each incident or maintenance write updates its entry here in the same transaction;
the Incident and Maintenance entities stay the truth (`rebuild` remakes the document).
"""

from google.cloud import ndb

# Resolved incidents and finished windows kept for the feeds and the API (Statuspage's
# incidents.json lists the newest 50).
RECENT_INCIDENTS = 50
RECENT_MAINTENANCES = 20
OPEN_MAINTENANCE = ("scheduled", "in_progress", "verifying")


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
        notices.incidents = _with_incident(notices.incidents, incident.incident_id, None if removed else incident)
        notices.put()

    @classmethod
    def keep_maintenance(cls, window):
        """Put `window`'s entry, in the caller's transaction."""
        notices = cls._load()
        notices.maintenances = _with_maintenance(notices.maintenances, window)
        notices.put()

    @classmethod
    def rebuild(cls, incidents, windows):
        """Remake the document from the stored entities (the safety net, run by rebuild-history)."""
        entries, kept = [], []
        for incident in incidents:
            entries = _with_incident(entries, incident.incident_id, incident)
        for window in windows:
            kept = _with_maintenance(kept, window)
        cls(key=cls.key_for(), incidents=entries, maintenances=kept).put()


def _with_incident(entries, incident_id, incident):
    """`entries` with the incident's entry replaced (dropped when `incident` is None), trimmed."""
    entries = [entry for entry in entries or [] if entry["id"] != incident_id]
    if incident is not None:
        entries.append(incident.to_json())
    entries.sort(key=lambda entry: entry["started"], reverse=True)
    resolved = [entry["id"] for entry in entries if entry["state"] == "resolved"]
    dropped = set(resolved[RECENT_INCIDENTS:])
    return [entry for entry in entries if entry["id"] not in dropped]


def _with_maintenance(entries, window):
    """`entries` with the window's entry replaced, soonest first, the long-over ones trimmed."""
    entries = [entry for entry in entries or [] if entry["id"] != window.maintenance_id]
    entries.append(window.to_json())
    entries.sort(key=lambda entry: entry["starts"])
    over = [entry["id"] for entry in entries if entry["state"] not in OPEN_MAINTENANCE]
    dropped = set(over[:-RECENT_MAINTENANCES]) if len(over) > RECENT_MAINTENANCES else set()
    return [entry for entry in entries if entry["id"] not in dropped]
