"""`make bench-subscribers`: a board with 100,000 e-mail subscribers, its writes and its mail.

In one run, against its own Datastore emulator (in memory, --require_indexes), it:

* seeds READERS (default 100,000) confirmed readers of one service (put_multi, 500 at a time,
  four at once), in one namespace, and the same board with no reader in another;
* times the write that makes a notification (an incident update, through the models, as the
  admin API makes it) on both boards in turn, and prints the ratio (target <= 1.2): the write is
  one outbox record in the change's transaction, however many readers there are;
* mails one incident to every reader with the mail worker (workers/mail.py, run as the cron
  runs it: GET /_tasks/mail/sweep, again and again) in a process of its own, to an SMTP server
  (aiosmtpd) in another process that notes each recipient and discards the message; prints
  messages per second and the worker's peak memory (VmHWM);
* SIGKILLs the worker once the server has KILL_AFTER messages (default a third), starts it
  again, and counts per address: duplicates and losses must both be 0.

Figures, not assertions: each target is printed with PASS or FAIL beside it, and the load
average with the machine. Everything it starts is stopped on exit, Ctrl-C included.
"""

import collections
import os
import pathlib
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import click

from tools.bench import machine, stop, table, verdict
from tools.emulator import Emulator, EmulatorMissing, free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
FULL, EMPTY = "bench-mail-full", "bench-mail-empty"
SERVICES = ("Web API", "Email", "Search")
BATCH = 500
# Seeding's put_multi of BATCH readers written at once.
IN_FLIGHT = 4
WRITE_RATIO = 1.2
SECRET = "bench-subscribers"
CRON = {"X-Appengine-Cron": "true"}


def address(n):
    """The address of the n-th reader."""
    return f"reader{n:06d}@example.com"


# --- the SMTP server and the worker, each a process of its own ----------------------------


def smtp_server(port, log):
    """Take every message on 127.0.0.1:`port`, append "<time> <recipient>" per recipient to `log`,
    discard the rest; until SIGTERM."""
    from aiosmtpd.controller import Controller

    out = open(log, "a", buffering=1)

    class Counter:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            now = time.time()
            out.write("".join(f"{now:.4f} {rcpt}\n" for rcpt in envelope.rcpt_tos))
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def worker():
    """Run the mail sweep as the cron does, back to back, until no incident is waiting to be mailed."""
    from handlers.context import ndb_context
    from main import create_app
    from models import mailings

    app = create_app()
    client = app.test_client()
    while True:
        counts = client.get("/_tasks/mail/sweep", headers=CRON).get_json()
        print(counts, flush=True)
        with app.app_context(), ndb_context(app):
            if not mailings.to_mail(1):
                return


def start(command, env, log):
    """This script again, as `command`, its output to `log`."""
    return subprocess.Popen([sys.executable, "-m", "tools.bench_subscribers", *command], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def high_water_mb(pid):
    """The most memory `pid` has held resident since it started its program (VmHWM), in MB; 0 once it is gone."""
    try:
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(found[1]) / 1024 if found else 0.0


def watch(process, kill_when=lambda: False):
    """Wait for `process`, SIGKILLing it once `kill_when()`; answers its exit status and peak memory
    (MB). Not ru_maxrss: Linux counts in it the memory of this process, which it was forked from."""
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, high_water_mb(process.pid))
        if kill_when():
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            break
        time.sleep(0.01)
    return process.returncode, peak


# --- seeding and writing ------------------------------------------------------------------


def seed(create_app, namespace, readers):
    """The board (three services) in `namespace`, with `readers` confirmed readers of the first;
    answers the app and the seconds the readers took.

    Readers are entity groups of their own, so IN_FLIGHT put_multi of BATCH go at once (NDB
    sends a commit per 500 entities), and the next ones are made while those are written."""
    from google.cloud import ndb

    from handlers.context import ndb_context
    from models import Service, install, utcnow
    from models.readers import Reader, reader_id

    app = create_app({"NDB_NAMESPACE": namespace, "OUTBOX_DISPATCH": "sweep"})
    with app.app_context(), ndb_context(app):
        install()
        service = [Service.create(name, f"The {name}.") for name in SERVICES][0].key.id()
        started, now, writing = time.perf_counter(), utcnow(), []
        step = BATCH * IN_FLIGHT
        with click.progressbar(length=readers, label=f"Seeding {readers:,} readers", file=sys.stderr) as bar:
            for first in range(0, readers, step):
                made = [Reader(id=reader_id(address(n)), address=address(n), state="confirmed", everything=False,
                               services=[service], nonce=f"n{n}", created=now, confirmed=now)
                        for n in range(first, min(first + step, readers))]
                written, writing = writing, ndb.put_multi_async(made, use_cache=False)
                for future in written:
                    future.result()
                bar.update(len(written))
            for future in writing:
                future.result()
            bar.update(len(writing))
        return app, time.perf_counter() - started


def timed_writes(apps, rounds):
    """Open an incident on each board, then post `rounds` updates on each in turn; answers
    {namespace: [seconds of each update]}, {namespace: outbox records the updates made} and
    {namespace: [Datastore RPCs of each update]} (the same on both boards when nothing fans out)."""
    from google.cloud import ndb

    from handlers.context import counting_rpcs, ndb_context
    from models import Incident
    from models.outbox import Notification

    seconds, records, incidents, rpcs = collections.defaultdict(list), {}, {}, collections.defaultdict(list)
    for namespace, app in apps.items():
        with app.app_context(), ndb_context(app):
            incidents[namespace] = Incident.open("Bench: the API is slow", ["web-api"], "Looking into it.").incident_id
            records[namespace] = -Notification.query().count()
    for n in range(rounds):
        for namespace, app in (apps.items() if n % 2 else reversed(apps.items())):
            with app.app_context(), ndb_context(app):
                incident = Incident.get_or_404(incidents[namespace])
                with counting_rpcs() as stats:
                    started = time.perf_counter()
                    incident.post_update(f"Update {n}: still looking.", state="investigating")
                    seconds[namespace].append(time.perf_counter() - started)
                rpcs[namespace].append(stats.count)
    for namespace, app in apps.items():
        with app.app_context(), ndb_context(app):
            records[namespace] += Notification.query().count()
            # The timing writes are not what is mailed: one incident is, below.
            waiting = Notification.query(Notification.mail_pending == True).fetch()  # noqa: E712
            for notification in waiting:
                notification.mail_pending = False
            ndb.put_multi(waiting)
    return seconds, records, rpcs


def open_incident(app):
    """The incident every reader is mailed about: one outbox record."""
    from handlers.context import ndb_context
    from models import Incident

    with app.app_context(), ndb_context(app):
        Incident.open("Bench: mail every reader", ["web-api"], "Investigating.")


# --- mailing ------------------------------------------------------------------------------


def received(log):
    """[(time, recipient)] the SMTP server noted so far."""
    lines = pathlib.Path(log).read_text().splitlines()
    return [(float(at), rcpt) for at, _, rcpt in (line.partition(" ") for line in lines) if rcpt]


def mail_everyone(env, readers, kill_after):
    """The worker mails one incident to `readers`, SIGKILLed once the server has `kill_after`
    messages and started again; answers the figures."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-subscribers-"))
    port, smtp_log = free_port(), work / "received.txt"
    smtp_log.touch()
    env = {**env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_TLS": "none"}
    server = start(["_smtp", str(port), str(smtp_log)], env, open(work / "smtp.log", "w"))
    figures = {"work": work}
    try:
        deadline = time.monotonic() + 30
        while "ready" not in (work / "smtp.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        runs = []

        def kill_due():
            return smtp_log.read_bytes().count(b"\n") >= kill_after

        for n in (1, 2):
            started = time.monotonic()
            process = start(["_worker"], env, open(work / f"worker-{n}.log", "w"))
            status, peak = watch(process, kill_due if n == 1 else lambda: False)
            runs.append({"status": status, "peak_mb": peak, "seconds": time.monotonic() - started,
                         "until": len(received(smtp_log))})
        time.sleep(0.5)  # the server notes the last message after answering it
        got = received(smtp_log)
    finally:
        stop(server)
    per_address = collections.Counter(rcpt for _, rcpt in got)
    expected = {address(n) for n in range(readers)}
    second = [at for at, _ in got[runs[0]["until"]:]]
    figures.update(runs=runs, received=len(got), duplicates=sum(c - 1 for c in per_address.values() if c > 1),
                   losses=len(expected - set(per_address)), strangers=len(set(per_address) - expected),
                   rate=(len(second) - 1) / (second[-1] - second[0]) if len(second) > 1 else 0.0)
    return figures


# --- the run ------------------------------------------------------------------------------


def report(readers, seeding, seconds, records, rpcs, mailing, total):
    """Print every figure with its target."""
    full, empty = statistics.median(seconds[FULL]), statistics.median(seconds[EMPTY])
    ratio = full / empty
    table(f"Seeding ({readers:,} confirmed readers of one service, put_multi of {BATCH}, {IN_FLIGHT} at once)",
          ["readers", "seconds", "readers/s"], [[f"{readers:,}", f"{seeding:.1f}", f"{readers / seeding:,.0f}"]])
    table(f"The write that notifies (Incident.post_update; median of {len(seconds[FULL])} on each board, in turn)",
          ["board", "readers", "median ms", "min ms", "max ms", "RPCs / write", "outbox records / write"],
          [[name, f"{count:,}", f"{statistics.median(seconds[ns]) * 1000:.1f}", f"{min(seconds[ns]) * 1000:.1f}",
            f"{max(seconds[ns]) * 1000:.1f}", "/".join(map(str, sorted(set(rpcs[ns])))),
            f"{records[ns] / len(seconds[ns]):.2f}"]
           for name, ns, count in (("full", FULL, readers), ("empty", EMPTY, 0))])
    one_record = all(records[ns] == len(seconds[ns]) for ns in (FULL, EMPTY)) and rpcs[FULL] == rpcs[EMPTY]
    print(f"  ratio full/empty: {ratio:.2f} (target <= {WRITE_RATIO}) {verdict(ratio <= WRITE_RATIO)}; "
          f"one outbox record and the same RPCs per write on both: {verdict(one_record)}")
    first, second = mailing["runs"]
    table("Mailing one incident to every reader (workers/mail.py as the cron runs it; aiosmtpd in its own process)",
          ["worker", "exit", "seconds", "server had", "peak RSS MB"],
          [["1 (SIGKILLed)", first["status"], f"{first['seconds']:.1f}", f"{first['until']:,}", f"{first['peak_mb']:.0f}"],
           ["2 (restarted)", second["status"], f"{second['seconds']:.1f}", f"{second['until']:,}",
            f"{second['peak_mb']:.0f}"]])
    rate = mailing["rate"]
    print(f"  messages/s (restarted worker, first to last message): {rate:,.0f}; projected for 100,000 readers: "
          f"{100_000 / rate / 60:.0f} min" if rate else "  no message after the restart")
    print(f"  received {mailing['received']:,} for {readers:,} readers; duplicates {mailing['duplicates']} "
          f"(target 0) {verdict(not mailing['duplicates'])}; losses {mailing['losses']} (target 0) "
          f"{verdict(not mailing['losses'])}; to addresses never subscribed {mailing['strangers']}")
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}; whole run {total / 60:.1f} min "
          f"(logs in {mailing['work']})")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--readers", default=100_000, show_default=True, help="Confirmed readers on the full board.")
@click.option("--kill-after", type=int, help="SIGKILL the first worker once the server has this many (a third).")
@click.option("--writes", default=15, show_default=True, help="Timed writes on each board.")
def main(readers, kill_after, writes):
    """Seed, write, mail, kill, mail again; print the figures; stop everything started."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    began = time.monotonic()
    try:
        emulator = Emulator(ROOT / "index.yaml")
    except EmulatorMissing as error:
        sys.exit(str(error))
    try:
        env = {**os.environ, **emulator.environment("stashboard-bench"), "SECRET_KEY": SECRET}
        os.environ.update(env)
        from main import create_app  # reads the environment when imported

        print(f"Machine: {machine()}")
        full, seeding = seed(create_app, FULL, readers)
        empty, _ = seed(create_app, EMPTY, 0)
        print(f"Seeded {readers:,} readers in {seeding:.1f} s", file=sys.stderr)
        seconds, records, rpcs = timed_writes({FULL: full, EMPTY: empty}, writes)
        open_incident(full)
        mailing = mail_everyone({**env, "NDB_NAMESPACE": FULL, "OUTBOX_DISPATCH": "sweep"}, readers,
                                kill_after or readers // 3)
        report(readers, seeding, seconds, records, rpcs, mailing, time.monotonic() - began)
    except KeyboardInterrupt:
        sys.exit("Interrupted; stopped the servers and the emulator.")
    finally:
        emulator.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["_smtp"]:
        smtp_server(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1:2] == ["_worker"]:
        worker()
    else:
        main()
