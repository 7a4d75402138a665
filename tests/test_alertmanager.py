"""The real Prometheus Alertmanager (Debian's) delivering to the app's hook over HTTP."""

import datetime
import json
import os
import pathlib
import re
import shutil
import subprocess
import urllib.request

import pytest
import yaml

from tests.fixtures.served import wait_for
from tools.emulator import free_port

# The real tools take a while to start: `make monitoring-test` runs these (CI does too).
pytestmark = pytest.mark.monitoring

ALERTMANAGER = os.environ.get("ALERTMANAGER", "/usr/bin/prometheus-alertmanager")
AMTOOL = os.environ.get("AMTOOL", "/usr/bin/amtool")
CONFIG = """
route:
  receiver: stashboard
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 2s
  routes:
  - receiver: intruder
    matchers: ['team="intruder"']
receivers:
- name: stashboard
  webhook_configs:
  - url: {url}/hooks/alertmanager
    send_resolved: true
    http_config:
      authorization:
        type: Bearer
        credentials: {secret}
- name: intruder
  webhook_configs:
  - url: {url}/hooks/alertmanager
    send_resolved: true
    max_alerts: 0
    http_config:
      authorization:
        type: Bearer
        credentials: sbi_0000_not-a-real-credential
"""


def missing(tool):
    """Skip loudly on a developer's machine without the tool; fail under CI, where it must be there."""
    message = f"{tool} is not installed (apt-get install prometheus-alertmanager)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def alertmanager(served, tmp_path):
    """Alertmanager on 127.0.0.1 whose webhook receiver is the served app's /hooks/alertmanager."""
    if not (os.path.exists(ALERTMANAGER) and shutil.which(AMTOOL)):
        missing("Alertmanager")
    secret = served.setup("Web API", "Intruded", kind="alertmanager")
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=served.url, secret=secret))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "alertmanager.log", "wb")
    process = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=debug"],
        stdout=log, stderr=subprocess.STDOUT,
    )

    def ready():
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        assert wait_for(ready, 30), (tmp_path / "alertmanager.log").read_text()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def amtool(url, *args):
    """Run amtool against the Alertmanager at `url`."""
    subprocess.run([AMTOOL, f"--alertmanager.url={url}", *args], check=True, capture_output=True, timeout=30)


def test_alertmanager_firing_turns_the_service_down_resolution_brings_it_back_and_replays_change_nothing(
        served, alertmanager):
    """The resolution is sent with a startsAt other than the firing's, as the other Alertmanager of an HA
    pair may send it: amtool re-adds the alert resolved with an earlier start, and the real Alertmanager
    merges it into the stored alert (keeping the earliest start) before it notifies the resolution."""
    hook = "/hooks/alertmanager"
    labels = ["alertname=CheckoutErrors", "service=web-api", "severity=critical"]
    amtool(alertmanager, "alert", "add", *labels, "--annotation=summary=Checkout returns 502s")
    assert wait_for(lambda: served.statuses("web-api") == ["down"], 20), served.recorder.to(hook)

    # Alertmanager repeats the still-firing group (repeat_interval): the second delivery changes nothing.
    assert wait_for(lambda: len([c for c in served.recorder.to(hook) if c["status"] == 200]) >= 2, 20)
    first, second = [c for c in served.recorder.to(hook) if c["status"] == 200][:2]
    assert json.loads(first["body"])["alerts"][0]["fingerprint"] == json.loads(second["body"])["alerts"][0]["fingerprint"]
    assert served.statuses("web-api") == ["down"]
    replay = served.client.post(hook, first["body"], headers={"Authorization": first["authorization"],
                                                               "Content-Type": "application/json"})
    assert replay.json["changed"] == [] and served.statuses("web-api") == ["down"]

    now = datetime.datetime.now(datetime.UTC)
    ended, peer_start = (f"{now - datetime.timedelta(**ago):%Y-%m-%dT%H:%M:%SZ}" for ago in ({"seconds": 1},
                                                                                           {"minutes": 10}))
    amtool(alertmanager, "alert", "add", *labels, f"--start={peer_start}", f"--end={ended}",
           "--annotation=summary=Checkout returns 502s")
    assert wait_for(lambda: served.statuses("web-api") == ["down", "up"], 20), served.recorder.to(hook)
    resolved = [c for c in served.recorder.to(hook) if json.loads(c["body"])["status"] == "resolved"]
    fired, ends = json.loads(first["body"])["alerts"][0], json.loads(resolved[0]["body"])["alerts"][0]
    assert ends["startsAt"] != fired["startsAt"] and ends["fingerprint"] == fired["fingerprint"]
    served.client.post(hook, resolved[0]["body"], headers={"Authorization": resolved[0]["authorization"],
                                                           "Content-Type": "application/json"})
    assert served.statuses("web-api") == ["down", "up"]

    # A receiver holding a wrong credential is refused, and changes nothing.
    amtool(alertmanager, "alert", "add", "alertname=Sneaky", "service=intruded", "team=intruder", "severity=critical")
    assert wait_for(lambda: [c for c in served.recorder.to(hook) if c["status"] == 401], 20)
    assert served.statuses("intruded") == []


def readme_alertmanager_config():
    """The Alertmanager configuration README.md prints: its yaml block with a route and this board's hook."""
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    blocks = [block for block in re.findall(r"^```yaml\n(.*?)^```$", readme, re.DOTALL | re.MULTILINE)
              if "route:" in block and "/hooks/alertmanager" in block]
    assert len(blocks) == 1, "README.md should print one complete Alertmanager configuration"
    return blocks[0]


def test_the_alertmanager_configuration_in_the_readme_is_accepted_by_amtool_as_printed(tmp_path):
    if not shutil.which(AMTOOL):
        missing("amtool")
    printed = readme_alertmanager_config()
    config = yaml.safe_load(printed)
    receiver = next(r for r in config["receivers"] if r["name"] == config["route"]["receiver"])
    webhook = receiver["webhook_configs"][0]
    assert webhook["url"].endswith("/hooks/alertmanager") and webhook["send_resolved"] is True
    assert webhook["http_config"]["authorization"]["type"] == "Bearer"
    assert webhook["http_config"]["authorization"]["credentials"].startswith("sbi_")
    path = tmp_path / "alertmanager.yml"
    path.write_text(printed)
    checked = subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0 and "SUCCESS" in checked.stdout, checked.stdout + checked.stderr
