"""Readers subscribed by e-mail hear of maintenance: announced, reminded before the start, started,
updated and completed, each once however often (or at once) the cron runs, as one thread per
window, and only readers of its services. One board and one real SMTP server (aiosmtpd) for the
module, on the board's moved clock."""

import datetime
import threading

import pytest

from models import times
from tests.fixtures.admin_api import Admin, issue_token
from tests.fixtures.datastore import make_app, make_client
from tests.test_subscribe import confirmed, reader, sweep

CRON = {"X-Appengine-Cron": "true"}


@pytest.fixture(scope="module")
def board(empty_emulator, mailbox):
    """The app, sending through the mailbox, on a board with two services."""
    from handlers.context import ndb_context
    from models import Service

    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, MAIL_FROM="Status <status@example.com>")
    with app.app_context(), ndb_context(app):
        for name in ("Web API", "Search"):
            Service.create(name, f"The {name}.")
    return app


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def cron(app):
    """Run the maintenance cron once; answers what it did, as {id: what}."""
    moved = make_client(app).get("/_tasks/maintenance", headers=CRON).json["moved"]
    return {entry["id"]: entry["now"] for entry in moved}


def of_window(messages, window_id):
    """The messages about one window, oldest first."""
    return [m for m in messages if m["Message-ID"].startswith(f"<maintenance-{window_id}")]


def test_each_step_reaches_the_windows_readers_once_as_one_thread(board, mailbox):
    confirmed(board, reader(board, "10.0.8.1"), mailbox, "ada@example.com", ("web-api",))
    confirmed(board, reader(board, "10.0.8.2"), mailbox, "bo@example.com", ("search",))
    admin = Admin(make_client(board), issue_token(board))
    now = times.utcnow()
    body = {"message": "Writes pause <b>briefly</b>.", "services": "web-api",
            "starts": iso(now + datetime.timedelta(minutes=90)), "ends": iso(now + datetime.timedelta(minutes=120))}
    window = admin.post("/maintenances", {**body, "title": "Database upgrade"}, status=201).json
    quiet = admin.post("/maintenances", {**body, "title": "Cache flush", "remind_minutes": "0"}, status=201).json
    assert (window["remind_minutes"], quiet["remind_minutes"]) == (60, 0)

    def step(minutes, expected, racing=False):
        """On the clock `minutes` ahead: the cron does `expected`, a second run (or a racing one) nothing."""
        with times.shifted(datetime.timedelta(minutes=minutes)):
            if racing:
                results = [None, None]
                runs = [threading.Thread(target=lambda n=n: results.__setitem__(n, cron(board))) for n in (0, 1)]
                [run.start() for run in runs]
                [run.join() for run in runs]
                assert sorted(list(results[0].items()) + list(results[1].items())) == sorted(expected.items())
            else:
                assert cron(board) == expected
            assert cron(board) == {}
            sweep(board)

    step(0, {})
    step(31, {window["id"]: "reminded"})  # 59 minutes before: the quiet one sends no reminder
    step(91, {window["id"]: "started", quiet["id"]: "started"}, racing=True)
    with times.shifted(datetime.timedelta(minutes=95)):
        admin.post(f"/maintenances/{window['id']}/updates", {"message": "Done; checking replicas.",
                                                             "state": "verifying"}, status=201)
    step(100, {})  # verifying stays verifying until its end
    step(121, {window["id"]: "completed", quiet["id"]: "completed"})

    messages = mailbox.to("ada@example.com")[1:]  # after the confirmation
    told = of_window(messages, window["id"])
    assert len(told) == 5 and len(messages) == 5 + 3
    root = told[0]["Message-ID"]
    assert told[0]["In-Reply-To"] is None and "Database upgrade" in told[0]["Subject"]
    assert all(m["In-Reply-To"] == m["References"] == root and m["Subject"].startswith("Re: ") for m in told[1:])
    texts = [m.get_body(("plain",)).get_content() for m in told]
    assert ["Maintenance announced" in texts[0], "Starts soon" in texts[1], "Maintenance started" in texts[2],
            "Verifying" in texts[3], "Maintenance completed" in texts[4]] == [True] * 5
    assert "Done; checking replicas." in texts[3] and f"/maintenance/{window['id']}" in texts[0]
    html = told[0].get_body(("html",)).get_content()
    assert "&lt;b&gt;briefly&lt;/b&gt;" in html and "<b>briefly" not in html
    assert all(m["List-Unsubscribe"] for m in told)
    assert len(of_window(messages, quiet["id"])) == 3  # announced, started, completed: no reminder
    assert len(mailbox.to("bo@example.com")) == 1  # a reader of another service: the confirmation only
