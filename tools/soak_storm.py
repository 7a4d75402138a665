"""`make soak`'s alert-storm phase, and the short reads-only and static-file runs the main
phase's figures are set beside.

The storm, on STORM_SERVICES services (made through the admin API): readers read the
public pages throughout; 20 API clients post events concurrently; Alertmanager-shaped
webhooks arrive, the first carrying a firing alert for every service at once, then its
resolution. Printed: writes acknowledged and found afterwards, write and read p50/p99,
contention errors seen (409, 500 or 503 on a write), each webhook's time, and renders
per second of `/` (answers whose Server-Timing says the page cache missed, rather than
hit or served a copy), and whether every answer of `/` showed each write answered 2 s or
more before it (tools/soak_shown.py).

Targets: every acknowledged write found; no contention error; the 200-alert webhook
answered within 2 s with every alert's service changed; `/` showing every write within
2 s of its answer.
"""

import collections
import http.client
import json
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

from tools import soak_shown

STORM_SERVICES, POSTERS, READERS, STORM_FOR = 200, 20, 10, 20.0
WEBHOOK_AT, RESOLVE_AT = 3.0, 12.0
BASELINE_CLIENTS, BASELINE_FOR = 50, 8.0
STATIC = "/static/css/site.css"
STORM_READS = ["/", "/", "/api/v1/services", "/summary", "/rss"]
CACHE_STATE = re.compile(r'cache;desc="(\w+)"')
CONTENTION = {"409", "500", "503"}
# How long `found` waits before asking again for an event list it was told to retry (handlers/shedding.py).
SHED_PAUSE = 0.25
# How long the storm's deliveries, answered before they are applied, may take to be applied in all.
APPLIED_WITHIN = 60.0


def percentiles(seconds):
    """(p50, p99) in ms of a list of durations in seconds (zeros when empty)."""
    if not seconds:
        return 0.0, 0.0
    times = sorted(s * 1000 for s in seconds)
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def request(connection, method, path, body=None, headers=None):
    """One request on a keep-alive connection: (status text, seconds, response headers, body)."""
    started = time.monotonic()
    connection.request(method, path, body, headers or {})
    response = connection.getresponse()
    data = response.read()
    return str(response.status), time.monotonic() - started, response, data


def hammer(port, clients, seconds, paths):
    """`clients` keep-alive readers of `paths` for `seconds`: the list of (status, seconds)."""
    results, lock, until = [], threading.Lock(), time.monotonic() + seconds

    def client(number):
        rng = random.Random(number)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < until:
            try:
                status, took, _, _ = request(connection, "GET", rng.choice(paths))
            except OSError as error:
                status, took = type(error).__name__, 0.0
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                results.append((status, took))

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def baselines(port, reads):
    """The reads-only and static-file p99 (ms) on the same server, BASELINE_FOR seconds each."""
    figures = {}
    for name, paths in (("reads only", reads), ("static file", [STATIC])):
        results = hammer(port, BASELINE_CLIENTS, BASELINE_FOR, paths)
        figures[name] = percentiles([took for status, took in results if status == "200"])
        errors = sum(1 for status, _ in results if status != "200")
        print(f"{name}: {len(results)} requests ({len(results) / BASELINE_FOR:.0f}/s), p50/p99 "
              f"{figures[name][0]:.1f}/{figures[name][1]:.1f} ms, errors {errors}", flush=True)
    return figures


def integration_secret(root, env):
    """A new Alertmanager integration's secret, made through the models as the admin UI makes it."""
    code = ("from main import create_app; from handlers.context import ndb_context; "
            "from models.integrations import Integration; app = create_app()\n"
            "with app.app_context(), ndb_context(app):\n"
            "    print(Integration.issue('Soak storm', 'alertmanager', created_by='soak@example.com')[1])")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def deliveries_waiting(env):
    """How many alert deliveries are recorded and not applied yet (models/alert_inbox.py), asked of the
    emulator itself through its REST API (keys only): the server's answers cannot tell."""
    body = {"partitionId": {"projectId": env["GOOGLE_CLOUD_PROJECT"], "namespaceId": ""},
            "query": {"kind": [{"name": "AlertDelivery"}], "projection": [{"property": {"name": "__key__"}}]}}
    url = f"http://{env['DATASTORE_EMULATOR_HOST']}/v1/projects/{env['GOOGLE_CLOUD_PROJECT']}:runQuery"
    http = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(http, timeout=10) as answer:
            return len(json.loads(answer.read())["batch"].get("entityResults", []))
    except TimeoutError:  # the emulator did not answer in time (in some storm runs it sat idle, waiting on locks)
        print("  (the emulator took over 10 s to answer how many deliveries wait)", flush=True)
        return -1


def applied_within(env, seconds):
    """Seconds until no alert delivery waits to be applied (None if some still do after `seconds`)."""
    started = time.monotonic()
    while deliveries_waiting(env):
        if time.monotonic() - started > seconds:
            return None
        time.sleep(0.1)
    return time.monotonic() - started


def make_services(port, token, count=STORM_SERVICES, prefix="storm"):
    """`count` services through the admin API, eight at a time; answers their ids."""
    ids = [f"{prefix}-{n:03d}" for n in range(count)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded"}

    def make(chunk):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for service_id in chunk:
            body = urllib.parse.urlencode({"name": service_id, "description": "Soak storm service."})
            # A creation refused for contention (the board's members document) is tried again: a
            # service missing would count against the webhook.
            for _ in range(5):
                if request(connection, "POST", "/admin/api/v1/services", body, headers)[0] in ("201", "409"):
                    break

    threads = [threading.Thread(target=make, args=(ids[n::8],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ids


def alert_group(ids, state, episode):
    """An Alertmanager v4 webhook body with one alert per service, all `state`."""
    alerts = [{"status": state, "labels": {"alertname": "StormDown", "severity": "critical", "service": service_id},
               "annotations": {"summary": f"Storm {episode} on {service_id}"}, "startsAt": "2024-05-01T10:00:00Z",
               "endsAt": "0001-01-01T00:00:00Z", "fingerprint": f"storm-{episode}-{service_id}"} for service_id in ids]
    return {"version": "4", "groupKey": "{}:{alertname=\"StormDown\"}", "truncatedAlerts": 0, "receiver": "stashboard",
            "status": state, "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
            "alerts": alerts}


class Storm:
    """The storm's clients and everything they saw."""

    def __init__(self, port, token, secret, ids):
        self.port, self.token, self.secret, self.ids = port, token, secret, ids
        self.lock = threading.Lock()
        self.reads, self.writes, self.hooks = [], [], []  # (status, seconds[, cache state])
        self.acknowledged = set()
        self.hook_timings = []  # each webhook answer's Server-Timing: its Datastore RPCs and their time
        self.posted, self.hook_log = [], []  # soak_shown.Write and soak_shown.Hook: what `/` should show
        self.until = time.monotonic() + STORM_FOR

    def reader(self, number):
        """Read the public pages until the storm ends; note each answer's cache state."""
        rng, connection = random.Random(number), http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while time.monotonic() < self.until:
            path = rng.choice(STORM_READS)
            try:
                status, took, response, _ = request(connection, "GET", path)
                match = CACHE_STATE.search(response.getheader("Server-Timing") or "")
                state = match.group(1) if match else "none"
            except OSError as error:
                status, took, state = type(error).__name__, 0.0, None
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            with self.lock:
                self.reads.append((status, took, state if path == "/" else None))

    def poster(self, number):
        """Post events to random services until the storm ends."""
        rng, connection = random.Random(1000 + number), http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/x-www-form-urlencoded"}
        while time.monotonic() < self.until:
            service_id, message = rng.choice(self.ids), f"storm {number}-{rng.getrandbits(48):x}"
            body = urllib.parse.urlencode({"message": message, "status": rng.choice(["up", "warning"])})
            started = time.monotonic()
            try:
                status, took, _, _ = request(connection, "POST", f"/admin/api/v1/services/{service_id}/events",
                                             body, headers)
            except OSError as error:
                status, took = type(error).__name__, 0.0
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            with self.lock:
                self.writes.append((status, took))
                if status == "201":
                    self.acknowledged.add((service_id, message))
                    self.posted.append(soak_shown.Write(service_id, message, started, time.monotonic()))

    def webhook(self, state, episode):
        """One Alertmanager webhook with an alert for every service; its time and what it changed."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        body = json.dumps(alert_group(self.ids, state, episode))
        headers = {"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json"}
        started = time.monotonic()
        try:
            status, took, response, data = request(connection, "POST", "/hooks/alertmanager", body, headers)
            timing = response.getheader("Server-Timing") or ""
        except OSError as error:  # a timeout or a dropped connection is a figure too, not the end of the run
            status, took, data, timing = type(error).__name__, time.monotonic() - started, b"", ""
        answer = json.loads(data) if status == "200" else {}
        with self.lock:
            self.hooks.append((f"{len(self.ids)} alerts {state}", status, took, len(answer.get("changed", []))))
            self.hook_timings.append(timing)
            prefix = f"{'Resolved: ' if state == 'resolved' else ''}Storm {episode} on "
            self.hook_log.append(soak_shown.Hook(prefix, started, started + took, answer.get("changed", [])))

    @property
    def changed(self):
        """{webhook message prefix: [service ids it changed]}."""
        return {hook.prefix: hook.changed for hook in self.hook_log}

    def run(self):
        """Readers and posters for STORM_FOR seconds, the webhooks at their moments."""
        threads = [threading.Thread(target=self.reader, args=(n,), daemon=True) for n in range(READERS)]
        threads += [threading.Thread(target=self.poster, args=(n,), daemon=True) for n in range(POSTERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(WEBHOOK_AT)
        self.webhook("firing", 1)
        time.sleep(max(0.0, RESOLVE_AT - (time.monotonic() - started)))
        self.webhook("resolved", 1)
        for thread in threads:
            thread.join()
        return time.monotonic() - started

    def found(self):
        """(acknowledged API writes found, webhook changes found) in the services' events afterwards."""
        seen = events_seen(self.port, self.ids)
        hooks = sum(1 for prefix, ids in self.changed.items() for service_id in ids
                    if any(s == service_id and m.startswith(prefix) for s, m in seen))
        return len(self.acknowledged & seen), hooks


def events_seen(port, service_ids, tries=240):
    """{(service id, message)} of every event of the services, every page, read where no cache stands
    in between (the admin root), so a copy another worker has not yet heard is stale about cannot
    hide a write, nor a stale one count as lost. A 503 (a costly render shed while the budget
    refills, or the app's first seconds after an outage) is asked again, up to `tries` times a page."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    seen = set()
    for service_id in service_ids:
        path, left = f"/admin/api/v1/services/{service_id}/events", tries
        while path:  # every page: a list holds models.event.PAGE events at most, the older behind `next`
            status, _, _, data = request(connection, "GET", path)
            if status == "503" and (left := left - 1) > 0:
                time.sleep(SHED_PAUSE)
                continue
            answer = json.loads(data)
            seen |= {(service_id, event["message"]) for event in answer["events"]}
            after = urllib.parse.urlsplit(answer.get("next") or "")
            path, left = (f"{after.path}?{after.query}" if after.path else None), tries
    return seen


def run(root, env, port, token):
    """The storm phase: make its services, run it, print its figures; answers whether it met its targets."""
    print(f"\nAlert storm: {STORM_SERVICES} services, {POSTERS} API clients posting, {READERS} readers, "
          f"{STORM_FOR:.0f} s; a {STORM_SERVICES}-alert webhook at {WEBHOOK_AT:.0f} s, its resolution at "
          f"{RESOLVE_AT:.0f} s", flush=True)
    ids = make_services(port, token)
    storm = Storm(port, token, integration_secret(root, env), ids)
    watcher = soak_shown.Watcher(port, lambda: deliveries_waiting(env))
    watcher.start()
    seconds = storm.run()
    watcher.stop()
    looked, late = soak_shown.misses(watcher.answers, storm.posted, storm.hook_log)
    applied = applied_within(env, APPLIED_WITHIN)
    writes_found, hook_found = storm.found()
    write = percentiles([took for status, took in storm.writes if status == "201"])
    read = percentiles([took for status, took, _ in storm.reads if status == "200"])
    front = collections.Counter(state for status, _, state in storm.reads if state is not None and status == "200")
    rendered = front["miss"] + front["none"]
    contention = sum(1 for status, _ in storm.writes if status in CONTENTION)
    hook_contention = sum(1 for _, status, _, _ in storm.hooks if status in CONTENTION)
    print(f"writes: {len(storm.writes)} ({len(storm.writes) / seconds:.0f}/s), acknowledged {len(storm.acknowledged)}, "
          f"found afterwards {writes_found}; p50/p99 {write[0]:.1f}/{write[1]:.1f} ms; "
          f"outcomes {dict(collections.Counter(status for status, _ in storm.writes))}")
    print(f"reads: {len(storm.reads)} ({len(storm.reads) / seconds:.0f}/s), p50/p99 {read[0]:.1f}/{read[1]:.1f} ms; "
          f"outcomes {dict(collections.Counter(status for status, _, _ in storm.reads))}")
    print(f"/ answers by cache state {dict(front)}: {rendered / seconds:.1f} renders/s")
    for name, status, took, changed in storm.hooks:
        print(f"webhook ({name}): {status} in {took * 1000:.0f} ms, {changed} services changed")
    print(f"webhook changes found afterwards: {hook_found} of {sum(len(ids) for ids in storm.changed.values())} "
          f"(every delivery applied {f'{applied:.1f} s after the storm' if applied is not None else 'not yet'})")
    print(f"/ read {len(watcher.answers)} times: {looked} checks of a write answered "
          f"{soak_shown.SHOWN_WITHIN:.0f} s or more before, {len(late)} not shown"
          + (f" (up to {max(late):.1f} s after its answer)" if late else ""))
    slow_hooks = [hook for hook in storm.hooks if hook[1] != "200" or hook[2] > 2.0 or hook[3] != STORM_SERVICES]
    checks = [
        ("acknowledged writes missing afterwards", len(storm.acknowledged) - writes_found, 0),
        ("contention errors (409/500/503) on writes and webhooks", contention + hook_contention, 0),
        (f"{STORM_SERVICES}-alert webhooks (firing and resolved) over 2 s or not changing every service",
         len(slow_hooks) if storm.hooks else 1, 0),
        (f"answers of / not showing a write answered {soak_shown.SHOWN_WITHIN:.0f} s or more before",
         len(late) if looked else 1, 0),
        (f"alert deliveries not applied within {APPLIED_WITHIN:.0f} s", int(applied is None), 0),
    ]
    for name, value, target in checks:
        print(f"{'PASS' if value == target else 'FAIL'}  {name}: {value} (target {target})")
    return all(value == target for _, value, target in checks)
