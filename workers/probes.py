"""Running the services' HTTP probes: what the cron job /_tasks/probes does every minute."""

import concurrent.futures

from models import Actor, acting_as
from models.probes import Probe
from workers import outbound

PARALLEL = 8


def check(probe, allow_private):
    """Request the probe's URL once: (ok, status, error, milliseconds)."""
    result = outbound.request("GET", probe.url, timeout=probe.timeout, allow_private=allow_private)
    ok = result.status == probe.expected_status
    error = result.error if result.status is None else (None if ok else f"HTTP {result.status}, "
                                                                         f"expected {probe.expected_status}")
    return ok, result.status, error, result.milliseconds


def run_due(app):
    """Check every due probe (several at once), record each result; answers what was posted."""
    probes = Probe.due()
    allow_private = app.config["ALLOW_PRIVATE_TARGETS"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        outcomes = list(pool.map(lambda probe: check(probe, allow_private), probes))
    posted = {}
    for probe, outcome in zip(probes, outcomes):
        # The audit log says a probe, not a person, changed the board.
        with acting_as(Actor(email=f"probe:{probe.service_id}", via="probe")):
            change = probe.record(*outcome)
        if change:
            posted[probe.service_id] = change
    return {"checked": len(probes), "posted": posted}
