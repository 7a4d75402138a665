"""`python -m tools.storm_bench`: how long one Alertmanager webhook carrying an alert for each of
200 services takes, alone and while 20 API clients post events to the same services.

Set up as `make soak`'s storm phase is (tools/soak_storm.py, whose pieces it reuses): the demo
board and 200 services made through the admin API, served by gunicorn as App Engine runs it
(`-w 2 --threads 4`) on an emulator of its own. Then, one after the other: the firing webhook
and its resolution alone, then another firing and its resolution with the posters running.
Printed for each: the answer's status and time, how many services it says it changed, and how
long after the answer every one of them shows the change on `/api/v1/services` (read from the
same server), beside the posters' outcomes and the load average. Figures, not assertions; the
target is printed beside them (answered within 2 s, every service changed and seen).
"""

import collections
import http.client
import json
import os
import pathlib
import threading
import time

from tools import soak, soak_storm
from tools.emulator import Emulator

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEN_WITHIN = 10.0  # how long to look for the changes on the board after an answer


def seen_after(port, prefix, ids):
    """Seconds from now until every service in `ids` shows a current event whose message starts
    with `prefix` on /api/v1/services (None if not within SEEN_WITHIN), and how many did."""
    connection, started, wanted, count = http.client.HTTPConnection("127.0.0.1", port, timeout=30), time.monotonic(), set(ids), 0
    while time.monotonic() - started < SEEN_WITHIN:
        _, _, _, data = soak_storm.request(connection, "GET", "/api/v1/services")
        services = json.loads(data)["services"]
        count = sum(1 for s in services if s["id"] in wanted and ((s.get("current-event") or {}).get("message") or "").startswith(prefix))
        if count == len(wanted):
            return time.monotonic() - started, count
        time.sleep(0.05)
    return None, count


def one(storm, port, state, episode, look=True):
    """One webhook: (status, seconds, services changed, seconds until all seen, services seen).

    With posters running, a poster's later event may already have replaced the webhook's on the
    board, so there the changes are only counted in the services' events at the end (`look`=False).
    """
    storm.webhook(state, episode)
    _, status, took, changed = storm.hooks[-1]
    prefix = f"{'Resolved: ' if state == 'resolved' else ''}Storm {episode} on "
    seen, count = seen_after(port, prefix, storm.changed[prefix]) if look else (0.0, changed)
    return status, took, changed, seen, count


def report(name, figures):
    """Print one webhook's line, with its verdict against the target."""
    status, took, changed, seen, count = figures
    ok = status == "200" and took <= 2.0 and changed == soak_storm.STORM_SERVICES and seen is not None
    seen_text = f"{seen * 1000:.0f} ms" if seen else "(counted at the end)" if seen is not None else f"not all within {SEEN_WITHIN:.0f} s ({count})"
    print(f"{name:34} {status} in {took * 1000:6.0f} ms, {changed} changed, all seen on the board {seen_text}; "
          f"load {os.getloadavg()[0]:.1f}  {'PASS' if ok else 'FAIL'}", flush=True)


def main():
    """Seed, serve, and time the webhooks alone and under posters."""
    emulator = Emulator(ROOT / "index.yaml")
    env = {**os.environ, **emulator.environment(), "SECRET_KEY": "storm-bench"}
    server = None
    try:
        token = soak.seed(env)
        server, port = soak.serve(env)
        ids = soak_storm.make_services(port, token)
        storm = soak_storm.Storm(port, token, soak_storm.integration_secret(ROOT, env), ids)
        print(f"{len(ids)} services; load average {os.getloadavg()[0]:.1f}", flush=True)
        report("firing, alone", one(storm, port, "firing", 1))
        report("resolved, alone", one(storm, port, "resolved", 1))
        storm.until = time.monotonic() + 3600
        posters = [threading.Thread(target=storm.poster, args=(n,), daemon=True) for n in range(soak_storm.POSTERS)]
        for thread in posters:
            thread.start()
        time.sleep(2.0)
        report(f"firing, {soak_storm.POSTERS} posters", one(storm, port, "firing", 2, look=False))
        report(f"resolved, {soak_storm.POSTERS} posters", one(storm, port, "resolved", 2, look=False))
        storm.until = 0
        for thread in posters:
            thread.join()
        outcomes = collections.Counter(status for status, _ in storm.writes)
        write = soak_storm.percentiles([took for status, took in storm.writes if status == "201"])
        print(f"posters: {len(storm.writes)} writes, outcomes {dict(outcomes)}, p50/p99 {write[0]:.0f}/{write[1]:.0f} ms")
        writes_found, hooks_found = storm.found()
        print(f"acknowledged writes found afterwards: {writes_found} of {len(storm.acknowledged)}; "
              f"webhook changes found: {hooks_found} of {sum(len(v) for v in storm.changed.values())}")
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait()
        emulator.stop()


if __name__ == "__main__":
    main()
