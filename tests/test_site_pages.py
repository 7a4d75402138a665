"""The public status site's pages, rendered by the app against the emulator."""

import datetime
import re

import pytest

from models import Event, Installation, Service, ServiceList, install
from tests.fixtures.datastore import make_client

XSS = "<script>alert(1)</script>"


def now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def midnight():
    return now().replace(hour=0, minute=0, second=0, microsecond=0)


def arrange():
    """Two lists, three services and a little history, arranged through the models, on a board
    whose front page shows the grid (tests/test_glance.py reads the bars)."""
    install()
    Installation.choose_front_page("grid")
    ServiceList.create("Core", "The API and the site.")
    ServiceList.create("Messaging", "Email and SMS.")
    services = {
        "web-api": Service.create("Web API", "The REST API.", "core"),
        "email": Service.create("Email", "Outbound email.", "messaging"),
        "status-feed": Service.create("Status feed", "Listed nowhere.", None),
    }
    week_ago = midnight() - datetime.timedelta(days=7)
    for service in services.values():
        Event.post(service, f"{service.name} is up.", "up", at=week_ago)
    return services


@pytest.fixture
def board(ndb_context):
    """The board (arrange) on the test's own namespace, for a test that posts or deletes."""
    return arrange()


# One board for the module's tests that only read it: arranging a board costs more than reading it.
@pytest.fixture(scope="module")
def shown(module_app):
    """A client of the module's board (arrange), arranged once; its tests only read."""
    from handlers.context import ndb_context as context

    with context(module_app):
        arrange()
    return make_client(module_app)


def post(service_id, message, status=None, informational=None, at=None):
    return Event.post(Service.get_or_404(service_id), message, status, informational, at=at).event


def test_front_page_says_all_systems_operational_when_every_service_is_up(shown):
    client = shown
    page = client.get("/")
    assert page.status_int == 200
    assert "All systems operational" in page.html.find("h1").text
    assert [row["data-service"] for row in page.html.select("tr.service-row")] == [
        "web-api", "email", "status-feed",
    ]


def test_front_page_names_the_worst_level_and_the_affected_services(client, board):
    post("email", "Delays.", "warning")
    post("web-api", "The API is down.", "down")
    page = client.get("/")
    banner = page.html.select_one(".banner")
    assert banner.h1.text == "Some services are down"
    assert [li.text for li in banner.select(".affected li")] == ["Web API: Down", "Email: Warning"]
    row = page.html.select_one('tr[data-service="web-api"]')
    assert "Down" in row.select_one(".status").text
    assert "The API is down." in row.select_one(".message").text


def test_front_page_groups_services_by_list_with_unlisted_services_last(shown):
    client = shown
    groups = [th.text.strip() for th in client.get("/").html.select(".group-row th")]
    assert groups == ["Core", "Messaging", "Other services"]


def test_history_grid_has_history_days_columns_linking_to_each_days_archive(client, board):
    yesterday = midnight() - datetime.timedelta(days=1)
    post("web-api", "Down for an hour.", "down", at=yesterday + datetime.timedelta(hours=3))
    post("web-api", "Back up.", "up", at=yesterday + datetime.timedelta(hours=4))
    row = client.get("/").html.select_one('tr[data-service="web-api"]')
    cells = row.select("td.day")
    assert len(cells) == 5  # HISTORY_DAYS defaults to 5, as in the original
    today_cell, yesterday_cell = cells[0], cells[1]
    assert "No problems" in today_cell.img["alt"]
    assert "Down" in yesterday_cell.img["alt"]
    assert yesterday_cell.a["href"] == f"/services/web-api/{yesterday:%Y/%m/%d}"
    assert all("No problems" in cell.img["alt"] for cell in cells[2:])


def test_history_grid_carries_an_unresolved_problem_into_the_following_days(client, board):
    post("email", "Down since two days ago.", "down", at=midnight() - datetime.timedelta(days=2, hours=-1))
    cells = client.get("/").html.select_one('tr[data-service="email"]').select("td.day")
    assert ["Down" in cell.img["alt"] for cell in cells] == [True, True, True, False, False]


def test_history_grid_shows_a_service_down_since_before_the_window_on_every_day(client, board):
    post("email", "Down since six days ago.", "down", at=midnight() - datetime.timedelta(days=6, hours=-2))
    cells = client.get("/").html.select_one('tr[data-service="email"]').select("td.day")
    assert len(cells) == 5
    assert all("Down" in cell.img["alt"] for cell in cells)
    list_cells = client.get("/service-lists/messaging").html.select_one('tr[data-service="email"]').select("td.day")
    assert all("Down" in cell.img["alt"] for cell in list_cells)


def test_deleting_an_event_takes_it_out_of_the_history_grid(client, board):
    yesterday = midnight() - datetime.timedelta(days=1)
    down = post("web-api", "Down for an hour.", "down", at=yesterday + datetime.timedelta(hours=3))
    assert "Down" in client.get("/").html.select_one('tr[data-service="web-api"]').select("td.day")[0].img["alt"]
    down.delete()
    row = client.get("/").html.select_one('tr[data-service="web-api"]')
    assert all("No problems" in cell.img["alt"] for cell in row.select("td.day"))
    assert "Up" in row.select_one(".status").text


def test_history_days_is_configurable(emulator):
    from tests.fixtures.datastore import make_app
    import webtest

    app = make_app(HISTORY_DAYS=9)
    client = webtest.TestApp(app)
    with app.app_context():
        from handlers.context import ndb_context

        with ndb_context(app):
            install()
            Installation.choose_front_page("grid")
            Service.create("Solo", "One service.")
    assert len(client.get("/").html.select("thead th.day-col")) == 9


def test_a_note_posted_today_on_an_up_service_shows_on_the_front_page(client, board):
    post("email", "Maintenance tonight at 23:00 UTC.", informational="true")
    row = client.get("/").html.select_one('tr[data-service="email"]')
    assert "Up" in row.select_one(".status").text
    assert "Note:" in row.select_one(".message").text
    assert "Maintenance tonight" in row.select_one(".message").text
    assert "note posted" in row.select("td.day")[0].img["alt"]


def test_legend_names_every_status_and_the_note(shown):
    client = shown
    legend = client.get("/").html.select_one(".legend").text
    for name in ("Up", "Warning", "Down", "Note"):
        assert name in legend


def test_service_page_shows_status_description_and_events_newest_first(client, board):
    post("web-api", "Slow responses.", "warning")
    post("web-api", "Fast again.", "up")
    page = client.get("/services/web-api")
    assert page.html.h1.text == "Web API"
    assert "The REST API." in page.html.select_one(".description").text
    messages = [p.text for p in page.html.select(".events .message")]
    assert messages == ["Fast again.", "Slow responses.", "Web API is up."]
    assert page.html.select_one(".service-head .status").text.strip() == "Up"
    assert str(midnight().year) in [a.text for a in page.html.select(".archives a")]


@pytest.mark.parametrize(
    "path",
    ["/services/nope", "/services/nope/2024", "/services/web-api/2024/13", "/services/web-api/2024/02/30",
     "/services/web-api/0000", "/services/web-api/2024/123", "/service-lists/nope"],
)
def test_unknown_ids_and_impossible_dates_answer_the_sites_404_page(shown, path):
    client = shown
    page = client.get(path, status=404)
    assert page.content_type == "text/html"
    assert "Back to the status page" in page.text
    assert "Traceback" not in page.text


def test_day_archive_shows_that_days_events_with_previous_and_next_links(client, board):
    day = midnight() - datetime.timedelta(days=2)
    post("web-api", "Before.", "warning", at=day - datetime.timedelta(hours=1))
    post("web-api", "During.", "down", at=day + datetime.timedelta(hours=10))
    post("web-api", "After.", "up", at=day + datetime.timedelta(days=1, hours=1))
    page = client.get(f"/services/web-api/{day:%Y/%m/%d}")
    assert [p.text for p in page.html.select(".events .message")] == ["During."]
    before, after = day - datetime.timedelta(days=1), day + datetime.timedelta(days=1)
    assert page.html.select_one('a[rel="prev"]')["href"] == f"/services/web-api/{before:%Y/%m/%d}"
    assert page.html.select_one('a[rel="next"]')["href"] == f"/services/web-api/{after:%Y/%m/%d}"


def test_archive_has_no_next_link_for_a_period_not_begun(shown):
    client = shown
    page = client.get(f"/services/web-api/{midnight():%Y/%m/%d}")
    assert page.html.select_one('a[rel="next"]') is None
    assert page.html.select_one('a[rel="prev"]') is not None


def test_month_and_year_archives_cover_their_whole_period(shown):
    client = shown
    year_page = client.get(f"/services/web-api/{midnight():%Y}")
    month_page = client.get(f"/services/web-api/{midnight():%Y/%m}")
    assert "Web API is up." in year_page.text or midnight().month == 1 and midnight().day <= 7
    assert len(year_page.html.select('nav[aria-label="Months"] a')) == 12
    assert month_page.status_int == 200
    previous_year = client.get(f"/services/web-api/{midnight().year - 1}")
    assert previous_year.html.select_one('a[rel="next"]')["href"] == f"/services/web-api/{midnight():%Y}"


def test_service_lists_filter_by_list_and_status_repeatably(client, board):
    post("email", "Delays.", "warning")
    everything = client.get("/service-lists")
    assert len(everything.html.select("tr.service-row")) == 3
    core = client.get("/service-lists?filter=core")
    assert [r["data-service"] for r in core.html.select("tr.service-row")] == ["web-api"]
    both = client.get("/service-lists?filter=core&filter=messaging")
    assert len(both.html.select("tr.service-row")) == 2
    warning = client.get("/service-lists?status=warning")
    assert [r["data-service"] for r in warning.html.select("tr.service-row")] == ["email"]
    up_in_messaging = client.get("/service-lists?filter=messaging&status=up")
    assert up_in_messaging.html.select("tr.service-row") == []
    assert "No services match." in up_in_messaging.text


@pytest.mark.parametrize("query", ["filter=nope", "status=nope", "filter=core&status=%3Cb%3E"])
def test_service_lists_refuse_unknown_filters_with_a_friendly_400(shown, query):
    client = shown
    page = client.get(f"/service-lists?{query}", status=400)
    assert page.content_type == "text/html"
    assert "Back to the status page" in page.text
    assert "<b>" not in page.text


def test_service_list_page_shows_only_its_services(shown):
    client = shown
    page = client.get("/service-lists/messaging")
    assert page.html.h1.text == "Messaging"
    assert [r["data-service"] for r in page.html.select("tr.service-row")] == ["email"]


def test_summary_shows_each_lists_worst_current_status(client, board):
    post("email", "Delays.", "warning")
    rows = {row["data-list"]: row for row in client.get("/summary").html.select("tbody tr")}
    assert set(rows) == {"core", "messaging", ""}
    assert rows["core"].select_one(".status").text.strip() == "Up"
    assert rows["messaging"].select_one(".status").text.strip() == "Warning"
    assert "1 affected" in rows["messaging"].text


def test_documentation_lists_every_api_route_with_its_docstring(shown):
    client = shown
    from handlers.api import READ_ROUTES, WRITE_ROUTES

    text = " ".join(client.get("/documentation").html.get_text().split())
    for rule, _, view in READ_ROUTES:
        assert "/api/v1" + re.sub(r"<([^>]+)>", r"{\1}", rule) in text
        assert " ".join(view.__doc__.split()) in text
    for rule, method, view in WRITE_ROUTES:
        assert " ".join(view.__doc__.split()) in text
    assert "widget.js" in text and "curl" in text


@pytest.mark.parametrize(
    "path", ["/", "/services/web-api", "/service-lists", "/service-lists/core", "/summary", "/documentation",
             "/services/web-api/2024", "/rss", "/atom"],
)
def test_public_pages_set_no_cookie_and_may_be_cached_for_a_minute(shown, path):
    client = shown
    response = client.get(path)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400"


def test_event_messages_and_names_are_escaped_on_every_page(client, board):
    ServiceList.create(f"List {XSS}", "x")
    Service.create(f"Svc {XSS}", XSS, "list-script-alert-1-script")
    post("web-api", XSS, "down")
    for path in ["/", "/services/web-api", f"/services/web-api/{midnight():%Y/%m/%d}", "/service-lists",
                 "/service-lists/list-script-alert-1-script", "/summary", "/services/svc-script-alert-1-script"]:
        text = client.get(path).text
        assert XSS not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path


def test_favicon_and_robots_are_served(shown):
    client = shown
    assert client.get("/favicon.ico").content_type == "image/svg+xml"
    assert "Disallow: /admin/" in client.get("/robots.txt").text


def test_site_pages_are_not_the_api_json_errors(shown):
    client = shown
    response = client.get("/no-such-page", status=404)
    assert response.content_type == "text/html"
    assert "Back to the status page" in response.text
