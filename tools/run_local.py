"""`make run`: the emulator, a board that lasts, and the app on http://127.0.0.1:8080.

The board's Datastore is kept on disk in `.local/datastore` (ignored by git and by
`gcloud app deploy`), and mail to readers subscribed by e-mail lands in the Maildir
`.local/mail` (an aiosmtpd server this process runs, unless SMTP_HOST points elsewhere): what an admin changes is still there after Ctrl-C and the next
`make run`. The demo board is seeded only when that store is new; `make run FRESH=1`
(or `make reset`, then `make run`) starts again from the demo board.

`make devserver` (tools/devserver.py) serves the same board through the Cloud SDK's
dev_appserver.py. Ctrl-C stops the app and the emulator together; the emulator saves
its store when it stops.
"""

import contextlib
import io
import os
import pathlib
import shutil
import signal
import subprocess
import sys

import click

from config import LOCAL_DEVELOPMENT_VARIABLE
from tools.emulator import LIGHT_JVM, Emulator, EmulatorMissing, free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Tests point this elsewhere; the folder is in .gitignore and .gcloudignore.
LOCAL = pathlib.Path(os.environ.get("STASHBOARD_LOCAL_DIR") or ROOT / ".local")
DATA_DIR = LOCAL / "datastore"
# The admin API token `make run` issued for this store (only its hash is in the store).
TOKEN_FILE = LOCAL / "admin-api-token"
ADDRESS = os.environ.get("STASHBOARD_ADDRESS", "127.0.0.1:8080")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def fresh_requested(env=os.environ):
    """Whether `make run FRESH=1` asked to start again from the demo board."""
    return env.get("FRESH", "").strip().lower() in ("1", "true", "yes", "on")


def reset(data_dir=DATA_DIR, token_file=TOKEN_FILE):
    """Forget the local board: the next start seeds the demo board again. Answers whether there was one."""
    existed = data_dir.exists()
    shutil.rmtree(data_dir, ignore_errors=True)
    token_file.unlink(missing_ok=True)
    return existed


class LocalBoard:
    """The emulator on the on-disk store, and the settings that point the app at it."""

    def __init__(self, data_dir=DATA_DIR, token_file=TOKEN_FILE, fresh=False):
        if fresh:
            reset(data_dir, token_file)
        self.data_dir = data_dir
        self.token_file = token_file
        # The emulator creates the store on its first start: only then is the demo seeded.
        self.new = not (data_dir / "WEB-INF").is_dir()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.emulator = Emulator(ROOT / "index.yaml", data_dir=data_dir, java_options=LIGHT_JVM)
        self.env = {
            **os.environ,
            **self.emulator.environment(),
            "ADMIN_EMAILS": os.environ.get("ADMIN_EMAILS", "admin@example.com"),
            "SECRET_KEY": os.environ.get("SECRET_KEY", "local-development-only"),
            # Opens /_tasks/* and local webhook targets: this board is the developer's own.
            LOCAL_DEVELOPMENT_VARIABLE: "1",
        }
        self.admin = self.env["ADMIN_EMAILS"].split(",")[0].strip()
        self.app = None
        self.mail_dir = data_dir.parent / "mail"
        self.mail_server = None
        if not os.environ.get("SMTP_HOST"):
            self.mail_server = local_mailbox(self.mail_dir)
            self.env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(self.mail_server.port), SMTP_TLS="none")

    def flask(self, *args):
        """Run a `flask --app main` command against the board, in this process (one import of
        the app for all of them, not one Python start each); answers what it printed."""
        from flask.cli import ScriptInfo

        app = self._app()
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            try:
                app.cli.main(list(args), "flask", standalone_mode=False, obj=ScriptInfo(create_app=lambda: app))
            except click.ClickException as error:
                raise SystemExit(f"`flask {' '.join(args)}` failed: {error.format_message()}") from error
        return printed.getvalue()

    def _app(self):
        """The app, built as gunicorn builds it, on this board's settings."""
        if self.app is None:
            os.environ.update(self.env)
            from main import create_app

            self.app = create_app()
        return self.app

    def prepare(self):
        """Seed a new store with the demo board; answers the admin API token (issued once per store)."""
        if self.new:
            print(self.flask("seed-demo").strip())
        else:
            self.flask("install")  # a store from an older version gets what is new (one read if nothing)
        if not self.new and self.token_file.exists():
            return self.token_file.read_text().strip()
        token = self.flask("create-api-token", self.admin, "--name", "make run").strip().splitlines()[-1]
        self.token_file.write_text(token + "\n")
        return token

    def where(self):
        """The store's folder, relative to the checkout when it is inside it."""
        return self.data_dir.relative_to(ROOT) if self.data_dir.is_relative_to(ROOT) else self.data_dir

    def describe(self):
        """Where the board lives, for the console."""
        state = "a new demo board" if self.new else "the board you left"
        described = (
            f"Datastore emulator on {self.emulator.host}, keeping {state} in {self.where()}/ "
            "(make run FRESH=1 starts again from the demo board)."
        )
        if self.mail_server is not None:
            where = self.mail_dir.relative_to(ROOT) if self.mail_dir.is_relative_to(ROOT) else self.mail_dir
            described += (f"\nMail to subscribers goes to the Maildir {where}/ (one file per message in {where}/new/; "
                          f"`mutt -f {where}` reads it).")
        return described

    def stop(self):
        """Stop the local mailbox and the emulator, which saves the store as it exits (the next
        start waits for that), so Ctrl-C does not wait for it."""
        if self.mail_server is not None:
            self.mail_server.stop()
        self.emulator.stop(wait=False)


def local_mailbox(mail_dir):
    """An SMTP server on a free port of 127.0.0.1 that files each message in the Maildir `mail_dir`."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    mail_dir.parent.mkdir(parents=True, exist_ok=True)
    server = Controller(Mailbox(str(mail_dir)), hostname="127.0.0.1", port=free_port())
    server.start()
    return server


class Gunicorn:
    """The app under gunicorn on ADDRESS, as `make run` serves it."""

    # How long gunicorn gets to stop on its own before its processes are ended outright; less
    # than its graceful_timeout, after which it would kill a stuck worker itself and log that
    # as an error ("Perhaps out of memory?"), which it is not.
    STOP_SECONDS = 0.8

    def __init__(self, env):
        command = [sys.executable, "-m", "gunicorn", "-c", "python:tools.gunicorn_local", "-b", ADDRESS, "--threads", "4",
                   "main:app"]
        # A session of its own: Ctrl-C reaches `make run`, which stops gunicorn as below.
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)

    def wait(self):
        return self.process.wait()

    def stop(self):
        """Stop gunicorn at once: its quick shutdown, then SIGKILL to any process left (a worker
        still in a request). Nothing is lost: every write is in the emulator before it is answered."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=self.STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def serve(start, what, fresh=False):
    """Open the local board, serve it with `start(board)` (a server with wait() and stop())
    until Ctrl-C, a closed terminal or a `kill`, then stop it and the emulator."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        board = LocalBoard(fresh=fresh)
    except EmulatorMissing as error:
        sys.exit(str(error))
    server = None
    try:
        token = board.prepare()
        print(board.describe())
        print(f"An admin API token for {board.admin}: {token}")
        server = start(board)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
        board.stop()
        print(f"Stopped {what} and the Datastore emulator; the board is kept in {board.where()}/.")
    # Everything is stopped and saved: leave without tearing down the app imported for the
    # board's commands (half a second of CPU, seconds on a busy machine, after Ctrl-C).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main():
    """`make run`: the local board under gunicorn until Ctrl-C."""

    def start(board):
        print(f"Serving on http://{ADDRESS}/ - Ctrl-C stops the app and the emulator.")
        return Gunicorn(board.env)

    serve(start, "the app", fresh=fresh_requested())


if __name__ == "__main__":
    if sys.argv[1:] == ["--reset"]:
        print("Forgot the local board." if reset() else "There was no local board.",
              "The next `make run` starts from the demo board.")
    else:
        main()
