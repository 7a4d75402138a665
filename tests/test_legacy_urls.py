"""What Stashboard 1.x deployments left in the wild keeps answering: bookmarked archive links with
unpadded months and days, and the traffic-light images the original widget shows."""

import datetime

import pytest

from handlers.context import ndb_context
from models import Event, Service

WIDGET_IMAGES = ("green", "yellow", "red")


@pytest.fixture
def payments(app):
    """A service with an event on 7 May 2024."""
    with ndb_context(app):
        service = Service.create("Payments", "Card payments.")
        Event.post(service, "Card payments are failing.", "down", at=datetime.datetime(2024, 5, 7, 9, 30))


@pytest.mark.parametrize(("old", "new"), [
    ("/services/payments/2024/5/7", "/services/payments/2024/05/07"),
    ("/services/payments/2024/05/7", "/services/payments/2024/05/07"),
    ("/services/payments/2024/5/07", "/services/payments/2024/05/07"),
    ("/services/payments/2024/5", "/services/payments/2024/05"),
])
def test_an_old_unpadded_archive_link_leads_to_its_page(client, payments, old, new):
    moved = client.get(old, status=301)
    assert moved.headers["Location"].endswith(new)
    page = moved.follow(status=200)
    assert "Card payments are failing." in page.text


@pytest.mark.parametrize("path", ["/services/payments/2024/05/07", "/services/payments/2024/05", "/services/payments/2024"])
def test_padded_archive_links_answer_as_before(client, payments, path):
    assert "Card payments are failing." in client.get(path, status=200).text


@pytest.mark.parametrize("path", ["/services/payments/2024/2/30", "/services/payments/2024/13/1",
                                  "/services/nothing/2024/5/7"])
def test_an_old_link_to_no_such_day_or_service_is_a_404(client, payments, path):
    client.get(path, status=404)


@pytest.mark.parametrize("colour", WIDGET_IMAGES)
def test_the_old_widgets_traffic_lights_are_served(client, colour):
    response = client.get(f"/images/widget/{colour}.png", status=200)
    assert response.content_type == "image/png"
    assert response.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert "public" in response.headers["Cache-Control"]
