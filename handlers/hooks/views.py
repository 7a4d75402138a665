"""The hook endpoints: authenticate the integration, read its tool's payload, apply the alerts."""

import json

from flask import Blueprint, abort, request

from handlers.auth.credentials import bearer_token
from handlers.hooks import payloads
from handlers.responses import json_response
from models.alert_inbox import receive
from models.integrations import KINDS, Integration

bp = Blueprint("hooks", __name__, url_prefix="/hooks")


def integration_for(kind):
    """The live integration of this request's bearer credential, which must be of `kind` (401, 403)."""
    secret = bearer_token()
    if secret is None:
        abort(401, "This hook needs an integration credential: send 'Authorization: Bearer sbi_…'.")
    integration = Integration.authenticate(secret)
    if integration is None:
        abort(401, "The integration credential is not valid: it is unknown, malformed or revoked.")
    if integration.kind != kind:
        abort(403, f"This credential belongs to a {KINDS[integration.kind]} integration; "
                   f"it posts to /hooks/{integration.kind}.")
    return integration


def json_body():
    """The request's JSON body (whatever its Content-Type), or 400 saying what is wrong with it."""
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        abort(400, f"The body must be JSON (UTF-8): {error}.")
    except RecursionError:  # main.py refuses deep nesting first; this keeps it a 400 regardless
        abort(400, "The JSON body is nested too deeply.")


def answer(alerts, outcome, strict=False):
    """What was done; `strict` hooks (one alert from a script) answer 404 for an unknown service."""
    if strict and outcome["unmatched"]:
        abort(404, f"No service '{outcome['unmatched'][0]}' (nor one mapped from that name by the integration's rule).")
    return json_response({"alerts": len(alerts), **outcome})


@bp.post("/alertmanager")
def alertmanager():
    """Prometheus Alertmanager's webhook: firing alerts set their services' status, resolved ones undo it."""
    integration = integration_for("alertmanager")
    alerts = payloads.alertmanager(json_body(), integration.service_label)
    return answer(alerts, receive(integration, alerts))


@bp.post("/pagerduty")
def pagerduty():
    """PagerDuty's V3 webhook, its signature checked: triggered incidents set status, resolved ones undo it."""
    integration = integration_for("pagerduty")
    raw = request.get_data(cache=True)
    if not payloads.pagerduty_signature_ok(integration.signing_secret, raw, request.headers.get("X-PagerDuty-Signature")):
        abort(401, "The X-PagerDuty-Signature header does not match the body and this integration's signing secret.")
    alerts = payloads.pagerduty(json_body())
    return answer(alerts, receive(integration, alerts))


@bp.post("/generic")
def generic():
    """Any script: {"service": id or name, "status": a status or severity (up/ok resolves), "message": text}."""
    integration = integration_for("generic")
    alerts = payloads.generic(json_body())
    return answer(alerts, receive(integration, alerts), strict=True)


@bp.post("/nagios")
def nagios():
    """The shipped Nagios/Icinga notification command: a check's state sets its service's status."""
    integration = integration_for("nagios")
    alerts = payloads.nagios(json_body(), integration.service_label)
    return answer(alerts, receive(integration, alerts), strict=True)
