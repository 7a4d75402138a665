"""Response-time charts on the service page: inline SVG drawn from day buckets, bounded
whatever was recorded, with a table alternative, kept by the page cache for a minute."""

import datetime
import re

import pytest

from models import Service, times
from models.probes import Probe
from models.series import PROBE, SeriesDay
from tests.fixtures.datastore import make_client

pytestmark = pytest.mark.one_board


def cache_state(response):
    match = re.search(r'cache;desc="(\w+)"', response.headers["Server-Timing"])
    return match.group(1) if match else None


@pytest.fixture(scope="module")
def shown(module_app):
    """'web-api' with 30 days of response times every 5 minutes (batched) and a probe; 'quiet' with none."""
    from handlers.context import ndb_context

    with ndb_context(module_app):
        Service.create("Web API", "The REST API.")
        Service.create("Quiet", "No probe.")
        now = times.utcnow()
        points = [(now - datetime.timedelta(minutes=5 * n), 100 + n % 7) for n in range(30 * 288)]
        SeriesDay.add("web-api", PROBE, points)
        Probe.configure("web-api", "https://example.com/health")
    return make_client(module_app)


@pytest.mark.parametrize("period, most", [("24h", 96), ("7d", 168), ("30d", 180)])
def test_each_period_is_one_bounded_chart_with_its_table(shown, period, most):
    page = shown.get(f"/services/web-api?period={period}")
    figure = page.html.select_one("figure.chart")
    assert figure.select_one("svg path.chart-line")["d"].startswith("M")
    rows = figure.select("details table tbody tr")
    assert 0.9 * most <= len(rows) <= most
    assert "lowest 100.0 ms, highest 106.0 ms" in " ".join(figure.figcaption.get_text().split())
    assert page.html.select_one(f'.periods a[aria-current="page"][href$="period={period}"]') is not None


def test_the_page_has_no_inline_style_or_script_and_a_bad_period_is_a_400_page(shown):
    page = shown.get("/services/web-api")
    assert not page.html.select("[style], style, script:not([src])")
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    refused = shown.get("/services/web-api?period=1y", status=400)
    assert refused.content_type == "text/html" and "period" in refused.text


def test_a_service_with_no_response_times_shows_no_chart(shown):
    assert shown.get("/services/quiet").html.select_one("figure.chart") is None


def test_a_probe_check_adds_to_the_chart_and_the_kept_page_is_redrawn_within_a_minute(shown, module_app):
    from handlers.context import ndb_context

    first = shown.get("/services/web-api?period=24h")
    assert cache_state(shown.get("/services/web-api?period=24h")) == "hit"
    with ndb_context(module_app):
        Probe.of("web-api").record(True, 200, None, 5000)
    assert "highest 106.0 ms" in first.text
    assert cache_state(shown.get("/services/web-api?period=24h")) == "hit"  # not audited: kept a while
    with times.shifted(datetime.timedelta(seconds=61)):
        again = shown.get("/services/web-api?period=24h")
    assert cache_state(again) == "miss"
    assert "highest 5,000.0 ms" in " ".join(again.text.split())  # grouped as English writes it


def test_a_gap_breaks_the_line_and_small_or_negative_values_get_a_readable_axis():
    from handlers.site.charts import draw
    from models.series import PERIODS, Bucket, Chart

    start = datetime.datetime(2026, 1, 1)
    buckets = [Bucket(start + n * datetime.timedelta(minutes=15)) for n in range(96)]
    buckets[3].merge(1, -2.5, -2.5, -2.5)
    buckets[4].merge(2, 0.01, 0.004, 0.006)
    buckets[10].merge(1, 0.002, 0.002, 0.002)
    drawing = draw(Chart("errors", PERIODS["24h"], buckets))
    assert (drawing.top, drawing.floor) == ("0.01", "-5")
    assert drawing.line.count("M") == 2 and drawing.band.count("Z") == 2
    assert drawing.low == -2.5 and drawing.high == 0.006
