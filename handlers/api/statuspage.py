"""A Statuspage-compatible read API at /api/v2: what Statuspage's public endpoints answer,
with their field names and enums, so tools that read Statuspage pages read this board.

The mapping (docs/statuspage.md): services are components, service lists component
groups; levels NORMAL, WARNING, ERROR, CRITICAL are operational, degraded_performance,
partial_outage, major_outage, and the maintenance status is under_maintenance. Every
answer is one read of the board (models.Snapshot.now: its notices come with it).
"""

from flask import Blueprint, current_app, request, url_for
from slugify import slugify

from handlers.responses import json_response
from handlers.routes import BOARD, JSONP, PUBLIC_API, declare, reads
from models import Snapshot
from models.incident import IMPACTS
from models.maintenance import MAINTENANCE_STATUS
from models.notices import OPEN_MAINTENANCE
from models.times import iso_ms, utc_midnight

bp = declare(Blueprint("statuspage", __name__, url_prefix="/api/v2"), PUBLIC_API)

COMPONENT_STATUS = {"NORMAL": "operational", "WARNING": "degraded_performance", "ERROR": "partial_outage",
                    "CRITICAL": "major_outage"}
INDICATOR = {"NORMAL": "none", "WARNING": "minor", "ERROR": "major", "CRITICAL": "critical"}
DESCRIPTION = {"none": "All Systems Operational", "minor": "Minor Service Outage", "major": "Partial System Outage",
               "critical": "Major Service Outage"}
UNDER_MAINTENANCE = "Service Under Maintenance"


class Page:
    """One answer's view of the board in Statuspage's terms."""

    def __init__(self, board):
        self.board = board
        self.page_id = slugify(current_app.config["SITE_NAME"]) or "status"
        self.incidents = [incident for incident in board.incidents()]
        self.windows = [window for window in board.maintenances() if window.state != "cancelled"]

    def status_of(self, status):
        """A component status for one of the board's statuses (None: the default)."""
        status = status or self.board.default
        if status is None:
            return "operational"
        if status.slug == MAINTENANCE_STATUS:
            return "under_maintenance"
        return COMPONENT_STATUS[status.level]

    def status_id(self, status_id):
        """A component status for a status id (one that is gone reads as operational)."""
        status = self.board.status(status_id) if status_id else None
        return self.status_of(status) if status or not status_id else "operational"

    def page(self):
        """The `page` object every answer starts with."""
        stamps = [row.event.timestamp for row in self.board.rows if row.event]
        stamps += [incident.updated for incident in self.incidents] + [window.updated for window in self.windows]
        return {"id": self.page_id, "name": current_app.config["SITE_NAME"], "url": request.host_url.rstrip("/"),
                "time_zone": "Etc/UTC", "updated_at": iso_ms(max(stamps, default=utc_midnight()))}

    def status(self):
        """{indicator, description}: the worst service level (maintenance aside) or open incident impact."""
        levels = [row.status.level for row in self.board.rows
                  if row.status and row.status.slug != MAINTENANCE_STATUS]
        impacts = [INDICATOR[level] for level in levels]
        impacts += [incident.impact for incident in self.incidents if incident.is_open]
        indicator = max(impacts, key=IMPACTS.index, default="none")
        maintained = any(row.status and row.status.slug == MAINTENANCE_STATUS for row in self.board.rows)
        description = UNDER_MAINTENANCE if indicator == "none" and maintained else DESCRIPTION[indicator]
        return {"indicator": indicator, "description": description}

    def component(self, row, position, group_id=None):
        """One service as a component."""
        card = row.service
        created = card.created or (row.event.timestamp if row.event else utc_midnight())
        return {
            "id": card.slug, "name": card.name, "status": self.status_of(row.status),
            "created_at": iso_ms(created), "updated_at": iso_ms(row.event.timestamp if row.event else created),
            "position": position, "description": card.description or None, "showcase": True,
            "start_date": created.date().isoformat(), "group_id": group_id, "page_id": self.page_id,
            "group": False, "only_show_if_degraded": False,
        }

    def components(self):
        """Every service, each list as a component group followed by its services."""
        answer = []
        for group in self.board.groups():
            if group.service_list is None:
                answer += [self.component(row, len(answer) + 1) for row in group.rows]
                continue
            group_id = f"list:{group.service_list.slug}"
            members = [self.component(row, n, group_id) for n, row in enumerate(group.rows, len(answer) + 2)]
            worst = group.worst
            answer.append({
                "id": group_id, "name": group.name, "status": self.status_of(worst),
                "created_at": min((m["created_at"] for m in members), default=iso_ms(utc_midnight())),
                "updated_at": max((m["updated_at"] for m in members), default=iso_ms(utc_midnight())),
                "position": len(answer) + 1, "description": group.service_list.description or None,
                "showcase": False, "start_date": None, "group_id": None, "page_id": self.page_id, "group": True,
                "only_show_if_degraded": False, "components": [m["id"] for m in members],
            })
            answer += members
        return answer

    def affected(self, service_ids):
        """The components of these service ids that the board still has."""
        rows = {row.service.slug: row for row in self.board.rows}
        return [self.component(rows[sid], n) for n, sid in enumerate(service_ids, 1) if sid in rows]

    def incident(self, incident):
        """An incident with its updates, newest first."""
        iid = incident.incident_id
        updates = [{
            "id": f"{iid}-{update.number}", "status": update.state, "body": update.message, "incident_id": iid,
            "created_at": iso_ms(update.at), "updated_at": iso_ms(update.at), "display_at": iso_ms(update.at),
            "affected_components": [
                {"code": change["service"], "name": incident.name_of(change["service"]),
                 "old_status": self.status_id(change["old"]), "new_status": self.status_id(change["new"])}
                for change in update.changes
            ] or None,
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
        } for update in incident.timeline]
        monitoring = [update.at for update in incident.timeline if update.state == "monitoring"]
        return {
            "id": iid, "name": incident.title, "status": incident.state, "created_at": iso_ms(incident.started),
            "updated_at": iso_ms(incident.updated), "monitoring_at": iso_ms(min(monitoring)) if monitoring else None,
            "resolved_at": iso_ms(incident.resolved) if incident.resolved else None, "impact": incident.impact,
            "shortlink": url_for("site.incident", incident_id=iid, _external=True),
            "started_at": iso_ms(incident.started), "page_id": self.page_id, "incident_updates": updates,
            "components": self.affected(incident.services),
        }

    def maintenance(self, window):
        """A maintenance window as Statuspage's scheduled maintenance."""
        wid = f"m{window.maintenance_id}"
        steps = [("scheduled", window.created, window.message)]
        if window.state in ("in_progress", "completed"):
            steps.append(("in_progress", window.starts, f"Maintenance started: {window.title}"))
        if window.state == "completed":
            steps.append(("completed", min(window.ends, window.updated), f"Maintenance completed: {window.title}"))
        updates = [{
            "id": f"{wid}-{n}", "status": state, "body": body, "incident_id": wid, "created_at": iso_ms(at),
            "updated_at": iso_ms(at), "display_at": iso_ms(at), "affected_components": None,
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
        } for n, (state, at, body) in reversed(list(enumerate(steps, 1)))]
        return {
            "id": wid, "name": window.title, "status": window.state, "created_at": iso_ms(window.created),
            "updated_at": iso_ms(window.updated), "monitoring_at": None,
            "resolved_at": iso_ms(window.updated) if window.state == "completed" else None, "impact": "maintenance",
            "shortlink": url_for("site.index", _anchor=f"maintenance-{window.maintenance_id}", _external=True),
            "started_at": iso_ms(window.starts), "page_id": self.page_id, "incident_updates": updates,
            "scheduled_for": iso_ms(window.starts), "scheduled_until": iso_ms(window.ends),
            "components": self.affected(window.services),
        }

    def incidents_where(self, keep):
        return [self.incident(incident) for incident in self.incidents if keep(incident)]

    def windows_where(self, keep):
        windows = sorted((w for w in self.windows if keep(w)), key=lambda w: w.starts, reverse=True)
        return [self.maintenance(window) for window in windows]


def _answer(**parts):
    page = Page(Snapshot.now())
    body = {"page": page.page()}
    for name, make in parts.items():
        body[name] = make(page)
    return json_response(body)


@bp.get("/summary.json")
@reads(BOARD, JSONP)
def summary():
    """The page's status, every component, the unresolved incidents and the upcoming or active maintenance."""
    return _answer(
        components=Page.components,
        incidents=lambda page: page.incidents_where(lambda incident: incident.is_open),
        scheduled_maintenances=lambda page: page.windows_where(lambda window: window.state in OPEN_MAINTENANCE),
        status=Page.status,
    )


@bp.get("/status.json")
@reads(BOARD, JSONP)
def status():
    """The page's status indicator and its description."""
    return _answer(status=Page.status)


@bp.get("/components.json")
@reads(BOARD, JSONP)
def components():
    """Every component: services, and service lists as component groups."""
    return _answer(components=Page.components)


@bp.get("/incidents.json")
@reads(BOARD, JSONP)
def incidents():
    """The newest 50 incidents and every unresolved one, newest first."""
    return _answer(incidents=lambda page: page.incidents_where(lambda incident: True))


@bp.get("/incidents/unresolved.json")
@reads(BOARD, JSONP)
def unresolved_incidents():
    """The incidents not resolved yet."""
    return _answer(incidents=lambda page: page.incidents_where(lambda incident: incident.is_open))


@bp.get("/scheduled-maintenances.json")
@reads(BOARD, JSONP)
def scheduled_maintenances():
    """Upcoming, active and recent maintenance windows (cancelled ones are left out)."""
    return _answer(scheduled_maintenances=lambda page: page.windows_where(lambda window: True))


@bp.get("/scheduled-maintenances/upcoming.json")
@reads(BOARD, JSONP)
def upcoming_maintenances():
    """Maintenance windows that have not started."""
    return _answer(scheduled_maintenances=lambda page: page.windows_where(lambda w: w.state == "scheduled"))


@bp.get("/scheduled-maintenances/active.json")
@reads(BOARD, JSONP)
def active_maintenances():
    """Maintenance windows in progress."""
    return _answer(scheduled_maintenances=lambda page: page.windows_where(lambda w: w.state == "in_progress"))
