"""The real Nagios 4 (Debian's) with the shipped notification command and object definitions.

One service checks a local port with check_tcp every second (interval_length=1): closed,
the check goes CRITICAL and its notification turns the board's service Down; opened, the
recovery brings it back Up. `make nagios-test` runs this with the Alertmanager test.
"""

import os
import pathlib
import socket
import subprocess
import sys

import pytest

from tests.fixtures.served import wait_for
from tools.emulator import free_port

# The real tools take a while to start: `make monitoring-test` runs these (CI does too).
pytestmark = pytest.mark.monitoring

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAGIOS = os.environ.get("NAGIOS", "/usr/sbin/nagios4")
PLUGINS = pathlib.Path(os.environ.get("NAGIOS_PLUGINS", "/usr/lib/nagios/plugins"))
SHIPPED = ROOT / "contrib" / "nagios"
MAIN_CONFIG = """
log_file={dir}/nagios.log
cfg_file={dir}/objects.cfg
cfg_file={dir}/stashboard.cfg
object_cache_file={dir}/objects.cache
precached_object_file={dir}/objects.precache
status_file={dir}/status.dat
temp_file={dir}/nagios.tmp
temp_path={dir}
lock_file={dir}/nagios.lock
check_result_path={dir}/checkresults
state_retention_file={dir}/retention.dat
retain_state_information=0
nagios_user={user}
nagios_group={group}
check_external_commands=0
interval_length=1
status_update_interval=1
check_result_reaper_frequency=1
max_check_result_reaper_time=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
max_service_check_spread=1
max_host_check_spread=1
execute_service_checks=1
execute_host_checks=1
enable_notifications=1
enable_event_handlers=0
enable_flap_detection=0
use_syslog=0
log_notifications=1
date_format=iso8601
"""
OBJECTS = """
define timeperiod {{
    timeperiod_name 24x7
    alias           Always
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}}
define command {{
    command_name    check_local_port
    command_line    {plugins}/check_tcp -H 127.0.0.1 -p $ARG1$ -t 2
}}
define command {{
    command_name    check_always_up
    command_line    {plugins}/check_dummy 0
}}
define host {{
    host_name               web1
    address                 127.0.0.1
    check_command           check_always_up
    max_check_attempts      1
    check_interval          3600
    check_period            24x7
    notification_period     24x7
    notification_interval   0
    contacts                stashboard
}}
define service {{
    host_name               web1
    service_description     Web API
    check_command           check_local_port!{port}
    max_check_attempts      2
    check_interval          1
    retry_interval          1
    check_period            24x7
    notification_period     24x7
    notification_interval   0
    notification_options    w,u,c,r
    contacts                stashboard
}}
"""


def shipped_objects(url, token_file):
    """The shipped stashboard.cfg, pointed at this checkout's script, the served board and the credential."""
    text = (SHIPPED / "stashboard.cfg").read_text()
    return (text.replace("/usr/bin/python3", sys.executable)
            .replace("/usr/local/lib/stashboard/stashboard_notify.py", str(SHIPPED / "stashboard_notify.py"))
            .replace("https://status.example.com", url)
            .replace("/etc/nagios4/stashboard.token", str(token_file)))


@pytest.fixture
def nagios(served, tmp_path):
    """Nagios 4 in the foreground on a private configuration; yields (port it checks, log path)."""
    if not (os.path.exists(NAGIOS) and (PLUGINS / "check_tcp").exists()):
        message = "Nagios 4 and its plugins are not installed (apt-get install nagios4-core monitoring-plugins-basic)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    secret = served.setup("Web API", kind="nagios")
    token_file = tmp_path / "stashboard.token"
    token_file.write_text(secret + "\n")
    (tmp_path / "checkresults").mkdir()
    port = free_port()
    import grp
    import pwd

    user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    (tmp_path / "nagios.cfg").write_text(MAIN_CONFIG.format(dir=tmp_path, user=user, group=group))
    (tmp_path / "objects.cfg").write_text(OBJECTS.format(plugins=PLUGINS, port=port))
    (tmp_path / "stashboard.cfg").write_text(shipped_objects(served.url, token_file))
    verify = subprocess.run([NAGIOS, "-v", str(tmp_path / "nagios.cfg")], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    process = subprocess.Popen([NAGIOS, str(tmp_path / "nagios.cfg")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        yield port, tmp_path / "nagios.log"
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_nagios_notifications_turn_the_board_down_then_back_up(served, nagios):
    port, log = nagios

    def logged():
        return log.read_text() if log.exists() else ""

    assert wait_for(lambda: served.statuses("web-api") == ["down"], 30, step=0.2), logged()
    assert "SERVICE NOTIFICATION: stashboard;web1;Web API;CRITICAL" in logged()
    listener = socket.create_server(("127.0.0.1", port))
    try:
        assert wait_for(lambda: served.statuses("web-api") == ["down", "up"], 30, step=0.2), logged()
    finally:
        listener.close()
    events = served.client.get("/api/v1/services/web-api/events").json["events"]
    assert events[1]["message"].startswith("Web API on web1: CRITICAL")
    assert events[0]["message"].startswith("Resolved: Web API on web1: OK")
