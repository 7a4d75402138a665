"""`make devserver`: the app as App Engine runs it, under the Cloud SDK's own dev_appserver.py.

dev_appserver.py reads app.yaml as App Engine does: it builds a virtualenv from
requirements.txt with the runtime's Python (the SDK's bundled 3.12, what `python312`
names), starts the `entrypoint` (gunicorn), serves the static handlers itself with
their headers and expirations, and sends the warmup request. The app talks to the
Datastore emulator this starts: `make devserver` on the board `make run` keeps
(.local/datastore), `make devserver-check` (CI) on an empty in-memory one, which
it seeds, then fetches a page, a static file, a widget image and an API resource
through dev_appserver.py and fails loudly if any is not what App Engine would serve.
"""

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from config import LOCAL_DEVELOPMENT_VARIABLE
from tools.emulator import Emulator, EmulatorMissing, free_port, sdk_root
from tools.run_local import ADDRESS, ROOT, serve

RUNTIME = "python312"
BUNDLED_PYTHON = pathlib.Path("platform/bundledpythonunix/bin/python3")
DEV_APPSERVER = pathlib.Path("bin/dev_appserver.py")
INSTALL_HINT = """\
dev_appserver.py and the SDK's bundled Python were not found. Install the Cloud SDK's
App Engine Python component, for example on Debian or Ubuntu:

    apt-get install google-cloud-cli-app-engine-python

or, with an SDK installed another way: gcloud components install app-engine-python"""
# Files dev_appserver.py must not restart the app for: bytecode, the emulator's store, tooling.
WATCHER_IGNORE = r".*/(__pycache__|\.local|\.venv|\.git|\.pytest_cache|tests|test-artifacts|node_modules)(/.*)?$"
START_SECONDS = 600  # a first start installs requirements.txt into a new virtualenv


def sdk_tools():
    """(the bundled Python, dev_appserver.py), or EmulatorMissing saying what to install."""
    root = sdk_root()
    python, script = root / BUNDLED_PYTHON, root / DEV_APPSERVER
    if not python.exists() or not script.exists():
        raise EmulatorMissing(INSTALL_HINT)
    return python, script


class DevAppServer:
    """dev_appserver.py serving app.yaml on `port`, its app pointed at the emulator by `env`."""

    def __init__(self, env, host="127.0.0.1", port=None, log=None):
        python, script = sdk_tools()
        self.url = f"http://{host}:{port or free_port()}"
        self.storage = tempfile.mkdtemp(prefix="stashboard-devappserver-")
        settings = {name: env[name] for name in
                    ("DATASTORE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT", "ADMIN_EMAILS", "SECRET_KEY",
                     LOCAL_DEVELOPMENT_VARIABLE)}
        # MAIL_SENDER=appengine (README): readers' mail goes to dev_appserver.py's own mail stub.
        if env.get("MAIL_SENDER") or os.environ.get("MAIL_SENDER"):
            settings["MAIL_SENDER"] = env.get("MAIL_SENDER") or os.environ["MAIL_SENDER"]
        command = [
            str(python), str(script), str(ROOT / "app.yaml"),
            f"--runtime_python_path={RUNTIME}={python}",
            f"--host={host}", f"--port={self.url.rsplit(':', 1)[1]}",
            f"--admin_port={free_port()}", f"--api_port={free_port()}",
            f"--application={env['GOOGLE_CLOUD_PROJECT']}",
            f"--storage_path={self.storage}",
            f"--watcher_ignore_re={WATCHER_IGNORE}",
            "--skip_sdk_update_check",
            *[f"--env_var={name}={value}" for name, value in settings.items()],
        ]
        # Its own interpreter and libraries only: nothing of this virtualenv may leak in.
        clean = {name: value for name, value in os.environ.items() if name not in ("VIRTUAL_ENV", "PYTHONPATH")}
        self.log = log
        self.process = subprocess.Popen(command, cwd=ROOT, env=clean, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait_until_serving(self, timeout=START_SECONDS):
        """Wait for the app's first answer (the first start builds a virtualenv)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dev_appserver.py exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/robots.txt", timeout=5) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                time.sleep(1)
        raise RuntimeError(f"dev_appserver.py did not serve within {timeout} s")

    def wait(self):
        """Until dev_appserver.py exits (Ctrl-C)."""
        return self.process.wait()

    def stop(self):
        """Stop dev_appserver.py and the app it runs."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.storage, ignore_errors=True)


def fetch(url):
    """(status, headers, body) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def check(server, log_text=""):
    """Fetch what App Engine serves three ways; answers a list of what was wrong."""
    problems = []
    # dev_appserver.py sends its own warmup only to some instances it starts (and one it
    # starts while stopping may fail it): when none was seen, send the request App Engine sends.
    if '"GET /_ah/warmup HTTP/1.1" 200' not in log_text:
        status, _, _ = fetch(f"{server.url}/_ah/warmup")
        if status != 200:
            problems.append(f"the warmup request (app.yaml: inbound_services: warmup): {status}")
    status, headers, body = fetch(f"{server.url}/")
    if status != 200 or b"Web API" not in body or "Server-Timing" not in headers:
        problems.append(f"/ (the app, through the entrypoint): {status}, Server-Timing {headers.get('Server-Timing')}")
    for path, kind in (("/static/css/site.css", "text/css"), ("/images/widget/green.png", "image/png")):
        status, headers, body = fetch(f"{server.url}{path}")
        # app.yaml's static handlers answer these without the app, with their http_headers.
        if (status != 200 or not headers.get("Content-Type", "").startswith(kind) or "Server-Timing" in headers
                or headers.get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'"):
            problems.append(f"{path} (a static handler): {status} {dict(headers)}")
    status, headers, body = fetch(f"{server.url}/api/v1/services")
    services = json.loads(body).get("services", []) if status == 200 else []
    if status != 200 or "web-api" not in [service["id"] for service in services]:
        problems.append(f"/api/v1/services: {status} {body[:300]!r}")
    return problems


def run_check():
    """`make devserver-check`: a seeded in-memory board through dev_appserver.py; exit 1 on any problem."""
    log = tempfile.NamedTemporaryFile(prefix="devappserver-", suffix=".log", delete=False)
    emulator = server = None
    try:
        python_tools = sdk_tools()
        emulator = Emulator(ROOT / "index.yaml")
        env = {**os.environ, **emulator.environment(), "ADMIN_EMAILS": "admin@example.com", "SECRET_KEY": "check",
               LOCAL_DEVELOPMENT_VARIABLE: "1"}
        subprocess.run([sys.executable, "-m", "flask", "--app", "main", "seed-demo"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        print(f"devserver-check: dev_appserver.py with {python_tools[0]} (installs requirements.txt first)", flush=True)
        started = time.monotonic()
        server = DevAppServer(env, log=log)
        server.wait_until_serving()
        print(f"devserver-check: serving at {server.url} after {time.monotonic() - started:.0f} s", flush=True)
        problems = check(server, pathlib.Path(log.name).read_text(errors="replace"))
    except (EmulatorMissing, RuntimeError, subprocess.CalledProcessError) as error:
        problems = [str(error)]
    finally:
        if server is not None:
            server.stop()
        if emulator is not None:
            emulator.stop()
    if problems:
        print("devserver-check FAILED:", *problems, sep="\n  ", file=sys.stderr)
        print("--- dev_appserver.py's log (end) ---", pathlib.Path(log.name).read_text(errors="replace")[-6000:],
              sep="\n", file=sys.stderr)
        sys.exit(1)
    pathlib.Path(log.name).unlink(missing_ok=True)
    print("devserver-check: the warmup request, /, /static/css/site.css, /images/widget/green.png and "
          "/api/v1/services answered through dev_appserver.py as App Engine would")


def main():
    """`make devserver`: the board `make run` keeps, served by dev_appserver.py until Ctrl-C."""
    try:
        sdk_tools()
    except EmulatorMissing as error:
        sys.exit(str(error))

    def start(board):
        host, port = ADDRESS.rsplit(":", 1)
        print("Starting dev_appserver.py (the first start installs requirements.txt) - Ctrl-C stops it.")
        return DevAppServer(board.env, host=host, port=int(port))

    serve(start, "dev_appserver.py")


if __name__ == "__main__":
    run_check() if sys.argv[1:] == ["--check"] else main()
