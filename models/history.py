"""Per-day rollups of a service's history, kept on the service and updated with each event.

A rollup maps an ISO date (UTC) to what happened that day:
`{"start": status id in force at 00:00 (None: the default status), "statuses": [ids of
the events' statuses], "note": an informational note was posted, "secs": {status id
("" for the default): seconds spent in it from 00:00 to the day's last status change},
"last": that change, in seconds after 00:00}`. Days without a rollup had no event: the
status in force carried through them. So the history grid and the uptime figures are
computed from the rollups and the current status alone, never by scanning events: a
service down all week with no new event shows down on every day, and 90 days of
uptime cost what 5 do.
"""

import datetime

# Enough for 90 days of bars, with room for time zones and late readers.
KEEP_DAYS = 100
DAY_SECONDS = 86400.0


def with_event(days, day, start, status, note, at=None):
    """`days` with an event of `day` (a date) recorded: `status` id (None for a note), `note` flag.

    `start` is the status id in force before the event, used when it is the day's first;
    `at` (the event's naive UTC time) adds the time since the day's previous change to
    what `start` was in force for. Days older than KEEP_DAYS before `day` are dropped.
    """
    days = dict(days or {})
    key = day.isoformat()
    record = dict(days.get(key) or {"start": start, "statuses": [], "note": False, "secs": {}, "last": 0.0})
    if status is not None and status not in record["statuses"]:
        record["statuses"] = [*record["statuses"], status]
    record["note"] = record["note"] or bool(note)
    if at is not None:  # the day's first event: where a service's history begins, if before its creation
        record["first"] = min(record.get("first", DAY_SECONDS), seconds_into_day(at))
    if status is not None and at is not None:
        elapsed = seconds_into_day(at)
        secs = dict(record.get("secs") or {})
        held = start or ""
        secs[held] = round(secs.get(held, 0.0) + elapsed - record.get("last", 0.0), 6)
        record["secs"], record["last"] = secs, elapsed
    days[key] = record
    oldest = (day - datetime.timedelta(days=KEEP_DAYS)).isoformat()
    return {date: value for date, value in days.items() if date >= oldest}


def replay(events, carried):
    """Rollups rebuilt from `events` (oldest first) given the status id `carried` into the first."""
    days = {}
    for event in events:
        status = None if event.informational else event.status.id()
        days = with_event(days, event.timestamp.date(), carried, status, event.informational, at=event.timestamp)
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


def first_event(days, created=None):
    """When the service's first event happened (naive UTC), as far as the kept rollups tell;
    None with no rollup; datetime.min when it is older than every kept rollup."""
    if not days:
        return None
    oldest = min(days)
    midnight = datetime.datetime.fromisoformat(oldest)
    if days[oldest].get("start") is not None:
        # A status was in force at that midnight: an event of a day no longer kept set it (a
        # newer event drops rollups over KEEP_DAYS older, as a migration's replay of 1.x does).
        return datetime.datetime.min
    if "first" in days[oldest]:
        return midnight + datetime.timedelta(seconds=days[oldest]["first"])
    # Written before rollups noted it (`flask rebuild-history` adds it): only a day before the
    # creation's says the history began earlier, and then no later than that day's midnight.
    return midnight if created is None or midnight.date() < created.date() else None


def seconds_into_day(moment):
    """Seconds from the UTC midnight before `moment` to `moment`, to the microsecond."""
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def durations(days, current, dates, now, created=None):
    """{status id ("" for the default): seconds} spent over `dates` (consecutive, newest first,
    the newest being today) up to `now`, given the `current` status id (None: the default).
    Time before `created` (the service's creation) is not counted; see `per_day`."""
    totals = {}
    for day in per_day(days, current, dates, now, created):
        for status, seconds in day.items():
            totals[status] = totals.get(status, 0.0) + seconds
    return totals


def per_day(days, current, dates, now, created=None):
    """[{status id ("" for the default): seconds}] spent on each of `dates` (consecutive, newest
    first, the newest being today) up to `now`, given the `current` status id (None: the default):
    what a day's bar and a calendar's month are made of.

    Walking back from now: a day with a rollup spent its "secs", then from its last change
    to its end (or now) the status in force after it; a day without one spent all of it in
    the status in force. Time before `created` (the service's creation) is not counted: a day
    wholly before it is an empty dict.
    """
    days = days or {}
    in_force = current or ""
    result = []
    for date in dates:
        spent = {}
        result.append(spent)
        if created is not None and date < created.date():
            continue

        def add(status, seconds):
            if seconds > 0:
                spent[status or ""] = spent.get(status or "", 0.0) + seconds

        end = seconds_into_day(now) if date == now.date() else DAY_SECONDS
        record = days.get(date.isoformat())
        opening = seconds_into_day(created) if created is not None and date == created.date() else 0.0
        if record is None:
            add(in_force, end - opening)
            continue
        secs, last = dict(record.get("secs") or {}), record.get("last", 0.0)
        if opening:  # the day's first interval began at midnight; only its part after creation counts
            first = record["start"] or ""
            secs[first] = secs.get(first, 0.0) - min(opening, secs.get(first, 0.0))
        for status, seconds in secs.items():
            add(status, seconds)
        add(in_force, end - max(last, opening))
        in_force = record["start"] or ""
    return result
