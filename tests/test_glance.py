"""The board at a glance: the front page's 90-day bars, the setting that swaps them for the grid,
and the uptime calendars, checked against figures worked out by hand."""

import datetime
import re

import pytest

from models import Event, Installation, Service, install, times
from models.maintenance import maintenance_status
from tests.fixtures.datastore import make_client
from tests.fixtures.sign_in import sign_in_locally

H = 3600.0
DAY = 86400.0


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def midnight():
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def arrange():
    """Three services made 120 days ago, on a board left at its default front page (the bars):
    'web-api' down 03:00-04:00 yesterday, 'email' in maintenance 22:00 three days ago to 02:00
    two days ago, 'fresh' made ten days ago and fine since."""
    install()
    maintenance_status()
    with times.shifted(datetime.timedelta(days=-120)):
        web_api = Service.create("Web API", "The REST API.")
        email = Service.create("Email", "Outbound email.")
    with times.shifted(datetime.timedelta(days=-10, hours=-1)):
        Service.create("Fresh", "Made lately.")
    yesterday = midnight() - datetime.timedelta(days=1)
    Event.post(web_api, "Down.", "down", at=yesterday + datetime.timedelta(hours=3))
    Event.post(Service.get_or_404("web-api"), "Up again.", "up", at=yesterday + datetime.timedelta(hours=4))
    three_days_ago = midnight() - datetime.timedelta(days=3)
    Event.post(email, "Upgrading.", "maintenance", at=three_days_ago + datetime.timedelta(hours=22))
    Event.post(Service.get_or_404("email"), "Done.", "up", at=three_days_ago + datetime.timedelta(hours=26))


@pytest.fixture(scope="module")
def shown(module_app):
    """A client of the module's board (arrange), arranged once; its tests only read."""
    from handlers.context import ndb_context as context

    with context(module_app):
        arrange()
    return make_client(module_app)


def bars(page, service_id):
    """The (class, text alternative) of each day of a service, oldest first (a normal day has no
    class): an item of the strip spanning N days (class sN) stands for each of them."""
    row = page.html.select_one(f'tr[data-service="{service_id}"]')
    days = []
    for li in row.select("ol.bar-strip > li"):
        classes = li.get("class", [])
        span = next((int(name[1:]) for name in classes if re.fullmatch(r"s\d+", name)), 1)
        level = next((name for name in classes if name.startswith("b-")), "b-normal")
        days += [(level, li.select_one("span").text)] * span
    return days


def counted_seconds(days):
    """Seconds in the last `days` days up to now (today so far), as the figures count them."""
    now = utcnow()
    return (days - 1) * DAY + (now - midnight()).total_seconds()


def test_each_service_has_ninety_bars_coloured_by_each_days_worst_status(shown):
    page = shown.get("/")
    web_api, email = bars(page, "web-api"), bars(page, "email")
    assert len(web_api) == len(email) == 90
    yesterday = midnight() - datetime.timedelta(days=1)
    assert web_api[-2] == ("b-error", f"{yesterday:%-d %b %Y}: Down for 1 h")
    assert {level for level, _ in web_api[:-2] + web_api[-1:]} == {"b-normal"}
    # Maintenance over midnight: two hours on each side of it.
    assert [level for level, _ in email[-4:]] == ["b-maintenance", "b-maintenance", "b-normal", "b-normal"]
    assert email[-4][1].endswith("Maintenance for 2 h") and email[-3][1].endswith("Maintenance for 2 h")
    assert email[-1][1].endswith("No problems")


def test_bars_before_a_service_existed_say_no_data(shown):
    fresh = bars(shown.get("/"), "fresh")
    assert [level for level, _ in fresh[:79]] == ["b-none"] * 79
    assert fresh[0][1].endswith("No data")
    assert {level for level, _ in fresh[-10:]} == {"b-normal"}


def test_each_bar_links_to_its_days_events_and_the_strip_is_named(shown):
    row = shown.get("/").html.select_one('tr[data-service="web-api"]')
    strip = row.select_one("ol.bar-strip")
    assert strip["aria-label"] == "Web API, last 90 days"
    yesterday = midnight() - datetime.timedelta(days=1)
    assert [a["href"] for a in strip.select("li a")] == [f"/services/web-api/{yesterday:%Y/%m/%d}"]
    assert not row.select("td.day")


def test_days_without_a_problem_are_one_focusable_item_a_run_with_its_dates(shown):
    """88 days up to the day before yesterday, yesterday's outage, today: three items, not 90 links."""
    strip = shown.get("/").html.select_one('tr[data-service="web-api"] ol.bar-strip')
    items = strip.select(":scope > li")
    first, yesterday, today = (midnight() - datetime.timedelta(days=n) for n in (89, 1, 0))
    before = yesterday - datetime.timedelta(days=1)
    assert [li.get("class") for li in items] == [["s88"], ["b-error"], None]
    start = f"{first:%-d %b}" if first.year == before.year else f"{first:%-d %b %Y}"
    assert items[0].span.text == f"{start} – {before:%-d %b %Y}: No problems"
    assert items[2].span.text == f"{today:%-d %b %Y}: No problems"
    assert [li.get("tabindex") for li in items] == ["0", None, "0"] and not items[0].a
    # Days before a service existed are a run of their own.
    fresh = shown.get("/").html.select('tr[data-service="fresh"] ol.bar-strip > li')
    assert [li.get("class") for li in fresh] == [["s79", "b-none"], ["s10"], None]


def test_a_runs_dates_and_words_are_in_the_readers_language(shown):
    from babel.dates import format_interval

    item = shown.get("/?lang=fr").html.select_one('tr[data-service="web-api"] ol.bar-strip > li')
    first, before = (midnight().date() - datetime.timedelta(days=n) for n in (89, 2))
    assert item.span.text.startswith(format_interval(first, before, "yMMMd", locale="fr") + " : ")  # French spacing
    assert "No problems" not in item.span.text


def test_the_ninety_day_uptime_beside_the_bars_matches_the_hand_computed_figure(shown):
    page = shown.get("/")

    def figure(service_id):
        text = page.html.select_one(f'tr[data-service="{service_id}"] .uptime-figure').text
        return re.match(r"([\d.]+) % uptime over 90 days", text).group(1)

    assert figure("web-api") == f"{100 * (1 - H / counted_seconds(90)):.2f}"
    assert figure("email") == "100.00"  # maintenance is left out, not counted as down


def test_the_uptime_calendar_of_a_service_has_its_months_days_and_figures(shown):
    page = shown.get("/services/web-api/uptime")
    months = page.html.select("section.calendar-month")
    today = midnight().date()
    oldest = today - datetime.timedelta(days=99)  # as far back as the rollups are kept
    expected = []
    month = today.replace(day=1)
    while month >= oldest.replace(day=1):
        expected.append(f"{month:%Y-%m}")
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    assert [section["data-month"] for section in months] == expected
    yesterday = today - datetime.timedelta(days=1)
    section = next(s for s in months if s["data-month"] == f"{yesterday:%Y-%m}")
    day = section.select("li.calendar-day")[yesterday.day - 1]
    assert day["class"][1] == "b-error" and day.select_one(".visually-hidden").text.endswith("Down for 1 h")
    assert day.a["href"] == f"/services/web-api/{yesterday:%Y/%m/%d}"
    # The month's figure: its days in the window, today so far, one hour down.
    in_month = [yesterday.replace(day=n) for n in range(1, 32) if _valid(yesterday, n)]
    seconds = sum(counted_seconds(1) if date == today else DAY for date in in_month if oldest <= date <= today)
    figure = section.select_one(".month-uptime").text
    assert figure == f"{100 * (1 - H / seconds):.3f} % uptime"
    # Days before the window and after today have no data.
    first = months[-1].select("li.calendar-day")
    assert first[0]["class"][1] == "b-none" or oldest.day == 1


def _valid(date, day):
    try:
        date.replace(day=day)
    except ValueError:
        return False
    return True


def test_the_board_calendar_shows_each_days_worst_across_services(shown):
    page = shown.get("/uptime")
    yesterday = midnight().date() - datetime.timedelta(days=1)
    section = page.html.select_one(f'section[data-month="{yesterday:%Y-%m}"]')
    day = section.select("li.calendar-day")[yesterday.day - 1]
    assert day["class"][1] == "b-error"
    assert day.select_one(".visually-hidden").text.endswith("Down on 1 service")


def test_an_unknown_services_calendar_is_a_404_page(shown):
    page = shown.get("/services/no-such-service/uptime", status=404)
    assert "text/html" in page.content_type


def test_the_board_setting_switches_the_front_page_between_bars_and_grid(client, ndb_context):
    install()
    Event.post(Service.create("Solo", "One service."), "Down.", "down")
    sign_in_locally(client)
    # The process's first look at a board whose services changed reads their rows (one RPC more).
    client.get("/api/v1/services")
    # No look at other instances' writes during the pages compared (one RPC more, every few seconds).
    client.app.wsgi_app.next_check = float("inf")
    bars_page = client.get("/")
    assert bars_page.html.select('tr[data-service="solo"] .bar-strip li') and not bars_page.html.select("td.day")
    assert bars(bars_page, "solo")[-1][0] == "b-error"
    form = client.get("/admin/settings").forms["settings-form"]
    assert form["front_page"].value == "bars"
    form["front_page"] = "grid"
    form.submit(status=302)
    grid = client.get("/")
    cells = grid.html.select('tr[data-service="solo"] td.day')
    assert len(cells) == 5 and "Down" in cells[0].img["alt"] and not grid.html.select(".bar-strip")
    assert _rpcs(grid) == _rpcs(bars_page)
    entry = client.get("/admin/audit").html.text
    assert "front_page" in entry and "grid" in entry
    # A value that is not a choice is refused on the form, never a 500.
    form = client.get("/admin/settings").forms["settings-form"]
    refused = client.post("/admin/settings", {"csrf_token": form["csrf_token"].value, "front_page": "pie"}, status=400)
    assert "Not a valid choice" in refused.text
    assert Installation.load().front_page == "grid"


def _rpcs(response):
    return int(re.search(r'datastore;desc="rpc=(\d+)"', response.headers["Server-Timing"]).group(1))


def test_bars_worked_out_in_two_parts_match_one_walk_back_from_now(ndb_context):
    """The days before today are kept per card; with an event today they start from its status."""
    from models import Snapshot, glance

    install()
    with times.shifted(datetime.timedelta(days=-120)):
        service = Service.create("Split", "Changes today.")
    Event.post(service, "Down.", "down", at=midnight() - datetime.timedelta(days=2, hours=-5))
    Event.post(Service.get_or_404("split"), "Slow.", "warning", at=min(midnight() + datetime.timedelta(seconds=1), utcnow()))
    board = Snapshot.now()
    row, now = board.rows[0], utcnow()
    bars, figure = glance.bars_of(row, board, now)
    whole, spent = glance._service_days(row, board, glance.dates_back(90, now), now)
    assert [(bar.level, bar.label()) for bar in bars] == [(bar.level, bar.label()) for bar in whole[::-1]]
    # Down from two days ago until a warning today: today's worst is still the outage.
    assert [bar.level for bar in bars[-4:]] == ["normal", "error", "error", "error"]
    assert figure.percent == pytest.approx(glance.uptime.figure_of(glance._summed(spent), board, 90).percent)


def test_a_run_is_named_by_its_first_and_last_days_and_a_problem_day_breaks_it():
    """Runs across a year's end name both years; a day with a problem stays its own bar."""
    import types

    from models import glance

    down, day = types.SimpleNamespace(name="Down"), datetime.date
    items = glance.runs_of([glance.Bar(day(2025, 12, 30), counted=DAY), glance.Bar(day(2026, 1, 1), counted=DAY),
                            glance.Bar(day(2026, 1, 2), down, H, DAY, level="error"),
                            glance.Bar(day(2026, 1, 3)), glance.Bar(day(2026, 1, 4)),
                            glance.Bar(day(2026, 1, 5), counted=DAY)])
    assert [item.label() for item in items] == [
        "30 Dec 2025 – 1 Jan 2026: No problems", "2 Jan 2026: Down for 1 h",
        "3 Jan – 4 Jan 2026: No data", "5 Jan 2026: No problems"]
    assert [getattr(item, "days", None) for item in items] == [2, None, 2, 1]
