"""`make run` and `make test` say what to install when the emulator or Java is missing; `make run`
keeps its board on disk until `make run FRESH=1` or `make reset`."""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from tools import emulator

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_a_missing_sdk_names_the_packages_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("CLOUDSDK_ROOT_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(emulator, "SDK_CANDIDATES", (str(tmp_path / "nowhere"),))
    with pytest.raises(emulator.EmulatorMissing) as missing:
        emulator.sdk_root()
    assert "google-cloud-cli-datastore-emulator" in str(missing.value)


def test_make_run_without_java_says_to_install_it_instead_of_a_traceback(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no java, no gcloud on the PATH
    result = subprocess.run(
        [sys.executable, "-m", "tools.run_local"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "openjdk-17-jre-headless" in result.stderr
    assert "Traceback" not in result.stderr


# --- make run keeps its board -------------------------------------------------------------


class MakeRun:
    """`make run` (tools.run_local) in a process group of its own, as a terminal runs it."""

    def __init__(self, local_dir, fresh=False):
        self.port = emulator.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "STASHBOARD_LOCAL_DIR": str(local_dir), "STASHBOARD_ADDRESS": f"127.0.0.1:{self.port}",
               "FRESH": "1" if fresh else ""}
        env.pop("DATASTORE_EMULATOR_HOST", None)  # its own emulator, not the tests'
        self.process = subprocess.Popen([sys.executable, "-m", "tools.run_local"], cwd=ROOT, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = []
        for line in self.process.stdout:
            self.lines.append(line)
            if line.startswith("An admin API token"):
                self.token = line.rsplit(" ", 1)[1].strip()
            if line.startswith("Serving on"):
                break
        assert self.process.poll() is None, "".join(self.lines)
        self._wait_until_serving()

    def _wait_until_serving(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self.services()
            except OSError:
                time.sleep(0.2)
        raise AssertionError("".join(self.lines))

    def services(self):
        """The ids of the board's services."""
        with urllib.request.urlopen(f"{self.url}/api/v1/services", timeout=10) as response:
            return [service["id"] for service in json.load(response)["services"]]

    def create_service(self, name):
        """Create a service as an admin script would."""
        request = urllib.request.Request(f"{self.url}/admin/api/v1/services", data=urllib.parse.urlencode(
            {"name": name, "description": "Made between two runs."}).encode(),
            headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201

    def ctrl_c(self):
        """Ctrl-C: SIGINT to the foreground process group; answers what it printed.

        It stops within 2 s (the app and the emulator), and says nothing went wrong.
        """
        sent = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        rest, _ = self.process.communicate(timeout=60)
        took = time.monotonic() - sent
        said = "".join(self.lines) + rest
        assert took < 2, f"Ctrl-C took {took:.1f} s:\n{said}"
        assert not ERROR_LINE.search(said), said
        return said


# What a clean stop never prints: gunicorn's kill of a stuck worker, a traceback, an error log line.
ERROR_LINE = re.compile(r"SIGKILL|Traceback|\[(ERROR|CRITICAL)\]|^Error", re.MULTILINE)
DEMO = ["email", "payments", "sms", "web-api", "webhooks", "website"]


@pytest.mark.slow  # three starts of make run, each with its own emulator: make test-slow
def test_make_run_keeps_the_board_until_fresh_is_asked(tmp_path):
    first = MakeRun(tmp_path)
    assert sorted(first.services()) == DEMO
    first.create_service("Status Checker")
    said = first.ctrl_c()
    assert "a new demo board" in said and str(tmp_path / "datastore") in said

    again = MakeRun(tmp_path)
    assert "status-checker" in again.services()  # kept, and not seeded again over it
    assert sorted(again.services()) == sorted(DEMO + ["status-checker"])
    assert again.token == first.token  # the same token works across runs
    again.create_service("Second Run")
    assert "the board you left" in again.ctrl_c()

    fresh = MakeRun(tmp_path, fresh=True)
    assert sorted(fresh.services()) == DEMO
    assert "a new demo board" in fresh.ctrl_c()


def test_make_reset_forgets_the_board(tmp_path):
    (tmp_path / "datastore" / "WEB-INF").mkdir(parents=True)
    (tmp_path / "admin-api-token").write_text("old\n")
    env = {**os.environ, "STASHBOARD_LOCAL_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "tools.run_local", "--reset"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Forgot the local board" in result.stdout
    assert not (tmp_path / "datastore").exists() and not (tmp_path / "admin-api-token").exists()


def test_the_local_board_is_ignored_by_git_and_by_deploys():
    for ignore in (".gitignore", ".gcloudignore"):
        assert ".local/" in (ROOT / ignore).read_text().split(), ignore
