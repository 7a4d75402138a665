"""Sending the outbox: a subscriber that trickles its answer holds up no other beyond one total
deadline, and a delivery whose lease runs out is not sent a second time."""

import datetime
import socket
import threading
import time

import pytest

from tests.fixtures.datastore import make_app
from tests.fixtures.served import LocalServer, wait_for
from tests.test_notifications import board

TRICKLE_SECONDS = 30  # far longer than any deadline below: only a total deadline ends it sooner


class Trickler:
    """A subscriber on 127.0.0.1 that reads the request, then answers a byte every 0.1 s for
    TRICKLE_SECONDS, unless the client hangs up first. Each connection's story is kept as events."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.events = []  # ("request", monotonic) when a request has arrived, ("cut" | "finished", monotonic)
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _note(self, what):
        with self.lock:
            self.events.append((what, time.monotonic()))

    def _accept(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection):
        with connection:
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), b"0"))
            while len(body) < length:
                body += connection.recv(65536)
            self._note("request")
            answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * (TRICKLE_SECONDS * 10)
            try:
                for byte in answer:
                    if self.stopped.is_set():
                        return
                    connection.sendall(bytes([byte]))
                    time.sleep(0.1)
                connection.sendall(b"\r\nContent-Length: 0\r\n\r\n")
                self._note("finished")
            except OSError:  # the client hung up: its deadline cut the answer off
                self._note("cut")

    def count(self, what):
        """How many connections met `what` so far."""
        with self.lock:
            return sum(1 for event, _ in self.events if event == what)

    def stop(self):
        """Stop answering and listening."""
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def trickler():
    server = Trickler()
    yield server
    server.stop()


def post_down(app, token):
    import webtest

    webtest.TestApp(app).post("/admin/api/v1/services/web-api/events", {"status": "down", "message": "x"},
                              headers={"Authorization": f"Bearer {token}"}, status=201)


def sweep(app):
    """One cron sweep, as a worker of its own would run it."""
    from handlers.context import ndb_context
    from workers import notify

    with app.app_context(), ndb_context(app):
        return notify.sweep(app)


def deliveries(app):
    """{subscriber name: (state, attempts, statuses logged)}."""
    from handlers.context import ndb_context
    from models.outbox import Delivery

    with ndb_context(app):
        return {d.subscriber_name: (d.state, d.attempts, [e["status"] for e in d.log or []]) for d in Delivery.newest()}


def test_trickling_subscribers_are_cut_off_at_their_total_deadline_and_delay_no_other(emulator):
    slow = [Trickler(), Trickler()]
    fast = LocalServer([200])
    try:
        app = make_app(OUTBOX_TIMEOUT_SECONDS=4)
        # Named to come first in the sweep's order: a one-by-one sweep would reach "Z fast" last.
        token, _ = board(app, ("A slow", slow[0].url, "json"), ("B slow", slow[1].url, "json"),
                         ("Z fast", fast.url, "json"))
        post_down(app, token)
        started = time.monotonic()
        counts = sweep(app)
        took = time.monotonic() - started
        assert counts["attempted"] == 3 and counts["delivered"] == 1
        assert len(fast.requests) == 1 and [s.count("request") for s in slow] == [1, 1]
        assert wait_for(lambda: all(s.count("cut") == 1 for s in slow), 5)
        # The fast subscriber was told before either slow one was cut off: not after them.
        told = fast.requests[0]["arrived"]
        assert all(told < dict(s.events)["cut"] for s in slow)
        assert took < TRICKLE_SECONDS / 2  # each was cut off at its deadline, long before its answer ended
        states = deliveries(app)
        assert states["Z fast"] == ("delivered", 1, [200])
        assert states["A slow"][:2] == states["B slow"][:2] == ("pending", 1)
    finally:
        for server in slow:
            server.stop()
        fast.stop()


def test_a_delivery_whose_lease_runs_out_while_it_trickles_is_not_sent_again(emulator, trickler, monkeypatch):
    from models import outbox

    monkeypatch.setattr(outbox, "LEASE", datetime.timedelta(seconds=1.5))
    app = make_app(OUTBOX_TIMEOUT_SECONDS=10)  # longer than the lease: the lease must bound the send
    token, _ = board(app, ("Slow hook", trickler.url, "json"))
    post_down(app, token)
    first = threading.Thread(target=sweep, args=(app,))
    first.start()
    assert wait_for(lambda: trickler.count("request"), 5)
    # A second worker sweeps again and again, past the first one's lease.
    until = time.monotonic() + 3
    while time.monotonic() < until:
        sweep(app)
        time.sleep(0.2)
    first.join(timeout=TRICKLE_SECONDS)
    assert trickler.count("request") == 1
    assert deliveries(app)["Slow hook"][:2] == ("pending", 1)


def test_a_worker_held_up_past_its_lease_neither_sends_nor_records_a_second_copy(emulator, monkeypatch):
    from models import outbox
    from workers import notify

    monkeypatch.setattr(outbox, "LEASE", datetime.timedelta(seconds=1))
    server = LocalServer([200])
    held, go_on = threading.Event(), threading.Event()
    real_body_for = notify.body_for

    def body_for(notification, subscriber):
        if threading.current_thread().name == "held-up":  # the first worker stalls before it sends
            held.set()
            go_on.wait(10)
        return real_body_for(notification, subscriber)

    monkeypatch.setattr(notify, "body_for", body_for)
    try:
        app = make_app()
        token, _ = board(app, ("Ops hook", server.url, "json"))
        post_down(app, token)
        first = threading.Thread(target=sweep, args=(app,), name="held-up")
        first.start()
        assert held.wait(5)
        time.sleep(1.2)  # its lease runs out
        assert sweep(app)["delivered"] == 1  # a second worker claims it and sends it
        go_on.set()
        first.join(10)
        assert len(server.requests) == 1
        assert deliveries(app)["Ops hook"] == ("delivered", 2, [200])
    finally:
        go_on.set()
        server.stop()
