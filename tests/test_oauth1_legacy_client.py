"""The original docs' example.py, unchanged, under Python 2.7 with python-oauth2 1.9, against
the board served by gunicorn as App Engine serves it, with a token the app's command line issued."""

import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from tests.fixtures.datastore import ADMIN_EMAIL, ROOT
from tools.emulator import free_port
from tools.py27 import Py27Missing, ensure

# Runs the Python 2.7 client against gunicorn: in make test-slow.
pytestmark = pytest.mark.slow

HARNESS = ROOT / "tests" / "vendor" / "stashboard_1x" / "harness.py"
BIN = pathlib.Path(sys.executable).parent


@pytest.fixture(scope="module")
def python27():
    """The Python 2.7 virtualenv with python-oauth2 (made on first use); no Python 2.7 fails the test."""
    try:
        return ensure()
    except Py27Missing as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def board(emulator):
    """gunicorn serving `main:app` on a fresh namespace: (base URL, environment, public URL of the API)."""
    env = {**os.environ, "NDB_NAMESPACE": f"test-{uuid.uuid4().hex}", "ADMIN_EMAILS": "", "SECRET_KEY": "gunicorn-test",
           "TOKEN_SECRETS_KEY": "gunicorn-test-tokens", "PAGE_CACHE": "off"}
    port = free_port()
    server = subprocess.Popen([str(BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", "1", "main:app"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/api/v1/levels", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start: " + server.stderr.read1().decode(errors="replace"))
        yield url, env
    finally:
        server.terminate()
        server.wait(timeout=10)


def issue_oauth_token(env):
    """`flask --app main create-api-token --oauth1`: (access token, secret) from its last two lines."""
    result = subprocess.run([str(BIN / "flask"), "--app", "main", "create-api-token", ADMIN_EMAIL, "--name",
                             "example.py", "--oauth1"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    access_token, secret = result.stdout.strip().splitlines()[-2:]
    return access_token, secret


def read(url, path):
    with urllib.request.urlopen(url + "/api/v1" + path) as answer:
        return json.load(answer)


def run_harness(python27, url, env, token, mode):
    harness_env = {"PATH": os.environ["PATH"], "STASHBOARD_SERVER": url, "STASHBOARD_ACCESS_TOKEN": token[0],
                   "STASHBOARD_ACCESS_SECRET": token[1]}
    return subprocess.run([str(python27), str(HARNESS), mode], env=harness_env, capture_output=True, text=True,
                          timeout=60)


def test_the_original_example_creates_a_service_a_status_and_an_event(python27, board):
    url, env = board
    token = issue_oauth_token(env)
    result = run_harness(python27, url, env, token, "example")
    assert result.returncode == 0, result.stderr
    event = read(url, "/services/generic-web-service/events/current")
    assert event["message"] == "Our first event! So exciting"
    assert event["status"]["id"] == "maintenance" and event["status"]["level"] == "WARNING"
    assert "Our first event! So exciting" in result.stdout
    assert read(url, "/services/generic-web-service")["name"] == "Generic Web Service"


def test_a_wrong_secret_a_stale_timestamp_and_a_replayed_nonce_are_refused(python27, board):
    url, env = board
    token = issue_oauth_token(env)
    result = run_harness(python27, url, env, token, "refusals")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"wrong_secret": 401, "stale_timestamp": 401, "replay_first": 201,
                                         "replay_again": 401}
    # Only the first of the replayed pair changed the board.
    assert [lst["id"] for lst in read(url, "/service-lists")["lists"]] == ["replayed"]
