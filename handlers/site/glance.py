"""The uptime calendars: months of days coloured by their worst status, each month with its
uptime, for the whole board and for one service (the front page's bars are in _board.html)."""

from flask import render_template

from handlers.routes import BOARD, reads, service_tags
from handlers.site.views import bp
from models import Service, Snapshot, glance, uptime, utcnow


@bp.get("/uptime")
@reads(BOARD)
def uptime_calendar():
    """Every service together, month by month: each day's worst status and each month's uptime."""
    board = Snapshot.now()
    return _calendar(board, board.rows, None)


@bp.get("/services/<service_id>/uptime")
@reads(service_tags)
def service_uptime(service_id):
    """One service month by month: each day's worst status, the time in it, each month's uptime."""
    board = Snapshot.of([Service.get_or_404(service_id)])
    return _calendar(board, board.rows, board.rows[0])


def _calendar(board, rows, row):
    """The calendar page of `rows` (`row`: the one service's, else the board's)."""
    now = utcnow()
    return render_template("site/uptime.html", board=board, row=row, months=glance.calendar_of(rows, board, now),
                           as_of=now, uptime_rule=uptime.RULE, services=len(rows))
