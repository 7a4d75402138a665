"""System metrics in the v1 API: admins push points of a named series for a service on
/admin/api/v1; anyone reads each series over a period, bucketed (at most 180 points a series)."""

from flask import request
from marshmallow import Schema, fields
from marshmallow.validate import Length

from handlers.api.schemas import Url, url
from handlers.responses import json_response
from handlers.routes import chart_period
from models import InvalidInput, Service
from models.metrics import MAX_POINTS, MAX_SERIES, NAME, NAME_RULE, MetricNames
from models.series import KEEP_DAYS, PERIODS, SeriesDay

ISO = {"type": "string", "format": "date-time", "example": "2026-11-23T14:05:00Z"}


class MetricPointSchema(Schema):
    """One bucket of a metric: the points pushed in [timestamp, timestamp + bucket_seconds)."""

    timestamp = fields.Function(lambda bucket: bucket.start.isoformat() + "Z", required=True, metadata=ISO)
    count = fields.Integer(required=True, metadata={"minimum": 1})
    min = fields.Float(attribute="low", required=True)
    avg = fields.Float(attribute="mean", required=True)
    max = fields.Float(attribute="high", required=True)


class MetricSchema(Schema):
    """A service's metric over a period: its non-empty buckets, oldest first."""

    name = fields.String(attribute="series", required=True, metadata={"pattern": f"^{NAME.pattern}$"})
    period = fields.Function(lambda chart: chart.period.name, required=True, metadata={"enum": list(PERIODS)})
    bucket_seconds = fields.Function(lambda chart: int(chart.period.bucket.total_seconds()), required=True,
                                     metadata={"type": "integer"})
    points = fields.List(fields.Nested(MetricPointSchema), attribute="filled", required=True)


class MetricPushSchema(Schema):
    """What a push kept: how many points, and where the service's metrics are read."""

    name = fields.String(required=True, metadata={"pattern": f"^{NAME.pattern}$"})
    accepted = fields.Integer(required=True, metadata={"minimum": 1, "maximum": MAX_POINTS})
    url = Url(lambda push: url("metrics", service_id=push["service_id"]))


VALUE = {"description": "A finite number.", "example": 12.5}
WHEN = {**ISO, "description": f"When it was measured (ISO 8601; UTC without an offset), within the last {KEEP_DAYS} "
                              "days; now when absent."}


class MetricPointFields(Schema):
    """One point of a push."""

    value = fields.Float(required=True, allow_nan=False, metadata=VALUE)
    timestamp = fields.String(metadata=WHEN)


class MetricFields(Schema):
    """A push: one point (`value`, optional `timestamp`), or a batch as `data` (a JSON body)."""

    value = fields.Float(allow_nan=False, metadata=VALUE)
    timestamp = fields.String(metadata=WHEN)
    data = fields.List(fields.Nested(MetricPointFields), validate=Length(1, MAX_POINTS), metadata={
        "description": f"At most {MAX_POINTS} points; all are kept, or none (a 400 names the first bad one)."})


def list_metrics(service_id):
    """A service's metrics over `period` (24h, 7d or 30d; 24h when absent), each bucketed to at most 180 points."""
    Service.get_or_404(service_id)
    try:  # the admin root is not normalised by the page cache's declaration: check it here too
        period = next(iter(chart_period(request.args.getlist("period"))), "24h")
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    charts = SeriesDay.charts(service_id, MetricNames.of(service_id), period)
    return json_response({"metrics": MetricSchema().dump(list(charts.values()), many=True)})


def push_metric(service_id, name):
    """Add points to a service's metric (made on its first point; at most 20 a service)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidInput("The JSON body must be an object: {\"value\": …} or {\"data\": [...]}.")
    else:
        body = request.form.to_dict()
    given = body.get("data") if "data" in body else [body] if "value" in body else None
    if given is None:
        raise InvalidInput("Give a 'value', or 'data': a list of points.")
    accepted = MetricNames.push(service_id, name, given)
    return json_response(MetricPushSchema().dump({"name": name, "accepted": accepted, "service_id": service_id}), 201)


PERIOD_ARG = {"period": chart_period}
NAME_PARAMETER = {"name": "name", "in": "path", "required": True,
                  "description": f"The metric's name: {NAME_RULE}. A service has at most {MAX_SERIES}.",
                  "schema": {"type": "string", "pattern": f"^{NAME.pattern}$"}}
PERIOD_PARAMETER = {"name": "period", "in": "query", "required": False,
                    "description": "The span read: 24h (15-minute buckets), 7d (hourly) or 30d (4-hourly).",
                    "schema": {"type": "string", "enum": list(PERIODS)}}
