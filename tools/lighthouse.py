"""`make lighthouse`: Lighthouse scores of the public pages on a seeded demo board.

Starts the Datastore emulator and the app (gunicorn, as on App Engine) on a seeded
board, runs the pinned Lighthouse from tools/lighthouse/node_modules against a few
pages in Debian's Chromium, prints each category's score and fails below MINIMUM.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.request

from tools.emulator import Emulator, EmulatorMissing, free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PAGES = ("/", "/services/payments", "/summary")
MINIMUM = 0.95
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


def run_lighthouse(url, preset):
    """Lighthouse's scores for one page, as {category: score}."""
    with tempfile.TemporaryDirectory() as folder:
        report = pathlib.Path(folder) / "report.json"
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


def main():
    """Serve a seeded board, score each page on mobile and desktop, print the table."""
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed: run `make lighthouse` (it installs it first).")
    try:
        emulator = Emulator(ROOT / "index.yaml")
    except EmulatorMissing as error:
        sys.exit(str(error))
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, **emulator.environment(), "SECRET_KEY": "lighthouse-only"}
    server = None
    failures = []
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "main", "seed-demo"], cwd=ROOT, env=env, check=True)
        gunicorn = [sys.executable, "-m", "gunicorn", "-b", address, "-w", "2", "--threads", "4", "main:app"]
        server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        wait_for(f"http://{address}/")
        print(f"{'page':<22}{'preset':<9}" + "".join(f"{name:>16}" for name in CATEGORIES))
        for path in PAGES:
            for preset in ("mobile", "desktop"):
                scores = run_lighthouse(f"http://{address}{path}", preset)
                print(f"{path:<22}{preset:<9}" + "".join(f"{scores[name]:>16.2f}" for name in CATEGORIES))
                failures += [(path, preset, name) for name in CATEGORIES if scores[name] < MINIMUM]
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        emulator.stop()
    if failures:
        sys.exit(f"Below {MINIMUM}: " + ", ".join(f"{path} {preset} {name}" for path, preset, name in failures))
    print(f"Every score is at least {MINIMUM}.")


if __name__ == "__main__":
    main()
