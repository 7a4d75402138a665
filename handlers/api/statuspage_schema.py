"""The Statuspage-compatible /api/v2's objects, each declared once as a marshmallow schema.

A schema shapes the answer (`dump`), and handlers/api/statuspage_openapi.py turns the same
schemas into /api/v2's OpenAPI description. The fields' order is the JSON keys' order
Statuspage answers in. Every schema is made with the answer's view of the board (`page`,
handlers/api/statuspage.py's Page), which maps statuses and keeps the per-card shapes; a
field that needs the board asks it. What the schemas dump besides the models (a component's
place in the list, an update with the notice it belongs to) is in statuspage_records.py.
"""

import functools

from flask import url_for
from marshmallow import Schema, fields
from marshmallow.validate import OneOf

from handlers.api.schemas import Shaped
from handlers.api.statuspage_records import Told
from models.incident import IMPACTS, STATES as INCIDENT_STATES, Update
from models.maintenance import STATES as MAINTENANCE_STATES
from models.times import iso_ms

# The mapping (docs/statuspage.md): a status level as a component status, and as the page's indicator.
COMPONENT_STATUS = {"NORMAL": "operational", "WARNING": "degraded_performance", "ERROR": "partial_outage",
                    "CRITICAL": "major_outage"}
UNDER_MAINTENANCE_STATUS = "under_maintenance"
COMPONENT_STATUSES = [*COMPONENT_STATUS.values(), UNDER_MAINTENANCE_STATUS]
INDICATOR = {"NORMAL": "none", "WARNING": "minor", "ERROR": "major", "CRITICAL": "critical"}
DESCRIPTION = {"none": "All Systems Operational", "minor": "Minor Service Outage", "major": "Partial System Outage",
               "critical": "Major Service Outage"}
UNDER_MAINTENANCE = "Service Under Maintenance"
# The indicator live Statuspage pages give during maintenance (a board setting: models/status.py's Installation).
MAINTENANCE_INDICATOR = "maintenance"
# Statuspage's last incident state: resolved, and its postmortem published (models/incident.py's field).
POSTMORTEM = "postmortem"
# Statuspage writes times in UTC with milliseconds: 2026-11-23T14:03:00.000Z.
ISO_MS = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
ABSOLUTE_URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
# Not among the states a window shows on /api/v2 (cancelled ones are left out).
SHOWN_MAINTENANCE_STATES = [state for state in MAINTENANCE_STATES if state != "cancelled"]


# --- field kinds ---------------------------------------------------------------


class IsoTime(fields.Field):
    """A naive UTC datetime written as Statuspage writes it; read from the object (an attribute, or
    `get`, for one another field reads too) or worked out by a method of the schema (`method`)."""

    def __init__(self, method=None, get=None, **kwargs):
        metadata = {"type": "string", "format": "date-time", "pattern": ISO_MS, "example": "2026-11-23T14:03:00.000Z",
                    **kwargs.pop("metadata", {})}
        super().__init__(required=True, metadata=metadata, **kwargs)
        self.method, self.get = method, get

    def get_value(self, obj, attr, **kwargs):
        """The datetime: the object's attribute, `get`'s or the schema's method's answer."""
        if self.get:
            return self.get(obj)
        if self.method:
            return getattr(self.parent, self.method)(obj)
        return super().get_value(obj, attr, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else iso_ms(value)


def constant(value, **metadata):
    """A field every object of the kind answers with the same value (Statuspage's, for its readers)."""
    if value is None:  # Constant(None) allows None, which apispec adds to the type: give none
        return fields.Constant(None, required=True, metadata={"enum": [None], **metadata})
    kind = {bool: "boolean", str: "string"}[type(value)]
    return fields.Constant(value, required=True, metadata={"type": kind, "enum": [value], **metadata})


def text(attribute=None, **metadata):
    """A text field read from the object."""
    return fields.String(attribute=attribute, required=True, metadata=metadata)


def maybe_text(make, **metadata):
    """A text field that is null when the object leaves it blank."""
    return fields.Function(make, required=True, allow_none=True, metadata={"type": "string", **metadata})


def ref(name):
    """A reference to the component schema `name` of the description."""
    return {"$ref": "#/components/schemas/" + name}


def component_list(method):
    """The list of components an answer has: services, each list as a group before its services."""
    return fields.Method(method, required=True, metadata={
        "type": "array", "items": {"anyOf": [ref("Component"), ref("ComponentGroup")]},
        "description": "Services, and each service list as a component group followed by its services."})


def choice(values, method, **metadata):
    """A method's answer among `values`, described as their enum."""
    return fields.Method(method, required=True, metadata={"type": "string", "enum": list(values), **metadata})


class PageBound(Schema):
    """A schema made with the answer's view of the board."""

    def __init__(self, page=None, **kwargs):
        super().__init__(**kwargs)
        self.page = page

    def page_id(self, _):
        """The page's id, which every object carries."""
        return self.page.page_id


# --- objects ------------------------------------------------------------------


class PageSchema(Schema):
    """The page every answer starts with: this board."""

    id = text("page_id", description="The slug of the site's name.")
    name = text()
    url = fields.String(required=True, metadata={**ABSOLUTE_URL, "description": "The host the request came in on."})
    time_zone = constant("Etc/UTC")
    updated_at = IsoTime(attribute="updated", metadata={"description": "The newest event, incident or window change."})


class StatusIndicatorSchema(Schema):
    """The page's status: the worst service level (maintenance aside) or open incident impact, and its sentence."""

    indicator = fields.String(required=True, validate=OneOf([*IMPACTS, MAINTENANCE_INDICATOR]))
    description = choice([*DESCRIPTION.values(), UNDER_MAINTENANCE], "describe")

    def describe(self, overall):
        """Statuspage's sentence for the indicator (all is well but a service is in maintenance: say so)."""
        if overall.indicator in ("none", MAINTENANCE_INDICATOR) and overall.maintained:
            return UNDER_MAINTENANCE
        return DESCRIPTION[overall.indicator]


class ComponentSchema(PageBound):
    """A service as a component."""

    id = text("row.service.slug", description="The service's id.")
    name = text("row.service.name")
    status = choice(COMPONENT_STATUSES, "status_of")
    created_at = IsoTime(attribute="created")
    updated_at = IsoTime(attribute="updated", metadata={"description": "Its newest event."})
    position = fields.Integer(required=True, metadata={"minimum": 1, "description": "Its place in the list."})
    description = maybe_text(lambda placed: placed.row.service.description or None)
    showcase = fields.Boolean(attribute="row.service.showcase", required=True, metadata={
        "description": "Whether the front page and /summary show it (the API always does)."})
    start_date = fields.Function(lambda placed: placed.created.date().isoformat(), required=True,
                                 metadata={"type": "string", "format": "date"})
    group_id = fields.String(required=True, allow_none=True, metadata={
        "type": "string", "description": "The id of the component group it is in."})
    page_id = fields.Method("page_id", required=True, metadata={"type": "string"})
    group = constant(False)
    only_show_if_degraded = fields.Boolean(attribute="row.service.only_show_if_degraded", required=True, metadata={
        "description": "Whether the public pages leave it off while it is operational (the API always shows it)."})

    def status_of(self, placed):
        """The service's status as a component status."""
        return self.page.status_of(placed.row.status)


class ComponentGroupSchema(ComponentSchema):
    """A service list as a component group: its services follow it in the list, with its id as group_id."""

    id = fields.String(required=True, metadata={"pattern": "^list:", "description": "`list:` and the list's id."})
    name = text("group.name")
    status = choice(COMPONENT_STATUSES, "status_of", description="Its worst service's.")
    created_at = IsoTime(attribute="created", metadata={"description": "Its oldest service's."})
    updated_at = IsoTime(attribute="updated", metadata={"description": "Its services' newest event."})
    description = maybe_text(lambda listed: listed.group.service_list.description or None)
    showcase = constant(False)
    start_date = constant(None)
    group_id = constant(None)
    group = constant(True)
    only_show_if_degraded = constant(False)
    components = fields.Function(lambda listed: [member.row.service.slug for member in listed.members],
                                 required=True, metadata={"type": "array", "items": {"type": "string"},
                                                          "description": "Its services' ids."})

    def status_of(self, listed):
        """The group's worst service's status as a component status."""
        return self.page.status_of(listed.group.worst)


class AffectedComponentSchema(PageBound):
    """A service whose status an update changed."""

    code = text("service", description="The service's id.")
    name = text(description="The service's name as the incident recorded it.")
    old_status = choice(COMPONENT_STATUSES, "old_of")
    new_status = choice(COMPONENT_STATUSES, "new_of")

    def old_of(self, change):
        """Its component status before the update."""
        return self.page.status_id(change["old"])

    def new_of(self, change):
        """Its component status after the update."""
        return self.page.status_id(change["new"])


class IncidentUpdateSchema(PageBound):
    """One update of an incident."""

    id = fields.Function(lambda told: f"{told.parent_id}-{told.update.number}", required=True,
                         metadata={"type": "string"})
    status = text("update.state", enum=list(INCIDENT_STATES))
    body = text("update.message")
    incident_id = text("parent_id")
    created_at = IsoTime(attribute="update.at")
    updated_at = IsoTime(get=lambda told: told.update.at)
    display_at = IsoTime(get=lambda told: told.update.at)
    affected_components = Shaped(AffectedComponentSchema, "affected_of", many=True, allow_none=True,
                                 metadata={"description": "The services whose status it changed (null: none)."})
    deliver_notifications = constant(True)
    custom_tweet = constant(None)
    tweet_id = constant(None)

    @functools.cached_property
    def affected(self):
        """One schema for the changes of every update of the answer."""
        return AffectedComponentSchema(self.page, many=True)

    def affected_of(self, told):
        """The services whose status the update changed, or None."""
        affected = told.affected
        return None if affected is None else self.affected.dump(affected)


class MaintenanceUpdateSchema(IncidentUpdateSchema):
    """A step a maintenance window reached."""

    status = text("update.state", enum=SHOWN_MAINTENANCE_STATES)


class _Notice(PageBound):
    """What an incident and a scheduled maintenance share, in Statuspage's order; each says when
    it was monitored and resolved (`monitored`, `resolved`) and what its updates are (`told`)."""

    id = text("incident_id", pattern="^[0-9]+$")
    name = text("title")
    status = text("state", enum=list(INCIDENT_STATES))
    created_at = IsoTime(attribute="started")
    updated_at = IsoTime(attribute="updated")
    monitoring_at = IsoTime("monitored", allow_none=True)
    resolved_at = IsoTime("resolved", allow_none=True)
    impact = text(enum=list(IMPACTS))
    shortlink = fields.Function(lambda incident: url_for("site.incident", incident_id=incident.incident_id,
                                                         _external=True), required=True, metadata=ABSOLUTE_URL)
    started_at = IsoTime(get=lambda incident: incident.started)
    page_id = fields.Method("page_id", required=True, metadata={"type": "string"})
    incident_updates = Shaped(IncidentUpdateSchema, "updates_of", many=True, metadata={"description": "Newest first."})
    updates_schema = IncidentUpdateSchema

    @functools.cached_property
    def updates(self):
        """One schema for the updates of every notice of the answer."""
        return self.updates_schema(self.page, many=True)

    def updates_of(self, notice):
        """The notice's updates, newest first."""
        return self.updates.dump(self.told(notice))

    def components_of(self, notice):
        """The components of its services that the board still has."""
        return self.page.affected(notice.services)


class IncidentSchema(_Notice):
    """An incident with its updates, newest first."""

    status = choice([*INCIDENT_STATES, POSTMORTEM], "status_of",
                    description="`postmortem` once it is resolved and its postmortem is published.")

    components = Shaped(ComponentSchema, "components_of", many=True, metadata={"description": "Its services."})

    def status_of(self, incident):
        """Its state; a resolved incident with a published postmortem is in Statuspage's `postmortem` state."""
        return POSTMORTEM if incident.state == "resolved" and incident.postmortem else incident.state

    def monitored(self, incident):
        """When the incident first said it was monitoring (None: never)."""
        return min((update.at for update in incident.timeline if update.state == "monitoring"), default=None)

    def resolved(self, incident):
        """When it was resolved (None: open)."""
        return incident.resolved

    def told(self, incident):
        """Its updates, newest first."""
        return [Told(incident.incident_id, update, incident.name_of) for update in incident.timeline]


class MaintenanceSchema(_Notice):
    """A maintenance window as a scheduled maintenance: one update per step it reached, newest first."""

    id = fields.Function(lambda window: f"m{window.maintenance_id}", required=True,
                         metadata={"type": "string", "pattern": "^m[0-9]+$", "description": "`m` and its id."})
    status = text("state", enum=SHOWN_MAINTENANCE_STATES)
    created_at = IsoTime(attribute="created")
    monitoring_at = constant(None)
    impact = constant("maintenance")
    shortlink = fields.Function(lambda window: url_for("site.index", _anchor=f"maintenance-{window.maintenance_id}",
                                                       _external=True), required=True, metadata=ABSOLUTE_URL)
    started_at = IsoTime(get=lambda window: window.starts)
    incident_updates = Shaped(MaintenanceUpdateSchema, "updates_of", many=True,
                              metadata={"description": "Newest first."})
    scheduled_for = IsoTime(attribute="starts")
    scheduled_until = IsoTime(attribute="ends")
    components = Shaped(ComponentSchema, "components_of", many=True, metadata={"description": "Its services."})
    updates_schema = MaintenanceUpdateSchema

    def resolved(self, window):
        """A completed window was resolved at its last change."""
        return window.updated if window.state == "completed" else None

    def told(self, window):
        """The steps the window reached (scheduled, in progress, completed) and its updates, newest first."""
        steps = [("scheduled", window.created, window.message)]
        if window.state in ("in_progress", "verifying", "completed"):
            steps.append(("in_progress", window.starts, f"Maintenance started: {window.title}"))
        steps += sorted(((u.state, u.at, u.message) for u in window.timeline), key=lambda step: step[1])
        if window.state == "completed":
            steps.append(("completed", min(window.ends, window.updated), f"Maintenance completed: {window.title}"))
        return [Told(f"m{window.maintenance_id}", Update(n, state, body, at, []))
                for n, (state, at, body) in reversed(list(enumerate(steps, 1)))]
