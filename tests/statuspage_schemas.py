"""JSON Schemas of Statuspage's public API v2 answers, written from its documentation
(https://metastatuspage.com/api/v2/ and Atlassian's "Status API" reference): field names,
enums and timestamp format, so an answer that validates reads like a Statuspage page's."""

TIMESTAMP = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$"}
MAYBE_TIMESTAMP = {"anyOf": [TIMESTAMP, {"type": "null"}]}
TEXT = {"type": "string"}
MAYBE_TEXT = {"type": ["string", "null"]}
COMPONENT_STATUS = {"enum": ["operational", "degraded_performance", "partial_outage", "major_outage",
                             "under_maintenance"]}
IMPACT = {"enum": ["none", "minor", "major", "critical"]}

PAGE = {
    "type": "object",
    "required": ["id", "name", "url", "time_zone", "updated_at"],
    "properties": {"id": TEXT, "name": TEXT, "url": {"type": "string", "pattern": "^https?://"},
                   "time_zone": TEXT, "updated_at": TIMESTAMP},
}
STATUS = {
    "type": "object",
    "required": ["indicator", "description"],
    # Live pages also answer "maintenance" while a component is under maintenance.
    "properties": {"indicator": {"enum": [*IMPACT["enum"], "maintenance"]}, "description": TEXT},
    "additionalProperties": False,
}
COMPONENT = {
    "type": "object",
    "required": ["id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
                 "start_date", "group_id", "page_id", "group", "only_show_if_degraded"],
    "properties": {
        "id": TEXT, "name": TEXT, "status": COMPONENT_STATUS, "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
        "position": {"type": "integer"}, "description": MAYBE_TEXT, "showcase": {"type": "boolean"},
        "start_date": {"anyOf": [{"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}, {"type": "null"}]},
        "group_id": MAYBE_TEXT, "page_id": TEXT, "group": {"type": "boolean"},
        "only_show_if_degraded": {"type": "boolean"}, "components": {"type": "array", "items": TEXT},
    },
    "if": {"properties": {"group": {"const": True}}},
    "then": {"required": ["components"]},
}
AFFECTED = {
    "type": "object",
    "required": ["code", "name", "old_status", "new_status"],
    "properties": {"code": TEXT, "name": TEXT, "old_status": COMPONENT_STATUS, "new_status": COMPONENT_STATUS},
}


def _update(statuses):
    return {
        "type": "object",
        "required": ["id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
                     "affected_components"],
        "properties": {
            "id": TEXT, "status": {"enum": statuses}, "body": TEXT, "incident_id": TEXT, "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP, "display_at": TIMESTAMP,
            "affected_components": {"anyOf": [{"type": "array", "items": AFFECTED}, {"type": "null"}]},
        },
    }


INCIDENT_STATES = ["investigating", "identified", "monitoring", "resolved", "postmortem"]
MAINTENANCE_STATES = ["scheduled", "in_progress", "verifying", "completed"]
INCIDENT = {
    "type": "object",
    "required": ["id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
                 "shortlink", "started_at", "page_id", "incident_updates", "components"],
    "properties": {
        "id": TEXT, "name": TEXT, "status": {"enum": INCIDENT_STATES}, "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP, "monitoring_at": MAYBE_TIMESTAMP, "resolved_at": MAYBE_TIMESTAMP, "impact": IMPACT,
        "shortlink": {"type": "string", "pattern": "^https?://"}, "started_at": TIMESTAMP, "page_id": TEXT,
        "incident_updates": {"type": "array", "items": _update(INCIDENT_STATES)},
        "components": {"type": "array", "items": COMPONENT},
    },
}
MAINTENANCE = {
    "type": "object",
    "required": [*INCIDENT["required"], "scheduled_for", "scheduled_until"],
    "properties": {
        **INCIDENT["properties"], "status": {"enum": MAINTENANCE_STATES}, "impact": {"enum": ["maintenance", *IMPACT["enum"]]},
        "incident_updates": {"type": "array", "items": _update(MAINTENANCE_STATES)},
        "scheduled_for": TIMESTAMP, "scheduled_until": TIMESTAMP,
    },
}


# A subscriber, as Statuspage's subscriber endpoints answer one (e-mail mode).
SUBSCRIBER = {
    "type": "object",
    "required": ["id", "mode", "email", "skip_confirmation_notification", "quarantined_at", "purge_at",
                 "components", "created_at"],
    "properties": {
        "id": TEXT, "mode": {"enum": ["email", "sms", "webhook", "slack", "teams"]}, "email": TEXT,
        "skip_confirmation_notification": {"type": "boolean"}, "endpoint": MAYBE_TEXT, "phone_number": MAYBE_TEXT,
        "phone_country": MAYBE_TEXT, "display_phone_number": MAYBE_TEXT, "obfuscated_channel_name": MAYBE_TEXT,
        "workspace_name": MAYBE_TEXT, "quarantined_at": MAYBE_TIMESTAMP, "purge_at": MAYBE_TIMESTAMP,
        "components": {"type": "array", "items": TEXT}, "page_access_user_id": MAYBE_TEXT, "created_at": TIMESTAMP,
    },
}
# An error answer: Statuspage's documented error object (a message, and the HTTP status as its code).
ERROR = {"type": "object", "required": ["message"], "properties": {"message": TEXT, "code": {"type": "integer"}}}


def answer(**parts):
    """The schema of an answer: `page` and the named parts."""
    return {"type": "object", "required": ["page", *parts], "properties": {"page": PAGE, **parts}}


def listing(item):
    return {"type": "array", "items": item}


ENDPOINTS = {
    "/api/v2/summary.json": answer(components=listing(COMPONENT), incidents=listing(INCIDENT),
                                   scheduled_maintenances=listing(MAINTENANCE), status=STATUS),
    "/api/v2/status.json": answer(status=STATUS),
    "/api/v2/components.json": answer(components=listing(COMPONENT)),
    "/api/v2/components/{component_id}.json": answer(component=COMPONENT),
    "/api/v2/incidents.json": answer(incidents=listing(INCIDENT)),
    "/api/v2/incidents/unresolved.json": answer(incidents=listing(INCIDENT)),
    "/api/v2/scheduled-maintenances.json": answer(scheduled_maintenances=listing(MAINTENANCE)),
    "/api/v2/scheduled-maintenances/upcoming.json": answer(scheduled_maintenances=listing(MAINTENANCE)),
    "/api/v2/scheduled-maintenances/active.json": answer(scheduled_maintenances=listing(MAINTENANCE)),
}
