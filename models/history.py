"""Per-day rollups of a service's history, kept on the service and updated with each event.

A rollup maps an ISO date (UTC) to what happened that day:
`{"start": status id in force at 00:00 (None: the default status), "statuses": [ids of
the events' statuses], "note": an informational note was posted}`. Days without a
rollup had no event: the status in force carried through them. So the history grid
is computed from the rollups and the current status alone, never by scanning events,
and a service down all week with no new event shows down on every day.
"""

import datetime

# Enough for 90 days of bars, with room for time zones and late readers.
KEEP_DAYS = 100


def with_event(days, day, start, status, note):
    """`days` with an event of `day` (a date) recorded: `status` id (None for a note), `note` flag.

    `start` is the status id in force before the event, used when it is the day's first.
    Days older than KEEP_DAYS before `day` are dropped.
    """
    days = dict(days or {})
    key = day.isoformat()
    record = dict(days.get(key) or {"start": start, "statuses": [], "note": False})
    if status is not None and status not in record["statuses"]:
        record["statuses"] = [*record["statuses"], status]
    record["note"] = record["note"] or bool(note)
    days[key] = record
    oldest = (day - datetime.timedelta(days=KEEP_DAYS)).isoformat()
    return {date: value for date, value in days.items() if date >= oldest}


def replay(events, carried):
    """Rollups rebuilt from `events` (oldest first) given the status id `carried` into the first."""
    days = {}
    for event in events:
        status = None if event.informational else event.status.id()
        days = with_event(days, event.timestamp.date(), carried, status, event.informational)
        if status is not None:
            carried = status
    return days


def cells(days, current, dates):
    """(status ids seen, note posted) for each of `dates` (newest first), given the `current` status id.

    Walking back from today: a day with a rollup saw its start status and its events'
    statuses; a day without one saw only the status in force, which is the start of the
    next day that has a rollup, or the current status.
    """
    days = days or {}
    in_force = current
    result = []
    for date in dates:
        record = days.get(date.isoformat())
        if record is None:
            result.append(({in_force}, False))
            continue
        result.append(({record["start"], *record["statuses"]}, record["note"]))
        in_force = record["start"]
    return result
