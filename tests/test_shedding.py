"""Load shedding: beyond a few costly renders at once, a costly route answers 503 with
Retry-After at once, in its surface's shape, while cheap routes and cache hits still answer."""

import contextlib
import threading
import time

import pytest

from handlers.shedding import Budget, Limiter, first_renders_of, limiter_of
from tests.fixtures.datastore import make_client
from tests.test_cache import cache_state, seed

pytestmark = pytest.mark.one_board

EVENTS = "/api/v1/services/service-000/events"
ADMIN_EVENTS = "/admin/api/v1/services/service-000/events"


@pytest.fixture(scope="module")
def board(module_app):
    """One service with a few events, read by every test (nothing here writes)."""
    seed(module_app, services=1, lists=1)
    return module_app


@contextlib.contextmanager
def every_slot_taken(app):
    """Hold all of the app's costly-render slots, as renders under way would."""
    limiter = limiter_of(app)
    held = 0
    while limiter.slots.acquire(blocking=False):
        held += 1
    try:
        yield
    finally:
        for _ in range(held):
            limiter.release()


def archive_path():
    """This year's archive of the service (the seeded events are today's)."""
    return f"/services/service-000/{time.gmtime().tm_year}"


def test_a_costly_api_route_beyond_the_limit_answers_503_json_with_retry_after_at_once(board):
    client = make_client(board)
    with every_slot_taken(board):
        for path in (f"{EVENTS}?start=2001-01-01", f"{ADMIN_EVENTS}?end=2099-01-01"):
            started = time.monotonic()
            answer = client.get(path, status=503)
            assert time.monotonic() - started < 2
            assert answer.content_type == "application/json"
            assert answer.json["code"] == 503 and "retry" in answer.json["message"]
            assert int(answer.headers["Retry-After"]) > 0
            assert "no-store" in answer.headers["Cache-Control"]


def test_a_costly_page_beyond_the_limit_answers_the_sites_error_page(board):
    client = make_client(board)
    with every_slot_taken(board):
        answer = client.get(archive_path(), status=503)
    assert answer.content_type == "text/html"
    assert "retry" in answer.text and "<html" in answer.text.lower()
    assert int(answer.headers["Retry-After"]) > 0


def test_cheap_routes_answer_while_every_costly_slot_is_taken(board):
    client = make_client(board)
    with every_slot_taken(board):
        assert client.get("/api/v1/services").json["services"]
        client.get("/services/service-000")
        client.get("/services/no-such-service", status=404)
        client.get("/made/up/path", status=404)


def test_cache_hits_take_no_slot(board):
    client = make_client(board)
    client.get(EVENTS)
    page = archive_path()
    client.get(page)
    with every_slot_taken(board):
        assert cache_state(client.get(EVENTS)) == "hit"
        assert cache_state(client.get(page)) == "hit"


def test_a_render_gives_its_slot_back_however_it_ends(board):
    client = make_client(board)
    client.get(f"{EVENTS}?cursor=notacursorofthisquery", status=400)
    client.get("/api/v1/services/no-such-service/events", status=404)
    client.get(f"{ADMIN_EVENTS}?start=2002-01-01")
    limiter = limiter_of(board)
    with every_slot_taken(board):
        pass
    taken = [limiter.slots.acquire(blocking=False) for _ in range(board.config["COSTLY_RENDERS"])]
    assert all(taken)
    for _ in taken:
        limiter.release()


def test_a_request_waits_briefly_for_a_slot_freed_meanwhile_and_only_one_waits():
    limiter = Limiter(slots=1, wait=2)
    assert limiter.admit()
    outcomes = []
    waiter = threading.Thread(target=lambda: outcomes.append(limiter.admit()))
    waiter.start()
    while not limiter.waiting:
        time.sleep(0.01)
    started = time.monotonic()
    assert not limiter.admit()  # a second would queue behind the first: told to retry at once
    assert time.monotonic() - started < 0.1
    limiter.release()
    waiter.join()
    assert outcomes == [True]
    limiter.release()


def test_costly_renders_that_spent_the_time_budget_are_shed_until_it_refills():
    now = [0.0]
    budget = Budget(share=0.5, burst=3, clock=lambda: now[0])
    limiter = Limiter(slots=2, wait=0, budget=budget)
    assert limiter.admit()
    limiter.release(seconds=4)  # one long render spends more than the saved-up burst
    assert not limiter.admit()  # one at a time or not: the budget is spent
    now[0] += 1.0  # half a second of rendering came back: -1 + 0.5 left
    assert not limiter.admit()
    now[0] += 1.5  # 0.25 s left
    assert limiter.admit()
    limiter.release(seconds=0.1)
    now[0] += 60  # a quiet minute refills it no further than the burst
    assert budget.available() and budget.left == 3


def test_a_spent_budget_sheds_costly_pages_while_the_board_still_answers(board):
    client = make_client(board)
    budget = limiter_of(board).budget
    saved = budget.left
    budget.spend(budget.left + 1000)
    try:
        answer = client.get(f"{ADMIN_EVENTS}?start=2004-01-01", status=503)
        assert int(answer.headers["Retry-After"]) > 0
        assert client.get("/api/v1/services").json["services"]
    finally:
        budget.spend(budget.left - saved)


def test_a_costly_render_in_progress_leaves_cheap_requests_answered(board, monkeypatch):
    """Threads: two slow costly renders hold the slots; a third is shed, the board still answers."""
    from handlers.api import views

    release = threading.Event()
    original = views.Event.page_for_service

    def slow_page(*args, **kwargs):
        release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(views.Event, "page_for_service", slow_page)
    client = make_client(board)
    slots = board.config["COSTLY_RENDERS"]
    results = []
    renders = [threading.Thread(target=lambda n=n: results.append(client.get(f"{ADMIN_EVENTS}?start=2003-01-0{n + 1}")))
               for n in range(slots)]
    for thread in renders:
        thread.start()
    try:
        deadline = time.monotonic() + 5
        while limiter_of(board).slots._value and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        client.get(f"{ADMIN_EVENTS}?start=2004-01-01", status=503)
        assert client.get("/api/v1/services").status_int == 200
        assert time.monotonic() - started < 2
    finally:
        release.set()
        for thread in renders:
            thread.join()
    assert [answer.status_int for answer in results] == [200] * slots


def test_with_every_first_render_slot_taken_a_new_answer_is_shed_but_hits_and_refreshes_are_not(board):
    client = make_client(board)
    assert client.get("/api/v1/services").status_int == 200  # kept: a hit from now on
    client.get("/service-lists", status=200)
    board.extensions["stashboard.page_cache"].invalidate(["board"])  # /service-lists is now stale
    firsts = first_renders_of(board)
    held = 0
    while firsts.slots.acquire(blocking=False):
        held += 1
    try:
        assert held == board.config["FIRST_RENDERS"]
        client.get("/made/up/path", status=404)  # no view declared it: nothing to render
        answer = client.get("/services/never-rendered-before", status=503)
        assert int(answer.headers["Retry-After"]) > 0
        # A page readers have had is refreshed all the same.
        assert cache_state(client.get("/service-lists", status=200)) == "miss"
    finally:
        for _ in range(held):
            firsts.release()
    client.get("/services/never-rendered-before", status=404)


def test_a_costly_private_render_needs_a_first_render_slot_too(board):
    # The admin root's event pages are never cached: with every first-render slot taken they are
    # refused at once, though a costly slot is free, so they can never hold every thread.
    client = make_client(board)
    firsts = first_renders_of(board)
    held = 0
    while firsts.slots.acquire(blocking=False):
        held += 1
    try:
        answer = client.get(ADMIN_EVENTS, status=503)
        assert answer.content_type == "application/json" and int(answer.headers["Retry-After"]) > 0
    finally:
        for _ in range(held):
            firsts.release()
    assert client.get(ADMIN_EVENTS).status_int == 200
