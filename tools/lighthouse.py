"""`make lighthouse`: Lighthouse scores of the public pages on two seeded boards.

Starts the Datastore emulator and the app (gunicorn, as on App Engine) on two boards, each
in its own namespace: the demo board (`flask seed-demo`) and a big one, 200 services with
90 days of history behind their bars (events written in batches, as tools/bench.py seeds).
Runs the pinned Lighthouse from tools/lighthouse/node_modules against the big board's front
page and a few demo pages, on mobile and desktop, in Debian's Chromium; prints each
category's score with PASS or FAIL and fails below MINIMUM.
"""

import concurrent.futures
import datetime
import json
import os
import pathlib
import random
import subprocess
import sys
import time
import urllib.request

from tools.emulator import Emulator, EmulatorMissing, free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# board, path: the big board's front page is the one that grows with the board
PAGES = (("big", "/"), ("demo", "/"), ("demo", "/services/web-api"), ("demo", "/uptime"), ("demo", "/summary"))
MINIMUM = 0.95
BIG_NAMESPACE, BIG_SERVICES, HISTORY_DAYS, BATCH = "lighthouse-big", 200, 90, 500
REPORTS = ROOT / "test-artifacts" / "lighthouse"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"


def wait_for(url, timeout=30):
    """Wait until `url` answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def big_board_events(index, key, now, rng):
    """One service's 90 days: up from the start, then a problem every ten days or so, each a few
    hours long, so its bars show runs of good days broken by a bad one as on a real board."""
    from google.cloud import ndb

    from models import Event

    def event(at, status, message):
        return Event(parent=key, timestamp=at, message=message, status=ndb.Key("Status", status))

    at = now - datetime.timedelta(days=HISTORY_DAYS)
    yield event(at, "up", "Up and running.")
    while (at := at + datetime.timedelta(days=rng.uniform(4, 16))) < now - datetime.timedelta(hours=6):
        yield event(at, rng.choices(("warning", "down"), (3, 1))[0], f"Check failed on service {index}.")
        yield event(at + datetime.timedelta(hours=rng.uniform(0.5, 5)), "up", "Recovered.")


def seed_big_board():
    """Write the big board into BIG_NAMESPACE: BIG_SERVICES services in five lists, their events
    put BATCH at a time, each service's bars rebuilt once its events are in."""
    from google.cloud import ndb

    import models
    from handlers.context import ndb_context
    from main import create_app  # reads the environment (the emulator's) when imported

    app, rng = create_app({"NDB_NAMESPACE": BIG_NAMESPACE}), random.Random(200)
    with app.app_context(), ndb_context(app):
        models.install()
        lists = [models.ServiceList.create(name, f"The {name.lower()} services.").slug
                 for name in ("Core", "Messaging", "Storage", "Networking", "Billing")]
        keys = [models.Service.create(f"Service {index:03d}", f"Service number {index}.", lists[index % 5]).key
                for index in range(BIG_SERVICES)]
        now = models.utcnow()
        for start in range(0, BIG_SERVICES, 25):
            batch = [event for index in range(start, start + 25) for event in big_board_events(index, keys[index], now, rng)]
            for first in range(0, len(batch), BATCH):
                ndb.put_multi(batch[first:first + BATCH], use_cache=False)
            for key in keys[start:start + 25]:
                models.Event.rebuild(key)


def run_lighthouse(url, preset, report):
    """Lighthouse's scores for one page, as {category: score}; its full report kept at `report`
    (JSON: each audit's figures, for finding what costs a point)."""
    command = [
        str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(command, check=True, env=env)
    categories = json.loads(report.read_text())["categories"]
    return {name: categories[name]["score"] for name in CATEGORIES}


def compressed_app():
    """The app as App Engine serves it: its front end gzips text for a browser that accepts it, so
    here Flask-Compress does (gunicorn's `tools.lighthouse:compressed_app()`)."""
    from flask_compress import Compress

    from main import app

    app.config["COMPRESS_ALGORITHM"] = "gzip"
    Compress(app)
    return app


def serve(env, paths):
    """gunicorn on a free port with `env`, as App Engine runs the app, each of `paths` asked for
    eight at a time first so that both workers have it in their page cache, as a busy board's
    instances would; answers (process, base URL)."""
    address = f"127.0.0.1:{free_port()}"
    gunicorn = [sys.executable, "-m", "gunicorn", "-b", address, "-w", "2", "--threads", "4",
                "tools.lighthouse:compressed_app()"]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    wait_for(f"http://{address}/")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda path: wait_for(f"http://{address}{path}"), [path for path in paths for _ in range(16)]))
    return server, f"http://{address}"


def main():
    """Seed both boards, serve each, score each page on mobile and desktop, print the table."""
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed: run `make lighthouse` (it installs it first).")
    try:
        emulator = Emulator(ROOT / "index.yaml")
    except EmulatorMissing as error:
        sys.exit(str(error))
    env = {**os.environ, **emulator.environment(), "SECRET_KEY": "lighthouse-only"}
    os.environ.update(env)
    REPORTS.mkdir(parents=True, exist_ok=True)
    # `python -m tools.lighthouse big:/` scores just the pages named (board:path), while fixing one.
    pages = [page for page in PAGES if not sys.argv[1:] or ":".join(page) in sys.argv[1:]]
    servers, failures = [], []
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "main", "seed-demo"], cwd=ROOT, env=env, check=True)
        print(f"Seeding the big board: {BIG_SERVICES} services, {HISTORY_DAYS} days of history...", flush=True)
        seed_big_board()
        urls = {}
        for board, namespace in (("demo", ""), ("big", BIG_NAMESPACE)):
            server, urls[board] = serve({**env, "NDB_NAMESPACE": namespace}, [path for on, path in pages if on == board])
            servers.append(server)
        print(f"{'board':<6}{'page':<20}{'preset':<9}" + "".join(f"{name:>16}" for name in CATEGORIES))
        for board, path in pages:
            for preset in ("mobile", "desktop"):
                report = REPORTS / f"{board}-{path.strip('/').replace('/', '-') or 'front'}-{preset}.json"
                scores = run_lighthouse(urls[board] + path, preset, report)
                print(f"{board:<6}{path:<20}{preset:<9}" + "".join(
                    f"{scores[name]:>11.2f} {'PASS' if scores[name] >= MINIMUM else 'FAIL'}" for name in CATEGORIES),
                    flush=True)
                failures += [(board, path, preset, name) for name in CATEGORIES if scores[name] < MINIMUM]
    finally:
        for server in servers:
            server.terminate()
            server.wait()
        emulator.stop()
    print(f"Reports (JSON, every audit): {REPORTS.relative_to(ROOT)}/")
    if failures:
        sys.exit(f"Below {MINIMUM}: " + ", ".join(" ".join(failure) for failure in failures))
    print(f"Every score is at least {MINIMUM}.")


if __name__ == "__main__":
    main()
