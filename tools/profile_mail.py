"""`python -m tools.profile_mail`: where the mail worker's time goes, mailing one incident to READERS.

Against its own Datastore emulator and an SMTP server (aiosmtpd) in a process of its own, as
`make bench-subscribers` runs them, it seeds the readers, opens an incident, and runs one mail
sweep in this process under cProfile; it prints the messages per second, the Datastore RPCs
per group of messages and per batch of readers (each step counted on its own), and the
functions that took the most time. Figures only.
"""

import cProfile
import collections
import contextlib
import io
import os
import pathlib
import pstats
import sys
import tempfile
import time

import click

from tools.bench import stop, table
from tools.bench_subscribers import ROOT, SECRET, open_incident, seed, start
from tools.emulator import Emulator, EmulatorMissing, free_port

NAMESPACE = "profile-mail"


@contextlib.contextmanager
def counted(steps):
    """Count each mailing step's calls, Datastore RPCs and seconds into `steps` ({name: [calls, rpcs, seconds]})."""
    from handlers.context import counting_rpcs
    from models import mailings
    from models.readers import Reader

    patched = [(mailings.MailSend, "claim"), (mailings.MailSend, "taken"), (mailings.MailSend, "record"),
               (Reader, "confirmed_window"), (mailings.MailRun, "of"), (mailings.MailRun, "advance")]
    saved = [(owner, name, owner.__dict__[name]) for owner, name in patched]

    def wrap(name, function):
        def step(*args, **kwargs):
            started = time.perf_counter()
            with counting_rpcs() as stats:
                try:
                    return function(*args, **kwargs)
                finally:
                    steps[name][0] += 1
                    steps[name][1] += stats.count
                    steps[name][2] += time.perf_counter() - started
        return step

    for owner, name, original in saved:
        bound = original.__get__(None, owner) if isinstance(original, (classmethod, staticmethod)) else original
        wrapped = wrap(f"{owner.__name__}.{name}", bound)
        setattr(owner, name, staticmethod(wrapped) if isinstance(original, (classmethod, staticmethod)) else wrapped)
    try:
        yield steps
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def cpu_seconds(group):
    """CPU seconds (user and system) used so far by the processes of process group `group`."""
    total = 0
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def profile_sweep(app, smtp_port, lines, profiled=True):
    """One sweep, long enough for every reader, under cProfile (unless not `profiled`); answers (counts,
    seconds, CPU seconds of this process, steps, stats text)."""
    from handlers.context import counting_rpcs, ndb_context
    from workers import mail

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port, SMTP_TLS="none")
    steps = collections.defaultdict(lambda: [0, 0, 0.0])
    profile = cProfile.Profile()
    with app.app_context(), ndb_context(app), counted(steps), counting_rpcs() as total:
        started, cpu = time.perf_counter(), time.process_time()
        if profiled:
            profile.enable()
        counts = mail.sweep(app, seconds=600)
        profile.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    steps["whole sweep"] = [1, total.count, seconds]
    out = io.StringIO()
    if profiled:
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(lines)
        stats.sort_stats("cumulative").print_stats(lines)
    return counts, seconds, cpu, steps, out.getvalue()


@click.command()
@click.option("--readers", default=2000, show_default=True)
@click.option("--lines", default=30, show_default=True, help="Functions listed, by own time and by cumulative time.")
@click.option("--profile/--no-profile", default=True, show_default=True,
              help="cProfile the sweep (its main thread only; the SMTP threads' time shows as waits).")
@click.option("--group", type=int, help="Messages claimed at once (SMTP_CONNECTIONS), to try another.")
@click.option("--batch", type=int, help="Readers read at once (mailings.BATCH), to try another.")
def main(readers, lines, profile, group, batch):
    """Seed, profile one sweep, print the figures; stop everything started."""
    try:
        emulator = Emulator(ROOT / "index.yaml")
    except EmulatorMissing as error:
        sys.exit(str(error))
    work = pathlib.Path(tempfile.mkdtemp(prefix="profile-mail-"))
    port, smtp_log = free_port(), work / "received.txt"
    smtp_log.touch()
    server = None
    try:
        env = {**os.environ, **emulator.environment("stashboard-bench"), "SECRET_KEY": SECRET}
        os.environ.update(env)
        server = start(["_smtp", str(port), str(smtp_log)], env, open(work / "smtp.log", "w"))
        from main import create_app  # reads the environment when imported
        from models import mailings

        mailings.BATCH = batch or mailings.BATCH
        app, seeding = seed(create_app, NAMESPACE, readers)
        app.config["SMTP_CONNECTIONS"] = group or app.config["SMTP_CONNECTIONS"]
        open_incident(app)
        while "ready" not in (work / "smtp.log").read_text():
            time.sleep(0.1)
        others = {"emulator": emulator.process.pid, "SMTP server": server.pid}
        before = {name: cpu_seconds(pgid) for name, pgid in others.items()}
        counts, seconds, cpu, steps, text = profile_sweep(app, port, lines, profile)
        used = {"worker (this process)": cpu,
                **{name: cpu_seconds(pgid) - before[name] for name, pgid in others.items()}}
        groups = max(1, -(-readers // app.config["SMTP_CONNECTIONS"]))
        print(f"Seeded {readers:,} readers in {seeding:.1f} s; load average {os.getloadavg()[0]:.1f}")
        sent = max(counts["sent"], 1)
        print(f"Sweep: {counts}; {seconds:.1f} s{' under the profiler' if profile else ''}, "
              f"{counts['sent'] / seconds:.0f} messages/s (SMTP_CONNECTIONS {app.config['SMTP_CONNECTIONS']}, "
              f"BATCH {mailings.BATCH})")
        table("CPU per message (all threads of each process)", ["process", "CPU s", "ms / message"],
              [[name, f"{spent:.1f}", f"{spent / sent * 1000:.2f}"] for name, spent in
               [*used.items(), ("all three", sum(used.values()))]])
        print(f"  two cores give at most {2000 / (sum(used.values()) / sent * 1000):.0f} messages/s at this CPU cost")
        table("Datastore RPCs and time by step", ["step", "calls", "RPCs", "RPCs / call", "RPCs / group",
                                                   "seconds", "ms / call"],
              [[name, calls, rpcs, f"{rpcs / max(calls, 1):.1f}", f"{rpcs / groups:.2f}", f"{spent:.1f}",
                f"{spent / max(calls, 1) * 1000:.0f}"] for name, (calls, rpcs, spent) in sorted(steps.items())])
        print()
        print(text)
    finally:
        if server is not None:
            stop(server)
        emulator.stop()


if __name__ == "__main__":
    main()
