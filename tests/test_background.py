"""Work set going after a commit: a few threads per dispatcher, in order, a sweeping run queued once;
status changes (hundreds in an alert storm) start no mail run."""

import threading

from tests.fixtures.served import wait_for


def test_calls_run_in_order_and_a_sweeping_run_asked_for_while_one_waits_is_queued_once():
    from workers.background import Background

    background, gate, done = Background("test", threads=1), threading.Event(), []

    def sweep():
        done.append("sweep")

    background.submit(gate.wait)  # holds the only thread: what follows waits
    background.submit(done.append, "first")
    for _ in range(3):
        background.submit(sweep, coalesce=True)
    background.submit(done.append, "last")
    gate.set()
    assert wait_for(lambda: len(done) == 3, 10)
    assert done == ["first", "sweep", "last"]
    background.submit(sweep, coalesce=True)  # taken up already: asked for again, it runs again
    assert wait_for(lambda: len(done) == 4, 10) and done[-1] == "sweep"


def test_a_run_that_meets_a_contended_datastore_logs_a_line_anything_else_its_traceback(caplog):
    from google.api_core import exceptions

    from workers.background import Background

    background = Background("test", threads=1)

    def contended():
        raise exceptions.RetryError("409 too much contention on these datastore entities", None)

    def broken():
        raise ValueError("a bug")

    with caplog.at_level("WARNING", logger="workers.background"):
        background.submit(contended)
        background.submit(broken)
        assert wait_for(lambda: len(caplog.records) == 2, 10)
    line, bug = caplog.records
    assert line.levelname == "WARNING" and line.exc_info is None
    assert "contended failed; the sweep will go on (RetryError: 409 too much contention" in line.getMessage()
    assert bug.levelname == "ERROR" and bug.exc_info[0] is ValueError


def test_a_status_change_starts_no_mail_run_an_incident_does(app, ndb_context, monkeypatch):
    from models import Event, Incident, Service

    app.config["OUTBOX_DISPATCH"] = "thread"
    started = []
    mail = app.extensions["stashboard.mail_dispatcher"]
    monkeypatch.setattr(mail.background, "submit", lambda function, *args, **kwargs: started.append(args))
    # The notifications' own sending is not what this is about (nor should it outlive the test's board).
    monkeypatch.setattr(app.extensions["stashboard.dispatcher"].background, "submit", lambda *args, **kwargs: None)
    service = Service.create("Web API", "The API.")
    Event.post(service, "Down.", "down")
    assert started == []
    Incident.open("Payments failing", ["web-api"], "Investigating.")
    assert len(started) == 1
