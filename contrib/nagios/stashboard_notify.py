#!/usr/bin/env python3
"""Nagios / Icinga notification command for Stashboard: tells the board a check's new state.

Python 3 standard library only: copy this file to the monitoring host, put the
integration's credential (created on the board's admin page "Integrations", of kind
"Nagios / Icinga") in a file only the nagios user can read, and define the command and
contact shown in stashboard.cfg beside this file. A service or host state that is
OK/UP puts the service back to the status it had before; WARNING, CRITICAL, UNKNOWN,
DOWN, UNREACHABLE set it as the integration's rule says (by default Warning, Down,
Warning, Down, Down). Re-sent notifications change nothing.

    stashboard_notify.py --url https://status.example.com --token-file /etc/nagios4/stashboard.token \
        --host "$HOSTNAME$" --service "$SERVICEDESC$" --state "$SERVICESTATE$" \
        --output "$SERVICEOUTPUT$" --type "$NOTIFICATIONTYPE$"

Exits 0 once the board has the notification, 1 when it could not be delivered (after
a few tries), 2 on bad arguments; what went wrong goes to standard error, which
Nagios writes to its log.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

TRIES = 3


def arguments(argv):
    """The command line, with the credential read from --token, --token-file or $STASHBOARD_TOKEN."""
    parser = argparse.ArgumentParser(description="Send a Nagios/Icinga notification to a Stashboard status board.")
    parser.add_argument("--url", required=True, help="the board's address, e.g. https://status.example.com")
    parser.add_argument("--token-file", help="a file holding the integration's credential (sbi_…)")
    parser.add_argument("--token", help="the credential itself (visible to other users in ps: prefer --token-file)")
    parser.add_argument("--host", required=True, help="$HOSTNAME$")
    parser.add_argument("--service", default="", help="$SERVICEDESC$ (leave out for host notifications)")
    parser.add_argument("--state", required=True, help="$SERVICESTATE$ or $HOSTSTATE$")
    parser.add_argument("--output", default="", help="$SERVICEOUTPUT$ or $HOSTOUTPUT$")
    parser.add_argument("--type", default="", help="$NOTIFICATIONTYPE$ (PROBLEM, RECOVERY, …)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the board (default 10)")
    args = parser.parse_args(argv)
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as handle:
            args.token = handle.read().strip()
    args.token = args.token or os.environ.get("STASHBOARD_TOKEN", "")
    if not args.token:
        parser.error("no credential: give --token-file, --token or $STASHBOARD_TOKEN")
    return args


def send(args):
    """POST the notification to <url>/hooks/nagios; answers the board's JSON answer."""
    body = json.dumps({"host": args.host, "service": args.service, "state": args.state, "output": args.output,
                       "type": args.type}).encode()
    request = urllib.request.Request(
        args.url.rstrip("/") + "/hooks/nagios", data=body, method="POST",
        headers={"Authorization": f"Bearer {args.token}", "Content-Type": "application/json",
                 "User-Agent": "stashboard-notify (Nagios)"})
    with urllib.request.urlopen(request, timeout=args.timeout) as response:
        return json.loads(response.read() or b"{}")


def main(argv=None):
    """Send, trying again on network errors and 5xx answers; a 4xx is final (it would fail again)."""
    args = arguments(argv)
    for attempt in range(1, TRIES + 1):
        try:
            answer = send(args)
            print(f"stashboard: {answer}")
            return 0
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:500]
            print(f"stashboard: HTTP {error.code}: {detail}", file=sys.stderr)
            if error.code < 500:
                return 1
        except (OSError, ValueError) as error:
            print(f"stashboard: {error}", file=sys.stderr)
        if attempt < TRIES:
            time.sleep(2 ** attempt)
    return 1


if __name__ == "__main__":
    sys.exit(main())
