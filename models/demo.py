"""The demo board `make run` starts with (`flask seed-demo`): services in lists with 90 days of
history, a resolved incident with its postmortem, an open incident, a maintenance window to
come, and an HTTP probe with 30 days of response times.

Everything goes through the models as an admin's writes would (events in time order, so the
day rollups and the uptime figures are those the events make), except the probe's results:
thousands of them are stored directly, in batches, with the chart's day buckets.
"""

import datetime
import math
import random

from google.cloud import ndb

from models import times
from models.event import Event
from models.incident import Incident
from models.maintenance import Maintenance
from models.probes import Probe, ProbeResult
from models.series import PROBE, SeriesDay
from models.service import Service
from models.service_list import ServiceList

LISTS = (
    ("Core", "The public API and the website."),
    ("Messaging", "Email and SMS delivery."),
)
SERVICES = (
    ("Web API", "The REST API that customers' code calls.", "core"),
    ("Website", "The marketing site and the customer dashboard.", "core"),
    ("Payments", "Card payments and invoicing.", "core"),
    ("Email", "Outbound email delivery.", "messaging"),
    ("SMS", "Outbound and inbound text messages.", "messaging"),
    ("Webhooks", "Callbacks to customers' servers.", None),
)
HISTORY_DAYS = 90
# (service, days ago, hours into that day, status, message, informational)
EVENTS = (
    ("webhooks", 71, 2.0, "warning", "Some callbacks are being retried late.", False),
    ("webhooks", 71, 7.5, "up", "Callbacks are on time again.", False),
    ("web-api", 44, 13.0, "down", "The API answers errors to most requests.", False),
    ("web-api", 44, 15.0, "up", "The API is answering normally again.", False),
    ("website", 19, 8.0, "down", "The website cannot be reached.", False),
    ("website", 19, 8.5, "up", "The website is back.", False),
    ("payments", 3, 9.5, "down", "Card payments are failing; we are investigating.", False),
    ("payments", 3, 11.0, "up", "Payments are processing normally again.", False),
    ("website", 1, 14.0, "warning", "The dashboard is loading slowly for some customers.", False),
    ("website", 1, 15.25, "up", "The dashboard is fast again.", False),
    ("email", 0, 0.5, "warning", "Email delivery to some providers is delayed.", False),
    ("sms", 0, 0.25, None, "Scheduled maintenance of the SMS gateway tonight at 23:00 UTC.", True),
)
POSTMORTEM = (
    "A certificate on the link to our card processor expired at 09:28 UTC; every payment failed "
    "until a new one was installed at 10:58.\n\nWe now renew those certificates automatically "
    "and alert 30 days before any expires."
)
PROBE_URL = "https://www.example.com/"
PROBE_DAYS = 30
BATCH = 500


def seed(probe_days=PROBE_DAYS):
    """Fill an empty board with the demo (False: it already has services); the probe's results go
    `probe_days` back (tests seed fewer)."""
    if not Service.none_yet():
        return False
    for name, description in LISTS:
        ServiceList.create(name, description)
    now = times.utcnow()
    today = times.utc_midnight(now)
    began = today - datetime.timedelta(days=HISTORY_DAYS + 1)
    changes = [(began, Service.create(name, description, list_id).slug, "up", f"{name} is up.", False)
               for name, description, list_id in SERVICES]
    for service_id, days_ago, hours, status, message, informational in EVENTS:
        at = min(today - datetime.timedelta(days=days_ago, hours=-hours), now)
        changes.append((at, service_id, status, message, informational))
    for at, service_id, status, message, informational in sorted(changes, key=lambda change: change[0]):
        Event.post(Service.get_or_404(service_id), message, status, informational, at=at)
    _incidents(today, now)
    starts = today + datetime.timedelta(hours=23)
    starts = starts if starts > now + datetime.timedelta(minutes=5) else starts + datetime.timedelta(days=1)
    Maintenance.schedule("SMS gateway upgrade", "Text messages may be delayed by a few minutes while the "
                         "gateway restarts.", "sms", starts, starts + datetime.timedelta(hours=1))
    _probe(now, probe_days)
    return True


def _incidents(today, now):
    """The payments outage three days ago, resolved, with its postmortem; the email delay, open."""
    outage = today - datetime.timedelta(days=3)
    with times.shifted(outage + datetime.timedelta(hours=9.6) - now):
        incident = Incident.open("Card payments failing", "payments", "Card payments are failing; we are "
                                 "investigating.", impact="major")
    with times.shifted(outage + datetime.timedelta(hours=10.2) - now):
        incident = incident.post_update("An expired certificate on the link to our processor; a new one is "
                                        "being installed.", state="identified")
    with times.shifted(outage + datetime.timedelta(hours=11) - now):
        incident = incident.post_update("Payments are processing normally again.", state="resolved")
        incident.edit(postmortem=POSTMORTEM)
    Incident.open("Delayed email", "email", "Email to some providers is delayed by up to 20 minutes; "
                  "we are working with them.", state="identified", impact="minor")


# (reaching back, one result every): as many as the charts need for a point in every bucket (15 minutes
# over the last day, hourly over the week, 4-hourly over the month) and no more; storing each costs.
DENSITY = ((datetime.timedelta(days=1), datetime.timedelta(minutes=15)),
           (datetime.timedelta(days=7), datetime.timedelta(hours=1)),
           (datetime.timedelta(days=PROBE_DAYS), datetime.timedelta(hours=4)))


def _probe(now, days):
    """The Web API's HTTP probe with `days` of results, denser as they near now (DENSITY): put in
    batches, and folded into the response-time chart's day buckets."""
    Probe.configure("web-api", PROBE_URL, interval=60)
    service = ndb.Key(Service, "web-api")
    rng = random.Random(2010)
    results, points = [], []
    moment = now - datetime.timedelta(days=days)
    while moment <= now:
        step = next(every for back, every in DENSITY if now - moment <= back)
        hour = moment.hour + moment.minute / 60
        # Slower in the working day, and through the dashboard's slow spell of yesterday afternoon.
        ms = int(90 + 35 * math.sin(math.pi * (hour - 6) / 12) ** 2 + rng.expovariate(1 / 12))
        ms += 400 if now - moment < datetime.timedelta(days=2) and 14 <= hour < 15.25 else 0
        key = ndb.Key(ProbeResult, f"web-api@{moment.isoformat()}")
        results.append(ProbeResult(key=key, service=service, at=moment, ok=True, status=200, milliseconds=ms))
        points.append((moment, ms))
        moment += step
    for start in range(0, len(results), BATCH):
        ndb.put_multi(results[start:start + BATCH])
    SeriesDay.add("web-api", PROBE, points)
