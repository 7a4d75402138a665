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
