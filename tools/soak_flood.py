"""`make flood` (and the flood phase of `make soak`): the board's readers while an anonymous
attacker floods the app with answers it cannot keep.

The board: a busy service with BUSY_EVENTS events (a check every half hour for a year) and a
handful of normal services, written through the models in a subprocess, once, into a store on
disk (.local/flood-board, seeded again when SEED changes); each run starts its own emulator on
a copy of it. gunicorn serves it as app.yaml's entrypoint does (2 workers × 4 threads).

READERS keep-alive clients read `/` and `/api/v1/services` for BASELINE seconds alone,
then for ATTACK seconds while the attacker sends ATTACK_RATE requests/s (open loop: on
schedule, whether or not earlier ones were answered) of: unique 404 paths, cache-busters
(unknown or random query arguments), the busy service's event lists (public and admin
API, with and without date ranges) and its archive pages. Every answer is read whole
but kept only as a byte count, so answers of many megabytes cost the script nothing.

Printed, with PASS or FAIL per target: the readers' throughput with and without the
attacker and their ratio, their p99 and errors; the slowest and the largest anonymous
answer (readers' and attacker's alike); 500s; the gunicorn workers' memory (/proc) before the
attack (after the baseline) and after it: growth is the sum of their RSS after minus before;
each worker's RSS and high-water mark (VmHWM) must stay under MEMORY_SHARE of an F1 instance.
"""

import collections
import contextlib
import datetime
import http.client
import json
import os
import pathlib
import queue
import random
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from models.event import PAGE
from tools.bench import (F1_MB, MEMORY_SHARE, gunicorn_command, process_tree, proc_kb, stop, verdict,
                         wait_until_answering)
from tools.emulator import Emulator, free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
READERS, BASELINE, ATTACK = 20, 10.0, 20.0
READ_PATHS = ("/", "/api/v1/services")
ATTACK_RATE = 40  # requests per second, whatever the answers
# Enough threads to keep the rate while answers take many seconds (an attacker does not wait).
ATTACKERS = 256
BUSY, BUSY_EVENTS, CHECK_EVERY = "checkout", 20_000, datetime.timedelta(minutes=30)
NORMAL = ("Web API", "Website", "Payments", "Email", "SMS")
STORE = ROOT / ".local" / "flood-board"
# What the stored board was seeded with: a change here seeds it again.
SEED = f"1 {BUSY} {BUSY_EVENTS} {CHECK_EVERY} {NORMAL}"
BATCH, CHUNK = 500, 64 * 1024
# Answers are read to the end (as an attacker would); this only bounds a runaway one.
READ_CAP = 256 * 1024 * 1024
ATTACK_TIMEOUT, READ_TIMEOUT = 30, 30
RATIO_TARGET, SLOWEST_TARGET, LARGEST_TARGET, GROWTH_TARGET_MB = 0.7, 2.0, 1024 * 1024, 32
# One answer as a client saw it: the phase it started in, who asked, the path, the
# status (or the exception's name), seconds to the last byte, and bytes of body.
Answer = collections.namedtuple("Answer", "phase who kind path status seconds size")


# --- the board ---------------------------------------------------------------------


def seed_board():
    """Write the board through the models (in the process `seed` starts, with the app's settings)."""
    from google.cloud import ndb

    import models
    from handlers.context import ndb_context
    from main import create_app

    app = create_app({})
    started = time.perf_counter()
    with app.app_context(), ndb_context(app):
        models.install()
        core = models.ServiceList.create("Core", "The services everything else needs.").slug
        keys = [models.Service.create(name, f"The {name} service.", core).key for name in NORMAL]
        busy = models.Service.create(BUSY.title(), "A service checked every half hour for a year.", core).key
        assert busy.id() == BUSY, busy
        now, rng = models.utcnow(), random.Random(BUSY)
        events = [models.Event(parent=key, timestamp=now - datetime.timedelta(hours=n), message=f"Up: check {n}.",
                               status=ndb.Key("Status", "up")) for key in keys for n in range(3)]
        for n in range(BUSY_EVENTS):
            status = "up" if n == 0 else rng.choices(("up", "warning", "down"), (90, 7, 3))[0]
            events.append(models.Event(parent=busy, timestamp=now - n * CHECK_EVERY, status=ndb.Key("Status", status),
                                       message=f"{status.title()}: check {BUSY_EVENTS - n} of {BUSY}."))
        # One batch at a time: concurrent writes to one entity group make the emulator retry.
        for start in range(0, len(events), BATCH):
            ndb.put_multi(events[start:start + BATCH], use_cache=False)
            print(f"  {min(start + BATCH, len(events)):,} of {len(events):,} events", file=sys.stderr, flush=True)
        for key in [*keys, busy]:
            models.Event.rebuild(key)
    print(f"seeded {len(events):,} events in {time.perf_counter() - started:.1f} s; busy service {busy.id()}")


def stored_board():
    """The seeded board's store on disk, seeded first if it is missing or was seeded otherwise."""
    stamp = STORE / "seeded"
    if stamp.exists() and stamp.read_text() == SEED:
        return STORE
    print(f"  seeding the board into {STORE.relative_to(ROOT)} (once; minutes of the emulator's CPU)", flush=True)
    shutil.rmtree(STORE, ignore_errors=True)
    STORE.parent.mkdir(exist_ok=True)
    fresh = pathlib.Path(tempfile.mkdtemp(prefix="flood-board-", dir=STORE.parent))
    emulator = Emulator(ROOT / "index.yaml", data_dir=fresh)
    try:
        env = {**os.environ, **emulator.environment("stashboard-flood"), "SECRET_KEY": "flood"}
        env.pop("NDB_NAMESPACE", None)
        subprocess.run([sys.executable, "-m", "tools.soak_flood", "--seed"], cwd=ROOT, env=env, check=True)
    finally:
        emulator.stop()  # saves the store
    (fresh / "seeded").write_text(SEED)
    fresh.rename(STORE)
    return STORE


@contextlib.contextmanager
def serving(env):
    """gunicorn as app.yaml's entrypoint runs it (less the control socket, whose path every
    gunicorn of the user shares); yields (process, port, log path); stopped on exit."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="flood-gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(gunicorn_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        wait_until_answering(process, port, log.name)
        yield process, port, log.name
    finally:
        stop(process)


# --- the clients -------------------------------------------------------------------


def fetch(connection, path):
    """GET `path` on `connection`: (status or the error's name, seconds to the last byte or the
    error, body bytes: those read, or the Content-Length if larger), the body not kept."""
    started, status, size = time.perf_counter(), None, 0
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        status, size = str(response.status), int(response.getheader("Content-Length") or 0)
        read = 0
        while read < READ_CAP and (chunk := response.read(CHUNK)):
            read += len(chunk)
        if read >= READ_CAP:
            connection.close()
        return status, time.perf_counter() - started, max(size, read)
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        return type(error).__name__, time.perf_counter() - started, size


class Flood:
    """The readers, the attacker, the phase they are in, and every answer they had."""

    def __init__(self, port, busy):
        self.port, self.busy = port, busy
        self.phase = "warm-up"
        self.spans = {}  # phase: (started, ended), time.monotonic()
        self.answers = []
        self.lock = threading.Lock()
        self.requests = queue.Queue()
        self.scheduled = self.unsent = 0

    def enter(self, phase):
        """Begin `phase` (ending the one before)."""
        now = time.monotonic()
        if self.phase in self.spans:
            self.spans[self.phase] = (self.spans[self.phase][0], now)
        self.spans[phase] = (now, now)
        self.phase = phase

    def record(self, *answer):
        """Keep one answer's figures (clients record from many threads)."""
        with self.lock:
            self.answers.append(Answer(*answer))

    def reader(self, number):
        """One reader: keep-alive GETs of the board and its API until the phases are over."""
        rng = random.Random(number)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=READ_TIMEOUT)
        while (phase := self.phase) != "done":
            path = rng.choice(READ_PATHS)
            self.record(phase, "reader", "read", path, *fetch(connection, path))

    def schedule(self):
        """The attacker's clock: ATTACK_RATE requests a second while the attack lasts."""
        rng = random.Random("attacker")
        started = time.monotonic()
        while self.phase == "attack":
            self.requests.put(attack(rng, self.busy))
            self.scheduled += 1
            time.sleep(max(0.0, started + self.scheduled / ATTACK_RATE - time.monotonic()))

    def attacker(self):
        """One of the attacker's threads: each request on a connection of its own, as many clients send them."""
        while (request := self.requests.get()) is not None:
            kind, path = request
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=ATTACK_TIMEOUT)
            self.record("attack", "attacker", kind, path, *fetch(connection, path))
            connection.close()


def token(rng, length):
    """Random URL-safe text."""
    return "".join(rng.choices(string.ascii_letters + string.digits + "-_", k=length))


def some_day(rng):
    """A day of the busy service's year."""
    return datetime.date.today() - datetime.timedelta(days=rng.randrange(365))


def attack(rng, busy):
    """One of the attacker's requests: (kind, path)."""
    kind = rng.choices(("404", "cache-buster", "event list", "archive"), (30, 30, 25, 15))[0]
    day = some_day(rng)
    if kind == "404":
        prefix = rng.choice(("/api/v1/incidents/", "/services/", "/badges/", "/api/v1/services/", "/service-lists/",
                             "/api/v1/statuses/", "/admin/api/v1/incidents/", "/", "/static/"))
        return kind, prefix + "/".join(token(rng, rng.randint(20, 120)) for _ in range(rng.randint(1, 4)))
    if kind == "cache-buster":
        return kind, rng.choice((
            f"/?start=r{rng.getrandbits(32)}", f"/?end={token(rng, 12)}", f"/?{token(rng, 8)}={token(rng, 16)}",
            f"/api/v1/services?callback=cb{token(rng, 10).replace('-', '_')}",
            f"/api/v1/services?callback={token(rng, 10)}%28%29", f"/api/v1/services?_={rng.getrandbits(40)}",
            f"/service-lists?status={token(rng, 10)}", f"/service-lists?filter={token(rng, 10)}",
            f"/api/v1/services/{busy}?{token(rng, 6)}={token(rng, 6)}",
            f"/api/v1/services/{busy}/events?start={token(rng, 10)}",
        ))
    if kind == "event list":
        api = rng.choice(("/api/v1", "/admin/api/v1"))
        ranges = ({}, {"start": day - datetime.timedelta(days=rng.randrange(1, 90)), "end": day}, {"start": day},
                  {"end": day}, {"start": f"{day:%a, %d %b %Y} 00:00:{rng.randrange(60):02d} GMT"})
        query = urllib.parse.urlencode(rng.choice(ranges))
        return kind, f"{api}/services/{busy}/events" + (f"?{query}" if query else "")
    return kind, rng.choice((f"/services/{busy}/{day.year}", f"/services/{busy}/{day:%Y/%m}",
                             f"/services/{busy}/{day:%Y/%m/%d}", f"/services/{busy}/{day.year}/{day.month}"))


# --- measuring and reporting -----------------------------------------------------


def memory(process):
    """{pid: (RSS MB, high-water RSS MB, PSS MB)} of gunicorn's workers."""
    return {pid: (proc_kb(pid, "status", "VmRSS") / 1024, proc_kb(pid, "status", "VmHWM") / 1024,
                  proc_kb(pid, "smaps_rollup", "Pss") / 1024) for pid in process_tree(process.pid) if pid != process.pid}


def percentile(values, share):
    """The value `share` of the way up the sorted values."""
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


def report(flood, before, after, tracebacks):
    """Print the figures and the targets; answers whether every target was met."""
    reads = {phase: [a for a in flood.answers if a.who == "reader" and a.phase == phase]
             for phase in ("baseline", "attack")}
    rates = {phase: len(rows) / (flood.spans[phase][1] - flood.spans[phase][0]) for phase, rows in reads.items()}
    errors = sum(a.status != "200" for rows in reads.values() for a in rows)
    print(f"\nReaders: {READERS} keep-alive clients on {' and '.join(READ_PATHS)}")
    print(f"  {'phase':9} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  outcomes")
    for phase, rows in reads.items():
        times = [a.seconds * 1000 for a in rows]
        print(f"  {phase:9} {len(rows):8} {rates[phase]:7.1f} {percentile(times, 0.5):8.1f} "
              f"{percentile(times, 0.99):8.1f}  {dict(collections.Counter(a.status for a in rows))}")
    attacks = [a for a in flood.answers if a.who == "attacker"]
    print(f"\nAttacker: {flood.scheduled} requests due at {ATTACK_RATE}/s, {flood.unsent} never sent (all "
          f"{ATTACKERS} attacker threads waiting); answers (or errors): {len(attacks)}")
    print(f"  {'kind':12} {'requests':>8} {'p50 s':>7} {'max s':>7} {'max bytes':>11}  outcomes")
    for kind in ("404", "cache-buster", "event list", "archive"):
        rows = [a for a in attacks if a.kind == kind]
        print(f"  {kind:12} {len(rows):8} {percentile([a.seconds for a in rows], 0.5):7.2f} "
              f"{max((a.seconds for a in rows), default=0):7.2f} {max((a.size for a in rows), default=0):11,}  "
              f"{dict(collections.Counter(a.status for a in rows))}")
    anonymous = reads["baseline"] + reads["attack"] + attacks
    slowest = max(anonymous, key=lambda a: a.seconds)
    largest = max(anonymous, key=lambda a: a.size)
    print(f"\nslowest anonymous answer: {slowest.path} {slowest.status} in {slowest.seconds:.2f} s, {slowest.size:,} bytes")
    print(f"largest anonymous answer: {largest.path} {largest.status}, {largest.size:,} bytes in {largest.seconds:.2f} s")
    # An answer that never began within the timeout has no known size: the size target cannot pass.
    unknown = sum(not a.status.isdigit() and not a.size for a in anonymous)
    print(f"answers never begun within {ATTACK_TIMEOUT} s (size unknown): {unknown}; server log: {tracebacks} tracebacks")

    print(f"\nMemory of the gunicorn workers (MB), before the attack (after the baseline) and after it")
    print(f"  {'pid':>8} {'RSS before':>10} {'RSS after':>10} {'growth':>7} {'peak RSS':>9} {'PSS after':>10}")
    for pid, (rss, peak, pss) in after.items():
        first = before.get(pid, (0, 0, 0))[0]
        print(f"  {pid:8} {first:10.1f} {rss:10.1f} {rss - first:7.1f} {peak:9.1f} {pss:10.1f}")
    growth = sum(rss for rss, _, _ in after.values()) - sum(rss for rss, _, _ in before.values())
    worst = max((max(rss, peak) for rss, peak, _ in after.values()), default=0)
    print(f"  {'sum':>8} {sum(r for r, _, _ in before.values()):10.1f} {sum(r for r, _, _ in after.values()):10.1f} "
          f"{growth:7.1f} {'':9} {sum(p for _, _, p in after.values()):10.1f}")

    ratio = rates["attack"] / rates["baseline"] if rates["baseline"] else 0.0
    limit = F1_MB * MEMORY_SHARE
    checks = [
        (f"readers' throughput under attack / alone: {ratio:.2f} (target >= {RATIO_TARGET})", ratio >= RATIO_TARGET),
        (f"readers' errors: {errors} (target 0)", errors == 0),
        (f"slowest anonymous answer: {slowest.seconds:.2f} s (target <= {SLOWEST_TARGET:.0f} s)",
         slowest.seconds <= SLOWEST_TARGET),
        (f"largest anonymous answer: {largest.size:,} bytes, {unknown} of unknown size (target <= {LARGEST_TARGET:,})",
         largest.size <= LARGEST_TARGET and not unknown),
        (f"500 answers: {sum(a.status == '500' for a in anonymous)} (target 0)",
         not any(a.status == "500" for a in anonymous)),
        (f"workers' RSS growth: {growth:.1f} MB (target <= {GROWTH_TARGET_MB})", growth <= GROWTH_TARGET_MB),
        (f"largest worker RSS or peak: {worst:.1f} MB = {worst / F1_MB:.0%} of an F1's {F1_MB} MB "
         f"(target < {MEMORY_SHARE:.0%}, {limit:.0f} MB)", worst < limit),
    ]
    print()
    for text, ok in checks:
        print(f"{verdict(ok)}  {text}")
    return all(ok for _, ok in checks)


def board_is_there(port, busy):
    """Fail loudly unless the board is served as seeded (a flood of 404s would pass): the busy
    service's first page of events is full and has a next one."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", f"/api/v1/services/{busy}/events")
    response = connection.getresponse()
    events = len(json.loads(response.read()).get("events", ())) if response.status == 200 else 0
    if events != PAGE or not response.getheader("Link"):
        raise SystemExit(f"the flood's board is not served as seeded: /api/v1/services/{busy}/events answered "
                         f"{response.status} with {events} events (delete {STORE.relative_to(ROOT)} to seed it again)")


def run():
    """The flood phase: seed, serve, read alone, read under attack, report; answers whether it passed."""
    print(f"\nFlood: {READERS} readers for {BASELINE:.0f} s, then for {ATTACK:.0f} s with an attacker at "
          f"{ATTACK_RATE} requests/s", flush=True)
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix="stashboard-flood-"))
    shutil.copytree(stored_board(), data_dir, dirs_exist_ok=True)
    emulator = Emulator(ROOT / "index.yaml", data_dir=data_dir)
    env = {**os.environ, **emulator.environment("stashboard-flood"), "SECRET_KEY": "flood"}
    env.pop("NDB_NAMESPACE", None)
    try:
        busy = BUSY
        with serving(env) as (process, port, log):
            board_is_there(port, busy)
            flood = Flood(port, busy)
            readers = [threading.Thread(target=flood.reader, args=(n,), daemon=True) for n in range(READERS)]
            for thread in readers:  # a few seconds for every reader's first answers (both workers render both)
                thread.start()
            time.sleep(3)
            flood.enter("baseline")
            time.sleep(BASELINE)
            before = memory(process)
            attackers = [threading.Thread(target=flood.attacker, daemon=True) for _ in range(ATTACKERS)]
            for thread in attackers:
                thread.start()
            flood.enter("attack")
            clock = threading.Thread(target=flood.schedule, daemon=True)
            clock.start()
            time.sleep(ATTACK)
            flood.enter("done")
            clock.join()
            with contextlib.suppress(queue.Empty):  # what the attacker had not sent yet is not sent
                while True:
                    flood.requests.get_nowait()
                    flood.unsent += 1
            for _ in attackers:
                flood.requests.put(None)
            for thread in [*readers, *attackers]:
                thread.join(ATTACK_TIMEOUT + 5)
            after = memory(process)
            tracebacks = pathlib.Path(log).read_text(errors="replace").count("Traceback")
        passed = report(flood, before, after, tracebacks)
        if tracebacks:
            print(f"server log kept at {log}")
        else:
            pathlib.Path(log).unlink(missing_ok=True)
        return passed
    finally:
        emulator.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _interrupt(signum, frame):
    """A signal ends the run as Ctrl-C does (the finally blocks stop what it started)."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed"]:
        seed_board()
    else:
        # A TERM or HUP stops the servers and the emulator as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGHUP, _interrupt)
        sys.exit(0 if run() else 1)
