"""`make run`: the emulator, a seeded demo board, and the app on http://127.0.0.1:8080.

The board lives in memory: every run starts from the same demo data. Ctrl-C stops
the app and the emulator together.
"""

import os
import pathlib
import signal
import subprocess
import sys

from tools.emulator import Emulator, EmulatorMissing

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDRESS = os.environ.get("STASHBOARD_ADDRESS", "127.0.0.1:8080")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    """Start everything, wait for Ctrl-C, stop everything."""
    # A closed terminal or a `kill` stops the emulator too, not only Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        emulator = Emulator(ROOT / "index.yaml")
    except EmulatorMissing as error:
        sys.exit(str(error))
    env = {
        **os.environ,
        **emulator.environment(),
        "ADMIN_EMAILS": os.environ.get("ADMIN_EMAILS", "admin@example.com"),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "local-development-only"),
    }
    flask = [sys.executable, "-m", "flask", "--app", "main"]
    server = None
    try:
        subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True)
        admin = env["ADMIN_EMAILS"].split(",")[0].strip()
        token = subprocess.run(
            [*flask, "create-api-token", admin, "--name", "make run"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        print(f"Datastore emulator on {emulator.host} (in memory: each run starts from the demo board).")
        print(f"An admin API token for {admin}: {token}")
        print(f"Serving on http://{ADDRESS}/ - Ctrl-C stops the app and the emulator.")
        gunicorn = [sys.executable, "-m", "gunicorn", "-b", ADDRESS, "--threads", "4", "main:app"]
        server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait()
        emulator.stop()
        print("Stopped the app and the Datastore emulator.")


if __name__ == "__main__":
    main()
