"""`make bench`: how fast and how lean the public pages are, on boards of three sizes.

In one run, against its own Datastore emulator (in memory, --require_indexes), it seeds
three boards, each in its own namespace: A (20 services, 1,000 events), B (200 services,
1,000 events) and C (200 services, 100,000 events), events over the last 30 days; serves
each with gunicorn as App Engine does (`-w 2 --threads 4`), with the page cache and with
PAGE_CACHE=off; and prints one table per kind of figure:

* throughput: wrk's requests/s (`-t2 -c16 -d5s`), cached, for a static file, `/`,
  `/api/v1/services` and `/rss`, each also as a share of the static file's;
* uncached renders: median latency of sequential requests (client wall time, the server's Datastore
  time and RPCs from `Server-Timing`), and their growth with services (B/A) and events (C/B);
* cached renders: the same on the cached server, where a hit should make no RPC;
* memory: RSS and PSS of gunicorn on board B, every page cached, as a share of an F1's 384 MB (the
  target on PSS, which counts a shared page once, as the instance does; RSS counts it in each);
* size: `/` on board B, raw and gzipped, with the 90-day bars and with the grid (tools/page_size.py).
Figures, not assertions: each target is printed with PASS or FAIL beside it, and the load average
with the machine. Everything it starts is stopped on exit, Ctrl-C included.
"""

import collections
import concurrent.futures
import contextlib
import datetime
import http.client
import os
import pathlib
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import click
from google.cloud import ndb

import models
from handlers.context import ndb_context
from tools import page_size
from tools.emulator import Emulator, EmulatorMissing, free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOARDS = {"A": (20, 1_000), "B": (200, 1_000), "C": (200, 100_000)}  # services, events
THROUGHPUT_BOARDS, LISTS = ("A", "B"), ("Core", "Messaging", "Storage", "Networking", "Billing")
BATCH, DAYS, STATIC, PAGES = 500, 30, "/static/css/site.css", ("/", "/api/v1/services", "/rss")
# Warm-ups go out concurrently: sequential ones may all land on one of the two workers.
# WARM_TRIES: bursts of warm-ups at most, on a cached server, until one is all hits.
ROUNDS, WARMUPS, WARM_TRIES, EXTRA_READS = 15, 16, 5, 1_200
F1_MB, MEMORY_SHARE = 384, 0.60
TIMING = re.compile(r'datastore;desc="rpc=(\d+)";dur=([\d.]+)')
# One answer as the client saw it: status, wall seconds, and what Server-Timing said.
Reply = collections.namedtuple("Reply", "status seconds rpcs datastore_ms hit")


def namespace(board):
    """The Datastore namespace a board lives in."""
    return f"bench-{board.lower()}"


def verdict(ok):
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def machine():
    """The machine (cores, CPU, memory, load) and a cold `import main` (best of three), as an instance starts."""
    model = re.search(r"^model name\s*:\s*(.+)$", pathlib.Path("/proc/cpuinfo").read_text(), re.M)
    memory_kb = int(re.search(r"^MemTotal:\s+(\d+)", pathlib.Path("/proc/meminfo").read_text(), re.M)[1])
    code = "import time; t = time.perf_counter(); import main; print(time.perf_counter() - t)"
    imports = min(float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                       check=True).stdout) for _ in range(3))
    return (f"{len(os.sched_getaffinity(0))} cores (nproc), {model[1] if model else 'unknown CPU'}, "
            f"{memory_kb / 1024 ** 2:.1f} GB memory, load average {os.getloadavg()[0]:.1f}; "
            f"import main: {imports:.2f} s")


def table(title, header, rows):
    """Print rows under a header, columns padded to fit."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, ["-" * width for width in widths], *rows]:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


# --- seeding ---------------------------------------------------------------------


def events_of(index, key, count, now, rng):
    """`count` events of one service over the last DAYS days; the newest sets its current status."""
    current = "down" if index % 50 == 7 else "warning" if index % 20 == 3 else "up"
    span = DAYS * 86_400 / count
    for n in range(count):
        at = now - datetime.timedelta(days=DAYS) + datetime.timedelta(seconds=(n + rng.random()) * span)
        status = current if n == count - 1 else rng.choices(("up", "warning", "down"), (85, 10, 5))[0]
        yield models.Event(parent=key, timestamp=at, message=f"{status.title()}: check {n} of {key.id()}.",
                           status=ndb.Key("Status", status))


def seed(create_app, board):
    """Write one board into its namespace through the models; answers its service ids and the
    seconds spent creating services, putting events and rebuilding services."""
    services, events = BOARDS[board]
    app = create_app({"NDB_NAMESPACE": namespace(board)})
    rng, seconds = random.Random(board), collections.Counter()
    bar = click.progressbar(length=2 * services + events, label=f"Seeding board {board}", file=sys.stderr)
    with app.app_context(), ndb_context(app), bar:
        started = time.perf_counter()
        models.install()
        lists = [models.ServiceList.create(name, f"The {name.lower()} services.").slug for name in LISTS]
        keys = []
        for index in range(services):
            keys.append(models.Service.create(f"Service {index:03d}", f"Bench service {index}.",
                                              lists[index % len(lists)]).key)
            bar.update(1)
        seconds["create"] = time.perf_counter() - started
        now, batch, complete = models.utcnow(), [], []
        for index, key in enumerate(keys):
            batch += events_of(index, key, events // services + (index < events % services), now, rng)
            complete.append(key)
            if len(batch) >= BATCH or index == services - 1:
                write_and_rebuild(batch, complete, bar, seconds)
                batch, complete = [], []
    return [key.id() for key in keys], seconds


def write_and_rebuild(events, keys, bar, seconds):
    """Put `events` (put_multi, BATCH at a time), then rebuild the services `keys` they complete.

    Rebuilding as the board grows, not once at the end: the emulator's queries take time
    in proportion to all the events it holds (production's do not), and a rebuild makes four.
    """
    started = time.perf_counter()
    for start in range(0, len(events), BATCH):
        ndb.put_multi(events[start:start + BATCH], use_cache=False)
        bar.update(len(events[start:start + BATCH]))
    seconds["put events"] += time.perf_counter() - started
    started = time.perf_counter()
    for key in keys:
        models.Event.rebuild(key)
        bar.update(1)
    seconds["rebuild"] += time.perf_counter() - started


# --- serving and asking ------------------------------------------------------------


def get(port, path):
    """GET `path` on a fresh connection; the status, wall time and Server-Timing figures."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    timing = response.getheader("Server-Timing", "")
    match = TIMING.search(timing)
    return Reply(response.status, time.perf_counter() - started, int(match[1]) if match else None,
                 float(match[2]) if match else None, 'cache;desc="hit"' in timing)


def burst(port, paths):
    """GET `paths` eight at a time; answers the replies."""
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda path: get(port, path), paths))


def gunicorn_command(port):
    """app.yaml's entrypoint (2 × 4 threads) on `port`, less the control socket every gunicorn shares."""
    return [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "4",
            "--no-control-socket", "main:app"]


@contextlib.contextmanager
def serving(board, cached):
    """gunicorn serving `board` as app.yaml's entrypoint does, stopped (process group) on exit."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix=f"bench-gunicorn-{board}-", suffix=".log", delete=False)
    env = {**os.environ, "NDB_NAMESPACE": namespace(board), "SECRET_KEY": "bench",
           "PAGE_CACHE": "on" if cached else "off"}
    process = subprocess.Popen(gunicorn_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        wait_until_answering(process, port, log.name)
        burst(port, [STATIC] * WARMUPS)  # each worker's first request installs (one read)
        yield process, port
    finally:
        stop(process)
        errors = pathlib.Path(log.name).read_text(errors="replace").count("Traceback")
        if errors:
            print(f"!! board {board} ({'cached' if cached else 'PAGE_CACHE=off'}): {errors} tracebacks"
                  f" in the server log, kept at {log.name}", file=sys.stderr)
        else:
            pathlib.Path(log.name).unlink(missing_ok=True)


def wait_until_answering(process, port, log, timeout=60):
    """Wait until the server answers a static file (or fail with its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            if get(port, STATIC).status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port}:\n{pathlib.Path(log).read_text()[-3000:]}")


def stop(process):
    """Stop a process group: TERM, then KILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- measuring ---------------------------------------------------------------------


def renders(port, path, cached=False):
    """Median of ROUNDS sequential GETs after WARMUPS (on a cached server, again until all are hits:
    one worker's accept loop may take a whole burst): ms, Datastore ms, RPCs, hits, non-200s."""
    for _ in range(WARM_TRIES if cached else 1):
        if all(reply.hit for reply in burst(port, [path] * WARMUPS)):
            break
    replies = [get(port, path) for _ in range(ROUNDS)]
    rpcs = [reply.rpcs for reply in replies if reply.rpcs is not None]
    return {"ms": statistics.median(reply.seconds for reply in replies) * 1000,
            "ds_ms": statistics.median(reply.datastore_ms or 0 for reply in replies),
            "rpcs": statistics.median(rpcs) if rpcs else None, "max_rpcs": max(rpcs, default=None),
            "hits": sum(reply.hit for reply in replies), "errors": sum(reply.status != 200 for reply in replies)}


def wrk(port, path):
    """wrk -t2 -c16 -d5s against one URL, after a 1-second run to warm it: requests/s, and
    any non-2xx or socket-error lines."""
    for seconds in (1, 5):
        output = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", f"http://127.0.0.1:{port}{path}"],
                                capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    problems = [line.strip() for line in output.splitlines() if line.strip().startswith(("Non-2xx", "Socket errors"))]
    return rate, problems


def memory(process, port, ids):
    """Fill the cache (every public page, then EXTRA_READS more), then RSS and PSS (MB) per gunicorn process."""
    pages = ["/", "/summary", "/service-lists", "/api/v1/services", "/api/v1/statuses", "/rss", "/atom",
             "/documentation", *(f"/services/{i}" for i in ids), *(f"/api/v1/services/{i}" for i in ids)]
    reads = pages + random.Random(0).choices(pages, k=EXTRA_READS)
    # A burst of first renders is partly shed (503): asked again, the cache fills as readers would fill it.
    unanswered = [path for path, reply in zip(reads, burst(port, reads)) if reply.status != 200]
    for _ in range(3):
        unanswered = [path for path in unanswered if get(port, path).status != 200]
    failed = len(unanswered)
    rows = [("master" if pid == process.pid else "worker", pid, proc_kb(pid, "status", "VmRSS") / 1024,
             proc_kb(pid, "smaps_rollup", "Pss") / 1024) for pid in process_tree(process.pid)]
    return len(pages), len(reads), failed, rows


def process_tree(pid):
    """`pid` and its descendants, from /proc/<pid>/task/<tid>/children."""
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop(0))
        for task in pathlib.Path(f"/proc/{found[-1]}/task").iterdir():
            todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def proc_kb(pid, name, field):
    """A `field: N kB` line of /proc/<pid>/<name>."""
    return int(re.search(rf"^{field}:\s+(\d+) kB", pathlib.Path(f"/proc/{pid}/{name}").read_text(), re.M)[1])


def measure(board, ids):
    """Every figure of one board: uncached and cached renders, throughput and memory where asked."""
    figures = {}
    print(f"Measuring board {board} ...", file=sys.stderr)
    with serving(board, cached=False) as (_, port):
        figures["uncached"] = {path: renders(port, path) for path in PAGES}
    with serving(board, cached=True) as (process, port):
        figures["cached"] = {path: renders(port, path, cached=True) for path in PAGES}
        if board in THROUGHPUT_BOARDS:
            figures["throughput"] = {path: wrk(port, path) for path in (STATIC, *PAGES)}
        if board == "B":
            figures["memory"] = memory(process, port, ids)
    return figures


# --- reporting ---------------------------------------------------------------------


def report_seeding(seeding):
    """How long each board took to seed, step by step."""
    steps = ("create", "put events", "rebuild")
    table("Seeding (Service.create; events by put_multi, 500 at a time; Event.rebuild of each service)",
          ["board", "services", "events", *(f"{step} s" for step in steps), "total s"],
          [[board, f"{s:,}", f"{e:,}", *(f"{seeding[board][step]:.1f}" for step in steps),
            f"{sum(seeding[board].values()):.1f}"] for board, (s, e) in BOARDS.items()])


def report_throughput(figures):
    """The wrk table: requests/s per URL and as a share of the static file's."""
    rows = []
    for board in THROUGHPUT_BOARDS:
        results = figures[board]["throughput"]
        for path, (rate, problems) in results.items():
            rows.append([board, path, f"{rate:,.0f}", f"{rate / results[STATIC][0]:.2f}", "; ".join(problems) or "none"])
    table("Throughput, cached server (wrk -t2 -c16 -d5s, after a 1 s warm-up)",
          ["board", "URL", "req/s", "vs static", "non-2xx / socket errors"], rows)


def report_renders(figures, kind):
    """Latency and RPCs of each page on each board, cached or uncached."""
    rows = []
    for path in PAGES:
        for board in BOARDS:
            f = figures[board][kind][path]
            row = [path, board, f"{f['ms']:.2f}", f"{f['ds_ms']:.1f}", f["rpcs"], f["max_rpcs"], f["errors"]]
            if kind == "cached":
                row += [f"{f['hits']}/{ROUNDS}", verdict(f["hits"] == ROUNDS and f["rpcs"] == 0 and not f["errors"])]
            rows.append(row)
    server = "cached server" if kind == "cached" else "PAGE_CACHE=off"
    table(f"{kind.title()} renders ({server}; median of {ROUNDS} sequential GETs after {WARMUPS} concurrent warm-ups)",
          ["URL", "board", "ms", "datastore ms", "RPCs", "max RPCs", "non-200"]
          + (["hits", "rpc=0 & hit"] if kind == "cached" else []), rows)


def report_growth(figures):
    """How uncached latency grows with services (B/A) and events (C/B), and the RPC target."""
    rows = []
    for path in PAGES:
        ms = {board: figures[board]["uncached"][path]["ms"] for board in BOARDS}
        by_services, by_events = ms["B"] / ms["A"], ms["C"] / ms["B"]
        rpcs = max(figures[board]["uncached"][path]["rpcs"] or 0 for board in BOARDS)
        rows.append([path, f"{by_services:.2f} (target <= 2.0) {verdict(by_services <= 2.0)}",
                     f"{by_events:.2f} (target <= 1.5) {verdict(by_events <= 1.5)}",
                     f"{rpcs} (target <= 4) {verdict(rpcs <= 4)}" if path == "/" else rpcs])
    table("Uncached growth (ratios of median client latency)",
          ["URL", "B/A: 200 vs 20 services", "C/B: 100,000 vs 1,000 events", "median RPCs, worst board"], rows)


def report_memory(figures):
    """RSS and PSS of board B's cached server, and their share of an F1 instance."""
    pages, reads, failed, processes = figures["B"]["memory"]
    rss, pss = sum(row[2] for row in processes), sum(row[3] for row in processes)
    rows = [[name, pid, f"{r:.1f}", f"{p:.1f}"] for name, pid, r, p in processes]
    rows.append(["total", "", f"{rss:.1f}", f"{pss:.1f}"])
    rows.append([f"share of F1's {F1_MB} MB", "", f"{rss / F1_MB:.0%} (shared pages in each)",
                 f"{pss / F1_MB:.0%} {verdict(pss < F1_MB * MEMORY_SHARE)}"])
    table(f"Memory, board B cached server (2 workers x 4 threads) after {reads:,} GETs over its {pages} public "
          f"pages ({failed} not 200); target < {MEMORY_SHARE:.0%} (< {F1_MB * MEMORY_SHARE:.0f} MB)",
          ["process", "pid", "RSS MB", "PSS MB"], rows)


def main():
    """Seed, serve, measure, print; stop everything started, whatever happens."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed; on Debian or Ubuntu: apt-get install wrk")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # raises KeyboardInterrupt
    signal.signal(signal.SIGHUP, signal.default_int_handler)
    try:
        emulator = Emulator(ROOT / "index.yaml")
    except EmulatorMissing as error:
        sys.exit(str(error))
    try:
        os.environ.update(emulator.environment("stashboard-bench"))
        os.environ.pop("PAGE_CACHE", None)
        from main import create_app  # reads the environment when imported

        print(f"Machine: {machine()}")
        seeded = {}
        for board in BOARDS:
            seeded[board] = seed(create_app, board)
            print(f"Seeded board {board} in {sum(seeded[board][1].values()):.1f} s", file=sys.stderr)
        figures = {board: measure(board, ids) for board, (ids, _) in seeded.items()}
        print(f"Load average at the end: {os.getloadavg()[0]:.1f}")
        report_seeding({board: seconds for board, (_, seconds) in seeded.items()})
        report_throughput(figures)
        report_renders(figures, "uncached")
        report_growth(figures)
        report_renders(figures, "cached")
        report_memory(figures)
        page_size.report(page_size.measure(create_app, namespace("B")), table)
    except KeyboardInterrupt:
        sys.exit("Interrupted; stopped the servers and the emulator.")
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
