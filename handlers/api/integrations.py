"""Integrations on the admin API: scripts create, list and revoke the credentials monitoring
tools post alerts with (/hooks/<kind>), as admins do on the Integrations page.

Only under /admin/api/v1, and every route (reads too) needs an admin credential: an
integration's rule and use are the board's configuration, not public. The credential is in
the answer that creates it only; it is stored hashed, a PagerDuty signing secret sealed,
and each change is audited as made by the admin behind the request.
"""

from flask import url_for
from marshmallow import Schema, fields, pre_load

from handlers.api.params import Fields, Ref, Text
from handlers.api.schemas import HttpDate, Url, url
from handlers.responses import json_response
from models import InvalidInput
from models.audit import current_actor
from models.fields import NAME_MAX
from models.integrations import KINDS, Integration

RULE = "`name = id` lines, or in a JSON body an object of names to ids."


class IntegrationSchema(Schema):
    """A monitoring tool allowed to post alerts, with its mapping rule; never its credential."""

    id = fields.String(attribute="token_id", required=True, metadata={"example": "3f9a0c1b2d4e"})
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    hook = Url(lambda integration: url_for(f"hooks.{integration.kind}", _external=True),
               metadata={"description": "Where the tool posts its alerts."})
    service_label = fields.String(required=True)
    services = fields.Function(lambda integration: dict(integration.services or {}), required=True)
    severities = fields.Function(lambda integration: dict(integration.severities or {}), required=True)
    default_status = fields.String(required=True)
    signing_secret = fields.Function(lambda integration: bool(integration.signing_secret), required=True,
                                     metadata={"description": "Whether a signing secret is kept (never shown)."})
    created_by = fields.String(required=True)
    created = HttpDate(required=True)
    last_used = HttpDate(required=True, allow_none=True)
    revoked = HttpDate(required=True, allow_none=True)
    url = Url(lambda integration: url("integration", integration_id=integration.token_id))


class IntegrationFields(Fields):
    """The fields that create an integration (its rule as on the admin UI's form)."""

    name = Text(NAME_MAX, "Prod Alertmanager", f"At most {NAME_MAX} characters.", required=True)
    kind = fields.String(required=True, allow_none=True, metadata={"enum": list(KINDS)})
    service_label = Ref(100, "service", "The label or field naming the service (default: service).")
    services = fields.String(allow_none=True, metadata={"description": f"Names to service ids: {RULE}"})
    severities = fields.String(allow_none=True, metadata={"description": f"Severities to status ids: {RULE}"})
    default_status = Ref(100, "down", "The status of a severity not mapped (default: down).")
    signing_secret = fields.String(allow_none=True, metadata={"description": "PagerDuty: the subscription's secret."})

    @pre_load
    def as_text(self, data, **kwargs):
        """The rule's tables may come as JSON objects: as the `name = id` lines the model reads."""
        if isinstance(data, dict):
            data = dict(data)
            for name in ("services", "severities"):
                table = data.get(name)
                if isinstance(table, dict):
                    if not all(isinstance(value, str) for value in table.values()):
                        raise InvalidInput(f"'{name}' must map names to ids (strings).")
                    data[name] = "\n".join(f"{key} = {value}" for key, value in table.items())
        return Fields.as_text(self, data, **kwargs)


def integration_json(integration, **extra):
    """The Integration object (and `extra` keys, the new credential once)."""
    return {**IntegrationSchema().dump(integration), **extra}


def list_integrations():
    """Every integration, newest first, revoked ones too."""
    return json_response({"integrations": [integration_json(i) for i in Integration.newest()]})


def get_integration(integration_id):
    """One integration."""
    return json_response(integration_json(Integration.find(integration_id)))


def create_integration():
    """Create an integration: name and kind required; the answer holds its credential, shown only this once."""
    given = IntegrationFields.read()
    integration, secret = Integration.issue(
        given.get("name"), given.get("kind"), created_by=current_actor().email,
        service_label=given.get("service_label"), services=given.get("services") or "",
        severities=given.get("severities") or "", default_status=given.get("default_status"),
        signing_secret=given.get("signing_secret"))
    return json_response(integration_json(integration, secret=secret), 201)


def revoke_integration(integration_id):
    """Revoke an integration: its next alert is refused; answers it, revoked."""
    return json_response(integration_json(Integration.find(integration_id).revoke()))
