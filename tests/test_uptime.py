"""Uptime from the day rollups: exact to the second across day and month boundaries, at flat cost."""

import datetime

import pytest

from models import Snapshot, Event, Service, install, utcnow
from models import times, uptime
from models.maintenance import maintenance_status

H = 3600.0
DAY = 86400.0


@pytest.fixture
def month_start(ndb_context):
    """The first of this month (UTC), on a board with a maintenance status."""
    install()
    maintenance_status()
    return utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def at(base, days=0, hours=0, minutes=0, seconds=0.0):
    return base + datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def card_of(slug):
    board = Snapshot.now()
    return board, next(row.service for row in board.rows if row.service.slug == slug)


def test_uptime_matches_hand_computed_intervals_across_day_and_month_boundaries(month_start):
    with times.shifted(datetime.timedelta(days=-120)):
        service = Service.create("Checkout", "Payments.")
    m = month_start
    Event.post(service, "Down since 22:00 on the month's last day.", "down", at=at(m, days=-1, hours=22))
    Event.post(Service.get_or_404("checkout"), "Slow.", "warning", at=at(m, hours=1, minutes=30))
    Event.post(Service.get_or_404("checkout"), "Fine.", "up", at=at(m, hours=1, minutes=45, seconds=30))
    Event.post(Service.get_or_404("checkout"), "Upgrading.", "maintenance", at=at(m, days=1, hours=23))
    Event.post(Service.get_or_404("checkout"), "Done.", "up", at=at(m, days=2, hours=2))
    Event.post(Service.get_or_404("checkout"), "A note.", informational="true", at=at(m, days=2, hours=3))
    now = at(m, days=2, hours=6)
    board, card = card_of("checkout")
    for days in (30, 90):
        figure = uptime.of(card, board, days, now=now)
        window = (days - 1) * DAY + 6 * H
        assert figure.down == pytest.approx(3.5 * H, abs=1e-3)  # 22:00 → 01:30, over the month's turn
        assert figure.degraded == pytest.approx(15.5 * 60, abs=1e-3)  # 01:30 → 01:45:30
        assert figure.maintenance == pytest.approx(3 * H, abs=1e-3)  # 23:00 → 02:00, over a day's turn
        assert figure.up == pytest.approx(window - 3.5 * H - 930 - 3 * H, abs=1e-3)
        assert figure.percent == pytest.approx(100 * (1 - 3.5 * H / (window - 3 * H)))
    # Rebuilding the rollups from the events gives the same seconds.
    stored = Service.get_or_404("checkout").days
    assert Event.rebuild(service.key) is False
    assert Service.get_or_404("checkout").days == stored


def test_time_before_a_service_existed_is_not_counted(month_start):
    target = at(month_start, days=1, hours=12)
    with times.shifted(target - utcnow()):
        service = Service.create("Search", "Finds things.")
    created = Service.get_or_404("search").created
    Event.post(service, "Broken.", "down", at=at(month_start, days=1, hours=18))
    now = at(month_start, days=2, hours=6)
    board, card = card_of("search")
    figure = uptime.of(card, board, 90, now=now)
    assert figure.up == pytest.approx((at(month_start, days=1, hours=18) - created).total_seconds(), abs=1e-3)
    assert figure.down == pytest.approx(12 * H, abs=1e-3)


def test_a_service_with_no_event_is_up_all_along_and_ninety_days_read_nothing_more(month_start, app):
    with times.shifted(datetime.timedelta(days=-200)):
        Service.create("Quiet", "Nothing happens.")
    board, card = card_of("quiet")
    now = utcnow()
    figure = uptime.of(card, board, 90, now=now)
    assert figure.percent == 100.0 and figure.down == 0
    assert figure.counted == pytest.approx(89 * DAY + (now - times.utc_midnight(now)).total_seconds(), abs=1e-3)


def test_uptime_counts_from_a_first_event_dated_before_the_service_entity(month_start):
    created_at = at(month_start, days=2, hours=12)
    with times.shifted(created_at - utcnow()):
        service = Service.create("Legacy", "Migrated from 1.x.")
    # Events from before the entity existed (as a 1.x migration writes them), by hand:
    first, slow, fine = at(month_start, hours=9), at(month_start, days=1, hours=3), at(month_start, days=1, hours=5)
    Event.post(service, "Up since 09:00 on the 1st.", "up", at=first)
    Event.post(Service.get_or_404("legacy"), "Slow.", "down", at=slow)
    Event.post(Service.get_or_404("legacy"), "Fine.", "up", at=fine)
    now = at(month_start, days=3, hours=6)
    board, card = card_of("legacy")
    figure = uptime.of(card, board, 90, now=now)
    # 09:00 on day 0 to 06:00 on day 3 is 15 h + 2 days + 6 h = 69 h; down 03:00 → 05:00 on day 1.
    assert figure.counted == pytest.approx(69 * H, abs=1e-3)
    assert figure.down == pytest.approx(2 * H, abs=1e-3)
    assert figure.up == pytest.approx(67 * H, abs=1e-3)
    assert figure.percent == pytest.approx(100 * 67 / 69)


def test_a_rollup_from_before_rollups_noted_their_first_event_still_counts_from_creation(month_start):
    from models import history

    created = at(month_start, days=1, hours=12)
    old_rollup = {at(month_start, days=1).date().isoformat(): {"start": None, "statuses": ["down"], "note": False,
                                                               "secs": {"": 18 * H}, "last": 18 * H}}
    assert history.first_event(old_rollup, created) is None
    earlier = {at(month_start).date().isoformat(): old_rollup.popitem()[1]}
    assert history.first_event(earlier, created) == month_start


# --- the service pages: figures checked against the events, computed here without models/uptime.py ---

KIND = {"NORMAL": "up", "WARNING": "degraded", "ERROR": "down", "CRITICAL": "down"}


def by_hand(client, service_id, days, now):
    """{"up", "degraded", "down"} seconds over the page's `days`, from the events the API lists.

    The period is today so far and the whole UTC days before it, from the service's first
    event on (every service here was created after it); time in "maintenance" is left out.
    """
    import email.utils

    levels = {s["id"]: s["level"] for s in client.get("/api/v1/statuses").json["statuses"]}
    events = client.get(f"/api/v1/services/{service_id}/events").json["events"]
    changes = sorted((email.utils.parsedate_to_datetime(e["timestamp"]), e["status"]["id"])
                     for e in events if not e["informational"])
    start = max(times.utc_midnight(now) - datetime.timedelta(days=days - 1), changes[0][0])
    seconds = {"up": 0.0, "degraded": 0.0, "down": 0.0}
    for (begins, status), (ends, _) in zip(changes, [*changes[1:], (now, None)]):
        begins, ends = max(begins, start), min(ends, now)
        if ends > begins and status != "maintenance":
            seconds[KIND[levels[status]]] += (ends - begins).total_seconds()
    return seconds


def shown(page, days):
    """(percent up, percent degraded, percent down) the service page shows for `days`, or None."""
    import re

    block = page.html.select_one(f'div[data-days="{days}"] dd').get_text(" ", strip=True)
    if "no time counted yet" in block:
        return None
    numbers = re.match(r"([\d.]+) % up \(([\d.]+) % degraded, ([\d.]+) % down", block)
    assert numbers, block
    return tuple(float(n) for n in numbers.groups())


def assert_page_matches_events(client, service_id):
    """The service page's 30- and 90-day figures are those computed by hand from its events."""
    page = client.get(f"/services/{service_id}")
    now = datetime.datetime.now(datetime.UTC)
    for days in uptime.PERIODS:
        seconds = by_hand(client, service_id, days, now)
        counted = sum(seconds.values())
        expected = None if not counted else (100 * (1 - seconds["down"] / counted),
                                             100 * seconds["degraded"] / counted, 100 * seconds["down"] / counted)
        figures = shown(page, days)
        assert (figures is None) == (expected is None), (service_id, days, figures)
        if expected:
            assert figures == pytest.approx(expected, abs=0.002), (service_id, days)
    return page


def test_the_demo_boards_service_pages_show_the_uptime_its_events_make(app, client):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--probe-days", "1"])
    assert result.exit_code == 0, result.output
    services = [s["id"] for s in client.get("/api/v1/services").json["services"]]
    assert {"payments", "website", "email", "sms", "web-api", "webhooks"} <= set(services)
    for service_id in services:
        assert_page_matches_events(client, service_id)
    # Payments was down 09:30 → 11:00 three days ago: 1.5 h of the 29 days before today and today so far.
    assert shown(client.get("/services/payments"), 30)[2] > 0.2


def test_a_board_migrated_from_1x_shows_uptime_over_its_migrated_days(app, client, legacy_board):
    from tests.fixtures.legacy import _put
    from tests.test_legacy_migration import run_migration

    # The Web API was down for two hours three days ago, in 1.x, long before the migration.
    down_at = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3)).replace(microsecond=0)
    for at, status in ((down_at, "down"), (down_at + datetime.timedelta(hours=2), "up")):
        _put(legacy_board.client, "Event", {"start": at, "informational": False, "message": f"Now {status}",
                                            "status": legacy_board.keys[f"status:{status}"],
                                            "service": legacy_board.keys["service:web-api"]}, unindexed=("message",))
    assert run_migration(app)["finished"] is True
    # Counted from the first event (2011), not from the service's creation by the migration
    # just now: the two hours down show in both periods.
    page = assert_page_matches_events(client, "web-api")
    for days in uptime.PERIODS:
        up, degraded, down = shown(page, days)
        assert down == pytest.approx(100 * 2 * H / ((days - 1) * DAY + seconds_today()), abs=0.002)
        assert 99 < up < 100
    # Down (Meltdown, CRITICAL) since yesterday: nothing but down; in maintenance since 2011: nothing counted.
    assert shown(assert_page_matches_events(client, "data-store"), 30) == (0.0, 0.0, 100.0)
    assert shown(assert_page_matches_events(client, "website"), 90) is None


def seconds_today():
    now = datetime.datetime.now(datetime.UTC)
    return (now - times.utc_midnight(now)).total_seconds()


@pytest.mark.parametrize("seconds", [0.1, 0.3, 7.7, 86399.9])
def test_a_service_down_all_the_time_shows_zero_up_never_below(seconds):
    # 100 * 0.1 / 0.1 is 100.00000000000001 in floating point: the page showed "-0.000 % up".
    figure = uptime.Uptime(30, down=seconds)
    assert (figure.percent, figure.share("down"), figure.share("up")) == (0.0, 100.0, 0.0)
