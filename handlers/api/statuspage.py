"""A Statuspage-compatible read API at /api/v2: what Statuspage's public endpoints answer,
with their field names and enums, so tools that read Statuspage pages read this board.

The mapping (docs/statuspage.md): services are components, service lists component
groups; levels NORMAL, WARNING, ERROR, CRITICAL are operational, degraded_performance,
partial_outage, major_outage, and the maintenance status is under_maintenance. Every
answer is one read of the board (models.Snapshot.now: its notices come with it), shaped by
the schemas of handlers/api/statuspage_schema.py; each view declares its answer's schema
(`answers`), which /api/v2/openapi.json describes.
"""

import functools

from flask import Blueprint, current_app, request
from marshmallow import fields
from slugify import slugify

from handlers.api.schemas import Shaped
from handlers.api.statuspage_openapi import describe
from handlers.api.statuspage_records import Listed, Overall, Placed, group_id_of
from handlers.api.statuspage_schema import (COMPONENT_STATUS, INDICATOR, MAINTENANCE_INDICATOR,
                                            UNDER_MAINTENANCE_STATUS, ComponentGroupSchema, ComponentSchema,
                                            IncidentSchema, MaintenanceSchema, PageBound, PageSchema,
                                            StatusIndicatorSchema, component_list, ref)
from handlers.responses import json_response
from handlers.routes import BOARD, JSONP, META, PUBLIC_API, declare, reads
from models import NotFound, Snapshot
from models.incident import IMPACTS
from models.maintenance import MAINTENANCE_STATUS
from models.notices import OPEN_MAINTENANCE, RECENT_INCIDENTS as INCIDENTS_LISTED
from models.times import utc_midnight

bp = declare(Blueprint("statuspage", __name__, url_prefix="/api/v2"), PUBLIC_API)


class Page:
    """One answer's view of the board in Statuspage's terms: what the schemas ask of the board."""

    def __init__(self, board):
        self.board = board
        self.page_id = slugify(current_app.config["SITE_NAME"]) or "status"
        self.name = current_app.config["SITE_NAME"]
        self.url = request.host_url.rstrip("/")
        self.incidents = list(board.incidents())
        self.windows = [window for window in board.maintenances() if window.state != "cancelled"]
        self._rows = None

    @property
    def updated(self):
        """The newest event, incident or window change (midnight on a board with none)."""
        stamps = [row.event.timestamp for row in self.board.rows if row.event]
        stamps += [incident.updated for incident in self.incidents] + [window.updated for window in self.windows]
        return max(stamps, default=utc_midnight())

    def status_of(self, status):
        """A component status for one of the board's statuses (None: the default)."""
        status = status or self.board.default
        if status is None:
            return "operational"
        if status.slug == MAINTENANCE_STATUS:
            return UNDER_MAINTENANCE_STATUS
        return COMPONENT_STATUS[status.level]

    def status_id(self, status_id):
        """A component status for a status id (one that is gone reads as operational)."""
        status = self.board.status(status_id) if status_id else None
        return self.status_of(status) if status or not status_id else "operational"

    def overall(self):
        """The worst service level (maintenance aside) or open incident impact, and whether a service is
        under maintenance."""
        levels = [row.status.level for row in self.board.rows
                  if row.status and row.status.slug != MAINTENANCE_STATUS]
        impacts = [INDICATOR[level] for level in levels]
        impacts += [incident.impact for incident in self.incidents if incident.is_open]
        maintained = any(row.status and row.status.slug == MAINTENANCE_STATUS for row in self.board.rows)
        indicator = max(impacts, key=IMPACTS.index, default="none")
        if indicator == "none" and maintained and self.board.maintenance_indicator:
            indicator = MAINTENANCE_INDICATOR  # the board's setting: as live Statuspage pages answer
        return Overall(indicator, maintained)

    @functools.cached_property
    def component_schema(self):
        """One schema for the answer's services (a schema is costly to make)."""
        return ComponentSchema(self)

    def component(self, row, position, group_id=None):
        """One service as a component at `position`.

        Its shape is worked out once per card, board signature and page id (as v1's service_json
        is, models.snapshot.Card.derived) and placed per answer: a board of hundreds of services
        shapes again only those that changed.
        """
        card = row.service
        key = ("statuspage", self.board.signature, self.page_id)
        shape = card.derived.get(key)
        if shape is None:
            shape = self.component_schema.dump(Placed(row))
            card.remember(key, shape)
        return {**shape, "position": position, "group_id": group_id}

    def components(self):
        """Every service, each list as a component group followed by its services."""
        answer = []
        for group in self.board.groups():
            if group.service_list is None:
                answer += [self.component(row, len(answer) + 1) for row in group.rows]
                continue
            position = len(answer) + 1
            group_id = group_id_of(group.service_list)
            members = [Placed(row, n, group_id) for n, row in enumerate(group.rows, position + 1)]
            answer.append(ComponentGroupSchema(self).dump(Listed(group, position, members)))
            answer += [self.component(member.row, member.position, group_id) for member in members]
        return answer

    def component_of(self, component_id):
        """The component (a service, or a list as a group) with this id; an unknown id is a 404."""
        found = next((component for component in self.components() if component["id"] == component_id), None)
        if found is None:
            shown = component_id if len(component_id) <= 60 else component_id[:60] + "…"
            raise NotFound(f"No component '{shown}'.")
        return found

    def affected(self, service_ids):
        """The components of these service ids that the board still has."""
        if self._rows is None:
            self._rows = {row.service.slug: row for row in self.board.rows}
        return [self.component(self._rows[sid], n) for n, sid in enumerate(service_ids, 1) if sid in self._rows]

    def incidents_where(self, keep):
        """The incidents `keep` keeps, newest first."""
        return [incident for incident in self.incidents if keep(incident)]

    def windows_where(self, keep):
        """The windows `keep` keeps, latest start first."""
        return sorted((window for window in self.windows if keep(window)), key=lambda w: w.starts, reverse=True)


# --- the answers: each starts with the page ------------------------------------------


class Answer(PageBound):
    """What every answer starts with."""

    page = Shaped(PageSchema, "page_of")

    def page_of(self, _):
        """The page object: this board."""
        return PageSchema().dump(self.page)

    def components_of(self, _):
        """Every component."""
        return self.page.components()

    def status_of(self, _):
        """The page's status."""
        return StatusIndicatorSchema().dump(self.page.overall())

    def incidents_of(self, parts):
        """The incidents the view chose."""
        return IncidentSchema(self.page, many=True).dump(parts["incidents"])

    def maintenances_of(self, parts):
        """The windows the view chose."""
        return MaintenanceSchema(self.page, many=True).dump(parts["scheduled_maintenances"])


def listing(nested, method):
    """A list of `nested` objects an answer has."""
    return Shaped(nested, method, many=True)


class SummaryAnswer(Answer):
    """The page's status, every component, the unresolved incidents and the upcoming or active maintenance."""

    components = component_list("components_of")
    incidents = listing(IncidentSchema, "incidents_of")
    scheduled_maintenances = listing(MaintenanceSchema, "maintenances_of")
    status = Shaped(StatusIndicatorSchema, "status_of")


class StatusAnswer(Answer):
    """The page's status."""

    status = Shaped(StatusIndicatorSchema, "status_of")


class ComponentsAnswer(Answer):
    """Every component."""

    components = component_list("components_of")


class ComponentAnswer(Answer):
    """One component."""

    component = fields.Method("component_of", required=True, metadata={
        "anyOf": [ref("Component"), ref("ComponentGroup")]})

    def component_of(self, parts):
        """The component the view chose."""
        return parts["component"]


class IncidentsAnswer(Answer):
    """Incidents, newest first."""

    incidents = listing(IncidentSchema, "incidents_of")


class MaintenancesAnswer(Answer):
    """Scheduled maintenances, latest start first."""

    scheduled_maintenances = listing(MaintenanceSchema, "maintenances_of")


def answers(schema):
    """Declare the schema of a view's answer (/api/v2/openapi.json reads it); the view is given the
    answer's view of the board and returns the incidents and windows it chose."""

    def decorate(view):
        @functools.wraps(view)
        def answer(**url_args):
            page = Page(Snapshot.now())
            return json_response(schema(page).dump(view(page, **url_args)))

        answer.answer = schema
        return answer

    return decorate


def is_open(incident):
    """Whether the incident is not resolved yet."""
    return incident.is_open


@bp.get("/summary.json")
@reads(BOARD, JSONP)
@answers(SummaryAnswer)
def summary(page):
    """The page's status, every component, the unresolved incidents and the upcoming or active maintenance."""
    return {"incidents": page.incidents_where(is_open),
            "scheduled_maintenances": page.windows_where(lambda window: window.state in OPEN_MAINTENANCE)}


@bp.get("/status.json")
@reads(BOARD, JSONP)
@answers(StatusAnswer)
def status(page):
    """The page's status indicator and its description."""
    return {}


@bp.get("/components.json")
@reads(BOARD, JSONP)
@answers(ComponentsAnswer)
def components(page):
    """Every component: services, and service lists as component groups."""
    return {}


@bp.get("/components/<component_id>.json")
@reads(BOARD, JSONP)
@answers(ComponentAnswer)
def component(page, component_id):
    """One component by its id (a service's, or `list:` and a list's); an unknown one is a 404."""
    return {"component": page.component_of(component_id)}


@bp.get("/incidents.json")
@reads(BOARD, JSONP)
@answers(IncidentsAnswer)
def incidents(page):
    """The newest 50 incidents, resolved or not, newest first (as Statuspage's incidents.json)."""
    return {"incidents": page.incidents_where(lambda incident: True)[:INCIDENTS_LISTED]}


@bp.get("/incidents/unresolved.json")
@reads(BOARD, JSONP)
@answers(IncidentsAnswer)
def unresolved_incidents(page):
    """The incidents not resolved yet."""
    return {"incidents": page.incidents_where(is_open)}


@bp.get("/scheduled-maintenances.json")
@reads(BOARD, JSONP)
@answers(MaintenancesAnswer)
def scheduled_maintenances(page):
    """Upcoming, active and recent maintenance windows (cancelled ones are left out)."""
    return {"scheduled_maintenances": page.windows_where(lambda window: True)}


@bp.get("/scheduled-maintenances/upcoming.json")
@reads(BOARD, JSONP)
@answers(MaintenancesAnswer)
def upcoming_maintenances(page):
    """Maintenance windows that have not started."""
    return {"scheduled_maintenances": page.windows_where(lambda w: w.state == "scheduled")}


@bp.get("/scheduled-maintenances/active.json")
@reads(BOARD, JSONP)
@answers(MaintenancesAnswer)
def active_maintenances(page):
    """Maintenance windows in progress (or being verified)."""
    return {"scheduled_maintenances": page.windows_where(lambda w: w.state in ("in_progress", "verifying"))}


@bp.get("/openapi.json", endpoint="openapi")
@reads(META, JSONP)
def openapi_document():
    """This API described in OpenAPI 3.1, for code generators, validators and fuzzers."""
    rules = [rule for rule in current_app.url_map.iter_rules() if rule.endpoint.startswith(f"{bp.name}.")]
    views = [(rule.rule, current_app.view_functions[rule.endpoint]) for rule in rules]
    return json_response(describe(request.host_url, [(path, view) for path, view in views if hasattr(view, "answer")]))
