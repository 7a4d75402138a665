"""`make soak`: the board under load while its Datastore goes away and comes back.

50 clients for 30 s against gunicorn (app.yaml's entrypoint: 2 workers × 4 threads) on
an emulator that keeps its data on disk; 95 % reads across the pages and the public API,
5 % authenticated writes (events). 10 s in, the emulator is stopped for 10 s, then
restarted from its store. Printed: requests, errors by kind and p50/p99 latency before,
during and after the fault, writes acknowledged, and writes found afterwards; the read and
write p99 outside the fault beside short reads-only and static-file runs; then the alert
storm (tools/soak_storm.py). The flood phase (tools/soak_flood.py) follows on a board of its own.

Targets: no error before or after the fault; no public read other than 200 during it
(the last good answer, marked stale, is a 200); every write during it a 503 with
Retry-After; every acknowledged write found afterwards.
"""

import collections
import http.client
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from tools import soak_flood, soak_storm
from tools.emulator import Emulator, free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLIENTS, DURATION, FAULT_AT, FAULT_FOR = 50, 30.0, 10.0, 10.0
# The app's first seconds back: each worker's breaker and gRPC reconnection (handlers/context.py).
RECOVERY = 2.0
WRITE_SHARE = 0.05
SERVICES = ("web-api", "website", "payments", "email", "sms", "webhooks")
READS = ["/", "/summary", "/service-lists", "/rss", "/atom", "/api/v1/services", "/api/v1/statuses",
         "/api/v1/services?callback=stashboard.callback"]
READS += [f"/services/{s}" for s in SERVICES] + [f"/api/v1/services/{s}" for s in SERVICES]


def seed(env):
    """The demo board and an admin token, through the app's own commands."""
    flask = [sys.executable, "-m", "flask", "--app", "main"]
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    out = subprocess.run([*flask, "create-api-token", "soak@example.com", "--name", "soak"], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def serve(env):
    """gunicorn as App Engine runs it; answers (process, port) once it serves."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "4", "main:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/robots.txt")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


class Load:
    """The clients, the fault's clock, and everything they saw."""

    def __init__(self, port, token):
        self.port, self.token = port, token
        self.results = []  # (started, ended, kind, outcome), in seconds since the start
        self.acknowledged = set()
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.fault = (FAULT_AT, float("inf"))  # the end is set when the emulator is back

    def phase(self, started, ended):
        """Whether a request ran before the fault, met it (or the app's recovery), or came after."""
        start, end = self.fault
        if ended < start:
            return "before"
        return "during" if started < end + RECOVERY else "after"

    def client(self, number):
        """One client: keep-alive requests until the time is up."""
        rng = random.Random(number)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while (at := time.monotonic() - self.started) < DURATION:
            write = rng.random() < WRITE_SHARE
            try:
                if write:
                    message = f"soak {number}-{rng.getrandbits(48):x}"
                    body = urllib.parse.urlencode({"message": message, "status": rng.choice(["up", "warning"])})
                    service = rng.choice(SERVICES)
                    connection.request("POST", f"/admin/api/v1/services/{service}/events", body,
                                       {"Authorization": f"Bearer {self.token}",
                                        "Content-Type": "application/x-www-form-urlencoded"})
                else:
                    connection.request("GET", rng.choice(READS))
                response = connection.getresponse()
                response.read()
                outcome = str(response.status)
                if response.status == 503 and response.getheader("Retry-After"):
                    outcome = "503+Retry-After"
                if write and response.status == 201:
                    with self.lock:
                        self.acknowledged.add((service, message))
            except OSError as error:
                outcome = type(error).__name__
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            with self.lock:
                self.results.append((at, time.monotonic() - self.started, "write" if write else "read", outcome))


def found(port, acknowledged):
    """How many acknowledged writes the API shows afterwards (every page of every service's events)."""
    return len(acknowledged & soak_storm.events_seen(port, SERVICES))


def report(load, writes_found):
    """Print the figures and the targets, PASS or FAIL."""
    print(f"\n{'phase':8} {'kind':6} {'requests':>8}  {'p50 ms':>7} {'p99 ms':>7}  outcomes")
    groups = collections.defaultdict(list)
    for started, ended, kind, outcome in load.results:
        groups[(load.phase(started, ended), kind)].append((outcome, ended - started))
    for phase in ("before", "during", "after"):
        for kind in ("read", "write"):
            rows = groups[(phase, kind)]
            if not rows:
                continue
            p50, p99 = soak_storm.percentiles([seconds for _, seconds in rows])
            outcomes = dict(collections.Counter(outcome for outcome, _ in rows))
            print(f"{phase:8} {kind:6} {len(rows):8}  {p50:7.1f} {p99:7.1f}  {outcomes}")

    def count(phase, kind, accept):
        return sum(1 for outcome, _ in groups[(phase, kind)] if outcome not in accept)

    ok_read, ok_write = {"200"}, {"201"}
    checks = [
        ("errors before the fault", count("before", "read", ok_read) + count("before", "write", ok_write), 0),
        ("errors after the fault", count("after", "read", ok_read) + count("after", "write", ok_write), 0),
        ("public reads during the fault other than 200", count("during", "read", ok_read), 0),
        ("writes during the fault other than 503 with Retry-After",
         count("during", "write", {"503+Retry-After", "201"}), 0),
        ("acknowledged writes missing afterwards", len(load.acknowledged) - writes_found, 0),
    ]
    print(f"\nwrites acknowledged: {len(load.acknowledged)}, found afterwards: {writes_found}")
    for name, value, target in checks:
        print(f"{'PASS' if value == target else 'FAIL'}  {name}: {value} (target {target})")
    return all(value == target for _, value, target in checks)


def fault():
    """The Datastore fault phase; answers whether every target was met."""
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix="stashboard-soak-"))
    emulator = Emulator(ROOT / "index.yaml", data_dir=data_dir)
    env = {**os.environ, **emulator.environment(), "SECRET_KEY": "soak", "DATASTORE_READ_DEADLINE": "1"}
    server = None
    try:
        token = seed(env)
        server, port = serve(env)
        load = Load(port, token)
        for path in READS * 4:  # both workers have answered every page once
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path)
            connection.getresponse().read()
        baselines = soak_storm.baselines(port, READS)  # the same server's reads-only and static p99
        load.started = time.monotonic()
        clients = [threading.Thread(target=load.client, args=(n,), daemon=True) for n in range(CLIENTS)]
        for thread in clients:
            thread.start()
        time.sleep(FAULT_AT)
        print(f"{time.monotonic() - load.started:5.1f} s: stopping the Datastore emulator", flush=True)
        emulator.stop()
        time.sleep(FAULT_FOR)
        emulator = Emulator(ROOT / "index.yaml", port=emulator.port, data_dir=data_dir)
        load.fault = (FAULT_AT, time.monotonic() - load.started)
        print(f"{load.fault[1]:5.1f} s: the emulator is back, from its store", flush=True)
        for thread in clients:
            thread.join()
        passed = report(load, found(port, load.acknowledged))
        soak_storm.main_phase_summary(load.results, load.phase, baselines)
        return soak_storm.run(ROOT, env, port, token) and passed
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait()
        emulator.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main():
    """Run every phase (each prints its own figures); exit 1 if a target is missed."""
    passed = [phase() for phase in (fault, soak_flood.run)]
    sys.exit(0 if all(passed) else 1)


if __name__ == "__main__":
    main()
