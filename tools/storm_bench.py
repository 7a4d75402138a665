"""`python -m tools.storm_bench`: how long one Alertmanager webhook carrying an alert for each of
200 services takes, alone and while 20 API clients post events to the same services.

Set up as `make soak`'s storm phase is (tools/soak_storm.py, whose pieces it reuses): the demo
board and 200 services made through the admin API, served by gunicorn as App Engine runs it
(`-w 2 --threads 4`) on an emulator of its own. Then, one after the other: the firing webhook
and its resolution alone, then another firing and its resolution with the posters running.
Printed for each: the answer's status and time, how many services it says it changed, and how
long after the answer every one of them shows the change on `/api/v1/services` (read from the
same server), with the answer's own Datastore RPCs and their time (its Server-Timing), and how
long after the answer its alerts were applied (asked of the emulator: no recorded delivery left,
models/alert_inbox.py; the next webhook waits for that), beside the posters' outcomes and the load
average. Figures, not assertions; the verdict is printed beside them (answered within 2 s, every
service changed and seen within 2 s of the answer, applied).
"""

import collections
import http.client
import json
import os
import pathlib
import re
import threading
import time

from tools import soak, soak_storm

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEN_WITHIN = 10.0  # how long to look for the changes on the board after an answer
TARGET = 2.0  # seconds: the answer, and every change on the board after it
RPCS = re.compile(r'datastore;desc="rpc=(\d+)";dur=([\d.]+)')


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


def one(storm, env, port, state, episode, look=True):
    """One webhook: (status, seconds, services changed, seconds until all seen, services seen, its
    Server-Timing: the Datastore RPCs it made and their time, seconds until it was applied).

    With posters running, a poster's later event may already have replaced the webhook's on the
    board, so there the changes are only counted in the services' events at the end (`look`=False).
    The next webhook waits until this one is applied, as it would when the answer came after.
    """
    storm.webhook(state, episode)
    answered = time.monotonic()
    _, status, took, changed = storm.hooks[-1]
    prefix = f"{'Resolved: ' if state == 'resolved' else ''}Storm {episode} on "
    seen, count = seen_after(port, prefix, storm.changed[prefix]) if look else (0.0, changed)
    waited = soak_storm.applied_within(env, soak_storm.APPLIED_WITHIN)
    applied = None if waited is None else time.monotonic() - answered
    return status, took, changed, seen, count, storm.hook_timings[-1], applied


def report(name, figures):
    """Print one webhook's line, with its verdict against the target (answered and seen within 2 s)."""
    status, took, changed, seen, count, timing, applied = figures
    ok = (status == "200" and took <= TARGET and changed == soak_storm.STORM_SERVICES and seen is not None
          and seen <= TARGET and applied is not None)
    seen_text = f"{seen * 1000:.0f} ms" if seen else "(counted at the end)" if seen is not None else f"not all within {SEEN_WITHIN:.0f} s ({count})"
    rpcs = RPCS.search(timing)
    rpc_text = f" ({rpcs.group(1)} RPCs, {float(rpcs.group(2)):.0f} ms in them)" if rpcs else ""
    applied_text = f"{applied:.1f} s" if applied is not None else f"not within {soak_storm.APPLIED_WITHIN:.0f} s"
    print(f"{name:22} {status} in {took * 1000:5.0f} ms{rpc_text}, {changed} changed, all seen on the board "
          f"{seen_text}, applied after {applied_text}; load {os.getloadavg()[0]:.1f}  {'PASS' if ok else 'FAIL'}",
          flush=True)


def main():
    """Seed, serve, and time the webhooks alone and under posters."""
    with soak.served() as board:
        env, port, token = board.env, board.port, board.token
        ids = soak_storm.make_services(port, token)
        storm = soak_storm.Storm(port, token, soak_storm.integration_secret(ROOT, env), ids)
        print(f"{len(ids)} services; load average {os.getloadavg()[0]:.1f}", flush=True)
        report("firing, alone", one(storm, env, port, "firing", 1))
        report("resolved, alone", one(storm, env, port, "resolved", 1))
        storm.until = time.monotonic() + 3600
        posters = [threading.Thread(target=storm.poster, args=(n,), daemon=True) for n in range(soak_storm.POSTERS)]
        for thread in posters:
            thread.start()
        time.sleep(2.0)
        report(f"firing, {soak_storm.POSTERS} posters", one(storm, env, port, "firing", 2, look=False))
        report(f"resolved, {soak_storm.POSTERS} posters", one(storm, env, port, "resolved", 2, look=False))
        storm.until = 0
        for thread in posters:
            thread.join()
        outcomes = collections.Counter(status for status, _ in storm.writes)
        write = soak_storm.percentiles([took for status, took in storm.writes if status == "201"])
        print(f"posters: {len(storm.writes)} writes, outcomes {dict(outcomes)}, p50/p99 {write[0]:.0f}/{write[1]:.0f} ms")
        writes_found, hooks_found = storm.found()
        print(f"acknowledged writes found afterwards: {writes_found} of {len(storm.acknowledged)}; "
              f"webhook changes found: {hooks_found} of {sum(len(v) for v in storm.changed.values())} (a resolution "
              f"posts no event where a poster has set the status it goes back to)")


if __name__ == "__main__":
    main()
