"""System metrics: admins push points of a named series; readers get them bucketed, bounded,
on the API and as charts on the service page. A push is kept whole or not at all."""

import datetime

import pytest

from models import times
from tests.helpers import assert_json_error

pytestmark = pytest.mark.one_board


def iso(delta):
    return (times.utcnow() + delta).isoformat() + "Z"


def read(client, service_id, period="24h"):
    return {metric["name"]: metric for metric in client.get(f"/api/v1/services/{service_id}/metrics?period={period}").json["metrics"]}


def make(admin, name):
    admin.post("/services", {"name": name, "description": "Metrics."}, status=201)


def test_pushed_points_are_read_back_bucketed_and_charted(admin, client):
    make(admin, "Queue")
    one = admin.post("/services/queue/metrics/depth", {"value": "12.5"}, status=201).json
    assert one["accepted"] == 1 and one["url"].endswith("/admin/api/v1/services/queue/metrics")
    batch = [{"value": 2, "timestamp": iso(-datetime.timedelta(days=3))}, {"value": 7.5}, {"value": 0.5}]
    assert admin.post_json("/services/queue/metrics/depth", {"data": batch}, status=201).json["accepted"] == 3
    day = read(client, "queue")["depth"]
    assert day["period"] == "24h" and day["bucket_seconds"] == 900
    assert [(p["count"], p["min"], p["max"]) for p in day["points"]] == [(3, 0.5, 12.5)]
    assert day["points"][0]["avg"] == pytest.approx(20.5 / 3)
    month = read(client, "queue", "30d")["depth"]
    assert sum(point["count"] for point in month["points"]) == 4 and len(month["points"]) == 2
    page = client.get("/services/queue?period=7d")
    assert "depth" in page.html.select_one("figure.chart figcaption").text


@pytest.mark.parametrize("body, message", [
    ({"data": [{"value": 1}, {"value": float("nan")}]}, "data[1]: 'value' must be a finite number"),
    ({"data": [{"value": 1}, {"value": 2, "timestamp": "2001-01-01T00:00:00Z"}]}, "within the last 30 days"),
    ({"data": [{"value": 1}, {"value": True}]}, "data[1]: 'value' must be a number"),
    ({"data": [{"value": 1}] * 1001}, "At most 1000 points"),
    ({"data": []}, "Give a 'value'"),
    ({"timestamp": "2026-01-01"}, "Give a 'value'"),
    ({"value": 1, "timestamp": "yesterday"}, "ISO 8601"),
    ([1, 2], "must be an object"),
])
def test_a_bad_push_is_a_clear_400_and_keeps_nothing(admin, client, body, message):
    if client.get("/api/v1/services/refused", status="*").status_int == 404:
        make(admin, "Refused")
    response = admin.post_json("/services/refused/metrics/load", body, status=400)
    assert_json_error(response, 400)
    assert message in response.json["message"]
    assert read(client, "refused") == {}


def test_names_are_slugs_a_service_has_at_most_20_series_and_writes_need_an_admin(admin, client):
    make(admin, "Many")
    assert "lower-case" in admin.post("/services/many/metrics/Not%20a%20slug", {"value": 1}, status=400).json["message"]
    for n in range(20):
        admin.post(f"/services/many/metrics/m{n:02d}", {"value": n}, status=201)
    refused = admin.post("/services/many/metrics/one-more", {"value": 1}, status=400)
    assert "at most 20 metrics" in refused.json["message"]
    assert len(read(client, "many")) == 20
    admin.post("/services/many/metrics/m00", {"value": 1}, status=201)  # an existing one still takes points
    assert_json_error(client.post("/admin/api/v1/services/many/metrics/m00", {"value": 1}, status=401), 401)
    assert_json_error(client.post("/api/v1/services/many/metrics", {"value": 1}, status=405), 405)
    assert_json_error(client.get("/api/v1/services/many/metrics?period=1y", status=400), 400)
