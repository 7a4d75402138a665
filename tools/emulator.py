"""Start and stop the Cloud SDK's Datastore emulator for tests and local runs."""

import contextlib
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

EMULATOR = pathlib.Path("platform/cloud-datastore-emulator/cloud_datastore_emulator")
SDK_CANDIDATES = ("/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "~/google-cloud-sdk")
INSTALL_HINT = """\
The Cloud Datastore emulator was not found. Install the Google Cloud SDK with its
Datastore emulator and Java 17, for example on Debian or Ubuntu:

    apt-get install google-cloud-cli google-cloud-cli-datastore-emulator openjdk-17-jre-headless

(the SDK's apt repository is described at https://cloud.google.com/sdk/docs/install),
or, with an SDK installed another way: gcloud components install cloud-datastore-emulator
Set CLOUDSDK_ROOT_DIR if the SDK lives somewhere unusual."""
JAVA_HINT = """\
Java was not found; the Datastore emulator needs Java 17 or newer:

    apt-get install openjdk-17-jre-headless"""


# A JVM for a short-lived or local emulator: C1 only, as C2's compiles cost more CPU than a
# test run or a local board gets back (half the emulator's CPU per board installed in the
# tests), and one GC thread on a small machine. Load runs (bench, soak) keep the defaults.
LIGHT_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


# How long an emulator kept on disk may take to write its store as it stops (20,000 events: a few seconds).
STORE_SAVE_TIMEOUT = 120
PID_FILE = "emulator.pid"


class EmulatorMissing(RuntimeError):
    """The SDK, its emulator component or Java is not installed; the message says what to install."""


def sdk_root():
    """The Cloud SDK's root folder, or EmulatorMissing."""
    candidates = [os.environ.get("CLOUDSDK_ROOT_DIR", "")]
    gcloud = shutil.which("gcloud")
    if gcloud:
        candidates.append(str(pathlib.Path(gcloud).resolve().parent.parent))
    candidates.extend(SDK_CANDIDATES)
    for candidate in candidates:
        if candidate and (pathlib.Path(candidate).expanduser() / EMULATOR).exists():
            return pathlib.Path(candidate).expanduser()
    raise EmulatorMissing(INSTALL_HINT)


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_the_last(data_dir):
    """Wait while the emulator last started on `data_dir` is still writing its store."""
    pid_file = pathlib.Path(data_dir) / PID_FILE
    with contextlib.suppress(FileNotFoundError, ValueError):
        group = int(pid_file.read_text())
        deadline = time.monotonic() + STORE_SAVE_TIMEOUT
        while time.monotonic() < deadline and any(
                str(data_dir) in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                for pid in members(group)):
            time.sleep(0.05)


def members(group):
    """The pids of the processes in process group `group`."""
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == group:
                yield int(stat.parent.name)


class Emulator:
    """A running emulator: strongly consistent, Firestore in Datastore mode; in memory, or
    kept on disk in `data_dir` (saved when it stops, loaded when it starts there again).

    Firestore in Datastore mode is what App Engine projects get today; with
    `require_indexes` a query missing from index.yaml fails as it would in production.
    `java_options` go to its JVM (JAVA_TOOL_OPTIONS).
    """

    def __init__(self, index_file, port=None, require_indexes=True, data_dir=None, java_options=()):
        if shutil.which("java") is None:
            raise EmulatorMissing(JAVA_HINT)
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log = tempfile.NamedTemporaryFile(prefix="datastore-emulator-", suffix=".log", delete=False)
        emulator = str(sdk_root() / EMULATOR)
        if data_dir is None:
            storage = ["--testing"]
        else:
            wait_for_the_last(data_dir)
            if not (pathlib.Path(data_dir) / "WEB-INF").is_dir():
                subprocess.run([emulator, "create", str(data_dir)], check=True, capture_output=True)
            storage = ["--consistency=1.0", "--store_on_disk=true"]
        command = [
            emulator,
            "start",
            "--host=127.0.0.1",
            f"--port={self.port}",
            *storage,
            "--firestore_in_datastore_mode",
            f"--index_file={pathlib.Path(index_file).resolve()}",
        ]
        if require_indexes:
            command.append("--require_indexes")
        if data_dir is not None:
            command.append(str(data_dir))
        env = None
        if java_options:
            env = {**os.environ, "JAVA_TOOL_OPTIONS": " ".join(java_options)}
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
        if data_dir is not None:
            (pathlib.Path(data_dir) / PID_FILE).write_text(str(self.process.pid))
        self._wait_until_ready()

    def _wait_until_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Datastore emulator exited:\n{self.read_log()}")
            try:
                with urllib.request.urlopen(f"http://{self.host}/", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"The Datastore emulator did not start in {timeout}s:\n{self.read_log()}")

    def reset(self):
        """Empty the emulator (an in-memory one's queries slow down with everything it holds)."""
        request = urllib.request.Request(f"http://{self.host}/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def read_log(self):
        """What the emulator has printed so far."""
        return pathlib.Path(self.log.name).read_text(errors="replace")

    def environment(self, project="stashboard-local"):
        """The variables that point google-cloud-ndb at this emulator."""
        return {"DATASTORE_EMULATOR_HOST": self.host, "GOOGLE_CLOUD_PROJECT": project}

    def stop(self, wait=True):
        """Stop the emulator and its Java child. One kept on disk writes its store as Java exits,
        after the shell script that started it has ended: `wait` waits for Java (the next
        emulator on that store waits for it in any case); one in memory has nothing to save."""
        deadline = time.monotonic() + STORE_SAVE_TIMEOUT
        try:
            if self.data_dir is None or not wait:
                os.killpg(self.process.pid, 9 if self.data_dir is None else 15)
            else:
                os.killpg(self.process.pid, 15)
                while time.monotonic() < deadline:
                    self.process.poll()  # reaped, the script no longer counts as one of the group
                    os.killpg(self.process.pid, 0)
                    time.sleep(0.05)
                os.killpg(self.process.pid, 9)
        except ProcessLookupError:
            pass
        self.process.wait()
        pathlib.Path(self.log.name).unlink(missing_ok=True)
