"""Probes: a local HTTP server going down and up gives exactly one Down and one Up, blips give none."""

import datetime

import pytest
import webtest

from tests.fixtures.datastore import make_app
from tests.fixtures.served import LocalServer
from models import times


def test_a_server_going_down_and_up_posts_exactly_one_down_and_one_up(emulator):
    from handlers.context import ndb_context
    from models import Service, install
    from models.probes import Probe, ProbeResult

    app = make_app()
    target = LocalServer([200])
    port = target.port
    with app.app_context(), ndb_context(app):
        install()
        Service.create("Web API", "The API.")
        Probe.configure("web-api", target.url, interval=1, threshold=3, recovery=2, timeout=2)
    client = webtest.TestApp(app)
    clock = 0.0

    def run(answers=None):
        """One cron run, the server answering `answers` (a status) or refusing connections (None)."""
        nonlocal target, clock
        if answers is None and target is not None:
            target.stop()
            target = None
        elif answers is not None:
            if target is None:
                target = LocalServer([answers], port=port)
            target.answers = [answers]
        with times.shifted(datetime.timedelta(seconds=clock)):
            assert client.get("/_tasks/probes").json["checked"] == 1
        clock += 1.0  # the next check is due a second (the interval) later on the board's clock

    try:
        # up, a blip, up; down for three checks (Down after the third); up, a blip, up, up (Up after two), up.
        for answer in (200, 503, 200, None, None, None, 200, 500, 200, 200, 200):
            run(answer)
    finally:
        if target is not None:
            target.stop()
    events = client.get("/api/v1/services/web-api/events").json["events"]
    assert [e["status"]["id"] for e in reversed(events)] == ["down", "up"]
    assert "Probe failed 3 times in a row" in events[-1]["message"]
    with ndb_context(app):
        results = ProbeResult.newest("web-api")
    oldest_first = list(reversed(results))
    assert [r.ok for r in oldest_first] == [True, False, True, False, False, False, True, False, True, True, True]
    assert [r.status for r in oldest_first[:4]] == [200, 503, 200, None]


@pytest.mark.parametrize("settings, message", [
    ({"url": "ftp://x"}, "http"), ({"url": "http://x", "threshold": 0}, "threshold"),
    ({"url": "http://x", "interval": "soon"}, "interval"), ({"url": "http://x", "down_status": "nope"}, "nope"),
])
def test_bad_probe_settings_are_refused(ndb_context, settings, message):
    from models import InvalidInput, NotFound, Service, install
    from models.probes import Probe

    install()
    Service.create("Web API", "The API.")
    with pytest.raises((InvalidInput, NotFound)) as refused:
        Probe.configure("web-api", **settings)
    assert message in refused.value.message
    assert Probe.of("web-api") is None
